"""Tests of the generic training loop (dnabert.train) on CPU with a tiny BERT and synthetic data."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dnabert.train import Preempted, TrainConfig, latest_checkpoint, lr_at, train

VOCAB = 69  # k = 3: 4**3 + 5
PAD, MASK = 0, 4


def tiny_bert(seed: int = 0):
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=PAD,
        attn_implementation="sdpa",
    )
    return BertForMaskedLM(config)


def random_corpus(n: int = 64, seed: int = 0) -> list[np.ndarray]:
    """Random uint16 k-mer ids (5..68), lengths 8..30, no special tokens."""
    rng = np.random.default_rng(seed)
    return [
        rng.integers(5, VOCAB, size=int(rng.integers(8, 31)), dtype=np.uint16) for _ in range(n)
    ]


class TinyMaskCollator:
    """Masks ~15% of tokens (single tokens, not k-spans) with its own checkpointable generator;
    pads to the longest sequence; adds [CLS]=2 / [SEP]=3."""

    def __init__(self, p: float = 0.15, seed: int = 0):
        self.p = p
        self.gen = torch.Generator().manual_seed(seed)

    def __call__(self, seqs):
        T = max(len(s) for s in seqs) + 2
        ids = torch.zeros(len(seqs), T, dtype=torch.long)
        att = torch.zeros(len(seqs), T, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s) + 2] = torch.tensor([2, *s.tolist(), 3])
            att[i, : len(s) + 2] = 1
        special = ids < 5
        mask = (torch.rand(ids.shape, generator=self.gen) < self.p) & ~special
        mask[:, 1] |= True  # at least one masked token per row
        labels = torch.where(mask, ids, torch.full_like(ids, -100))
        ids = torch.where(mask, torch.full_like(ids, MASK), ids)
        return {"input_ids": ids, "attention_mask": att, "labels": labels}

    def state_dict(self):
        return {"gen": self.gen.get_state()}

    def load_state_dict(self, state):
        self.gen.set_state(state["gen"])


def read_log(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def cfg(**kw) -> TrainConfig:
    base = dict(
        max_steps=8,
        batch_size=4,
        grad_accum=1,
        lr=1e-3,
        warmup_steps=2,
        log_every=1,
        ckpt_every=0,
        seed=3,
        precision="fp32",
        device="cpu",
    )
    base.update(kw)
    return TrainConfig(**base)


def test_lr_schedule_warms_up_then_decays_to_zero():
    c = TrainConfig(max_steps=100, warmup_steps=10, lr=4e-4)
    lrs = [lr_at(s, c) for s in range(1, 101)]
    assert lrs[9] == pytest.approx(4e-4)  # peak at step == warmup_steps
    assert max(lrs) == pytest.approx(4e-4)
    assert lrs[0] == pytest.approx(4e-5)  # first update: lr / warmup, not 0
    assert np.all(np.diff(lrs[:10]) > 0) and np.all(np.diff(lrs[9:]) < 0)
    assert lrs[-1] == 0.0
    assert lrs[54] == pytest.approx(4e-4 * 45 / 90)  # linear: half-way down at step 55
    assert TrainConfig(max_steps=50, warmup_ratio=0.1).warmup == 5


def test_lr_schedule_holds_then_decays_over_decay_steps():
    c = TrainConfig(max_steps=100, warmup_steps=10, lr=1e-3, decay_steps=20)
    lrs = [lr_at(s, c) for s in range(1, 101)]
    assert lrs[4] == pytest.approx(5e-4)  # warm-up unchanged
    assert lrs[9:80] == pytest.approx([1e-3] * 71)  # steps 10..80 hold lr
    assert lrs[89] == pytest.approx(5e-4) and lrs[-1] == 0.0  # then down to 0 over 20 steps


def test_resume_after_sigterm_gives_the_same_losses(tmp_path):
    data = random_corpus()
    full = train(tiny_bert(), data, TinyMaskCollator(), cfg(), tmp_path / "full")
    full_losses = [r["loss"] for r in full["history"]]
    assert len(full_losses) == 8

    calls = {"n": 0}

    def loss_with_sigterm(model, batch):
        calls["n"] += 1
        if calls["n"] == 4:  # during step 4: the handler must let the step finish
            os.kill(os.getpid(), signal.SIGTERM)
        return model(**batch).loss, {}

    out = tmp_path / "resumed"
    with pytest.raises(Preempted) as err:
        train(tiny_bert(), data, TinyMaskCollator(), cfg(), out, loss_fn=loss_with_sigterm)
    assert err.value.step == 4
    assert latest_checkpoint(out).name == "step4.pt"
    # The handler is restored afterwards (pytest's default SIGTERM handling is back).
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    # Resume with a fresh model: weights, optimizer, RNG, collator and data position come back.
    res = train(tiny_bert(seed=99), data, TinyMaskCollator(seed=99), cfg(), out)
    assert res["step"] == 8
    assert [float(r["loss"]) for r in read_log(out / "train_log.csv")] == full_losses
    assert [int(r["step"]) for r in read_log(out / "train_log.csv")] == list(range(1, 9))


def test_grad_accumulation_matches_a_larger_batch(tmp_path):
    """2 micro-batches of 4 equal one batch of 8 when every example has the same weight."""
    torch.manual_seed(0)
    data = [torch.randn(6) for _ in range(32)]

    def collate(xs):
        x = torch.stack(xs)
        return (x, x.sum(1, keepdim=True))

    def mse(model, batch):
        x, y = batch
        return torch.nn.functional.mse_loss(model(x), y), {}

    def run(batch_size, grad_accum, name):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
        c = cfg(max_steps=6, batch_size=batch_size, grad_accum=grad_accum, clip=0.5, lr=1e-2)
        res = train(model, data, collate, c, tmp_path / name, loss_fn=mse)
        return model, [r["loss"] for r in res["history"]]

    m_acc, l_acc = run(4, 2, "accum")
    m_big, l_big = run(8, 1, "big")
    assert l_acc == pytest.approx(l_big, rel=1e-5)
    for a, b in zip(m_acc.parameters(), m_big.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_checkpoints_rotate_and_log_has_required_columns(tmp_path):
    res = train(
        tiny_bert(), random_corpus(), TinyMaskCollator(), cfg(ckpt_every=2, log_every=4), tmp_path
    )
    assert res["step"] == 8
    names = sorted(p.name for p in (tmp_path / "checkpoints").glob("*.pt"))
    assert names == ["step6.pt", "step8.pt"]  # keep_checkpoints=2
    rows = read_log(tmp_path / "train_log.csv")
    assert [int(r["step"]) for r in rows] == [4, 8]
    assert {"step", "loss", "lr", "tokens_per_s", "mfu"} <= set(rows[0])
    assert float(rows[-1]["lr"]) == 0.0
    assert any((tmp_path / "tensorboard").iterdir())
    # A finished run called again does nothing more.
    again = train(tiny_bert(), random_corpus(), TinyMaskCollator(), cfg(ckpt_every=2), tmp_path)
    assert again["step"] == 8 and again["history"] == []


def test_progress_reaches_the_log_without_a_terminal(tmp_path, caplog):
    """Under pytest, as in a Snakemake job, stderr is no terminal: the tqdm bar is off, so each
    ``log_every`` steps the loop writes one log line (what the rule's log shows)."""
    with caplog.at_level("INFO", logger="dnabert.train"):
        train(tiny_bert(), random_corpus(), TinyMaskCollator(), cfg(log_every=4), tmp_path)
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("step ")]
    assert [s.split(":")[0] for s in steps] == ["step 4/8", "step 8/8"]
    assert "loss " in steps[0] and "tokens/s" in steps[0]


DDP_SCRIPT = """
import sys, torch
sys.path[:0] = [{tests!r}, {src!r}]
from test_train import tiny_bert, random_corpus, TinyMaskCollator, cfg
from dnabert.train import train
out = sys.argv[1]
model = tiny_bert()
rank = int(__import__("os").environ["RANK"])
train(model, random_corpus(), TinyMaskCollator(seed=rank), cfg(max_steps=4, ckpt_every=2), out)
torch.save([p.detach() for p in model.parameters()], f"{{out}}/../params{{rank}}.pt")
"""


def test_ddp_two_gloo_processes(tmp_path):
    script = tmp_path / "ddp_run.py"
    src = str(Path(__file__).resolve().parents[1] / "src")
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent), src=src))
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node",
            "2",
            str(script),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    p0, p1 = torch.load(tmp_path / "params0.pt"), torch.load(tmp_path / "params1.pt")
    for a, b in zip(p0, p1, strict=True):
        assert torch.equal(a, b)
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        "latest",
        "step2.pt",
        "step4.pt",
    ]
    ckpt = torch.load(out / "checkpoints" / "step4.pt", weights_only=False)
    assert len(ckpt["rng"]) == 2  # one RNG record per rank
    rows = read_log(out / "train_log.csv")
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4]  # written once, by rank 0


def test_model_selection_restores_best_weights_and_stops_early(tmp_path):
    """An eval metric that peaks at the 2nd eval: the best weights come back, training stops
    after `patience` evals without improvement, and resuming keeps the selection."""
    scores = iter([0.1, 0.9, 0.5, 0.4, 0.3, 0.2])
    weights_at_eval = {}

    def eval_fn(model):
        value = next(scores)
        weights_at_eval[value] = model.bert.embeddings.word_embeddings.weight.detach().clone()
        return {"mcc": value}

    data = random_corpus()
    out = train(
        tiny_bert(), data, TinyMaskCollator(), cfg(max_steps=60, eval_every=5, select_metric="mcc",
        patience=2, lr=1e-2), tmp_path / "run", eval_fn=eval_fn,
    )  # fmt: skip
    assert out["best"] == {"step": 10, "mcc": 0.9}
    assert out["step"] == 20  # evals at 5, 10 (best), 15, 20: two without improvement
    model = tiny_bert()
    ckpt = torch.load(latest_checkpoint(tmp_path / "run"), weights_only=False)
    model.load_state_dict(ckpt["best"]["state"])
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, weights_at_eval[0.9])


def test_unknown_select_metric_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError, match="select_metric 'auroc'"):
        train(
            tiny_bert(), random_corpus(), TinyMaskCollator(),
            cfg(max_steps=4, eval_every=2, select_metric="auroc"), tmp_path / "run",
            eval_fn=lambda m: {"mcc": 0.0},
        )  # fmt: skip

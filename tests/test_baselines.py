"""Baseline models: shapes, the papers' architecture facts, learning a planted motif, same splits."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from dnabert.baselines.models import (
    DeepBindCNN,
    DeePromoter,
    PromIDResNet,
    SpliceFinder,
    build_model,
)
from dnabert.baselines.train_baseline import (
    OneHotData,
    balanced_weights,
    baselines_for_task,
    load_baseline,
    run_baseline,
)
from dnabert.datasets.common import read_task_split

BASES = np.array(list("ACGT"))


def _x(n: int, length: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(BASES, length)) for _ in range(n)]
    return OneHotData.collate([(s, 0) for s in seqs])[0]


@pytest.mark.parametrize(
    ("name", "length", "n_classes"),
    [("deepromoter", 300, 2), ("deepromoter", 70, 2), ("promid", 1001, 2),
     ("splicefinder", 400, 3), ("deepbind", 101, 2)],
)  # fmt: skip
def test_output_shape(name, length, n_classes):
    model = build_model(name, seq_len=length, n_classes=n_classes).eval()
    with torch.no_grad():
        out = model(_x(3, length))
    assert out.shape == (3, n_classes)
    assert torch.isfinite(out).all()


def test_deepromoter_architecture():
    m = DeePromoter()
    assert [c.kernel_size[0] for c in m.convs] == [27, 14, 7]
    pools = [mod for mod in m.post if isinstance(mod, nn.MaxPool1d)]
    assert [p.kernel_size for p in pools] == [6]
    assert m.lstm.hidden_size == 32 and m.lstm.bidirectional
    linears = [mod for mod in m.head if isinstance(mod, nn.Linear)]
    assert linears[0].in_features == 64 and linears[0].out_features == 128
    assert linears[-1].out_features == 2
    assert {mod.p for mod in m.modules() if isinstance(mod, nn.Dropout)} == {0.5}
    # Each branch keeps length L before pooling, so the LSTM reads L // 6 steps (300 -> 50).
    seen = {}

    def record(mod, inp, out):
        seen["in"] = inp[0].shape

    m.lstm.register_forward_hook(record)
    m.eval()(_x(2, 300))
    assert seen["in"] == (2, 50, 3 * 32)


def test_promid_architecture():
    m = PromIDResNet().eval()
    assert m.stem[0].kernel_size == (3,)
    lengths, channels = [], []

    def record(mod, inp, out):
        lengths.append(out.shape[2])
        channels.append(out.shape[1])

    for stage in m.stages:
        stage.register_forward_hook(record)
        assert stage[0].body[0].stride == (2,)  # each stage downsamples
    with torch.no_grad():
        m(_x(2, 1001))
    assert channels == [16, 32, 64]
    assert lengths == [501, 251, 126]


def test_splicefinder_architecture():
    m = SpliceFinder(400)
    assert m.conv.out_channels == 50 and m.conv.kernel_size == (9,)
    linears = [mod for mod in m.head if isinstance(mod, nn.Linear)]
    assert linears[0].in_features == 50 * 392 and linears[0].out_features == 100
    assert linears[-1].out_features == 3
    assert [mod.p for mod in m.head if isinstance(mod, nn.Dropout)] == [0.3]
    with pytest.raises(ValueError, match="length 400"):
        m(_x(1, 300))


def test_deepbind_architecture_and_global_max_pool():
    m = DeepBindCNN().eval()
    assert m.conv.out_channels == 128 and m.conv.kernel_size == (24,)
    linears = [mod for mod in m.head if isinstance(mod, nn.Linear)]
    assert (linears[0].in_features, linears[0].out_features) == (128, 32)
    # Global max pooling: a motif scores the same wherever it sits in an otherwise empty input.
    # (each copy has >= 23 zeros on both sides, so both see the same set of conv windows)
    x = torch.zeros(2, 4, 140)
    motif = _x(1, 30, seed=3)[0]
    x[0, :, 25:55], x[1, :, 85:115] = motif, motif
    with torch.no_grad():
        out = m(x)
    assert torch.allclose(out[0], out[1], atol=1e-6)


def test_deepbind_both_strands_scores_a_sequence_and_its_reverse_complement_alike():
    torch.manual_seed(0)
    m = DeepBindCNN(both_strands=True).eval()
    x = _x(3, 101, seed=4)
    rc = x.flip(1, 2)  # ACGT channels reversed = complement; length reversed
    with torch.no_grad():
        assert torch.allclose(m(x), m(rc), atol=1e-6)
        paper = DeepBindCNN().eval()  # the default is the benchmarked one-strand model
        paper.load_state_dict(m.state_dict())
        assert not torch.allclose(paper(x), paper(rc), atol=1e-3)


def test_deepbind_budget_in_epochs_evaluates_every_epoch(tmp_path):
    task_dir = _toy_task(tmp_path, 40, 2, n=100)  # 70 training rows: 3 batches of 32 per epoch
    out = tmp_path / "run"
    params = {"max_steps": None, "epochs": 2, "eval_every": None, "patience": 0,
              "batch_size": 32, "device": "cpu"}  # fmt: skip
    record = run_baseline(task_dir, "deepbind", out, seed=0, params=params)
    assert record["steps"] == 6 and record["details"]["train_epochs"] == 2
    assert pd.read_csv(out / "eval_log.csv")["step"].tolist() == [3, 6]


def test_one_hot_n_is_zero_column():
    x, y = OneHotData.collate([("ACGTN", 1), ("NNNNA", 0)])
    assert x.shape == (2, 4, 5) and x.dtype == torch.float32
    assert x[0, :, 4].sum() == 0 and x[1, :, :4].sum() == 0
    assert x[0, :, 0].tolist() == [1, 0, 0, 0] and x[0, :, 3].tolist() == [0, 0, 0, 1]
    assert y.tolist() == [1, 0]


def test_one_hot_names_a_letter_that_is_no_base():
    from dnabert.seq import SequenceError, one_hot

    assert one_hot("acgtn").tolist() == one_hot("ACGTN").tolist()  # soft-masked input
    with pytest.raises(SequenceError, match=r"sequence 1: letter 'R' at position 2 is not one of"):
        one_hot(["ACGT", "ACRT"])


def test_balanced_weights():
    w = balanced_weights(np.array([0, 0, 0, 1]), 2)
    assert np.allclose(w, [4 / 6, 2.0])


def test_registry():
    cfg = {"custom_tasks": {"mine": {"baselines": ["deepbind"]}}}
    assert baselines_for_task("prom300_tata") == ["deepromoter", "kmer_lr"]
    assert baselines_for_task("promcore_all") == ["deepromoter", "kmer_lr"]
    assert baselines_for_task("promscan") == ["promid", "kmer_lr"]
    assert baselines_for_task("splice") == baselines_for_task("splice_rc")
    assert baselines_for_task("splice") == ["splicefinder", "kmer_lr"]
    assert baselines_for_task("tf_ENCFF1") == ["deepbind", "kmer_lr"]
    assert baselines_for_task("mine", cfg) == ["deepbind"]
    assert baselines_for_task("unknown") == []
    assert baselines_for_task("promscan", {"baselines": {"enabled": ["deepbind"]}}) == []


# ----------------------------------------------------------------- learning a planted motif

MOTIFS = {1: "TATAAAAGGC", 2: "GGCGCGCCAT"}


def _toy_task(tmp_path, length, n_classes, n=600, seed=0, centred=False):
    """Random sequences; class c > 0 carries MOTIFS[c] at a random position (at the centre when
    ``centred``: SpliceFinder's flattened dense layer reads sites at a fixed offset)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % n_classes
        seq = list(rng.choice(BASES, length))
        if label:
            at = length // 2 - 5 if centred else rng.integers(0, length - 10)
            seq[at : at + 10] = MOTIFS[label]
        rows.append(("".join(seq), label, "chrT", i * 1000, i * 1000 + length, "+-"[i % 2], "toy"))
    df = pd.DataFrame(rows, columns=["sequence", "label", "chrom", "start", "end", "strand",
                                     "source"])  # fmt: skip
    task_dir = tmp_path / "toy"
    task_dir.mkdir()
    cut = [int(0.7 * n), int(0.85 * n)]
    parts = (df.iloc[: cut[0]], df.iloc[cut[0] : cut[1]], df.iloc[cut[1] :])
    for name, part in zip(("train", "dev", "test"), parts, strict=True):
        part.to_csv(task_dir / f"{name}.tsv", sep="\t", index=False)
    return task_dir


@pytest.mark.parametrize(
    ("name", "length", "n_classes", "arch"),
    [("deepbind", 60, 2, {}), ("deepromoter", 60, 2, {}), ("splicefinder", 60, 3, {}),
     ("promid", 120, 2, {"blocks": 1})],
)  # fmt: skip
def test_learns_planted_motif_and_keeps_split_order(tmp_path, name, length, n_classes, arch):
    torch.set_num_threads(1)
    task_dir = _toy_task(tmp_path, length, n_classes, centred=name == "splicefinder")
    out = tmp_path / "run" / "seed3"
    params = {"max_steps": 300, "batch_size": 32, "lr": 3e-3, "eval_every": 100, "patience": 0,
              "device": "cpu", "arch": arch}  # fmt: skip
    record = run_baseline(task_dir, name, out, seed=3, params=params, config={"x": 1})
    chance = 1 / n_classes
    assert record["accuracy"] > chance + 0.3, record
    assert record["model"] == name and record["k"] is None and record["seed"] == 3
    assert record["task"] == "toy" and record["inference_seqs_per_s"] > 0
    assert sorted(p.name for p in out.iterdir()) == [
        "eval_log.csv",
        "metrics.json",
        "model.pt",
        "predictions.tsv",
        "train_log.csv",
    ]
    assert not (tmp_path / "run" / "seed3.work").exists()
    # Same splits: one prediction row per test row, in the test file's order.
    test = read_task_split(task_dir / "test.tsv")
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert len(pred) == len(test)
    assert (pred["label"].to_numpy() == test["label"].to_numpy()).all()
    assert (pred["start"].to_numpy() == test["start"].to_numpy()).all()
    assert (pred["strand"] == test["strand"]).all()
    probs = pred[[f"prob_{c}" for c in range(n_classes)]].to_numpy()
    assert np.allclose(probs.sum(1), 1, atol=1e-4)
    # The saved model reproduces the written probabilities.
    model = load_baseline(out)
    x = OneHotData.collate([(s, 0) for s in test["sequence"][:5]])[0]
    with torch.no_grad():
        again = torch.softmax(model(x), 1).numpy()
    assert np.allclose(again, probs[:5], atol=1e-4)
    meta = json.loads((out / "metrics.json").read_text())
    assert meta["config"] == {"x": 1} and meta["best_step"] is not None


def test_cli_train_baseline(tmp_path):
    from dnabert.cli import main

    task_dir = _toy_task(tmp_path, 40, 2, n=100)
    out = tmp_path / "cli_run"
    argv = ["train-baseline", "--task-dir", str(task_dir), "--baseline", "deepbind",
            "--out-dir", str(out), "--seed", "1", "--max-steps", "5", "--device", "cpu"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads((out / "metrics.json").read_text())["n_test"] == 15


def test_reconstruction_rounds_chain_in_the_dag(repo, tmp_path):
    """rounds=2: round 1 scans with the splice model, round 2 with the model trained on round
    1's dataset; splice_rc is built from round 2's (cumulative) hard negatives."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    cfg = yaml.safe_load((repo / "config/demo.yaml").read_text())
    cfg["baselines"]["splicefinder"]["rounds"] = 2
    path = tmp_path / "demo2.yaml"
    path.write_text(yaml.safe_dump(cfg))
    snakemake = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")
    target = "results/baselines/splice_rc/splicefinder/seed42/metrics.json"
    result = subprocess.run(
        [snakemake, "--snakefile", str(repo / "Snakefile"), "-n", "--cores", "1", "--configfile",
         str(path), "--directory", str(tmp_path), target],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    assert counts["scan_splice_hard_negatives"] == "2"
    assert counts["build_splice_round_dataset"] == "1"
    assert counts["train_splice_round_model"] == "1"
    assert counts["build_splice_rc_dataset"] == "1"
    assert "splice_reconstruction/round1/splicefinder/model.pt" in out
    assert "splice_reconstruction/round2/hard_negatives.bed" in out

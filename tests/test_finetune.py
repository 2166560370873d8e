"""Fine-tuning: a tiny BERT learns a planted motif, model selection, long-input sub-windows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from toy_models import FAST, make_pretrained, planted_rows, write_task_dir

from dnabert.finetune import (
    FinetuneCollator,
    aggregate,
    finetune,
    load_classifier,
    predict,
)
from dnabert.tokenizer import CLS_ID, SEP_ID, DNATokenizer, encode


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One fine-tuning run on the planted-motif task, shared by several tests."""
    root = tmp_path_factory.mktemp("ft")
    pretrained = make_pretrained(root / "pretrained")
    task = write_task_dir(root / "task")
    out = root / "results" / "seed0"
    torch.set_num_threads(1)
    record = finetune(
        task, pretrained, out, task="toy", k=3, seed=0, ft_cfg=FAST, config={"x": 1}, device="cpu"
    )
    return record, out, task


def test_finetune_learns_planted_motif_and_writes_contract(trained):
    record, out, _ = trained
    assert record["accuracy"] > 0.85, record
    assert record["mcc"] > 0.7
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("accuracy", "mcc", "auroc", "task", "model", "k", "seed", "config", "code_version"):
        assert key in metrics
    assert (metrics["task"], metrics["model"], metrics["k"], metrics["seed"]) == (
        "toy", "dnabert", 3, 0,
    )  # fmt: skip
    assert metrics["config"]["finetune"]["lr"] == FAST["lr"]
    assert metrics["inference_seqs_per_s"] > 0 and metrics["best_step"] >= 1
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert len(preds) == metrics["n_test"] == 96
    assert {"chrom", "start", "end", "strand"} <= set(preds.columns)
    np.testing.assert_allclose(preds["prob_0"] + preds["prob_1"], 1.0, atol=1e-5)
    # the work dir with checkpoints is gone; the fine-tuned model reloads and predicts the same
    assert not out.with_name(out.name + ".work").exists()
    model = load_classifier(out / "model", 3, 2, 0.0)
    tok = DNATokenizer.from_pretrained(out / "model")
    assert tok.k == 3
    test = pd.read_csv(trained[2] / "test.tsv", sep="\t")
    ids = [encode(s, 3) for s in test["sequence"][:8]]
    probs = predict(model, ids, max_length=64)
    np.testing.assert_allclose(probs[:, 1], preds["prob_1"][:8], atol=1e-4)


def test_best_dev_checkpoint_is_kept(trained):
    _, out, _ = trained
    evals = pd.read_csv(out / "eval_log.csv")
    metrics = json.loads((out / "metrics.json").read_text())
    best = evals.loc[evals["mcc"].idxmax()]
    assert metrics["best_step"] == int(best["step"])
    assert metrics["best_dev"] == pytest.approx(best["mcc"])


def test_vocab_size_must_match_k(tmp_path):
    pretrained = make_pretrained(tmp_path / "m", k=3)
    with pytest.raises(ValueError, match="vocab_size 69 does not match k=4"):
        load_classifier(pretrained, 4, 2, 0.1)
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_classifier(tmp_path / "missing", 3, 2, 0.1)


def test_collator_pads_to_multiple_of_8_and_crops_long_inputs():
    collate = FinetuneCollator(max_length=16, long_train="centre")
    short = np.arange(5, 10, dtype=np.uint16)  # 5 k-mers
    long = np.arange(5, 35, dtype=np.uint16)  # 30 k-mers > 14
    batch = collate([(short, 0), (long, 1)])
    assert batch["input_ids"].shape == (2, 16)
    assert batch["attention_mask"][0].sum() == 7  # CLS + 5 + SEP
    row = batch["input_ids"][1].numpy()
    assert row[0] == CLS_ID and row[-1] == SEP_ID
    assert row[1:-1].tolist() == long[8:22].tolist()  # centred: (30 - 14) // 2 = 8
    batch = collate([(short, 1)])
    assert batch["input_ids"].shape == (1, 8)  # 7 tokens -> 8
    assert batch["labels"].tolist() == [1]
    rand = FinetuneCollator(max_length=16, long_train="random", seed=3)
    state = rand.state_dict()
    first = rand([(long, 1)])["input_ids"]
    rand.load_state_dict(state)
    assert torch.equal(rand([(long, 1)])["input_ids"], first)


def test_aggregate_max_and_mean():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    owner = np.array([0, 0, 1])
    np.testing.assert_allclose(aggregate(probs, owner, 2, "max"), [[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(aggregate(probs, owner, 2, "mean"), [[0.55, 0.45], [0.6, 0.4]])
    three = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    out = aggregate(three, np.array([0, 0]), 1, "max")
    np.testing.assert_allclose(out.sum(1), 1.0)
    assert out[0].argmax() == 2


def test_long_inputs_are_scored_by_sub_windows(trained, tmp_path):
    """The motif sits only in the last sub-window: max aggregation finds it, truncation would not."""
    _, out, _ = trained
    model = load_classifier(out / "model", 3, 2, 0.0)
    rng = np.random.default_rng(5)
    df = planted_rows(40, 150, rng, motif_at=135)  # 148 3-mers -> 3 sub-windows of <= 62
    ids = [encode(s, 3) for s in df["sequence"]]
    labels = df["label"].to_numpy()
    p_max = predict(model, ids, max_length=64, aggregate_how="max")
    p_first = predict(model, [x[:62] for x in ids], max_length=64)
    acc_max = float(((p_max[:, 1] > 0.5) == labels).mean())
    acc_first = float(((p_first[:, 1] > 0.5) == labels).mean())
    assert acc_max > 0.8, acc_max
    assert acc_first < 0.7, acc_first


def test_balanced_batches_draw_classes_equally():
    from dnabert.finetune import balanced_batches

    labels = np.array([0] * 950 + [1] * 50)
    sample = balanced_batches(labels, 100, seed=0)
    drawn = np.concatenate([np.asarray(b) for b in sample(0)])
    assert drawn.size == 1000
    assert 0.4 < labels[drawn].mean() < 0.6  # ~half positives although 5% in the data
    again = np.concatenate([np.asarray(b) for b in sample(0)])
    assert np.array_equal(drawn, again)  # the same epoch gives the same batches
    assert not np.array_equal(drawn, np.concatenate([np.asarray(b) for b in sample(1)]))


def test_scratch_control_keeps_architecture_and_redraws_every_weight(tmp_path):
    from transformers import BertForMaskedLM

    pretrained = make_pretrained(tmp_path / "m", k=3, seed=5)
    mlm = BertForMaskedLM.from_pretrained(pretrained)
    torch.manual_seed(11)
    warm = load_classifier(pretrained, 3, 2, 0.1)
    torch.manual_seed(11)
    cold = load_classifier(pretrained, 3, 2, 0.1, from_scratch=True)
    torch.manual_seed(11)
    cold_again = load_classifier(pretrained, 3, 2, 0.1, from_scratch=True)
    assert cold.config.hidden_size == warm.config.hidden_size == 32
    assert cold.config.num_hidden_layers == 2 and cold.config.vocab_size == 69
    assert cold.config.hidden_dropout_prob == 0.1
    assert cold.config._attn_implementation == "sdpa"
    name = "bert.embeddings.word_embeddings.weight"
    kept = mlm.state_dict()[name]
    torch.testing.assert_close(warm.state_dict()[name], kept)  # pretrained: copied
    assert not torch.allclose(cold.state_dict()[name], kept)  # scratch: drawn anew
    for key, value in cold.state_dict().items():  # same seed, same scratch weights
        torch.testing.assert_close(value, cold_again.state_dict()[key])


def test_scratch_run_is_recorded_as_the_control(tmp_path):
    pretrained = make_pretrained(tmp_path / "pretrained")
    task = write_task_dir(tmp_path / "task", n_train=64, n_eval=32)
    out = tmp_path / "scratch" / "seed0"
    torch.set_num_threads(1)
    cfg = {**FAST, "max_steps": 4, "eval_every": 2}
    record = finetune(
        task, pretrained, out, task="toy", k=3, seed=0, ft_cfg=cfg, device="cpu", from_scratch=True
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert record["model"] == metrics["model"] == "dnabert_scratch"
    assert metrics["details"]["init"] == "scratch" and metrics["config"]["init"] == "scratch"
    assert isinstance(metrics["warnings"], list)  # degenerate-run warnings, see below


def test_degenerate_runs_are_named():
    from dnabert.finetune import run_warnings

    labels = np.array([0, 1, 1, 0])
    one_class = np.array([[0.6, 0.4]] * 4)
    assert run_warnings(labels, one_class, {"mcc": 0.0, "step": 25}, "mcc") == [
        "all 4 test predictions are class 0",
        "dev mcc never rose above chance (0); best 0.0",
    ]
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    assert run_warnings(labels, good, {"mcc": 0.4}, "mcc") == []
    assert run_warnings(labels, good, None, "auroc") == [
        "dev auroc never rose above chance (0.5); best None"
    ]
    assert run_warnings(labels, good, {"accuracy": 0.3}, "accuracy") == []  # no fixed chance


def test_cli_runs_the_control(tmp_path):
    from dnabert.cli import main

    pretrained = make_pretrained(tmp_path / "pretrained")
    task = write_task_dir(tmp_path / "toy", n_train=32, n_eval=16)
    out = tmp_path / "toy_scratch" / "seed1"
    torch.set_num_threads(1)
    args = ["finetune", "--task-dir", str(task), "--pretrained", str(pretrained), "--k", "3"]
    rc = main([*args, "--seed", "1", "--out-dir", str(out), "--max-steps", "2", "--from-scratch"])
    assert rc == 0
    assert json.loads((out / "metrics.json").read_text())["model"] == "dnabert_scratch"


# ------------------------------------------------ one run directory contract for every trainer

# Every trainer's metrics.json has exactly these top-level keys (its own extras under "details").
RUN_KEYS = {
    "accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc", "n_test",
    "task", "model", "k", "seed", "config", "code_version", "packages", "created",
    "warnings", "architecture", "n_params", "n_classes", "n_train", "n_dev", "device",
    "steps", "max_steps", "select_metric", "best_step", "best_dev",
    "train_seconds", "resumed_train_seconds", "inference_seconds", "inference_seqs_per_s",
    "details",
}  # fmt: skip


def test_finetuning_and_baselines_write_the_same_metrics_keys(trained, tmp_path):
    from dnabert.baselines.kmer_lr import run_kmer_lr
    from dnabert.baselines.train_baseline import run_baseline

    _, out, task = trained
    finetuned = json.loads((out / "metrics.json").read_text())
    params = {"max_steps": 4, "eval_every": 2, "batch_size": 32, "device": "cpu"}
    run_baseline(task, "deepbind", tmp_path / "deepbind", seed=0, params=params)
    run_kmer_lr(task, tmp_path / "kmer_lr", seed=0, params={"ks": [2], "c_grid": [1.0]})
    cnn = json.loads((tmp_path / "deepbind" / "metrics.json").read_text())
    kmer = json.loads((tmp_path / "kmer_lr" / "metrics.json").read_text())
    assert set(finetuned) == set(cnn) == set(kmer) == RUN_KEYS
    assert (finetuned["steps"], cnn["steps"], kmer["steps"]) == (48, 4, None)  # 4 epochs x 12
    assert (finetuned["n_train"], cnn["n_train"], kmer["n_train"]) == (384, 384, 384)
    assert finetuned["architecture"] == "DNABertForSequenceClassification"  # dnabert.pooling
    assert (cnn["architecture"], kmer["architecture"]) == ("DeepBindCNN", "LogisticRegression")
    assert finetuned["details"]["tokenizer"] == "DNATokenizer"
    assert cnn["details"]["seq_len"] == 40 and kmer["details"]["ks"] == [2]


def _bad_test_labels(task, tmp_path):
    """A copy of ``task`` whose test split has a label (2) the binary training split lacks."""
    bad = tmp_path / "bad_task"
    bad.mkdir()
    for name in ("train", "dev", "test"):
        df = pd.read_csv(task / f"{name}.tsv", sep="\t")
        if name == "test":
            df.loc[5, "label"] = 2
        df.to_csv(bad / f"{name}.tsv", sep="\t", index=False)
    return bad


@pytest.mark.parametrize("precreated", [False, True])  # Snakemake makes the folder first
def test_failed_runs_leave_no_partial_output(trained, tmp_path, monkeypatch, precreated):
    """A run that fails after training (a test label outside the trained classes, noticed when
    the metrics are computed; a model that cannot be saved) leaves its run folder as it found
    it: absent, or empty; fine-tuning keeps its checkpoints for the rerun."""
    from dnabert.baselines.kmer_lr import run_kmer_lr
    from dnabert.baselines.train_baseline import run_baseline

    _, _, task = trained
    bad = _bad_test_labels(task, tmp_path)
    outs = {name: tmp_path / "results" / name / "seed0" for name in ("deepbind", "kmer", "ft")}
    if precreated:
        for out in outs.values():
            out.mkdir(parents=True)
    params = {"max_steps": 4, "eval_every": 2, "batch_size": 32, "device": "cpu"}
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        run_baseline(bad, "deepbind", outs["deepbind"], seed=0, params=params)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        run_kmer_lr(bad, outs["kmer"], seed=0, params={"ks": [2], "c_grid": [1.0]})

    def full_disk(self, path, **kwargs):
        raise OSError(28, "No space left on device")

    pretrained = make_pretrained(tmp_path / "pretrained")
    monkeypatch.setattr(DNATokenizer, "save_pretrained", full_disk)
    cfg = {**FAST, "max_steps": 2, "eval_every": 1}
    with pytest.raises(OSError, match="No space left on device"):
        finetune(task, pretrained, outs["ft"], task="toy", k=3, seed=0, ft_cfg=cfg, device="cpu")
    for name, out in outs.items():
        if precreated:
            assert list(out.iterdir()) == [], name  # not even a hidden temporary
        else:
            assert not out.exists(), name
    left = sorted(p.name for p in (tmp_path / "results").rglob("*") if p.parent.name == "ft")
    assert "seed0.work" in left  # fine-tuning's checkpoints, for the rerun to resume from

"""Metrics and per-run result files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dnabert.evaluate import compute_metrics, write_run


def test_binary_metrics_by_hand():
    labels = np.array([0, 0, 1, 1, 1])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3], [0.1, 0.9]])
    m = compute_metrics(labels, probs)  # preds 0 1 1 0 1: TP 2, FP 1, FN 1, TN 1
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["mcc"] == pytest.approx((2 * 1 - 1 * 1) / np.sqrt(3 * 3 * 2 * 2))
    assert m["auroc"] == pytest.approx(5 / 6)  # 5 of 6 (pos, neg) pairs ranked right
    assert m["n_test"] == 5


def test_three_classes_use_macro_and_one_vs_rest():
    labels = np.array([0, 1, 2, 0, 1, 2])
    perfect = np.eye(3)[labels] * 0.8 + 0.2 / 3
    m = compute_metrics(labels, perfect)
    assert m["accuracy"] == m["f1"] == m["mcc"] == m["auroc"] == m["auprc"] == 1.0
    shuffled = np.eye(3)[[1, 2, 0, 1, 2, 0]]
    assert compute_metrics(labels, shuffled)["accuracy"] == 0.0


def test_single_class_test_set_gives_nan_auc_not_an_error():
    m = compute_metrics(np.array([1, 1]), np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert np.isnan(m["auroc"]) and m["accuracy"] == 0.5


def test_bad_shapes_and_labels_are_errors():
    with pytest.raises(ValueError, match="probs must be"):
        compute_metrics(np.array([0, 1]), np.array([0.2, 0.8]))
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        compute_metrics(np.array([0, 2]), np.array([[0.5, 0.5], [0.5, 0.5]]))


def test_write_run_records_provenance_and_predictions(tmp_path):
    labels = np.array([0, 1, 1])
    probs = np.array([[0.7, 0.3], [0.4, 0.6], [0.2, 0.8]])
    extra = pd.DataFrame({"chrom": ["chr1"] * 3, "start": [0, 100, 200]})
    write_run(tmp_path / "run", task="prom300_tata", model="dnabert", k=6, seed=3,
              labels=labels, probs=probs, config={"x": 1}, predictions_extra=extra)  # fmt: skip
    record = json.loads((tmp_path / "run/metrics.json").read_text())
    for key in ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc", "n_test",
                "task", "model", "k", "seed", "config", "code_version"):  # fmt: skip
        assert key in record, key
    assert record["accuracy"] == 1.0 and record["seed"] == 3 and record["config"] == {"x": 1}
    table = pd.read_csv(tmp_path / "run/predictions.tsv", sep="\t")
    assert list(table.columns) == ["label", "pred", "prob_0", "prob_1", "chrom", "start"]
    assert table["pred"].tolist() == [0, 1, 1]


def test_publish_run_writes_the_whole_run_and_names_degenerate_ones(tmp_path):
    from dnabert.evaluate import RUN_KEYS, FitSummary, publish_run

    out, work = tmp_path / "run", tmp_path / "run.work"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier run")
    work.mkdir()
    (work / "train_log.csv").write_text("step,loss\n1,0.7\n")
    fit = FitSummary(architecture="Toy", n_params=10, n_classes=2, n_train=8, n_dev=4,
                     device="cpu", select_metric="mcc", best={"step": 2, "mcc": 0.0}, steps=3,
                     max_steps=3, train_seconds=1.23456, resumed_train_seconds=0.5)  # fmt: skip
    record = publish_run(
        out, task="toy", model="cnn", k=None, seed=1, labels=np.array([0, 1, 1, 0]),
        probs=np.array([[0.6, 0.4]] * 4), config={"x": 1}, fit=fit, inference_seconds=0.5,
        details={"seq_len": 7}, write_model=lambda d: (d / "model.bin").write_bytes(b"w"),
        work_dir=work,
    )  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == [
        "metrics.json", "model.bin", "predictions.tsv", "train_log.csv"
    ]  # fmt: skip
    assert not work.exists()
    saved = json.loads((out / "metrics.json").read_text())
    assert set(saved) == set(RUN_KEYS) and saved == json.loads(json.dumps(record))
    assert (saved["best_step"], saved["best_dev"], saved["steps"]) == (2, 0.0, 3)
    assert (saved["train_seconds"], saved["inference_seqs_per_s"]) == (1.235, 8.0)
    assert saved["warnings"] == [
        "all 4 test predictions are class 0",
        "dev mcc never rose above chance (0); best 0.0",
    ]
    assert saved["details"] == {"seq_len": 7}


def test_run_folder_made_beforehand_gets_metrics_json_last(tmp_path, monkeypatch):
    """Snakemake makes an output's folder before the job: the entries then move in one at a
    time, and metrics.json (what readers take as "the run is complete") must land after the
    model and predictions, whatever the names' order."""
    import os

    from dnabert import provenance

    out = tmp_path / "run"
    out.mkdir()
    (out / "stale.txt").write_text("from an earlier attempt")
    moved = []
    real = os.replace

    def spy(src, dst):
        moved.append(os.path.basename(dst))
        real(src, dst)

    monkeypatch.setattr(provenance.os, "replace", spy)
    with provenance.atomic_path(out, is_dir=True, last="metrics.json") as tmp:
        for name in ("a_first.tsv", "metrics.json", "model", "predictions.tsv"):
            (tmp / name).write_text(name)
    assert moved == ["a_first.tsv", "model", "predictions.tsv", "metrics.json"]
    assert sorted(p.name for p in out.iterdir()) == [
        "a_first.tsv", "metrics.json", "model", "predictions.tsv",
    ]  # fmt: skip

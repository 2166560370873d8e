"""Evaluation shared by fine-tuning and the baselines: metrics and the per-run result files.

Every run (task x model x k x seed) writes ``metrics.json`` and ``predictions.tsv`` into its
directory through :func:`write_run`, so the report can treat DNABERT and every baseline alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dnabert.provenance import atomic_path, provenance, write_json

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc")


def compute_metrics(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Classification metrics from true labels ``(N,)`` (ints 0..C-1) and probabilities ``(N, C)``.

    Binary tasks (C == 2): precision/recall/F1 of class 1, AUROC and AUPRC from ``probs[:, 1]``.
    More classes (splice, C == 3): macro precision/recall/F1, one-vs-rest macro AUROC and
    AUPRC. Predictions are ``argmax(probs)``. A metric that is undefined on this test set (e.g.
    AUROC with one class present) is ``nan`` rather than an error.
    """
    labels = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != labels.shape[0]:
        raise ValueError(f"probs must be (N, C) with N={labels.shape[0]}, got {probs.shape}")
    n_classes = probs.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {np.unique(labels)}")
    pred = probs.argmax(axis=1)
    binary = n_classes == 2
    average = "binary" if binary else "macro"
    out = {
        "accuracy": skm.accuracy_score(labels, pred),
        "precision": skm.precision_score(labels, pred, average=average, zero_division=0),
        "recall": skm.recall_score(labels, pred, average=average, zero_division=0),
        "f1": skm.f1_score(labels, pred, average=average, zero_division=0),
        "mcc": skm.matthews_corrcoef(labels, pred),
    }
    present = np.unique(labels)
    if present.size < 2:
        out["auroc"] = out["auprc"] = float("nan")
    elif binary:
        out["auroc"] = skm.roc_auc_score(labels, probs[:, 1])
        out["auprc"] = skm.average_precision_score(labels, probs[:, 1])
    else:
        onehot = np.eye(n_classes)[labels]
        cols = [c for c in range(n_classes) if c in present]
        out["auroc"] = skm.roc_auc_score(onehot[:, cols], probs[:, cols], average="macro")
        out["auprc"] = skm.average_precision_score(onehot[:, cols], probs[:, cols], average="macro")
    out = {k: float(v) for k, v in out.items()}
    out["n_test"] = int(labels.size)
    return out


def write_run(
    out_dir: str | os.PathLike,
    *,
    task: str,
    model: str,
    k: int | None,
    seed: int,
    labels: np.ndarray,
    probs: np.ndarray,
    config: Any = None,
    extra: dict | None = None,
    predictions_extra: pd.DataFrame | None = None,
) -> dict:
    """Compute metrics on the test split and write ``metrics.json`` + ``predictions.tsv``.

    ``metrics.json`` holds the metrics of :func:`compute_metrics` plus ``task, model, k, seed,
    config, code_version`` (and ``extra``: training time, best dev step, throughput...).
    ``predictions.tsv`` has ``label, pred, prob_0..prob_{C-1}`` per test row (plus the columns
    of ``predictions_extra``, e.g. coordinates, in the same row order). Both written atomically.
    """
    out_dir = Path(out_dir)
    probs = np.asarray(probs, dtype=np.float64)
    result = compute_metrics(labels, probs)
    record = {
        **result,
        "task": task,
        "model": model,
        "k": k,
        **(extra or {}),
        **provenance(config, seed),
    }
    table = pd.DataFrame({"label": np.asarray(labels, dtype=np.int64), "pred": probs.argmax(1)})
    for c in range(probs.shape[1]):
        table[f"prob_{c}"] = probs[:, c]
    if predictions_extra is not None:
        table = pd.concat([table, predictions_extra.reset_index(drop=True)], axis=1)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "predictions.tsv") as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    write_json(out_dir / "metrics.json", record)
    return record

"""Evaluation shared by fine-tuning and the baselines: metrics and the per-run result files.

Every trainer (DNABERT fine-tuning and its from-scratch control, other language models, the
neural baselines, ``kmer_lr``) publishes its run directory (task x model x k x seed) through
:func:`publish_run`: one record of :data:`RUN_KEYS` in ``metrics.json``, ``predictions.tsv``
(:func:`write_run`), the model and the loop's logs, assembled in a temporary directory and moved
into place by :func:`dnabert.provenance.atomic_path` only when complete, so the report treats
every model alike and a failed run leaves no partial output.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from dnabert.provenance import atomic_path, provenance, write_json

log = logging.getLogger(__name__)

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc")
# The top-level keys of every run's metrics.json, whichever trainer wrote it: the test metrics,
# the run's identity and provenance, how the fit went (:class:`FitSummary`), and ``details``
# (what only one kind of model has: tokenizer, architecture settings, the C grid ...).
RUN_KEYS = (
    *METRIC_NAMES, "n_test", "task", "model", "k", "seed",
    "config", "code_version", "packages", "created",
    "warnings", "architecture", "n_params", "n_classes", "n_train", "n_dev", "device",
    "steps", "max_steps", "select_metric", "best_step", "best_dev",
    "train_seconds", "resumed_train_seconds", "inference_seconds", "inference_seqs_per_s",
    "details",
)  # fmt: skip


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


@dataclass
class FitSummary:
    """How a trainer's fit went, in the fields every run records (see :data:`RUN_KEYS`).

    ``best``: the dev metrics of the selected weights (``step`` among them for a training loop;
    None without a dev evaluation); ``steps``/``max_steps``: optimizer steps taken and budgeted
    (None for a fit without steps, e.g. ``kmer_lr``); ``train_seconds``: the fit's wall time
    including ``resumed_train_seconds``, those of earlier, interrupted parts.
    """

    architecture: str
    n_params: int
    n_classes: int
    n_train: int
    n_dev: int
    device: str
    select_metric: str
    best: dict | None
    steps: int | None
    max_steps: int | None
    train_seconds: float
    resumed_train_seconds: float = 0.0

    @classmethod
    def from_loop(
        cls,
        model: Any,
        result: dict,
        *,
        started: float,
        n_classes: int,
        n_train: int,
        n_dev: int,
        select_metric: str,
        max_steps: int,
    ) -> FitSummary:
        """The summary of a fit of the torch ``model`` by :func:`dnabert.train.train`, which
        returned ``result``; ``started`` is the ``time.perf_counter()`` the trainer's part of
        the run began at, so ``train_seconds`` is this part's wall time plus the loop time of
        earlier, interrupted parts (from the checkpoint it resumed)."""
        return cls(
            architecture=type(model).__name__,
            n_params=sum(p.numel() for p in model.parameters()),
            n_classes=n_classes,
            n_train=n_train,
            n_dev=n_dev,
            device=result["device"],
            select_metric=select_metric,
            best=result["best"],
            steps=result["step"],
            max_steps=max_steps,
            train_seconds=time.perf_counter() - started + result["resumed_seconds"],
            resumed_train_seconds=result["resumed_seconds"],
        )


def run_warnings(labels: np.ndarray, probs: np.ndarray, best: dict | None, metric: str):
    """What makes a run degenerate, as sentences (empty when nothing does): every test
    prediction one class, or a dev ``metric`` that never rose above chance (MCC or F1 <= 0,
    AUROC <= 0.5) at any evaluation."""
    out = []
    predicted = np.unique(probs.argmax(axis=1))
    if predicted.size == 1 and np.unique(labels).size > 1:
        out.append(f"all {len(labels)} test predictions are class {int(predicted[0])}")
    chance = {"mcc": 0.0, "f1": 0.0, "auroc": 0.5}.get(metric)
    value = (best or {}).get(metric)
    if chance is not None and (value is None or not value > chance):
        out.append(f"dev {metric} never rose above chance ({chance:g}); best {value}")
    return out


def publish_run(
    out_dir: str | os.PathLike,
    *,
    task: str,
    model: str,
    k: int | None,
    seed: int,
    labels: np.ndarray,
    probs: np.ndarray,
    config: Any,
    fit: FitSummary,
    inference_seconds: float,
    details: dict,
    write_model: Callable[[Path], None],
    predictions_extra: pd.DataFrame | None = None,
    work_dir: str | os.PathLike | None = None,
    logs: Iterable[str] = ("train_log.csv", "eval_log.csv"),
) -> dict:
    """Write a finished run's directory ``out_dir`` as a whole and return its record.

    ``metrics.json`` holds exactly :data:`RUN_KEYS`: the test metrics of ``labels`` ``(N,)`` and
    ``probs`` ``(N, C)``, ``task, model, k, seed``, provenance of ``config``, ``warnings``
    (:func:`run_warnings`, also logged), the fields of ``fit``, the test-split inference time
    and throughput (sequences/s), and ``details``. ``predictions.tsv`` as :func:`write_run`;
    ``write_model(dir)`` saves the model into the directory being assembled; the ``logs`` found
    in ``work_dir`` are copied. Everything is assembled in a temporary directory that
    :func:`dnabert.provenance.atomic_path` moves onto ``out_dir`` only when complete (an
    existing ``out_dir``, e.g. made by Snakemake, keeps its inode: its entries are replaced), so
    any error leaves ``out_dir`` as it was. ``work_dir`` (checkpoints) is removed afterwards.
    """
    out_dir = Path(out_dir)
    probs = np.asarray(probs, dtype=np.float64)
    warnings = run_warnings(labels, probs, fit.best, fit.select_metric)
    for text in warnings:
        name = model if k is None else f"{model}{k}"
        log.warning("%s %s seed %d is degenerate: %s", task, name, seed, text)
    best = fit.best or {}
    extra = {
        "warnings": warnings,
        "architecture": fit.architecture,
        "n_params": int(fit.n_params),
        "n_classes": int(fit.n_classes),
        "n_train": int(fit.n_train),
        "n_dev": int(fit.n_dev),
        "device": fit.device,
        "steps": fit.steps,
        "max_steps": fit.max_steps,
        "select_metric": fit.select_metric,
        "best_step": best.get("step"),
        "best_dev": best.get(fit.select_metric),
        "train_seconds": round(fit.train_seconds, 3),
        "resumed_train_seconds": round(fit.resumed_train_seconds, 3),
        "inference_seconds": round(inference_seconds, 4),
        "inference_seqs_per_s": round(len(labels) / max(inference_seconds, 1e-9), 2),
        "details": details,
    }
    with atomic_path(out_dir, is_dir=True, last="metrics.json") as tmp:
        record = write_run(
            tmp, task=task, model=model, k=k, seed=seed, labels=labels, probs=probs,
            config=config, extra=extra, predictions_extra=predictions_extra,
        )  # fmt: skip
        write_model(tmp)
        for name in logs:
            if work_dir is not None and (Path(work_dir) / name).exists():
                shutil.copy2(Path(work_dir) / name, tmp / name)
    if work_dir is not None:
        shutil.rmtree(work_dir, ignore_errors=True)
    return record

"""Train one baseline on one task with the shared loop and write its run directory.

A run reads ``{task_dir}/{train,dev,test}.tsv`` (the same splits DNABERT is fine-tuned on),
one-hot encodes each batch on the fly (``(N, 4, L)`` float32, ``N`` -> zero column), trains with
:func:`dnabert.train.train` (cross-entropy; dev metrics from
:func:`dnabert.evaluate.compute_metrics` every ``eval_every`` steps; the best weights by
``select_metric`` are restored, with early stopping after ``patience`` evals), then predicts the
test split and publishes its run directory with :func:`dnabert.evaluate.publish_run` (the one
path every trainer writes through):

- ``{out_dir}/metrics.json`` (model = the baseline's name, k = None; the keys of every run,
  :data:`dnabert.evaluate.RUN_KEYS`: training time, best dev step and value, inference
  throughput in sequences/s, parameter count, ...; ``details`` holds the architecture settings
  ``arch`` and ``seq_len`` that rebuild the model with ``n_classes``, ``train_epochs``, the best
  dev metrics and the training settings);
- ``{out_dir}/predictions.tsv`` (one row per test row, same order, with the test split's
  provenance columns ``chrom, start, end, strand, source`` and ``cluster`` when present);
- ``{out_dir}/model.pt`` (the ``state_dict``; :func:`load_baseline` rebuilds the module);
- ``train_log.csv`` and ``eval_log.csv`` of the loop.

Training happens in the sibling ``{out_dir}.work`` (checkpoints: a rerun resumes); the finished
files are assembled in a temporary directory and moved onto ``out_dir`` as a whole, so a failed
run leaves no output; the work dir is removed on success.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from dnabert.baselines.models import build_model
from dnabert.baselines.registry import baselines_for_task  # noqa: F401 (re-exported)
from dnabert.config import schema_defaults
from dnabert.datasets.common import PROVENANCE_COLUMNS, read_task_split
from dnabert.evaluate import FitSummary, compute_metrics, publish_run
from dnabert.seq import one_hot
from dnabert.train import TrainConfig, train

log = logging.getLogger(__name__)


def baseline_params(baseline: str, config: dict | None = None) -> dict:
    """Training settings of ``baseline``: the schema's defaults of ``baselines.<baseline>`` (the
    only source of defaults) updated by ``config["baselines"][baseline]`` (keys the loop does not
    use, e.g. SpliceFinder's reconstruction settings, are ignored by :func:`run_baseline`)."""
    section = ((config or {}).get("baselines") or {}).get(baseline) or {}
    return {**schema_defaults("baselines", baseline), **section}


class OneHotData:
    """Indexable ``(sequence, label)`` pairs; :meth:`collate` one-hot encodes a batch."""

    def __init__(self, df: pd.DataFrame):
        self.seqs = df["sequence"].tolist()
        self.labels = df["label"].to_numpy(dtype=np.int64)

    def __len__(self) -> int:
        return len(self.seqs)

    def __getitem__(self, i: int) -> tuple[str, int]:
        return self.seqs[i], int(self.labels[i])

    @staticmethod
    def collate(items: list[tuple[str, int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x (B, 4, L) float32, y (B,) int64)``."""
        seqs, labels = zip(*items, strict=True)
        return torch.from_numpy(one_hot(list(seqs))), torch.tensor(labels, dtype=torch.int64)


def make_loss(class_weights: np.ndarray | None = None):
    """``loss_fn(model, (x, y))``: cross-entropy of the logits ``(B, C)``, optionally weighted per
    class (``class_weights`` ``(C,)``); reports the batch accuracy."""
    weight = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)

    def loss_fn(model: torch.nn.Module, batch) -> tuple[torch.Tensor, dict]:
        x, y = batch
        logits = model(x)
        w = None if weight is None else weight.to(logits.device)
        loss = F.cross_entropy(logits.float(), y, weight=w)
        return loss, {"acc": (logits.argmax(1) == y).float().mean()}

    return loss_fn


def balanced_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """``n / (C * count_c)`` per class (scikit-learn's "balanced"); absent classes get 1."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    return np.where(counts > 0, labels.size / (n_classes * np.maximum(counts, 1)), 1.0)


@torch.no_grad()
def predict_probs(
    model: torch.nn.Module,
    seqs: list[str],
    *,
    batch_size: int = 256,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Softmax probabilities ``(N, C)`` float64 of ``model`` on equal-length ``seqs`` (eval mode;
    the model's training mode is restored afterwards)."""
    from tqdm.auto import tqdm

    device = torch.device(device) if device else next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    for i in tqdm(range(0, len(seqs), batch_size), desc="predict", disable=None, leave=False):
        x = torch.from_numpy(one_hot(seqs[i : i + batch_size])).to(device)
        out.append(torch.softmax(model(x).float(), dim=1).cpu().numpy())
    model.train(was_training)
    if not out:
        return np.zeros((0, 0))
    return np.concatenate(out).astype(np.float64)


def _common_length(splits: dict[str, pd.DataFrame], path: Path) -> int:
    """The input length of the CNNs: sequences shorter than the longest (users' custom tasks
    may vary) are padded on the right with N, i.e. all-zero one-hot columns, in place."""
    lengths = pd.concat([s["sequence"].str.len() for s in splits.values()])
    seq_len = int(lengths.max())
    if lengths.min() != seq_len:
        log.info("%s: lengths %d..%d; padding with N to %d", path, lengths.min(), seq_len, seq_len)
        for split in splits.values():
            split["sequence"] = split["sequence"].str.ljust(seq_len, "N")
    return seq_len


def load_baseline(run_dir: str | os.PathLike, device: str = "cpu") -> torch.nn.Module:
    """Rebuild the trained module of a run dir from ``metrics.json`` (``model``, ``n_classes``,
    ``details.arch``, ``details.seq_len``) and ``model.pt``; returned in eval mode."""
    run_dir = Path(run_dir)
    meta = json.loads((run_dir / "metrics.json").read_text())
    details = meta["details"]
    model = build_model(
        meta["model"], seq_len=details["seq_len"], n_classes=meta["n_classes"], arch=details["arch"]
    )
    state = torch.load(run_dir / "model.pt", map_location=device, weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()


def run_baseline(
    task_dir: str | os.PathLike,
    baseline: str,
    out_dir: str | os.PathLike,
    *,
    seed: int,
    params: dict | None = None,
    config: dict | None = None,
    task: str | None = None,
) -> dict:
    """Train ``baseline`` on the task in ``task_dir`` and write ``out_dir`` (see module doc);
    ``kmer_lr`` is handed to :func:`dnabert.baselines.kmer_lr.run_kmer_lr` (its own params).

    ``params``: training settings (the schema's ``baselines.<baseline>`` keys: ``lr, max_steps, batch_size,
    weight_decay, patience, eval_every, select_metric, eval_batch_size, eval_max_examples
    (a fixed random dev subset for model selection), device, class_weights, arch``; ``class_weights: "balanced"`` weights the loss by inverse class frequency); missing
    keys take the defaults. ``task`` defaults to the directory name. Returns the metrics record.
    """
    if baseline == "kmer_lr":  # not a network: its own fit (dnabert.baselines.kmer_lr)
        from dnabert.baselines.kmer_lr import run_kmer_lr

        return run_kmer_lr(task_dir, out_dir, seed=seed, params=params, config=config, task=task)
    task_dir, out_dir = Path(task_dir), Path(out_dir)
    task = task or task_dir.name
    p = baseline_params(baseline, {"baselines": {baseline: params or {}}})
    splits = _read_splits(task_dir)
    seq_len = _common_length(splits, task_dir)
    n_classes = max(2, int(splits["train"]["label"].max()) + 1)

    torch.manual_seed(seed)
    model = build_model(baseline, seq_len=seq_len, n_classes=n_classes, arch=p["arch"])
    cfg, steps_per_epoch = loop_config(p, len(splits["train"]), seed)
    dev = splits["dev"]
    if p["eval_max_examples"] and len(dev) > p["eval_max_examples"]:
        # model selection on a fixed random subset of dev (genome-wide promscan dev is huge)
        dev = dev.sample(n=int(p["eval_max_examples"]), random_state=seed).sort_index()
    dev_seqs, dev_labels = dev["sequence"].tolist(), dev["label"].to_numpy()

    def eval_fn(m: torch.nn.Module) -> dict:
        probs = predict_probs(m, dev_seqs, batch_size=int(p["eval_batch_size"]))
        probs = _pad_classes(probs, n_classes)
        metrics = compute_metrics(dev_labels, probs)
        metrics.pop("n_test")
        return {k: (v if np.isfinite(v) else -1.0) for k, v in metrics.items()}

    weights = None
    if p["class_weights"] == "balanced":
        weights = balanced_weights(splits["train"]["label"].to_numpy(), n_classes)
    elif p["class_weights"] is not None:
        raise ValueError(f"class_weights must be 'balanced' or null, got {p['class_weights']!r}")
    work = out_dir.with_name(out_dir.name + ".work")
    t0 = time.perf_counter()
    result = train(
        model,
        OneHotData(splits["train"]),
        OneHotData.collate,
        cfg,
        work,
        loss_fn=make_loss(weights),
        eval_fn=eval_fn if len(dev) else None,
        run_config={"baseline": baseline, "task": task, "params": p},
    )
    fit = FitSummary.from_loop(
        model, result, started=t0, n_classes=n_classes, n_train=len(splits["train"]),
        n_dev=len(dev), select_metric=p["select_metric"], max_steps=cfg.max_steps,
    )  # fmt: skip

    test = splits["test"]
    model.eval()
    t1 = time.perf_counter()
    probs = _pad_classes(
        predict_probs(model, test["sequence"].tolist(), batch_size=int(p["eval_batch_size"])),
        n_classes,
    )
    infer_seconds = time.perf_counter() - t1

    def write_model(run_dir: Path) -> None:
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, run_dir / "model.pt")

    details = {
        "seq_len": seq_len,
        "arch": dict(p["arch"]),
        "train_epochs": round(result["step"] / steps_per_epoch, 2),
        "best": result["best"],
        "train_params": {k: v for k, v in p.items() if k != "arch"},
    }
    record = publish_run(
        out_dir, task=task, model=baseline, k=None, seed=seed,
        labels=test["label"].to_numpy(), probs=probs, config=config, fit=fit,
        inference_seconds=infer_seconds, details=details, write_model=write_model,
        predictions_extra=test[[c for c in PROVENANCE_COLUMNS if c in test.columns]],
        work_dir=work,
    )  # fmt: skip
    log.info(
        "%s on %s (seed %d): test accuracy %.3f, MCC %.3f",
        baseline, task, seed, record["accuracy"], record["mcc"],
    )  # fmt: skip
    return record


def _read_splits(task_dir: Path) -> dict[str, pd.DataFrame]:
    """``train`` (``sequence`` and ``label`` only: a genome-wide promscan train split is ~5 GB
    of TSV), ``dev`` and ``test`` (with provenance columns) of ``task_dir``; an empty training
    split raises ValueError naming the file."""
    splits = {}
    for name in ("train", "dev", "test"):
        path = task_dir / f"{name}.tsv"
        columns = ["sequence", "label"] if name == "train" else None
        splits[name] = read_task_split(path, columns=columns)
        if name == "train" and splits[name].empty:
            raise ValueError(f"{path}: the training split is empty")
    return splits


def loop_config(p: dict, n_train: int, seed: int) -> tuple[TrainConfig, int]:
    """The loop settings of a baseline with settings ``p`` on ``n_train`` sequences, and the
    steps per epoch. A budget of ``max_steps``, or in epochs when it is null (DeepBind-style),
    then evaluated once per epoch unless ``eval_every`` says otherwise; no warmup, fp32."""
    steps_per_epoch = math.ceil(n_train / int(p["batch_size"]))
    max_steps = p["max_steps"] if p["max_steps"] is not None else steps_per_epoch * p["epochs"]
    eval_every = p["eval_every"] if p["eval_every"] is not None else steps_per_epoch
    cfg = TrainConfig(
        max_steps=int(max_steps),
        batch_size=int(p["batch_size"]),
        lr=float(p["lr"]),
        weight_decay=float(p["weight_decay"]),
        warmup_steps=0,
        eval_every=int(eval_every),
        ckpt_every=int(eval_every) or 1000,
        select_metric=p["select_metric"],
        patience=int(p["patience"]),
        seed=seed,
        device=p["device"],
        precision="fp32",
        log_every=max(1, min(50, int(max_steps) // 10)),
    )
    return cfg, steps_per_epoch


def _pad_classes(probs: np.ndarray, n_classes: int) -> np.ndarray:
    """``probs`` with exactly ``n_classes`` columns (an empty split gives ``(0, C)``)."""
    if probs.size == 0:
        return np.zeros((0, n_classes))
    return probs

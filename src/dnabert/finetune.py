"""Fine-tuning DNABERT (``BertForSequenceClassification``) on one task, k and seed.

Inputs: a task directory ``{train,dev,test}.tsv`` (see :mod:`dnabert.datasets.common`) and a
pretrained Hugging Face directory (``results/models/dnabert{k}`` or a user's DNABERT checkpoint).
Each split is k-merized once, up front, with :func:`dnabert.tokenizer.encode_batch`; batches are
padded to the batch maximum rounded up to a multiple of 8.

Long inputs (more k-mers than fit between ``[CLS]`` and ``[SEP]``, e.g. promscan's 1001 bp = 996
6-mers with 512 positions):

- training (``long_train``): ``centre`` trains on the sub-window of ``max_length - 2`` k-mers
  centred on the sequence centre (a promscan window is labelled by its centre region, so this keeps
  the part that decides the label); ``random`` draws a random sub-window each time the example is
  used (seeded; the draw state is checkpointed with the collator).
- inference: the k-mers are cut into consecutive sub-windows (``add_special_tokens(...,
  policy="chunk")``), every sub-window is scored and the window's class probabilities aggregated
  (``long_aggregate``): ``max`` takes the largest class-1 probability (binary; for more classes the
  per-class maxima, renormalized), ``mean`` averages. This is how DNABERT's scan script scored
  sequences longer than 512 tokens.

Outputs of :func:`finetune` in ``out_dir`` (``results/finetune/{task}/dnabert{k}/seed{seed}/``):
``metrics.json`` + ``predictions.tsv`` (:func:`dnabert.evaluate.write_run`; metrics on the test
split with the dev-selected weights), ``model/`` (the fine-tuned model + ``vocab.txt``),
``train_log.csv`` / ``eval_log.csv``. Checkpoints live in ``{out_dir}.work`` while training (a
rerun resumes there) and are removed on success; ``metrics.json`` is written last.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnabert.config import default_config, task_settings
from dnabert.evaluate import compute_metrics, write_run
from dnabert.provenance import atomic_path
from dnabert.tokenizer import CLS_ID, PAD_ID, SEP_ID, add_special_tokens, encode_batch
from dnabert.train import TrainConfig, resolve_precision, train

log = logging.getLogger(__name__)

LONG_AGGREGATES = ("max", "mean")
LONG_TRAIN = ("centre", "random")


def schema_defaults() -> dict:
    """Defaults of the ``finetune`` config section from the schema."""
    return default_config()["finetune"]


@dataclass
class TokenizedSplit:
    """One split k-merized once: ``ids[i]`` is a uint16 array of k-mer ids (no special tokens),
    ``labels`` int64 ``(N,)``, ``extra`` the provenance columns (pandas, same row order)."""

    ids: list[np.ndarray]
    labels: np.ndarray
    extra: Any = None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.ids[i], int(self.labels[i])


def load_split(
    path: str | os.PathLike, k: int, max_examples: int | None = None, seed: int = 0
) -> TokenizedSplit:
    """Read one split TSV and k-merize it. With ``max_examples``, a seeded random subset of that
    many rows is kept (in file order). Sequence errors name the file and 1-based line."""
    from dnabert.datasets.common import read_task_split

    path = Path(path)
    df = read_task_split(path)
    if max_examples is not None and len(df) > max_examples:
        keep = np.sort(np.random.default_rng(seed).permutation(len(df))[:max_examples])
        df = df.iloc[keep]
    records = [f"{path}: line {i + 2}" for i in df.index]  # header is line 1
    df = df.reset_index(drop=True)
    ids = encode_batch(df["sequence"].tolist(), k, records=records)
    labels = df["label"].to_numpy(dtype=np.int64)
    extra = df.drop(columns=["sequence", "label"])
    return TokenizedSplit(ids=ids, labels=labels, extra=extra)


def _round8(n: int, cap: int) -> int:
    return min(cap, -(-n // 8) * 8)


def pad_batch(pieces: list[np.ndarray], max_positions: int) -> dict[str, torch.Tensor]:
    """Right-pad token arrays (already wrapped in [CLS]/[SEP]) to the batch maximum rounded up to
    a multiple of 8 (at most ``max_positions``). Returns long ``input_ids`` and ``attention_mask``
    of shape (B, T)."""
    width = _round8(max(p.size for p in pieces), max_positions)
    ids = torch.full((len(pieces), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(pieces), width), dtype=torch.long)
    for row, p in enumerate(pieces):
        ids[row, : p.size] = torch.from_numpy(p.astype(np.int64))
        mask[row, : p.size] = 1
    return {"input_ids": ids, "attention_mask": mask}


class FinetuneCollator:
    """Turns ``[(kmer_ids, label), ...]`` into a padded batch with ``labels``.

    Sequences longer than ``max_length - 2`` k-mers are cut to one sub-window first (``centre``
    or seeded ``random``, see the module docstring). Has ``state_dict``/``load_state_dict`` so the
    training loop checkpoints the random sub-window stream.
    """

    def __init__(self, max_length: int, long_train: str = "centre", seed: int = 0):
        if long_train not in LONG_TRAIN:
            raise ValueError(f"long_train must be one of {LONG_TRAIN}, got {long_train!r}")
        self.max_length = max_length
        self.body = max_length - 2
        self.long_train = long_train
        self.rng = np.random.default_rng(seed)

    def crop(self, ids: np.ndarray) -> np.ndarray:
        """The training sub-window of ``ids`` (unchanged when it fits)."""
        if ids.size <= self.body:
            return ids
        if self.long_train == "centre":
            start = (ids.size - self.body) // 2
        else:
            start = int(self.rng.integers(0, ids.size - self.body + 1))
        return ids[start : start + self.body]

    def __call__(self, examples: list[tuple[np.ndarray, int]]) -> dict[str, torch.Tensor]:
        pieces = []
        for ids, _ in examples:
            body = self.crop(ids)
            w = np.empty(body.size + 2, dtype=np.uint16)
            w[0], w[-1] = CLS_ID, SEP_ID
            w[1:-1] = body
            pieces.append(w)
        batch = pad_batch(pieces, self.max_length)
        batch["labels"] = torch.tensor([lab for _, lab in examples], dtype=torch.long)
        return batch

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


def balanced_batches(labels: np.ndarray, batch_size: int, seed: int):
    """Batch sampler (``epoch -> index lists``) that draws every class equally often.

    Each epoch draws ``len(labels)`` indices with replacement, each with probability
    ``1 / (n_classes * count(its class))`` (seeded by ``seed`` and the epoch), cut into batches of
    ``batch_size``. For imbalanced tasks (promscan: few positive windows) so that a short run does
    not settle on the majority class.
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels)
    present = counts > 0
    weights = 1.0 / (present.sum() * counts[labels])
    n = labels.size

    def sample(epoch: int):
        idx = np.random.default_rng([seed, epoch]).choice(n, size=n, replace=True, p=weights)
        for i in range(0, n, batch_size):
            yield idx[i : i + batch_size].tolist()

    return sample


def aggregate(probs: np.ndarray, owner: np.ndarray, n: int, how: str = "max") -> np.ndarray:
    """Combine sub-window probabilities ``(P, C)`` into per-sequence probabilities ``(n, C)``;
    ``owner[p]`` is the sequence of sub-window ``p``.

    ``mean``: the average over a sequence's sub-windows. ``max`` (binary): the largest class-1
    probability, class 0 its complement; with more classes, the per-class maxima renormalized to
    sum to 1. A sequence with one sub-window keeps its probabilities either way.
    """
    if how not in LONG_AGGREGATES:
        raise ValueError(f"long_aggregate must be one of {LONG_AGGREGATES}, got {how!r}")
    n_classes = probs.shape[1]
    counts = np.bincount(owner, minlength=n)
    if (counts == 0).any():
        raise ValueError(f"sequence {int(np.flatnonzero(counts == 0)[0])} has no sub-window")
    if how == "mean":
        out = np.zeros((n, n_classes))
        np.add.at(out, owner, probs)
        return out / counts[:, None]
    out = np.full((n, n_classes), -np.inf)
    np.maximum.at(out, owner, probs)
    if n_classes == 2:
        out[:, 0] = 1.0 - out[:, 1]
        return out
    return out / out.sum(axis=1, keepdims=True)


def run_warnings(labels: np.ndarray, probs: np.ndarray, best: dict | None, metric: str):
    """What makes a fine-tuning run degenerate, as sentences (empty when nothing does): every test
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


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    ids: list[np.ndarray],
    *,
    max_length: int,
    batch_size: int = 64,
    aggregate_how: str = "max",
    device: torch.device | str | None = None,
    precision: str = "auto",
) -> np.ndarray:
    """Class probabilities ``(N, C)`` float64 for k-mer id arrays ``ids`` (no special tokens).

    Every sequence is cut into sub-windows of at most ``max_length`` tokens (``[CLS]``/``[SEP]``
    included); sub-windows are batched in order of length (little padding) and their softmax
    probabilities combined by :func:`aggregate`. The model is put in eval mode.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    dtype = resolve_precision(precision, device)
    pieces, owner = [], []
    for i, seq_ids in enumerate(ids):
        for piece in add_special_tokens(seq_ids, max_length, policy="chunk"):
            pieces.append(piece)
            owner.append(i)
    owner = np.asarray(owner, dtype=np.int64)
    order = np.argsort([p.size for p in pieces], kind="stable")
    n_classes = model.config.num_labels
    probs = np.zeros((len(pieces), n_classes))
    was_training = model.training
    model.eval()
    autocast = (
        torch.autocast(device_type=device.type, dtype=dtype)
        if dtype != torch.float32
        else torch.autocast(device_type=device.type, enabled=False)
    )
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        batch = pad_batch([pieces[j] for j in idx], max_length)
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast:
            logits = model(**batch).logits
        probs[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    model.train(was_training)
    return aggregate(probs, owner, len(ids), aggregate_how)


def load_classifier(
    pretrained_dir: str | os.PathLike,
    k: int,
    num_labels: int,
    dropout: float,
    *,
    from_scratch: bool = False,
):
    """``BertForSequenceClassification`` from a Hugging Face directory (MLM or classifier).

    The vocabulary size must be ``4**k + 5`` (else ValueError naming the directory); a missing
    directory or ``config.json`` raises FileNotFoundError. The classification head (and the pooler,
    absent from MLM checkpoints) start from the model's initializer under the current torch seed.
    ``from_scratch``: only the directory's ``config.json`` is used; every weight starts from the
    initializer under the current torch seed (the from-scratch control of a pretrained model).
    """
    from transformers import BertConfig, BertForSequenceClassification

    from dnabert.tokenizer import check_model_k

    path = Path(pretrained_dir)
    check_model_k(path, k)
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
    overrides = {
        "num_labels": num_labels,
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
        "classifier_dropout": dropout,
    }
    try:
        if from_scratch:
            config = BertConfig.from_pretrained(path, **overrides)
            config._attn_implementation = "sdpa"
            model = BertForSequenceClassification(config)
        else:
            model = BertForSequenceClassification.from_pretrained(
                path, attn_implementation="sdpa", **overrides
            )
    finally:
        hf_logging.set_verbosity(verbosity)
    return model


def finetune(
    task_dir: str | os.PathLike,
    pretrained_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    task: str,
    k: int,
    seed: int,
    ft_cfg: dict | None = None,
    config: dict | None = None,
    max_length: int = 512,
    device: str = "auto",
    work_dir: str | os.PathLike | None = None,
    from_scratch: bool = False,
) -> dict:
    """Fine-tune on ``task_dir`` and write ``out_dir`` (see the module docstring).

    ``from_scratch``: the from-scratch control; the architecture of ``pretrained_dir`` from random
    weights (seeded), trained with the same splits, loop and budget; recorded as model
    ``dnabert_scratch``.

    ``ft_cfg`` holds ``finetune`` config keys (schema defaults fill gaps; its ``task_overrides``
    entry for ``task`` applies, see :func:`dnabert.config.task_settings`); ``config`` is the whole
    run config, recorded as provenance. ``max_length`` (``tokenize.max_length``) is capped by the
    model's ``max_position_embeddings``. Returns the record written to ``metrics.json``.
    """
    from dnabert.tokenizer import DNATokenizer

    task_dir, out_dir = Path(task_dir), Path(out_dir)
    work_dir = Path(work_dir) if work_dir else out_dir.with_name(out_dir.name + ".work")
    init = "scratch" if from_scratch else "pretrained"
    model_name = "dnabert_scratch" if from_scratch else "dnabert"
    c = task_settings({**schema_defaults(), **(ft_cfg or {})}, task)
    t0 = time.perf_counter()
    train_set = load_split(task_dir / "train.tsv", k, c["max_train_examples"], seed)
    dev_set = load_split(task_dir / "dev.tsv", k, c["max_dev_examples"], seed)
    test_set = load_split(task_dir / "test.tsv", k)
    for name, split in (("train", train_set), ("dev", dev_set), ("test", test_set)):
        if len(split) == 0:
            raise ValueError(f"{task_dir / (name + '.tsv')}: no sequences")
    n_classes = int(train_set.labels.max()) + 1
    for name, split in (("dev", dev_set), ("test", test_set)):
        if split.labels.max() >= n_classes or split.labels.min() < 0:
            raise ValueError(
                f"{task_dir / (name + '.tsv')}: labels {sorted(set(split.labels.tolist()))} "
                f"outside 0..{n_classes - 1} (the classes seen in train)"
            )

    torch.manual_seed(seed)  # the new classification head's initial weights
    model = load_classifier(pretrained_dir, k, n_classes, c["dropout"], from_scratch=from_scratch)
    max_length = min(max_length, model.config.max_position_embeddings)
    steps_per_epoch = max(1, math.ceil(len(train_set) / c["batch_size"]))
    max_steps = c["max_steps"] or steps_per_epoch * c["epochs"]
    eval_every = c["eval_every"] or steps_per_epoch
    cfg = TrainConfig(
        max_steps=max_steps,
        batch_size=c["batch_size"],
        lr=c["lr"],
        warmup_ratio=c["warmup_ratio"],
        weight_decay=c["weight_decay"],
        betas=(0.9, 0.999),
        eps=1e-8,
        precision=c["precision"],
        log_every=max(1, min(50, max_steps // 10)),
        eval_every=eval_every if eval_every < max_steps else 0,
        ckpt_every=c["ckpt_every"],
        keep_checkpoints=1,
        seed=seed,
        device=device,
        select_metric=c["select_metric"],
        patience=c["patience"],
    )
    collator = FinetuneCollator(max_length, c["long_train"], seed=seed)

    def eval_fn(m) -> dict:
        probs = predict(
            m,
            dev_set.ids,
            max_length=max_length,
            batch_size=c["eval_batch_size"],
            aggregate_how=c["long_aggregate"],
            precision=c["precision"],
        )
        metrics = compute_metrics(dev_set.labels, probs)
        return {name: v for name, v in metrics.items() if name != "n_test"}

    run_config = {
        "task": task,
        "k": k,
        "seed": seed,
        "init": init,
        "finetune": c,
        "config": config,
    }
    sampler = balanced_batches(train_set.labels, cfg.batch_size, seed) if c["balance"] else None
    result = train(
        model,
        train_set,
        collator,
        cfg,
        work_dir,
        batch_sampler=sampler,
        eval_fn=eval_fn,
        run_config=run_config,
    )
    train_seconds = time.perf_counter() - t0

    model.eval()
    dev_device = next(model.parameters()).device
    if dev_device.type == "cuda":
        torch.cuda.synchronize(dev_device)
    t1 = time.perf_counter()
    probs = predict(
        model,
        test_set.ids,
        max_length=max_length,
        batch_size=c["eval_batch_size"],
        aggregate_how=c["long_aggregate"],
        precision=c["precision"],
    )
    if dev_device.type == "cuda":
        torch.cuda.synchronize(dev_device)
    infer_seconds = time.perf_counter() - t1

    best = result["best"] or {}
    warnings = run_warnings(test_set.labels, probs, best, c["select_metric"])
    for text in warnings:
        log.warning("%s %s%d seed %d is degenerate: %s", task, model_name, k, seed, text)
    extra = {
        "warnings": warnings,
        "pretrained": str(pretrained_dir),
        "init": init,
        "n_classes": n_classes,
        "n_train": len(train_set),
        "n_dev": len(dev_set),
        "steps": result["step"],
        "max_steps": max_steps,
        "best_step": best.get("step"),
        "best_dev": best.get(c["select_metric"]),
        "select_metric": c["select_metric"],
        "dev_metrics_last": result["eval"],
        "max_length": max_length,
        "long_aggregate": c["long_aggregate"],
        "long_train": c["long_train"],
        "n_params": sum(p.numel() for p in model.parameters()),
        "device": result["device"],
        "train_seconds": round(train_seconds, 3),
        "inference_seconds": round(infer_seconds, 4),
        "inference_seqs_per_s": round(len(test_set) / max(infer_seconds, 1e-9), 2),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "model", is_dir=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        DNATokenizer(k=k).save_pretrained(tmp)
    for name in ("train_log.csv", "eval_log.csv"):
        if (work_dir / name).exists():
            shutil.copy2(work_dir / name, out_dir / name)
    record = write_run(
        out_dir,
        task=task,
        model=model_name,
        k=k,
        seed=seed,
        labels=test_set.labels,
        probs=probs,
        config=run_config,
        extra=extra,
        predictions_extra=test_set.extra,
    )
    shutil.rmtree(work_dir, ignore_errors=True)
    log.info(
        "%s %s%d seed %d: test accuracy %.4f, MCC %.4f (best dev %s %.4f at step %s)",
        task,
        model_name,
        k,
        seed,
        record["accuracy"],
        record["mcc"],
        c["select_metric"],
        best.get(c["select_metric"], float("nan")),
        best.get("step"),
    )
    return record

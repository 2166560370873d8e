"""Fine-tuning DNABERT (``BertForSequenceClassification``) on one task, k and seed, and any other
Hugging Face DNA language model with its own tokenizer (:func:`finetune_hf_model`, config
``finetune.models``) with the same splits, loop, model selection and metrics.

Inputs: a task directory ``{train,dev,test}.tsv`` (see :mod:`dnabert.datasets.common`) and a
pretrained Hugging Face directory (``results/models/dnabert{k}`` or a user's DNABERT checkpoint;
for :func:`finetune_hf_model` any model directory, see :mod:`dnabert.hfmodels`). Each split is
tokenized once, up front (DNABERT: k-merized with :func:`dnabert.tokenizer.encode_batch`; other
models: by their own tokenizer); batches are padded to the batch maximum rounded up to a multiple
of 8. "Tokens" below are k-mers for DNABERT and the model's own tokens otherwise; the special
tokens each piece is framed with are the model's (:class:`dnabert.hfmodels.Specials`).

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

Outputs of :func:`finetune` in ``out_dir`` (``results/finetune/{task}/dnabert{k}/seed{seed}/``,
``results/finetune/{task}/{name}/seed{seed}/`` for a model of ``finetune.models``):
``metrics.json`` + ``predictions.tsv`` (:func:`dnabert.evaluate.write_run`; metrics on the test
split with the dev-selected weights), ``model/`` (the fine-tuned model + its tokenizer),
``train_log.csv`` / ``eval_log.csv``. Checkpoints live in ``{out_dir}.work`` while training (a
rerun resumes there) and are removed on success; ``metrics.json`` is written last.
``train_seconds`` in ``metrics.json`` is this part's wall time plus the training seconds of
earlier, interrupted parts (stored in the checkpoint it resumed from).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnabert.config import default_config, task_settings
from dnabert.evaluate import compute_metrics, write_run
from dnabert.hfmodels import DNABERT_SPECIALS, HFModelSpec, Specials
from dnabert.provenance import atomic_path
from dnabert.tokenizer import PAD_ID, encode_batch
from dnabert.train import TrainConfig, resolve_precision, train

log = logging.getLogger(__name__)

LONG_AGGREGATES = ("max", "mean")
LONG_TRAIN = ("centre", "random")


def schema_defaults() -> dict:
    """Defaults of the ``finetune`` config section from the schema."""
    return default_config()["finetune"]


@dataclass
class TokenizedSplit:
    """One split tokenized once: ``ids[i]`` is an integer array of token ids (uint16 k-mer ids for
    DNABERT; no special tokens),
    ``labels`` int64 ``(N,)``, ``extra`` the provenance columns (pandas, same row order)."""

    ids: list[np.ndarray]
    labels: np.ndarray
    extra: Any = None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.ids[i], int(self.labels[i])


def load_split(
    path: str | os.PathLike,
    k: int | None,
    max_examples: int | None = None,
    seed: int = 0,
    encode: Callable[[list[str], list[str]], list[np.ndarray]] | None = None,
    *,
    keep_extra: bool = True,
) -> TokenizedSplit:
    """Read one split TSV and k-merize it (or tokenize it with ``encode(sequences, records)``).
    With ``max_examples``, a seeded random subset of that many rows is kept (in file order).
    Sequence errors name the file and 1-based line. The file is read and tokenized in pieces and
    only the kept rows are read, so memory follows the tokens kept, not the TSV; without
    ``keep_extra`` the provenance columns are not read (``extra`` is None)."""
    import pandas as pd

    from dnabert.datasets.common import count_split_rows, iter_task_split, sample_rows

    path = Path(path)
    rows = None if max_examples is None else sample_rows(count_split_rows(path), max_examples, seed)
    ids: list[np.ndarray] = []
    labels, extras = [], []
    columns = None if keep_extra else ["sequence", "label"]
    for df in iter_task_split(path, rows=rows, columns=columns):
        records = [f"{path}: line {i + 2}" for i in df.index]  # header is line 1
        seqs = df["sequence"].tolist()
        ids.extend(
            encode_batch(seqs, k, records=records) if encode is None else encode(seqs, records)
        )
        labels.append(df["label"].to_numpy(dtype=np.int64))
        if keep_extra:
            extras.append(df.drop(columns=["sequence", "label"]))
    extra = pd.concat(extras).reset_index(drop=True) if keep_extra else None
    return TokenizedSplit(ids=ids, labels=np.concatenate(labels), extra=extra)


def _round8(n: int, cap: int) -> int:
    return min(cap, -(-n // 8) * 8)


def pad_batch(
    pieces: list[np.ndarray], max_positions: int, pad_id: int = PAD_ID
) -> dict[str, torch.Tensor]:
    """Right-pad token arrays (already wrapped in special tokens) with ``pad_id`` to the batch
    maximum rounded up to a multiple of 8 (at most ``max_positions``). Returns long
    ``input_ids`` and ``attention_mask`` of shape (B, T)."""
    width = _round8(max(p.size for p in pieces), max_positions)
    ids = torch.full((len(pieces), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(pieces), width), dtype=torch.long)
    for row, p in enumerate(pieces):
        ids[row, : p.size] = torch.from_numpy(p.astype(np.int64))
        mask[row, : p.size] = 1
    return {"input_ids": ids, "attention_mask": mask}


class FinetuneCollator:
    """Turns ``[(token_ids, label), ...]`` into a padded batch with ``labels``.

    Sequences longer than ``max_length - specials.n`` tokens are cut to one sub-window first
    (``centre`` or seeded ``random``, see the module docstring), then framed by ``specials``
    (DNABERT's ``[CLS] ... [SEP]`` by default). Has ``state_dict``/``load_state_dict`` so the
    training loop checkpoints the random sub-window stream.
    """

    def __init__(
        self,
        max_length: int,
        long_train: str = "centre",
        seed: int = 0,
        specials: Specials = DNABERT_SPECIALS,
    ):
        if long_train not in LONG_TRAIN:
            raise ValueError(f"long_train must be one of {LONG_TRAIN}, got {long_train!r}")
        self.max_length = max_length
        self.specials = specials
        self.body = max_length - specials.n
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
        pieces = [self.specials.wrap(self.crop(ids)) for ids, _ in examples]
        batch = pad_batch(pieces, self.max_length, self.specials.pad_id)
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
    specials: Specials = DNABERT_SPECIALS,
) -> np.ndarray:
    """Class probabilities ``(N, C)`` float64 for token id arrays ``ids`` (no special tokens).

    Every sequence is cut into sub-windows of at most ``max_length`` tokens (``specials``, by
    default DNABERT's ``[CLS]``/``[SEP]``, included); sub-windows are batched in order of length (little padding) and their softmax
    probabilities combined by :func:`aggregate`. The model is put in eval mode.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    dtype = resolve_precision(precision, device)
    pieces, owner = [], []
    for i, seq_ids in enumerate(ids):
        for piece in specials.pieces(seq_ids, max_length):
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
        batch = pad_batch([pieces[j] for j in idx], max_length, specials.pad_id)
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
    initializer under the current torch seed (the from-scratch control of a pretrained model),
    the k-mer embeddings compositional when its pretraining started them so
    (``pretrain.model.kmer_embedding_init``).
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
            if getattr(config, "dnabert_kmer_embedding_init", "random") == "compositional":
                from dnabert.pretrain import compositional_kmer_embeddings

                embedding = model.get_input_embeddings()  # started as its pretraining did
                compositional_kmer_embeddings(embedding, k, config.initializer_range)
        else:
            model = BertForSequenceClassification.from_pretrained(
                path, attn_implementation="sdpa", **overrides
            )
    finally:
        hf_logging.set_verbosity(verbosity)
    return model


@dataclass
class Backbone:
    """What differs between DNABERT and another language model in a fine-tuning run.

    ``name``: the model recorded in ``metrics.json`` (``dnabert``, ``dnabert_scratch`` or the
    user's name); ``k``: DNABERT's k (None for other models); ``source``: the pretrained
    directory; ``init``: ``pretrained`` or ``scratch``; ``encode(sequences, records)``: token ids
    without special tokens (None: k-merize); ``load(num_labels, dropout)``: the classifier;
    ``save_tokenizer(dir)``; ``max_length(model)``: tokens per piece for the loaded model.
    """

    name: str
    k: int | None
    source: str
    init: str
    specials: Specials
    load: Callable[[int, float], torch.nn.Module]
    save_tokenizer: Callable[[Path], None]
    max_length: Callable[[torch.nn.Module], int]
    encode: Callable[[list[str], list[str]], list[np.ndarray]] | None = None
    tokenizer: str = "DNATokenizer"

    @property
    def label(self) -> str:
        return f"{self.name}{self.k}" if self.k is not None else self.name


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
    """Fine-tune DNABERT-k on ``task_dir`` and write ``out_dir`` (see the module docstring).

    ``from_scratch``: the from-scratch control; the architecture of ``pretrained_dir`` from random
    weights (seeded), trained with the same splits, loop and budget; recorded as model
    ``dnabert_scratch``.

    ``ft_cfg`` holds ``finetune`` config keys (schema defaults fill gaps; its ``task_overrides``
    entry for ``task`` applies, see :func:`dnabert.config.task_settings`); ``config`` is the whole
    run config, recorded as provenance. ``max_length`` (``tokenize.max_length``) is capped by the
    model's ``max_position_embeddings``. Returns the record written to ``metrics.json``.
    """
    from dnabert.tokenizer import DNATokenizer

    backbone = Backbone(
        name="dnabert_scratch" if from_scratch else "dnabert",
        k=k,
        source=str(pretrained_dir),
        init="scratch" if from_scratch else "pretrained",
        specials=DNABERT_SPECIALS,
        load=lambda n, dropout: load_classifier(
            pretrained_dir, k, n, dropout, from_scratch=from_scratch
        ),
        save_tokenizer=lambda path: DNATokenizer(k=k).save_pretrained(path),
        max_length=lambda model: min(max_length, model.config.max_position_embeddings),
    )
    return _finetune(
        backbone, task_dir, out_dir, task=task, seed=seed, ft_cfg=ft_cfg, config=config,
        device=device, work_dir=work_dir,
    )  # fmt: skip


def finetune_hf_model(
    task_dir: str | os.PathLike,
    spec: HFModelSpec,
    out_dir: str | os.PathLike,
    *,
    task: str,
    seed: int,
    ft_cfg: dict | None = None,
    config: dict | None = None,
    device: str = "auto",
    work_dir: str | os.PathLike | None = None,
) -> dict:
    """Fine-tune the Hugging Face model ``spec.path`` (any architecture with a sequence-
    classification head, its own tokenizer) on ``task_dir`` exactly as :func:`finetune` does
    DNABERT, and write ``out_dir``; recorded as model ``spec.name`` with ``k`` null.

    Tokens per piece: ``spec.max_length`` or the model's limit
    (:func:`dnabert.hfmodels.max_length_for`). Errors name the directory when ``config.json`` or
    the tokenizer is missing or the architecture has no sequence-classification head.
    """
    from dnabert.hfmodels import (
        check_model_dir,
        load_hf_classifier,
        load_tokenizer,
        max_length_for,
        tokenize_with,
        tokenizer_specials,
    )

    path = check_model_dir(spec.path)
    tokenizer = load_tokenizer(path, spec.trust_remote_code)
    backbone = Backbone(
        name=spec.name,
        k=None,
        source=str(spec.path),
        init="pretrained",
        specials=tokenizer_specials(tokenizer),
        load=lambda n, dropout: load_hf_classifier(path, n, dropout, spec.trust_remote_code),
        save_tokenizer=tokenizer.save_pretrained,
        max_length=lambda model: max_length_for(model.config, tokenizer, spec.max_length),
        encode=tokenize_with(tokenizer),
        tokenizer=type(tokenizer).__name__,
    )
    return _finetune(
        backbone, task_dir, out_dir, task=task, seed=seed, ft_cfg=ft_cfg, config=config,
        device=device, work_dir=work_dir,
    )  # fmt: skip


def _finetune(
    backbone: Backbone,
    task_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    task: str,
    seed: int,
    ft_cfg: dict | None,
    config: dict | None,
    device: str,
    work_dir: str | os.PathLike | None,
) -> dict:
    """The run shared by DNABERT and other models: splits, loop, selection, test, outputs."""
    task_dir, out_dir = Path(task_dir), Path(out_dir)
    work_dir = Path(work_dir) if work_dir else out_dir.with_name(out_dir.name + ".work")
    k, model_name = backbone.k, backbone.name
    c = task_settings({**schema_defaults(), **(ft_cfg or {})}, task)
    c.pop("models", None)  # other models' settings are not this run's
    t0 = time.perf_counter()
    train_set = load_split(
        task_dir / "train.tsv", k, c["max_train_examples"], seed, backbone.encode, keep_extra=False
    )
    dev_set = load_split(
        task_dir / "dev.tsv", k, c["max_dev_examples"], seed, backbone.encode, keep_extra=False
    )
    test_set = load_split(task_dir / "test.tsv", k, encode=backbone.encode)
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
    model = backbone.load(n_classes, c["dropout"])
    max_length = backbone.max_length(model)
    specials = backbone.specials
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
    collator = FinetuneCollator(max_length, c["long_train"], seed=seed, specials=specials)

    def eval_fn(m) -> dict:
        probs = predict(
            m,
            dev_set.ids,
            max_length=max_length,
            batch_size=c["eval_batch_size"],
            aggregate_how=c["long_aggregate"],
            precision=c["precision"],
            specials=specials,
        )
        metrics = compute_metrics(dev_set.labels, probs)
        return {name: v for name, v in metrics.items() if name != "n_test"}

    run_config = {
        "task": task,
        "k": k,
        "seed": seed,
        "init": backbone.init,
        "finetune": c,
        "config": config,
    }
    if k is None:
        run_config["model"] = model_name
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
    # this part's wall time (data, model, loop) plus the loop time of earlier, interrupted parts
    train_seconds = time.perf_counter() - t0 + result["resumed_seconds"]

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
        specials=specials,
    )
    if dev_device.type == "cuda":
        torch.cuda.synchronize(dev_device)
    infer_seconds = time.perf_counter() - t1

    best = result["best"] or {}
    warnings = run_warnings(test_set.labels, probs, best, c["select_metric"])
    for text in warnings:
        log.warning("%s %s seed %d is degenerate: %s", task, backbone.label, seed, text)
    extra = {
        "warnings": warnings,
        "pretrained": backbone.source,
        "init": backbone.init,
        "architecture": type(model).__name__,
        "tokenizer": backbone.tokenizer,
        # mean tokens per train sequence, special tokens and sub-windows aside
        "tokens_per_sequence": round(float(np.mean([ids.size for ids in train_set.ids])), 3),
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
        "resumed_train_seconds": round(result["resumed_seconds"], 3),
        "inference_seconds": round(infer_seconds, 4),
        "inference_seqs_per_s": round(len(test_set) / max(infer_seconds, 1e-9), 2),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "model", is_dir=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        backbone.save_tokenizer(tmp)
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
        "%s %s seed %d: test accuracy %.4f, MCC %.4f (best dev %s %.4f at step %s)",
        task,
        backbone.label,
        seed,
        record["accuracy"],
        record["mcc"],
        c["select_metric"],
        best.get(c["select_metric"], float("nan")),
        best.get("step"),
    )
    return record

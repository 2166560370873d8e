"""A fine-tuning run: task splits -> classifier -> the shared loop (:func:`dnabert.train.train`,
dev-split selection) -> test predictions -> the run directory (:func:`dnabert.evaluate.
publish_run`), for DNABERT-k, its from-scratch control and any other language model."""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from dnabert.config import default_config, task_settings
from dnabert.evaluate import FitSummary, compute_metrics, publish_run
from dnabert.finetune.classifier import Backbone, load_classifier
from dnabert.finetune.data import FinetuneCollator, TokenizedSplit, balanced_batches, load_split
from dnabert.finetune.scoring import predict
from dnabert.hfmodels import DNABERT_SPECIALS, HFModelSpec
from dnabert.train import TrainConfig, train

log = logging.getLogger("dnabert.finetune")


def schema_defaults() -> dict:
    """Defaults of the ``finetune`` config section from the schema."""
    return default_config()["finetune"]


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
        load=lambda n, c: load_classifier(
            pretrained_dir, k, n, c["dropout"], from_scratch=from_scratch, pooling=c["pooling"]
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
        load=lambda n, c: load_hf_classifier(path, n, c["dropout"], spec.trust_remote_code),
        save_tokenizer=tokenizer.save_pretrained,
        max_length=lambda model: max_length_for(model.config, tokenizer, spec.max_length),
        encode=tokenize_with(tokenizer),
        tokenizer=type(tokenizer).__name__,
    )
    return _finetune(
        backbone, task_dir, out_dir, task=task, seed=seed, ft_cfg=ft_cfg, config=config,
        device=device, work_dir=work_dir,
    )  # fmt: skip


@dataclass
class TaskSplits:
    """A task's three splits, tokenized (train and dev capped by the run's settings)."""

    train: TokenizedSplit
    dev: TokenizedSplit
    test: TokenizedSplit

    @property
    def n_classes(self) -> int:
        return int(self.train.labels.max()) + 1


def load_task(task_dir: Path, backbone: Backbone, c: dict, seed: int) -> TaskSplits:
    """Read and tokenize ``task_dir/{train,dev,test}.tsv`` (train and dev: seeded subsets of at
    most ``max_train_examples`` / ``max_dev_examples`` rows, without provenance columns). An
    empty split, or dev/test labels outside the classes seen in train, raise ValueError naming
    the file."""
    k, encode = backbone.k, backbone.encode
    splits = TaskSplits(
        train=load_split(
            task_dir / "train.tsv", k, c["max_train_examples"], seed, encode, keep_extra=False
        ),
        dev=load_split(
            task_dir / "dev.tsv", k, c["max_dev_examples"], seed, encode, keep_extra=False
        ),
        test=load_split(task_dir / "test.tsv", k, encode=encode),
    )
    for name in ("train", "dev", "test"):
        if len(getattr(splits, name)) == 0:
            raise ValueError(f"{task_dir / (name + '.tsv')}: no sequences")
    n_classes = splits.n_classes
    for name in ("dev", "test"):
        labels = getattr(splits, name).labels
        if labels.max() >= n_classes or labels.min() < 0:
            raise ValueError(
                f"{task_dir / (name + '.tsv')}: labels {sorted(set(labels.tolist()))} "
                f"outside 0..{n_classes - 1} (the classes seen in train)"
            )
    return splits


def loop_config(c: dict, n_train: int, seed: int, device: str) -> TrainConfig:
    """The loop settings of a run with ``finetune`` settings ``c`` on ``n_train`` sequences: a
    budget of ``max_steps`` (0 or null: ``epochs`` epochs), a dev evaluation every
    ``eval_every`` steps (0 or null: once per epoch; none before the end when that is past the
    budget), AdamW with BERT's betas and epsilon, linear warmup over ``warmup_ratio``."""
    steps_per_epoch = max(1, math.ceil(n_train / c["batch_size"]))
    max_steps = c["max_steps"] or steps_per_epoch * c["epochs"]
    eval_every = c["eval_every"] or steps_per_epoch
    return TrainConfig(
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


def timed_predict(score, model: torch.nn.Module, ids: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """``score(model, ids)`` in eval mode and its wall seconds (GPU work included)."""
    model.eval()
    device = next(model.parameters()).device
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t1 = time.perf_counter()
    probs = score(model, ids)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return probs, time.perf_counter() - t1


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
    c = task_settings({**schema_defaults(), **(ft_cfg or {})}, task)
    c.pop("models", None)  # other models' settings are not this run's
    t0 = time.perf_counter()
    splits = load_task(task_dir, backbone, c, seed)

    torch.manual_seed(seed)  # the new classification head's initial weights
    model = backbone.load(splits.n_classes, c)
    max_length = backbone.max_length(model)
    cfg = loop_config(c, len(splits.train), seed, device)
    score = functools.partial(predict_with, max_length=max_length, c=c, specials=backbone.specials)

    def eval_fn(m) -> dict:
        metrics = compute_metrics(splits.dev.labels, score(m, splits.dev.ids))
        return {name: v for name, v in metrics.items() if name != "n_test"}

    run_config = {"task": task, "k": backbone.k, "seed": seed, "init": backbone.init}
    run_config.update({"finetune": c, "config": config})
    if backbone.k is None:
        run_config["model"] = backbone.name
    sampler = balanced_batches(splits.train.labels, cfg.batch_size, seed) if c["balance"] else None
    collator = FinetuneCollator(max_length, c["long_train"], seed=seed, specials=backbone.specials)
    result = train(
        model, splits.train, collator, cfg, work_dir,
        batch_sampler=sampler, eval_fn=eval_fn, run_config=run_config,
    )  # fmt: skip
    # the wall time of this part (data, model, loop) and the loop time of earlier parts
    fit = FitSummary.from_loop(
        model, result, started=t0, n_classes=splits.n_classes, n_train=len(splits.train),
        n_dev=len(splits.dev), select_metric=c["select_metric"], max_steps=cfg.max_steps,
    )  # fmt: skip
    probs, infer_seconds = timed_predict(score, model, splits.test.ids)

    def write_model(run_dir: Path) -> None:
        model.save_pretrained(run_dir / "model", safe_serialization=True)
        backbone.save_tokenizer(run_dir / "model")

    details = {
        "pretrained": backbone.source,
        "init": backbone.init,
        "tokenizer": backbone.tokenizer,
        # mean tokens per train sequence, special tokens and sub-windows aside
        "tokens_per_sequence": round(float(np.mean([x.size for x in splits.train.ids])), 3),
        "max_length": max_length,
        "long_aggregate": c["long_aggregate"],
        "long_train": c["long_train"],
        "dev_metrics_last": result["eval"],
    }
    record = publish_run(
        out_dir, task=task, model=backbone.name, k=backbone.k, seed=seed,
        labels=splits.test.labels, probs=probs, config=run_config, fit=fit,
        inference_seconds=infer_seconds, details=details, write_model=write_model,
        predictions_extra=splits.test.extra, work_dir=work_dir,
    )  # fmt: skip
    best = result["best"] or {}
    log.info(
        "%s %s seed %d: test accuracy %.4f, MCC %.4f (best dev %s %.4f at step %s)",
        task, backbone.label, seed, record["accuracy"], record["mcc"], c["select_metric"],
        best.get(c["select_metric"], float("nan")), best.get("step"),
    )  # fmt: skip
    return record


def predict_with(model, ids, *, max_length: int, c: dict, specials) -> np.ndarray:
    """:func:`dnabert.finetune.scoring.predict` with a run's settings ``c`` (batch size, long
    inputs' aggregation, precision)."""
    return predict(
        model,
        ids,
        max_length=max_length,
        batch_size=c["eval_batch_size"],
        aggregate_how=c["long_aggregate"],
        precision=c["precision"],
        specials=specials,
    )

"""DNABERT masked-language-model pretraining: the model, the MLM loss and the wiring of the
k-mer corpus into the generic loop (:mod:`dnabert.train`).

Outputs of :func:`pretrain`:

- ``out_dir`` (``results/models/dnabert{k}/``), written only when training finished: a Hugging Face
  directory (``config.json``, ``model.safetensors``, ``vocab.txt`` + tokenizer files) with
  ``train_log.csv``, ``eval_log.csv``, ``tensorboard/`` and ``metrics.json`` (final held-out MLM
  loss and accuracy, chance level ``1/4**k``, provenance).
- ``work_dir`` (default ``{out_dir}.work``, a sibling that Snakemake does not delete when the job
  fails): checkpoints and logs while training runs. A rerun resumes from its latest checkpoint;
  it is removed once ``out_dir`` has been written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from dnabert.config import schema_defaults
from dnabert.mlm_probe import kmer_counts, reference_accuracies
from dnabert.procguard import trainer_lock, watch_parent
from dnabert.provenance import atomic_path, provenance, write_json
from dnabert.tokenizer import check_model_k, vocab_size
from dnabert.train import TrainConfig, dist_env, model_flops_per_token, train

log = logging.getLogger(__name__)


@functools.cache
def masked_lm_class():
    """``BertForMaskedLM`` whose forward, given ``labels``, runs the prediction head only on the
    masked positions (``labels != -100``, ~15%) instead of every token: the same loss and
    gradients, without the ``(B, T, vocab)`` logits (at k=6 the head's 4101-way decoder is most
    of a small model's work, and 0.5 GB per batch of 64 x 512 at BERT-base). ``logits`` are then
    ``(n_masked, vocab)`` in row-major order of the masked positions. Without ``labels`` it is
    the stock model. Saved directories load as plain ``BertForMaskedLM``."""
    from transformers import BertForMaskedLM
    from transformers.modeling_outputs import MaskedLMOutput

    class DNABertForMaskedLM(BertForMaskedLM):
        def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
            if labels is None:
                return super().forward(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, **kwargs)[0]
            masked = labels != -100
            logits = self.cls(hidden[masked])
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[masked])
            return MaskedLMOutput(loss=loss, logits=logits)

        def save_pretrained(self, save_directory, *args, **kwargs):
            # Hugging Face writes this class's name into config.json; users load the stock one
            out = super().save_pretrained(save_directory, *args, **kwargs)
            path = Path(save_directory) / "config.json"
            record = json.loads(path.read_text())
            record["architectures"] = ["BertForMaskedLM"]
            path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
            return out

    return DNABertForMaskedLM


def build_mlm_model(k: int, model_cfg: dict | None = None):
    """A ``BertForMaskedLM`` for k-mer size ``k`` with the SDPA (fused) attention path.

    ``model_cfg`` holds ``pretrain.model`` keys (missing ones take the schema defaults, BERT-base).
    With ``init_from`` the weights and architecture come from that local Hugging Face directory;
    its ``vocab_size`` must be ``4**k + 5``, else ``ValueError`` naming the directory.
    """
    from transformers import BertConfig

    model_class = masked_lm_class()
    cfg = {**schema_defaults("pretrain", "model"), **(model_cfg or {})}
    expected = vocab_size(k)
    if cfg["init_from"]:
        path = Path(cfg["init_from"])
        check_model_k(path, k)
        log.info("initializing from %s (its architecture replaces pretrain.model)", path)
        return model_class.from_pretrained(path, attn_implementation="sdpa")
    if cfg["hidden_size"] % cfg["num_heads"]:
        raise ValueError(
            f"pretrain.model: hidden_size {cfg['hidden_size']} is not a multiple of "
            f"num_heads {cfg['num_heads']}"
        )
    config = BertConfig(
        vocab_size=expected,
        hidden_size=cfg["hidden_size"],
        num_hidden_layers=cfg["num_layers"],
        num_attention_heads=cfg["num_heads"],
        intermediate_size=cfg["intermediate_size"],
        max_position_embeddings=cfg["max_position_embeddings"],
        hidden_dropout_prob=cfg["dropout"],
        attention_probs_dropout_prob=cfg["dropout"],
        pad_token_id=0,
        attn_implementation="sdpa",
    )
    model = model_class(config)
    if cfg["kmer_embedding_init"] == "compositional":
        config.dnabert_kmer_embedding_init = "compositional"  # saved in config.json
        compositional_kmer_embeddings(model.get_input_embeddings(), k, config.initializer_range)
    return model


def compositional_kmer_embeddings(embedding, k: int, std: float) -> None:
    """Set every k-mer row of ``embedding`` (an ``nn.Embedding`` over :mod:`dnabert.tokenizer`'s
    ids) to the sum of one random vector per (position, base) of its spelling, drawn from the
    current torch random state and scaled to standard deviation ``std``; special tokens keep
    theirs. The MLM decoder is tied to these weights, so it starts compositional too."""
    import itertools

    from dnabert.tokenizer import KMER_ALPHABET, N_SPECIAL

    weight = embedding.weight
    parts = torch.randn(k, len(KMER_ALPHABET), weight.shape[1])
    spell = torch.tensor(
        [[KMER_ALPHABET.index(c) for c in p] for p in itertools.product(KMER_ALPHABET, repeat=k)]
    )
    rows = parts[torch.arange(k), spell].sum(1)  # (4^k, hidden), k-mer ids in product order
    with torch.no_grad():
        weight[N_SPECIAL : N_SPECIAL + len(rows)] = rows / rows.std() * std


def mlm_loss(model, batch: dict) -> tuple[torch.Tensor, dict]:
    """Cross-entropy on masked positions (``labels != -100``) and the accuracy there.

    ``batch``: ``input_ids``, ``attention_mask``, ``labels``, long tensors of shape (B, T).
    The accuracy is a tensor (no host sync); it is 0 for a batch without masked tokens. Works with
    the stock ``BertForMaskedLM`` (logits ``(B, T, V)``) and with :func:`masked_lm_class`'s
    model (logits of the masked positions only).
    """
    out = model(**batch)
    labels = batch["labels"]
    masked = labels != -100  # (B, T)
    target = labels[masked]
    logits = out.logits if out.logits.dim() == 2 else out.logits[masked]
    acc = (logits.argmax(-1) == target).sum() / masked.sum().clamp(min=1)
    return out.loss, {"mlm_acc": acc}


@torch.no_grad()
def evaluate_mlm(model, sequences, collate_fn, batch_size: int, device) -> dict:
    """Held-out MLM loss (mean over masked tokens) and accuracy; ``sequences`` are token arrays."""
    total_loss = total_correct = total_masked = 0.0
    for i in range(0, len(sequences), batch_size):
        batch = collate_fn([sequences[j] for j in range(i, min(i + batch_size, len(sequences)))])
        batch = {k: v.to(device) for k, v in batch.items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        labels = batch["labels"]
        masked = labels != -100
        n = int(masked.sum())
        if n == 0:
            continue
        loss = torch.nn.functional.cross_entropy(logits[masked].float(), labels[masked])
        total_loss += float(loss) * n
        total_correct += float((logits[masked].argmax(-1) == labels[masked]).sum())
        total_masked += n
    if total_masked == 0:
        return {"loss": math.nan, "mlm_acc": math.nan, "n_masked": 0}
    return {
        "loss": total_loss / total_masked,
        "mlm_acc": total_correct / total_masked,
        "n_masked": total_masked,
    }


# ``pretrain.train`` keys that are TrainConfig fields of the same name
_SAME_NAMED = (
    "max_steps", "batch_size", "grad_accum", "lr", "warmup_steps", "decay_steps",
    "weight_decay", "clip", "precision", "compile", "log_every", "eval_every", "ckpt_every",
    "seed",
)  # fmt: skip


def train_config_from(train_cfg: dict, **overrides: Any) -> TrainConfig:
    """Map a ``pretrain.train`` block onto :class:`TrainConfig`."""
    c = {**schema_defaults("pretrain", "train"), **train_cfg, **overrides}
    return TrainConfig(
        **{name: c[name] for name in _SAME_NAMED},
        betas=(c["adam_beta1"], c["adam_beta2"]),
        eps=c["adam_eps"],
        device=c.get("device", "auto"),
    )


def pretrain(
    corpus_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    k: int,
    model_cfg: dict | None = None,
    train_cfg: dict | None = None,
    config: dict | None = None,
    *,
    work_dir: str | os.PathLike | None = None,
) -> dict:
    """Pretrain DNABERT-k on ``corpus_dir/{train,val}.bin/.idx`` and write ``out_dir``.

    ``model_cfg`` / ``train_cfg`` are the ``pretrain.model`` / ``pretrain.train`` blocks (schema
    defaults fill gaps; ``train_cfg`` may also hold ``device``); ``config`` is the whole run config,
    recorded as provenance. Returns the metrics written to ``out_dir/metrics.json`` (on every rank;
    only rank 0 writes). Raises :class:`dnabert.train.Preempted` after checkpointing on SIGTERM.

    One trainer per work directory: rank 0 holds ``{work_dir}/trainer.lock`` while it runs (a
    second trainer gets :class:`dnabert.procguard.TrainerLockError` naming the holder's pid and
    host). A ``torchrun`` worker stops when its launcher dies
    (:func:`dnabert.procguard.watch_parent`).
    """
    corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
    work_dir = Path(work_dir) if work_dir else out_dir.with_name(out_dir.name + ".work")
    if "TORCHELASTIC_RUN_ID" in os.environ:  # a torchrun worker, in a session of its own
        watch_parent()  # so a killed launcher takes it down (dnabert.procguard)
    with trainer_lock(work_dir) if dist_env().master else contextlib.nullcontext():
        return _pretrain(corpus_dir, out_dir, k, model_cfg, train_cfg, config, work_dir)


def _pretrain(corpus_dir, out_dir, k, model_cfg, train_cfg, config, work_dir) -> dict:
    from dnabert.corpus import TokenCorpus
    from dnabert.masking import KmerSpanMaskCollator, LengthBucketSampler, LengthCurriculum
    from dnabert.tokenizer import DNATokenizer

    model_cfg = {**schema_defaults("pretrain", "model"), **(model_cfg or {})}
    tcfg_dict = {**schema_defaults("pretrain", "train"), **(train_cfg or {})}
    cfg = train_config_from(tcfg_dict)
    env = dist_env()

    train_set = TokenCorpus(corpus_dir / "train")
    val_set = TokenCorpus(corpus_dir / "val")
    for name, corpus in (("train", train_set), ("val", val_set)):
        if corpus.k != k:
            raise ValueError(f"{corpus_dir / name}: corpus has k={corpus.k}, expected k={k}")

    torch.manual_seed(cfg.seed)  # same initial weights on every rank (DDP also broadcasts them)
    model = build_mlm_model(k, model_cfg)
    max_length = model.config.max_position_embeddings
    collator = KmerSpanMaskCollator(
        k,
        mlm_probability=tcfg_dict["mlm_probability"],
        max_length=max_length,
        seed=cfg.seed + 1000 * env.rank,  # different masks on each rank
    )
    if tcfg_dict["length_curriculum"]:
        phases = [(p["tokens"], p["steps"]) for p in tcfg_dict["length_curriculum"]]
        collator = LengthCurriculum(collator, phases, cfg.grad_accum)
        log.info("length curriculum (tokens, steps): %s, then whole sequences", phases)
    sampler = LengthBucketSampler(train_set.lengths, cfg.batch_size, seed=cfg.seed)

    def batch_sampler(epoch: int):
        sampler.set_epoch(epoch)
        return iter(sampler)

    n_eval = min(len(val_set), tcfg_dict["eval_batches"] * cfg.batch_size)
    val_seqs = [val_set[i] for i in range(n_eval)]

    def val_collator() -> KmerSpanMaskCollator:
        # A fresh, fixed-seed collator: every evaluation (and the reference predictors) masks the
        # same positions, and training's masking stream is left untouched.
        return KmerSpanMaskCollator(
            k,
            mlm_probability=tcfg_dict["mlm_probability"],
            max_length=max_length,
            seed=cfg.seed + 12345,
        )

    def eval_fn(m) -> dict:
        device = next(m.parameters()).device
        return evaluate_mlm(m, val_seqs, val_collator(), cfg.batch_size, device)

    n_params = sum(p.numel() for p in model.parameters())
    mc = model.config

    def flops(seq_len: int) -> float:
        return model_flops_per_token(n_params, mc.num_hidden_layers, mc.hidden_size, seq_len)

    run_config = {"k": k, "model": model_cfg, "train": tcfg_dict, "config": config}
    result = train(
        model,
        train_set,
        collator,
        cfg,
        work_dir,
        batch_sampler=batch_sampler,
        loss_fn=mlm_loss,
        eval_fn=eval_fn,
        flops_per_token=flops,
        run_config=run_config,
    )
    final = result["eval"]
    # what the accuracy means: the same masked positions predicted without learning anything
    # transferable (the most frequent k-mer; copying the unmasked neighbours' bases)
    step = max(1, len(train_set) // 2000)
    counts = kmer_counts([train_set[i] for i in range(0, len(train_set), step)], k)
    reference = reference_accuracies(
        val_seqs,
        val_collator(),
        cfg.batch_size,
        k,
        counts,
    )
    metrics = {
        "k": k,
        "steps": result["step"],
        "val_loss": final.get("loss"),
        "val_mlm_acc": final.get("mlm_acc"),
        "val_n_masked": final.get("n_masked"),
        "chance_acc": 1.0 / 4**k,
        "frequency_acc": reference["frequency_acc"],
        "copy_neighbours_acc": reference["copy_acc"],
        "n_params": n_params,
        "n_train_sequences": len(train_set),
        "n_val_sequences_evaluated": n_eval,
        "world_size": env.world_size,
        "device": result["device"],
        **provenance(run_config, seed=cfg.seed),
    }
    if env.master:
        with atomic_path(out_dir, is_dir=True) as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            DNATokenizer(k=k).save_pretrained(tmp)
            for name in ("train_log.csv", "eval_log.csv"):
                if (work_dir / name).exists():
                    shutil.copy2(work_dir / name, tmp / name)
            if (work_dir / "tensorboard").exists():
                shutil.copytree(work_dir / "tensorboard", tmp / "tensorboard")
            write_json(tmp / "metrics.json", metrics)
        shutil.rmtree(work_dir, ignore_errors=True)
        log.info(
            "wrote %s: val MLM accuracy %.4f (chance %.2g, most frequent k-mer %.4f, copying the "
            "unmasked neighbours' bases %.4f)",
            out_dir,
            metrics["val_mlm_acc"] or math.nan,
            metrics["chance_acc"],
            metrics["frequency_acc"],
            metrics["copy_neighbours_acc"],
        )
        if (metrics["val_mlm_acc"] or 0.0) < metrics["copy_neighbours_acc"]:
            log.warning(
                "%s: held-out MLM accuracy %.4f is below copying the unmasked neighbours' bases "
                "(%.4f): the model has not learned to read its context; fine-tuning from it may "
                "do no better than from random weights (train longer; see docs/pretraining.md)",
                out_dir,
                metrics["val_mlm_acc"] or math.nan,
                metrics["copy_neighbours_acc"],
            )
    return metrics

"""Toy models and tasks shared by the fine-tuning tests: a tiny random BERT standing in for
``results/models/dnabert{k}`` and a task directory whose positives carry a planted motif."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from dnabert.tokenizer import DNATokenizer

MOTIF = "GGGGCCCC"


def make_pretrained(path, k=3, max_positions=64, seed=0):
    """A tiny random BertForMaskedLM + vocab.txt standing in for results/models/dnabert{k}."""
    from transformers import BertConfig, BertForMaskedLM

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=4**k + 5,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        pad_token_id=0,
    )
    BertForMaskedLM(config).save_pretrained(path)
    DNATokenizer(k=k).save_pretrained(path)
    return path


def random_seq(rng, n):
    return "".join(rng.choice(list("ACGT"), size=n))


def planted_rows(n, length, rng, motif_at=None):
    """Half positives with MOTIF (at ``motif_at`` or anywhere), half plain random sequences."""
    rows = []
    for i in range(n):
        label = i % 2
        seq = random_seq(rng, length)
        while MOTIF in seq:
            seq = random_seq(rng, length)
        if label:
            pos = motif_at if motif_at is not None else int(rng.integers(0, length - len(MOTIF)))
            seq = seq[:pos] + MOTIF + seq[pos + len(MOTIF) :]
        rows.append((seq, label, "chrT", i * 1000, i * 1000 + length, "+", "toy"))
    return pd.DataFrame(
        rows, columns=["sequence", "label", "chrom", "start", "end", "strand", "source"]
    )


def write_task_dir(path, n_train=384, n_eval=96, length=40, seed=1, motif_at=None):
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("dev", n_eval), ("test", n_eval)):
        planted_rows(n, length, rng, motif_at).to_csv(path / f"{name}.tsv", sep="\t", index=False)
    return path


FAST = {
    "lr": 2e-3,
    "epochs": 4,
    "batch_size": 32,
    "dropout": 0.0,
    "warmup_ratio": 0.1,
    "patience": 0,
    "ckpt_every": 0,
}

"""Fine-tuning inputs: task splits tokenized once, the training collator (long inputs cut to one
sub-window, see :mod:`dnabert.finetune`), padding, and class-balanced batches."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnabert.hfmodels import DNABERT_SPECIALS, Specials
from dnabert.tokenizer import PAD_ID, encode_batch

LONG_TRAIN = ("centre", "random")


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

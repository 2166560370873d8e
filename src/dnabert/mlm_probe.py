"""What a k-mer MLM has learned, measured against two models that learn nothing transferable.

Overlapping k-mers leak: with DNABERT's k-span masking, most bases of a masked k-mer are still
visible in the unmasked tokens beside the span (k=6: one base per isolated span is hidden). Two
reference predictors on exactly the masked positions of the held-out batches:

- ``frequency``: always the most frequent k-mer of the training corpus (what an MLM collapsed to
  the unigram distribution scores);
- ``copy``: copies every base that an unmasked token of the same sequence covers, and fills the
  hidden bases with the most frequent training k-mer that agrees with the copied ones (no
  context beyond the span's neighbours, no grammar).

A pretrained model at or below ``frequency`` has learned nothing; one well below ``copy`` has not
even learned to read its neighbours, and its representations carry nothing a task can use.
:func:`reference_accuracies` is recorded in the pretrained model's ``metrics.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch

from dnabert.tokenizer import N_SPECIAL


@functools.cache
def kmer_bases(k: int) -> np.ndarray:
    """``(4**k, k)`` uint8 (read-only, computed once per k): the base codes (0..3 in DNABERT's
    ``ATCG`` order) of each k-mer index (token id minus the special tokens), most significant
    base first."""
    idx = np.arange(4**k)
    out = np.stack([(idx >> (2 * (k - 1 - j))) & 3 for j in range(k)], axis=1).astype(np.uint8)
    out.flags.writeable = False
    return out


def kmer_counts(sequences: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Counts ``(4**k,)`` of the k-mer tokens in ``sequences`` (token id arrays; specials and
    ``[UNK]`` are not counted)."""
    counts = np.zeros(4**k, dtype=np.int64)
    for s in sequences:
        ids = np.asarray(s, dtype=np.int64) - N_SPECIAL
        ids = ids[(ids >= 0) & (ids < 4**k)]
        counts += np.bincount(ids, minlength=4**k)
    return counts


def copy_predictions(original: np.ndarray, masked: np.ndarray, k: int, counts: np.ndarray):
    """The ``copy`` predictor for one sequence: token ids for the masked positions.

    ``original`` holds the sequence's k-mer token ids (no specials), ``masked`` marks the masked
    ones. Token ``t`` covers bases ``t .. t+k-1``; a base is known when an unmasked token covers
    it. Returns ``(n_masked,)`` predicted token ids.
    """
    n = original.size
    bases_of = kmer_bases(k)
    idx = original.astype(np.int64) - N_SPECIAL
    n_bases = n + k - 1
    bases = np.zeros(n_bases, dtype=np.uint8)
    known = np.zeros(n_bases, dtype=bool)
    for j in range(k):
        keep = ~masked & (idx >= 0) & (idx < 4**k)
        pos = np.flatnonzero(keep) + j
        bases[pos] = bases_of[idx[keep], j]
        known[pos] = True
    where = np.flatnonzero(masked)
    if where.size == 0:
        return np.zeros(0, dtype=np.int64)
    span = where[:, None] + np.arange(k)[None, :]  # (M, k) base positions of each masked token
    kb, vals = known[span], bases[span]
    # (M, 4**k): k-mers agreeing with every known base; score by training frequency
    agree = ((bases_of[None, :, :] == vals[:, None, :]) | ~kb[:, None, :]).all(-1)
    score = np.where(agree, counts[None, :] + 1, 0)
    return score.argmax(1) + N_SPECIAL


@torch.no_grad()
def reference_accuracies(
    sequences: Sequence[np.ndarray], collate_fn, batch_size: int, k: int, counts: np.ndarray
) -> dict[str, float]:
    """Accuracy of ``frequency`` and ``copy`` on the positions ``collate_fn`` masks.

    ``collate_fn`` must be a fresh collator with the same seed as the model's evaluation, so that
    the masked positions are the same. ``sequences`` are k-mer token arrays as the corpus stores
    them (the collator wraps them in ``[CLS]`` ... ``[SEP]``).
    """
    top = int(np.argmax(counts)) + N_SPECIAL
    n = correct_freq = correct_copy = 0
    for i in range(0, len(sequences), batch_size):
        batch = collate_fn([sequences[j] for j in range(i, min(i + batch_size, len(sequences)))])
        labels = batch["labels"].numpy()
        for row in range(labels.shape[0]):
            is_masked = labels[row] != -100
            if not is_masked.any():
                continue
            seq = np.asarray(sequences[i + row], dtype=np.int64)
            n_body = min(seq.size, labels.shape[1] - 2)  # the collator adds [CLS] ... [SEP]
            original, masked_body = seq[:n_body], is_masked[1 : 1 + n_body]
            truth = original[masked_body]
            correct_freq += int((truth == top).sum())
            correct_copy += int((copy_predictions(original, masked_body, k, counts) == truth).sum())
            n += int(masked_body.sum())
    if n == 0:
        return {"frequency_acc": float("nan"), "copy_acc": float("nan"), "n_masked": 0}
    return {"frequency_acc": correct_freq / n, "copy_acc": correct_copy / n, "n_masked": n}

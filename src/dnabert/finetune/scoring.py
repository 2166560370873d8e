"""Scoring with a fine-tuned classifier: every sequence cut into sub-windows of at most
``max_length`` tokens, the sub-windows' probabilities combined per sequence (``long_aggregate``,
see :mod:`dnabert.finetune`)."""

from __future__ import annotations

import numpy as np
import torch

from dnabert.finetune.data import pad_batch
from dnabert.hfmodels import DNABERT_SPECIALS, Specials
from dnabert.train import resolve_precision

LONG_AGGREGATES = ("max", "mean")


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

"""Per-nucleotide attention scores from a fine-tuned DNABERT classifier (the paper's DNABERT-viz).

Two token scores (``method``):

* ``last`` (DNABERT-viz, the default): the attention of ``[CLS]`` to every k-mer token in the last
  layer, summed over heads.
* ``rollout`` (Abnar & Zuidema 2020, "Quantifying attention flow in transformers"): each layer's
  head-averaged attention plus the identity for the residual path, rows renormalised, multiplied
  through the layers; the ``[CLS]`` row of the product. It follows what ``[CLS]`` reads back to
  the input tokens, which matters in shallow models whose last layer attends to tokens that
  already carry the signal (the demo's 2-layer model).

The row read is the head's: the ``[CLS]`` row for a model fine-tuned with ``pooling: cls`` (the
paper's), and for ``pooling: mean`` the mean of the k-mer tokens' rows (what the mean head
averages; :mod:`dnabert.pooling`).

Token scores are spread from k-mers to bases (base ``j`` gets the mean of the scores of the k-mers
that cover it, i.e. tokens ``j-k+1 .. j``) and each sequence's scores are divided by their L2 norm.
``[CLS]``, ``[SEP]`` and padding are excluded. Sequences longer than ``max_length - 2`` k-mers are
truncated; bases no kept k-mer covers score 0.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dnabert.tokenizer import PAD_ID, add_special_tokens, encode, read_vocab


def load_classifier(model_dir: str | os.PathLike):
    """Load a fine-tuned DNABERT classifier with eager attention and the head it was trained with
    (:func:`dnabert.pooling.load_finetuned`); returns (model, k).

    Eager attention is needed for ``output_attentions=True``. ``k`` comes from ``vocab.txt``.
    """
    from dnabert.pooling import load_finetuned

    model_dir = Path(model_dir)
    _, k = read_vocab(model_dir / "vocab.txt")
    model = load_finetuned(model_dir, attn_implementation="eager")
    model.eval()
    return model, k


def batch_ids(
    sequences: Sequence[str], k: int, max_length: int = 512
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids ``(B, T)`` int64 (``[CLS] kmers [SEP]``, right-padded) and attention mask ``(B, T)``."""
    pieces = [
        add_special_tokens(encode(s, k, record=f"sequence {i}"), max_length)[0]
        for i, s in enumerate(sequences)
    ]
    width = max(p.size for p in pieces)
    ids = np.full((len(pieces), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(pieces), width), dtype=np.int64)
    for i, p in enumerate(pieces):
        ids[i, : p.size] = p
        mask[i, : p.size] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def kmer_to_base(kmer_scores: np.ndarray, k: int, length: int) -> np.ndarray:
    """Spread scores of ``n`` overlapping k-mers (token ``i`` covers bases ``[i, i+k)``) to bases.

    Returns float64 ``(length,)``: base ``j`` gets the mean score of the k-mers covering it; bases
    covered by none (``j >= n + k - 1``, after truncation) get 0.
    """
    kmer_scores = np.asarray(kmer_scores, dtype=np.float64)
    n = kmer_scores.size
    total = np.zeros(length + k, dtype=np.float64)
    count = np.zeros(length + k, dtype=np.float64)
    for j in range(k):  # token i adds to base i + j
        total[j : j + n] += kmer_scores
        count[j : j + n] += 1
    total, count = total[:length], count[:length]
    return np.divide(total, count, out=np.zeros(length), where=count > 0)


def normalise(scores: np.ndarray) -> np.ndarray:
    """Divide by the L2 norm (DNABERT-viz); an all-zero vector stays zero."""
    norm = np.linalg.norm(scores)
    return scores / norm if norm > 0 else scores


METHODS = ("last", "rollout")


def head_scores(
    attentions: Sequence[torch.Tensor], method: str = "last", rows: torch.Tensor | None = None
) -> torch.Tensor:
    """Token scores ``(B, T)`` of the head's row from per-layer attentions ``(B, heads, T, T)``.

    ``rows`` ``(B, T)``: weights of the query rows the head reads (the mean head: 1 on k-mer
    tokens, see :func:`dnabert.pooling.kmer_mask`), averaged; None: the ``[CLS]`` row.
    ``last``: the last layer's row summed over heads. ``rollout``: the row of
    ``prod_l (0.5 * mean_heads(A_l) + 0.5 * I)`` (rows renormalised), last layer leftmost.
    Padding columns get 0 either way (the model gives them no attention).
    """
    if method == "last":
        matrix = attentions[-1].float().sum(dim=1)
    elif method == "rollout":
        first = attentions[0]
        eye = torch.eye(first.shape[-1], dtype=torch.float32, device=first.device)
        matrix = None
        for layer in attentions:
            a = 0.5 * layer.float().mean(dim=1) + 0.5 * eye
            a = a / a.sum(dim=-1, keepdim=True)
            matrix = a if matrix is None else a @ matrix  # later layers on the left
    else:
        raise ValueError(f"unknown attention method {method!r}; expected one of {METHODS}")
    if rows is None:
        return matrix[:, 0, :]
    w = rows.to(matrix.dtype)
    return (w.unsqueeze(-1) * matrix).sum(dim=1) / w.sum(dim=1, keepdim=True)


@torch.no_grad()
def attention_scores(
    model,
    k: int,
    sequences: Sequence[str],
    *,
    batch_size: int = 32,
    max_length: int = 512,
    method: str = "last",
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-base attention and class probabilities for ``sequences``.

    Returns ``(scores, probs)``: ``scores[i]`` float32 ``(len(sequences[i]),)``, L2-normalised;
    ``probs`` float32 ``(N, C)``. ``model`` must use eager attention (see :func:`load_classifier`);
    ``method`` is ``last`` or ``rollout`` (module docstring; checked by :func:`head_scores`).
    """
    from dnabert.pooling import kmer_mask, pooling_of

    mean_head = pooling_of(model.config) == "mean"
    device = next(model.parameters()).device
    scores: list[np.ndarray] = []
    probs = []
    starts = range(0, len(sequences), batch_size)
    for s in tqdm(starts, desc="attention", unit="batch", disable=None):
        chunk = sequences[s : s + batch_size]
        ids, mask = batch_ids(chunk, k, max_length)
        out = model(
            input_ids=ids.to(device), attention_mask=mask.to(device), output_attentions=True
        )
        rows = kmer_mask(ids, mask).to(device) if mean_head else None
        row = head_scores(out.attentions, method, rows).cpu().numpy()  # (B, T): the head's row
        probs.append(torch.softmax(out.logits.float(), dim=-1).cpu().numpy())
        for i, seq in enumerate(chunk):
            n_tok = int(mask[i].sum())
            kmer = row[i, 1 : n_tok - 1]  # drop [CLS] and [SEP]
            scores.append(normalise(kmer_to_base(kmer, k, len(seq))).astype(np.float32))
    n_classes = model.config.num_labels
    return scores, (np.concatenate(probs) if probs else np.zeros((0, n_classes), np.float32))


def stack_scores(scores: Sequence[np.ndarray]) -> np.ndarray:
    """``(N, max L)`` float32 with ``nan`` after each sequence's end."""
    width = max((s.size for s in scores), default=0)
    out = np.full((len(scores), width), np.nan, dtype=np.float32)
    for i, s in enumerate(scores):
        out[i, : s.size] = s
    return out

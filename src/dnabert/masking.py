"""k-span masking for masked-language-model pretraining, and length-bucketed batching.

Overlapping k-mers share k - 1 bases with each neighbour, so masking a lone token leaks its answer
through the tokens beside it. DNABERT therefore masks contiguous spans of k tokens: it samples
centre tokens and widens each to the span given by its ``MASK_LIST`` (k=3: centre-1..centre+1,
k=4: -1..+2, k=5: -2..+2, k=6: -2..+3). Spans are clipped at the sequence ends and never cover
``[CLS]``, ``[SEP]`` or padding. Centres are drawn with probability
``1 - (1 - mlm_probability) ** (1 / k)`` so that, away from the ends, the masked fraction is
``mlm_probability`` (paper ~15%). ``[UNK]`` counts as special (as in DNABERT, whose special
tokens mask covers it) and is never masked. Of the masked tokens 80% become ``[MASK]``, 10% a
random k-mer id (never a special token) and 10% stay; labels hold the original id on masked
positions and -100 elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler

from dnabert.tokenizer import CLS_ID, MASK_ID, N_SPECIAL, PAD_ID, SEP_ID, vocab_size

IGNORE_INDEX = -100
# DNABERT's MASK_LIST: offsets of a span's tokens relative to its centre (centre included).
SPAN_OFFSETS = {
    3: (-1, 0, 1),
    4: (-1, 0, 1, 2),
    5: (-2, -1, 0, 1, 2),
    6: (-2, -1, 0, 1, 2, 3),
}


def centre_probability(mlm_probability: float, k: int) -> float:
    """Per-token centre probability giving an expected masked fraction of ``mlm_probability``."""
    return 1.0 - (1.0 - mlm_probability) ** (1.0 / k)


def span_offsets(k: int, span: int | None = None) -> tuple[int, ...]:
    """Offsets of a span's tokens relative to its centre: DNABERT's ``MASK_LIST`` for
    ``span == k`` (the default), else ``span`` tokens centred the same way (``span`` 1: the centre
    alone). Spans shorter than k leak the masked k-mers through their neighbours (diagnostics)."""
    span = k if span is None else span
    if span == k:
        return SPAN_OFFSETS[k]
    if not 1 <= span <= k:
        raise ValueError(f"span must be in 1..{k}, got {span}")
    first = -((span - 1) // 2)
    return tuple(range(first, first + span))


def kmer_span_mask(
    maskable: torch.Tensor,
    k: int,
    centre_prob: float,
    generator: torch.Generator,
    span: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample span centres and widen them to k-token spans (``span`` tokens when given).

    ``maskable`` is bool ``(B, T)``, True on k-mer tokens (not specials or padding); maskable
    tokens of a row must be contiguous. Returns bool ``(masked, centres)`` of shape ``(B, T)``:
    ``masked`` is exactly the union of the spans ``centre + SPAN_OFFSETS[k]`` over the centres,
    restricted to maskable tokens (so spans are clipped at the sequence ends).
    """
    centres = (torch.rand(maskable.shape, generator=generator) < centre_prob) & maskable
    masked = torch.zeros_like(maskable)
    length = maskable.shape[1]
    for off in span_offsets(k, span):  # masked[:, t] |= centres[:, t - off]
        if off >= 0:
            masked[:, off:] |= centres[:, : length - off]
        else:
            masked[:, :off] |= centres[:, -off:]
    return masked & maskable, centres


class KmerSpanMaskCollator:
    """Collate k-mer id arrays into MLM batches with k-span masking.

    ``__call__(batch)`` takes a list of 1-D integer arrays (k-mer ids without special tokens; longer
    than ``max_length - 2`` are truncated), wraps each in ``[CLS] ... [SEP]``, right-pads with
    ``[PAD]`` to the longest row rounded up to ``pad_to_multiple_of`` and returns ``input_ids``,
    ``attention_mask`` and ``labels``, all ``torch.long`` of shape ``(B, T)``. Masking draws from
    a ``torch.Generator`` seeded with ``seed`` (random when None); ``state_dict()`` /
    ``load_state_dict()`` save and restore it so a resumed run masks identically. ``span``
    (default k, DNABERT) sets the tokens per masked span; shorter spans exist for the plateau
    diagnostics of ``benchmarks/mlm_plateau.py``.
    """

    def __init__(
        self,
        k: int,
        *,
        mlm_probability: float = 0.15,
        max_length: int = 512,
        pad_to_multiple_of: int | None = 8,
        seed: int | None = None,
        span: int | None = None,
    ):
        if k not in SPAN_OFFSETS:
            raise ValueError(f"k must be one of {sorted(SPAN_OFFSETS)}, got {k}")
        if not 0 < mlm_probability < 1:
            raise ValueError(f"mlm_probability must be in (0, 1), got {mlm_probability}")
        self.k = k
        self.mlm_probability = mlm_probability
        self.span = len(span_offsets(k, span))
        self.centre_prob = centre_probability(mlm_probability, self.span)
        self.max_length = max_length
        self.pad_to_multiple_of = pad_to_multiple_of
        self.vocab_size = vocab_size(k)
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])

    def pad(self, batch: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(input_ids, attention_mask)`` long ``(B, T)`` with specials added and padding."""
        body = self.max_length - 2
        lengths = [min(len(x), body) + 2 for x in batch]
        width = max(lengths, default=2)
        if self.pad_to_multiple_of:
            m = self.pad_to_multiple_of
            width = min(-(-width // m) * m, max(self.max_length, width))
        ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
        for row, (x, n) in enumerate(zip(batch, lengths, strict=True)):
            ids[row, 0] = CLS_ID
            ids[row, 1 : n - 1] = np.asarray(x[: n - 2])
            ids[row, n - 1] = SEP_ID
        input_ids = torch.from_numpy(ids)
        attention = torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]
        return input_ids, attention.long()

    def __call__(self, batch: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = self.pad(batch)
        maskable = input_ids >= N_SPECIAL  # k-mers only: specials ([UNK] too) and padding stay
        masked, _ = kmer_span_mask(maskable, self.k, self.centre_prob, self.generator, self.span)
        labels = torch.where(masked, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
        u = torch.rand(input_ids.shape, generator=self.generator)
        to_mask = masked & (u < 0.8)
        to_random = masked & (u >= 0.8) & (u < 0.9)
        random_ids = torch.randint(
            N_SPECIAL, self.vocab_size, input_ids.shape, generator=self.generator
        )
        input_ids = torch.where(to_mask, torch.full_like(input_ids, MASK_ID), input_ids)
        input_ids = torch.where(to_random, random_ids, input_ids)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


class LengthCurriculum:
    """A collator that cuts sequences into short pieces for the first optimizer steps.

    ``phases``: ``(tokens, steps)`` pairs, in order. Each call of the wrapped ``collate`` (one
    micro-batch; ``grad_accum`` of them make an optimizer step) during the first ``steps`` steps
    of a phase cuts every sequence of the batch into consecutive whole pieces of ``tokens`` k-mers
    (a shorter sequence stays whole) and collates the pieces: about the same tokens per step,
    in more, shorter rows. After the last phase sequences pass whole. The call count is part of
    ``state_dict()``, with the wrapped collator's state, so a resumed run continues the schedule
    exactly.
    """

    def __init__(self, collate, phases: Sequence[tuple[int, int]], grad_accum: int = 1):
        self.collate = collate
        self.phases = [(int(t), int(s)) for t, s in phases]
        self.grad_accum = max(1, int(grad_accum))
        self.calls = 0

    def tokens_at(self, step: int) -> int | None:
        """Piece length at optimizer step ``step`` (0-based), None for whole sequences."""
        for tokens, steps in self.phases:
            if step < steps:
                return tokens
            step -= steps
        return None

    def __call__(self, batch: Sequence[np.ndarray]) -> dict[str, torch.Tensor]:
        tokens = self.tokens_at(self.calls // self.grad_accum)
        self.calls += 1
        if tokens is not None:
            batch = [
                x[a : a + tokens] if len(x) >= tokens else x
                for x in batch
                for a in range(0, max(1, len(x) - tokens + 1), tokens)
            ]
        return self.collate(batch)

    def state_dict(self) -> dict:
        inner = self.collate.state_dict() if hasattr(self.collate, "state_dict") else None
        return {"calls": self.calls, "collate": inner}

    def load_state_dict(self, state: dict) -> None:
        self.calls = int(state["calls"])
        if state["collate"] is not None:
            self.collate.load_state_dict(state["collate"])


class LengthBucketSampler(Sampler[list[int]]):
    """Batches of indices with similar lengths, to waste little on padding.

    Each epoch: permute the indices (seeded by ``(seed, epoch)``; identity when ``shuffle`` is
    False), cut the permutation into buckets of ``batch_size * bucket_size_multiplier``, sort each
    bucket by length, cut the result into batches of ``batch_size`` and shuffle the batch order.
    With ``drop_last`` the one short batch is dropped. With ``num_replicas > 1`` each rank takes
    every ``num_replicas``-th batch (the batch count trimmed to a multiple of ``num_replicas``).
    """

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_size: int,
        *,
        seed: int,
        shuffle: bool = True,
        bucket_size_multiplier: int = 50,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
    ):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.bucket = batch_size * max(1, bucket_size_multiplier)
        self.drop_last = drop_last
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[np.ndarray]:
        """All batches of this epoch (before the per-rank selection)."""
        n = self.lengths.size
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        parts = []
        for s in range(0, n, self.bucket):
            b = order[s : s + self.bucket]
            parts.append(b[np.argsort(self.lengths[b], kind="stable")])
        flat = np.concatenate(parts) if parts else np.empty(0, np.int64)
        out = [flat[s : s + self.batch_size] for s in range(0, n, self.batch_size)]
        if self.drop_last and out and len(out[-1]) < self.batch_size:
            out.pop()
        if self.shuffle:
            out = [out[i] for i in rng.permutation(len(out))]
        return out

    def __iter__(self) -> Iterator[list[int]]:
        out = self.batches()
        if self.num_replicas > 1:
            out = out[: len(out) - len(out) % self.num_replicas][self.rank :: self.num_replicas]
        for b in out:
            yield b.tolist()

    def __len__(self) -> int:
        n = self.lengths.size // self.batch_size
        if not self.drop_last and self.lengths.size % self.batch_size:
            n += 1
        return n // self.num_replicas if self.num_replicas > 1 else n


def padding_fraction(
    lengths: Sequence[int] | np.ndarray,
    batches: Sequence[Sequence[int]],
    pad_to_multiple_of: int | None = 8,
    n_special: int = 2,
) -> float:
    """Fraction of the padded batch tensors that is padding.

    Each sequence occupies ``lengths[i] + n_special`` positions; a batch is padded to its longest
    row rounded up to ``pad_to_multiple_of``. Returns ``pad / (pad + real)``, 0.0 for no batches.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    real = total = 0
    for b in batches:
        ln = lengths[np.asarray(b, dtype=np.int64)] + n_special
        width = int(ln.max())
        if pad_to_multiple_of:
            width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
        real += int(ln.sum())
        total += width * len(ln)
    return 1.0 - real / total if total else 0.0

"""Motif discovery from high-attention regions (after DNABERT-viz's ``find_motifs``).

Steps, on per-base attention arrays (see :mod:`dnabert.attention`):

1. :func:`high_attention_regions`: in each positive sequence, maximal runs of bases whose score is
   above the sequence's mean *and* at least ``floor`` x its maximum, at least ``min_len`` long
   (0-based half-open ``[start, end)``).
2. Candidates: every ``width``-mer inside a region, kept when it occurs in at least
   ``min_instances`` regions.
3. Enrichment: ``x`` of the ``K`` positives and ``n - x`` of the ``N - K`` negatives contain the
   candidate (anywhere); one-sided hypergeometric p = P(X >= x) with ``scipy.stats.hypergeom``,
   Benjamini-Hochberg adjusted over all candidates (:func:`benjamini_hochberg`); keep q <=
   ``pval_cutoff``.
4. Merge (:func:`merge_kmers`): significant candidates (by p) join the first motif whose seed they
   (or, with ``both_strands``, their reverse complements) match with a shift of at most
   ``max_shift`` and at most one mismatch on the overlap.
5. Instances: each member occurrence inside a high-attention region, aligned to the seed (read on
   the reverse strand for reverse-complement members) and padded
   by ``flank`` bases, gives a count matrix ``(L, 4)`` (ACGT) -> consensus and a logo.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from dnabert.seq import reverse_complement

BASES = "ACGT"


def high_attention_regions(
    score: np.ndarray, *, floor: float = 0.5, min_len: int = 5
) -> list[tuple[int, int]]:
    """Runs ``[start, end)`` where ``score > mean`` and ``score >= floor * max``, length >= min_len.

    ``nan`` (past the sequence end) never qualifies. An all-zero score has no regions.
    """
    score = np.asarray(score, dtype=np.float64)
    valid = ~np.isnan(score)
    if not valid.any():
        return []
    s = np.where(valid, score, -np.inf)
    top = float(s.max())
    if top <= 0:
        return []
    cond = valid & (s > np.nanmean(score)) & (s >= floor * top)
    edges = np.diff(np.concatenate([[0], cond.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b - a >= min_len]


def benjamini_hochberg(pvalues: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as the input, capped at 1."""
    p = np.asarray(pvalues, dtype=np.float64)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(ranked, 1.0)
    return out


def enrichment_pvalue(x: int, n_pos: int, n_neg: int, n_with: int) -> float:
    """P(X >= x) for X ~ Hypergeom(population n_pos + n_neg, successes n_pos, draws n_with)."""
    return float(stats.hypergeom.sf(x - 1, n_pos + n_neg, n_pos, n_with))


def _kmers(seq: str, width: int) -> set[str]:
    return {seq[i : i + width] for i in range(len(seq) - width + 1)}


def _match(seed: str, kmer: str, max_shift: int) -> tuple[int, int] | None:
    """``(shift, mismatches)`` of ``kmer`` against ``seed``: the smallest shift with <= 1 mismatch
    on an overlap of at least ``len - max_shift``; None when no shift qualifies."""
    width = len(seed)
    for shift in sorted(range(-max_shift, max_shift + 1), key=lambda v: (abs(v), v)):
        a = seed[max(0, shift) : width + min(0, shift)]
        b = kmer[max(0, -shift) : width - max(0, shift)]
        mismatches = sum(x != y for x, y in zip(a, b, strict=True))
        if len(a) >= width - max_shift and mismatches <= 1:
            return shift, mismatches
    return None


def merge_kmers(
    kmers: Sequence[str], max_shift: int = 2, both_strands: bool = True
) -> list[dict[str, tuple[int, bool]]]:
    """Group k-mers (given best first) into motifs.

    Returns ``[{kmer: (shift, is_rc)}]``: ``kmer`` as it occurs in the sequences, ``shift`` of it
    (or, when ``is_rc``, of its reverse complement) against the group's seed (the first member).
    With ``both_strands`` a k-mer whose reverse complement matches a seed joins that group, so a
    TF motif seen on either strand gives one motif.
    """
    groups: list[dict[str, tuple[int, bool]]] = []
    for km in kmers:
        for g in groups:
            seed = next(iter(g))
            options = [(_match(seed, km, max_shift), False)]
            if both_strands:
                options.append((_match(seed, reverse_complement(km), max_shift), True))
            options = [(m, rc) for m, rc in options if m is not None]
            if options:  # the closer alignment: smaller shift + mismatches, forward on ties
                (shift, _), rc = min(options, key=lambda o: (abs(o[0][0]) + o[0][1], o[1]))
                g[km] = (shift, rc)
                break
        else:
            groups.append({km: (0, False)})
    return groups


@dataclass
class Motif:
    """One discovered motif: its members, enrichment and aligned instances."""

    consensus: str
    seed: str
    members: list[str]
    n_pos: int
    n_neg: int
    pvalue: float
    qvalue: float
    counts: np.ndarray  # (L, 4) ACGT counts of the aligned instances
    instances: list[tuple[int, int, int]] = field(default_factory=list)  # (seq, start, end)


def consensus(counts: np.ndarray, min_bits: float = 1.0) -> str:
    """Argmax bases of ``counts`` ``(L, 4)``, trimmed to the span of positions with >= min_bits."""
    from dnabert.plotting import information_matrix

    info = information_matrix(counts).sum(axis=1)
    keep = np.flatnonzero(info >= min_bits)
    if keep.size == 0:
        return ""
    rows = counts[keep[0] : keep[-1] + 1]
    return "".join(BASES[i] if r.sum() else "N" for i, r in zip(rows.argmax(1), rows, strict=True))


def find_motifs(
    sequences: Sequence[str],
    scores: Sequence[np.ndarray],
    labels: Sequence[int],
    *,
    positive_label: int = 1,
    width: int = 6,
    floor: float = 0.5,
    min_len: int = 5,
    min_instances: int = 3,
    pval_cutoff: float = 0.005,
    max_shift: int = 2,
    both_strands: bool = True,
    flank: int = 2,
    max_motifs: int = 10,
) -> list[Motif]:
    """Discover motifs enriched in high-attention regions of positives (see the module doc).

    ``sequences[i]`` (upper-case ACGTN) and ``scores[i]`` (per-base, same length) pair up;
    ``labels[i] == positive_label`` marks positives, every other label a negative. Returns at most
    ``max_motifs`` motifs, most significant first (empty when nothing passes).
    """
    labels = np.asarray(labels)
    pos = np.flatnonzero(labels == positive_label)
    neg = np.flatnonzero(labels != positive_label)
    if pos.size == 0 or neg.size == 0:
        return []
    regions = {int(i): high_attention_regions(scores[i], floor=floor, min_len=min_len) for i in pos}
    in_regions: Counter[str] = Counter()
    for i, regs in regions.items():
        for a, b in regs:
            in_regions.update(_kmers(sequences[i][a:b], width))
    candidates = sorted(km for km, c in in_regions.items() if c >= min_instances and "N" not in km)
    if not candidates:
        return []
    containing: dict[str, set[int]] = defaultdict(set)
    wanted = set(candidates)
    for i, seq in enumerate(sequences):
        for km in _kmers(seq, width) & wanted:
            containing[km].add(i)
    pos_set = set(pos.tolist())
    rows = []
    for km in candidates:
        with_km = containing[km]
        x = len(with_km & pos_set)
        rows.append(
            (km, x, len(with_km) - x, enrichment_pvalue(x, pos.size, neg.size, len(with_km)))
        )
    q = benjamini_hochberg([r[3] for r in rows])
    sig = sorted(
        (r + (qv,) for r, qv in zip(rows, q, strict=True) if qv <= pval_cutoff),
        key=lambda r: (r[3], -r[1], r[0]),
    )
    groups = merge_kmers([r[0] for r in sig], max_shift=max_shift, both_strands=both_strands)
    by_kmer = {r[0]: r for r in sig}
    motifs = []
    for g in groups:
        motifs.append(
            _build_motif(
                g, by_kmer, sequences, regions, containing, pos_set, width, flank, max_shift
            )
        )
    motifs = [m for m in motifs if len(m.instances) >= min_instances]
    return motifs[:max_motifs]


def _build_motif(group, by_kmer, sequences, regions, containing, pos_set, width, flank, max_shift):
    seed = next(iter(group))
    seqs_with = set().union(*(containing[km] for km in group))
    x = len(seqs_with & pos_set)
    n_pos, n_neg = x, len(seqs_with) - x
    best = by_kmer[seed]
    span = width + 2 * (flank + max_shift)
    counts = np.zeros((span, 4), dtype=np.float64)
    instances = []
    seen: set[tuple[int, bool, int]] = set()
    pad = flank + max_shift
    for i, regs in regions.items():
        fwd = sequences[i]
        rev = reverse_complement(fwd)
        n = len(fwd)
        for a, b in regs:
            for km, (shift, is_rc) in group.items():
                # search the seed's orientation: the reverse strand for reverse-complement members
                seq, target = (rev, reverse_complement(km)) if is_rc else (fwd, km)
                lo, hi = (n - b, n - a) if is_rc else (a, b)
                start = seq.find(target, lo)
                while start != -1 and start + width <= hi:
                    origin = start - shift - pad  # seed-aligned window start on this strand
                    key = (i, is_rc, origin)
                    if key not in seen:  # the same site found through another member
                        seen.add(key)
                        for j in range(span):
                            p = origin + j
                            if 0 <= p < n and seq[p] in BASES:
                                counts[j, BASES.index(seq[p])] += 1
                        fs = n - start - width if is_rc else start
                        instances.append((i, fs, fs + width))
                    start = seq.find(target, start + 1)
    return Motif(
        consensus=consensus(counts) or seed,
        seed=seed,
        members=sorted(group),
        n_pos=n_pos,
        n_neg=n_neg,
        pvalue=best[3],
        qvalue=best[4],
        counts=counts,
        instances=sorted(set(instances)),
    )

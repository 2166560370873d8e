"""TF-binding datasets: 101 bp windows centred on ChIP-seq peak summits, with negatives.

Peaks are ENCODE narrowPeak (BED6+4, 0-based half-open; column 10 ``peak`` is the summit's
0-based offset from ``chromStart``, ``-1`` when not called, in which case the midpoint
``(end - start) // 2`` is used). The window of width ``w`` is
``[summit - w//2, summit - w//2 + w)``, so the summit sits at index ``w//2`` (50 for 101 bp).
Peaks are unstranded; windows are read on ``+``.

Negatives (config ``datasets.tf.negatives``):

- ``shuffle`` (Zeng et al. 2016; the paper): each positive shuffled with its dinucleotide counts
  kept exactly (:func:`dinuc_shuffle`, Altschul & Erickson 1985), source ``shuffle``. Implemented
  here rather than with the ``ushuffle`` package, a C extension that would need a compiler at
  install time; the property tests check exact counts, fixed ends, seeding and uniformity.
- ``gc_matched`` (DESSO): genomic windows from the canonical chromosomes that overlap no peak and
  no blacklist region and hold no ``N``, one per positive, with GC content in the same bin of
  width ``gc_tolerance`` as that positive; source ``genome``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pybedtools
import pysam
from tqdm import tqdm

from dnabert.datasets.windows import fetch_window
from dnabert.genome import open_fasta
from dnabert.seq import gc_content
from dnabert.textio import bed_lines

log = logging.getLogger(__name__)

NARROWPEAK_COLUMNS = [
    "chrom", "start", "end", "name", "score", "strand", "signalValue", "pValue", "qValue", "peak",
]  # fmt: skip
COLUMNS = ["sequence", "label", "chrom", "start", "end", "strand", "source"]


class PeakFileError(ValueError):
    """A narrowPeak file is malformed or empty; the message names the file (and line)."""


def read_narrowpeak(path: str | Path) -> pd.DataFrame:
    """Read a narrowPeak file (plain or gzip) into a DataFrame with :data:`NARROWPEAK_COLUMNS`.

    ``start``, ``end``, ``peak`` are int64 and ``signalValue``, ``pValue``, ``qValue`` float64;
    ``peak == -1`` is replaced by the midpoint offset ``(end - start) // 2``. ``track``,
    ``browser`` and ``#`` lines are skipped. Raises :class:`PeakFileError` naming the file and
    1-based line for a row without exactly 10 tab-separated columns, non-numeric fields,
    ``start < 0``, ``start >= end`` or ``peak`` outside ``[0, end - start)``, and naming the file
    when it holds no peaks at all.
    """
    path = Path(path)
    rows = []
    for lineno, line in bed_lines(path):
        f = line.rstrip("\n").split("\t")
        where = f"{path}:{lineno}"
        if len(f) != 10:
            raise PeakFileError(f"{where}: expected 10 narrowPeak columns, found {len(f)}")
        try:
            start, end, peak = int(f[1]), int(f[2]), int(f[9])
            values = float(f[6]), float(f[7]), float(f[8])
        except ValueError:
            raise PeakFileError(
                f"{where}: start, end, peak must be integers and columns 7-9 numbers"
            ) from None
        if start < 0 or start >= end:
            raise PeakFileError(f"{where}: expected 0 <= start < end, got {start}, {end}")
        if peak == -1:
            peak = (end - start) // 2
        elif not 0 <= peak < end - start:
            raise PeakFileError(
                f"{where}: peak offset {peak} outside [0, {end - start}) (or -1 for none)"
            )
        rows.append((f[0], start, end, f[3], f[4], f[5], *values, peak))
    if not rows:
        raise PeakFileError(f"{path}: no peaks (empty narrowPeak file)")
    df = pd.DataFrame(rows, columns=NARROWPEAK_COLUMNS)
    return df.astype({"start": "int64", "end": "int64", "peak": "int64"})


def write_narrowpeak(df: pd.DataFrame, path: str | Path) -> None:
    """Write :data:`NARROWPEAK_COLUMNS` as narrowPeak (gzip when ``path`` ends in ``.gz``)."""
    df[NARROWPEAK_COLUMNS].to_csv(path, sep="\t", header=False, index=False)


def _read_bed3(path: str | Path | None) -> pd.DataFrame:
    if path is None:
        return pd.DataFrame({"chrom": [], "start": [], "end": []})
    rows = []
    for lineno, line in bed_lines(path):
        # TAB-delimited BED (the blacklist's 4th column holds spaces); blank-delimited
        # only when a line has no TAB at all
        f = line.rstrip("\r\n").split("\t") if "\t" in line else line.split()
        try:
            rows.append((f[0], int(f[1]), int(f[2])))
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{lineno}: expected BED chrom, start, end") from None
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def process_peaks(
    peaks: pd.DataFrame,
    *,
    chrom_sizes: dict[str, int],
    canonical: Iterable[str] | None = None,
    blacklist_bed: str | Path | None = None,
    top_n: int | None = None,
    width: int = 101,
) -> tuple[pd.DataFrame, dict]:
    """Turn peaks into summit-centred windows.

    Steps, each counted in ``stats``: drop peaks on chromosomes missing from ``chrom_sizes``
    (``unknown_chromosome``) or not in ``canonical`` (``non_canonical``; None keeps all known);
    window ``[summit - width//2, summit - width//2 + width)`` with ``summit = start + peak``;
    drop windows running off the chromosome (``out_of_bounds``); drop windows overlapping the
    blacklist by at least 1 bp (``blacklisted``, ``bedtools intersect -v``); keep one peak per
    ``(chrom, summit)`` (the highest ``signalValue``; ``duplicate_summits``); sort by
    ``signalValue`` descending (ties by position) and keep the first ``top_n``.

    Returns ``(windows, stats)``; ``windows`` has ``chrom, start, end, summit, signalValue``
    (0-based half-open, int64).
    """
    stats = {"peaks_in": len(peaks)}
    df = peaks.copy()
    known = df.chrom.isin(chrom_sizes.keys())
    stats["unknown_chromosome"] = int((~known).sum())
    df = df[known]
    if canonical is not None:
        keep = df.chrom.isin(set(canonical))
        stats["non_canonical"] = int((~keep).sum())
        df = df[keep]
    else:
        stats["non_canonical"] = 0
    summit = df.start + df.peak
    out = pd.DataFrame(
        {
            "chrom": df.chrom.to_numpy(),
            "start": (summit - width // 2).to_numpy(),
            "end": (summit - width // 2 + width).to_numpy(),
            "summit": summit.to_numpy(),
            "signalValue": df.signalValue.to_numpy(),
        }
    )
    inside = (out.start >= 0) & (out.end <= out.chrom.map(chrom_sizes).astype("int64"))
    stats["out_of_bounds"] = int((~inside).sum())
    out = out[inside].reset_index(drop=True)
    stats["blacklisted"] = 0
    if blacklist_bed is not None and len(out):
        keep_idx = _outside_blacklist(out, blacklist_bed)
        stats["blacklisted"] = len(out) - len(keep_idx)
        out = out.loc[keep_idx]
    out = out.sort_values(
        ["signalValue", "chrom", "summit"], ascending=[False, True, True], kind="mergesort"
    )
    before = len(out)
    out = out.drop_duplicates(["chrom", "summit"], keep="first")
    stats["duplicate_summits"] = before - len(out)
    if top_n is not None:
        stats["beyond_top_n"] = max(len(out) - top_n, 0)
        out = out.head(top_n)
    stats["windows"] = len(out)
    return out.reset_index(drop=True).astype({"start": "int64", "end": "int64"}), stats


def _outside_blacklist(windows: pd.DataFrame, blacklist_bed: str | Path) -> list[int]:
    """Row labels of ``windows`` that overlap no blacklist interval (pybedtools ``-v``)."""
    bed = windows[["chrom", "start", "end"]].copy()
    bed["name"] = windows.index.astype(str)
    a = pybedtools.BedTool.from_dataframe(bed)
    kept = None
    try:
        kept = a.intersect(pybedtools.BedTool(str(blacklist_bed)), v=True)
        return [int(iv.name) for iv in kept]
    finally:
        # Remove only our own temporaries: pybedtools.cleanup() would also delete other
        # BedTools' files in this process.
        for tool in (a, kept):
            if tool is not None and isinstance(tool.fn, str) and os.path.exists(tool.fn):
                os.unlink(tool.fn)


def dinuc_shuffle(seq: str, rng: np.random.Generator) -> str:
    """Shuffle ``seq`` keeping every dinucleotide count exactly (Altschul & Erickson 1985).

    The sequence is an Eulerian path through the multigraph whose vertices are letters and whose
    edges are its ``len(seq) - 1`` overlapping dinucleotides. A uniformly random path with the
    same first letter and the same edges is drawn by (1) choosing for each vertex other than the
    last letter a random *last* outgoing edge, repeating until these edges form a tree pointing
    to the last letter (otherwise the walk would strand), (2) shuffling each vertex's other edges,
    (3) walking from the first letter. Sequences shorter than 3 are returned unchanged; the
    first and last letters never move. Deterministic for a given ``rng`` state.
    """
    n = len(seq)
    if n < 3:
        return seq
    succ: dict[str, list[str]] = {}
    for a, b in zip(seq, seq[1:], strict=False):
        succ.setdefault(a, []).append(b)
    last = seq[-1]
    vertices = [v for v in succ if v != last]
    while True:
        last_edge = {v: int(rng.integers(len(succ[v]))) for v in vertices}
        if _is_tree_to(last, {v: succ[v][i] for v, i in last_edge.items()}):
            break
    order: dict[str, list[str]] = {}
    for v, edges in succ.items():
        if v == last:
            order[v] = [edges[i] for i in rng.permutation(len(edges))]
            continue
        i_last = last_edge[v]
        rest = edges[:i_last] + edges[i_last + 1 :]
        order[v] = [rest[i] for i in rng.permutation(len(rest))] + [edges[i_last]]
    pos = dict.fromkeys(order, 0)
    out = [seq[0]]
    cur = seq[0]
    for _ in range(n - 1):
        nxt = order[cur][pos[cur]]
        pos[cur] += 1
        out.append(nxt)
        cur = nxt
    return "".join(out)


def _is_tree_to(root: str, parent: dict[str, str]) -> bool:
    """True when following ``parent`` from every vertex reaches ``root`` (no cycle)."""
    reaches = {root}
    for v in parent:
        path = []
        while v not in reaches:
            if v in path:
                return False
            path.append(v)
            v = parent[v]
        reaches.update(path)
    return True


def _gc_bin(gc: float, tolerance: float) -> int:
    return min(int(gc / tolerance), int(1 / tolerance))


def gc_matched_background(
    fasta: pysam.FastaFile,
    positives: list[str],
    *,
    chrom_sizes: dict[str, int],
    canonical: Iterable[str],
    exclude: pd.DataFrame,
    width: int,
    gc_tolerance: float,
    rng: np.random.Generator,
    max_draws_per_window: int = 500,
) -> tuple[list[tuple[str, int, int, str]], dict]:
    """Random genomic windows GC-matched to ``positives`` (one per positive, binned GC).

    Candidates are drawn uniformly over ``canonical`` chromosomes (weighted by length); a
    candidate is rejected when it overlaps ``exclude`` (BED3 frame: peaks and blacklist), holds
    an ``N``, or falls in a GC bin (width ``gc_tolerance``) already filled. Returns
    ``([(chrom, start, end, sequence)], stats)``; ``gc_unmatched`` counts positives without a
    match after ``max_draws_per_window * len(positives)`` draws.
    """
    chroms = [c for c in canonical if c in chrom_sizes and chrom_sizes[c] > width]
    lengths = np.array([chrom_sizes[c] - width for c in chroms], dtype=np.float64)
    need: dict[int, int] = {}
    for s in positives:
        b = _gc_bin(gc_content(s), gc_tolerance)
        need[b] = need.get(b, 0) + 1
    merged = {}
    for chrom, grp in exclude.groupby("chrom"):
        iv = sorted(zip(grp.start, grp.end, strict=True))
        m: list[list[int]] = []
        for s, e in iv:
            if m and s <= m[-1][1]:
                m[-1][1] = max(m[-1][1], e)
            else:
                m.append([s, e])
        arr = np.asarray(m, dtype=np.int64).reshape(-1, 2)
        merged[chrom] = (arr[:, 0], arr[:, 1])
    out, seen, draws = [], set(), 0
    total = len(positives)
    budget = max_draws_per_window * total
    with tqdm(total=total, desc="gc-matched background", disable=None) as bar:
        while len(out) < total and draws < budget and chroms:
            ci = rng.choice(len(chroms), size=1024, p=lengths / lengths.sum())
            us = rng.random(1024)
            for c, u in zip(ci, us, strict=True):
                draws += 1
                chrom = chroms[c]
                start = int(u * lengths[c])
                end = start + width
                if (chrom, start) in seen:
                    continue
                if chrom in merged:
                    starts, ends = merged[chrom]
                    i = int(np.searchsorted(ends, start, side="right"))
                    if i < len(starts) and starts[i] < end:
                        continue
                seq = fetch_window(fasta, chrom, start, end)
                if "N" in seq:
                    continue
                b = _gc_bin(gc_content(seq), gc_tolerance)
                if need.get(b, 0) <= 0:
                    continue
                need[b] -= 1
                seen.add((chrom, start))
                out.append((chrom, start, end, seq))
                bar.update(1)
                if len(out) >= total:
                    break
    return out, {"gc_draws": draws, "gc_unmatched": total - len(out)}


def build_tf_task(
    peaks_path: str | Path,
    fasta: str | Path,
    *,
    chrom_sizes: dict[str, int] | None = None,
    canonical: Iterable[str] | None = None,
    blacklist_bed: str | Path | None = None,
    top_n: int | None = None,
    width: int = 101,
    negatives: str = "shuffle",
    gc_tolerance: float = 0.02,
    seed: int = 42,
) -> tuple[pd.DataFrame, dict]:
    """Build one TF task: positives (label 1) at summits and negatives (label 0).

    ``chrom_sizes`` defaults to the FASTA's sequence lengths. Positive windows holding ``N`` are
    dropped (``windows_with_N``); other letters raise naming the peak file and window. Shuffled
    negatives identical to their positive (possible for low-complexity windows) are redrawn up to
    10 times, then dropped (``shuffle_identical``). Returns ``(df, stats)`` with the common
    writer's columns; positives' source is ``peak``.
    """
    if negatives not in ("shuffle", "gc_matched"):
        raise ValueError(f"negatives must be 'shuffle' or 'gc_matched', got {negatives!r}")
    peaks = read_narrowpeak(peaks_path)
    fa = open_fasta(fasta)
    try:
        if chrom_sizes is None:
            chrom_sizes = dict(zip(fa.references, fa.lengths, strict=True))
        windows, stats = process_peaks(
            peaks, chrom_sizes=chrom_sizes, canonical=canonical, blacklist_bed=blacklist_bed,
            top_n=top_n, width=width,
        )  # fmt: skip
        rows, stats["windows_with_N"] = [], 0
        for chrom, start, end in windows[["chrom", "start", "end"]].itertuples(index=False):
            seq = fetch_window(fa, chrom, start, end)
            if "N" in seq:
                stats["windows_with_N"] += 1
                continue
            rows.append((seq, 1, chrom, start, end, "+", "peak"))
        rng = np.random.default_rng(seed)
        if negatives == "shuffle":
            stats["shuffle_identical"] = 0
            for seq, _, chrom, start, end, _, _ in tqdm(rows[:], desc="shuffle", disable=None):
                for _ in range(10):
                    neg = dinuc_shuffle(seq, rng)
                    if neg != seq:
                        rows.append((neg, 0, chrom, start, end, "+", "shuffle"))
                        break
                else:
                    stats["shuffle_identical"] += 1
        else:
            exclude = pd.concat(
                [peaks[["chrom", "start", "end"]], windows[["chrom", "start", "end"]],
                 _read_bed3(blacklist_bed)],
                ignore_index=True,
            )  # fmt: skip
            canon = list(canonical) if canonical is not None else list(chrom_sizes)
            bg, bg_stats = gc_matched_background(
                fa, [r[0] for r in rows], chrom_sizes=chrom_sizes, canonical=canon,
                exclude=exclude, width=width, gc_tolerance=gc_tolerance, rng=rng,
            )  # fmt: skip
            stats.update(bg_stats)
            rows.extend((seq, 0, c, s, e, "+", "genome") for c, s, e, seq in bg)
    finally:
        fa.close()
    stats["positives"] = sum(1 for r in rows if r[1] == 1)
    stats["negatives"] = len(rows) - stats["positives"]
    stats["negatives_method"] = negatives
    stats["summit_index"] = width // 2
    df = pd.DataFrame(rows, columns=COLUMNS).astype({"label": "int64"})
    return df, stats

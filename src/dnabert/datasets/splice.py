"""Splice-site dataset: donor, acceptor and non-splice windows from a GTF annotation.

Labels
------
``0`` = non-splice, ``1`` = donor, ``2`` = acceptor. (SpliceFinder orders its softmax
differently in places; the order here is fixed by this module and recorded in ``summary.json``
under ``labels``.)

Coordinates and the window
--------------------------
GTF ``start``/``end`` are 1-based inclusive; :func:`read_gtf_transcripts` converts exons to
0-based half-open ``[start, end)``. Between exon ``i`` (ending at ``e``, exclusive) and exon
``i+1`` (starting at ``s``) lies the intron ``[e, s)``. A site is described by its *junction*
``J``: the 0-based boundary between the exon base and the intron base.

- ``+`` strand: donor ``J = e`` (intron's first base is ``genome[e]``); acceptor ``J = s``.
- ``-`` strand: donor ``J = s`` (intron's first base on the transcript strand is
  ``genome[s-1]``); acceptor ``J = e``.

Every window is the genomic interval ``[J - window//2, J + window//2)``, reverse-complemented on
``-``. So on the transcript strand, with the default 400 bp window, the exon/intron boundary lies
between indices 199 and 200:

- donor: the intron's first base is at index 200, so ``window[200:202] == "GT"`` when canonical;
- acceptor: the intron's last base is at index 199, so ``window[198:200] == "AG"`` when canonical.

Non-splice windows use the same geometry with ``J`` a random position inside a transcript of the
chosen types, at least ``min_distance`` from every annotated junction of *any* transcript (both
strands). A share ``decoy_fraction`` of them are decoys: half with ``GT`` at ``[c, c+2)`` and
half with ``AG`` at ``[c-2, c)`` (``c = window//2``), like DNABERT's reconstructed set (about
two thirds). The rest are random positions. Windows with ``N`` are never used (counted).

Hard negatives (the baselines issue)
------------------------------------
SpliceFinder's reconstruction adds the baseline's own false positives to the non-splice class.
The hook is the ``hard_negatives`` argument of :func:`build_splice` (config key
``datasets.splice.hard_negatives``: a BED path or null). The baselines issue trains the
SpliceFinder CNN on the first build, scans genic sequence, writes the positions it wrongly calls
donor/acceptor as BED6 (``chrom, start, end, name, score, strand``; the site ``J`` is
``(start + end) // 2``, so a 1 bp interval ``[J, J+1)`` or a window-long interval centred on
``J`` both work), points the config key at that file, and the rule ``build_splice_dataset``
(which lists the file as an input) rebuilds ``results/datasets/splice``. Hard negatives join
class 0 with source ``hard_negative``; those exactly at an annotated junction of the same
strand are dropped and counted (they are not negatives).

Reading the GTF is :mod:`dnabert.datasets.gtf`'s (its names are importable from here too).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
from tqdm import tqdm

from dnabert.datasets.common import COLUMNS
from dnabert.datasets.gtf import (  # noqa: F401 -- re-exported: callers import them here
    GTFError,
    Transcript,
    is_selected,
    read_gtf_transcripts,
)
from dnabert.datasets.windows import fetch_window as fetch_plus_strand
from dnabert.genome import open_fasta
from dnabert.seq import reverse_complement
from dnabert.textio import bed_lines

log = logging.getLogger(__name__)

LABELS = {"non_splice": 0, "donor": 1, "acceptor": 2}


def splice_junctions(tx: Transcript) -> Iterator[tuple[str, int, tuple[int, int]]]:
    """Yield ``(kind, J, intron)`` for each intron of ``tx``; ``kind`` is donor/acceptor.

    ``intron`` is 0-based half-open. Touching or overlapping consecutive exons (no intron) are
    skipped.
    """
    for (_, e), (s, _) in zip(tx.exons, tx.exons[1:], strict=False):
        if s <= e:
            continue
        if tx.strand == "+":
            yield "donor", e, (e, s)
            yield "acceptor", s, (e, s)
        else:
            yield "donor", s, (e, s)
            yield "acceptor", e, (e, s)


def window_interval(junction: int, window: int) -> tuple[int, int]:
    """The 0-based half-open genomic window ``[J - window//2, J + window//2)``."""
    half = window // 2
    return junction - half, junction + half


def fetch_window(
    fasta: pysam.FastaFile, chrom: str, junction: int, strand: str, window: int
) -> tuple[str, int, int]:
    """``(sequence, start, end)`` of the window at ``junction``, read on ``strand`` (upper-case).

    The caller checks the window lies inside the chromosome.
    """
    start, end = window_interval(junction, window)
    seq = fetch_plus_strand(fasta, chrom, start, end)
    return (reverse_complement(seq) if strand == "-" else seq), start, end


def read_sites_bed(path: str | Path) -> pd.DataFrame:
    """Read hard-negative sites from BED (>= 3 columns; strand in column 6, default ``+``).

    Returns columns ``chrom, pos, strand`` with ``pos = (start + end) // 2``. Errors name the
    file and line.
    """
    rows = []
    for lineno, line in bed_lines(path):
        f = line.rstrip("\n").split("\t")
        try:
            start, end = int(f[1]), int(f[2])
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{lineno}: expected BED chrom<TAB>start<TAB>end") from None
        strand = f[5] if len(f) > 5 else "+"
        if start < 0 or end <= start or strand not in ("+", "-"):
            raise ValueError(f"{path}:{lineno}: expected 0 <= start < end and strand +/-")
        rows.append((f[0], (start + end) // 2, strand))
    return pd.DataFrame(rows, columns=["chrom", "pos", "strand"])


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def build_splice(
    fasta: str | Path,
    gtf: str | Path,
    *,
    canonical: Iterable[str] | None = None,
    transcript_types: Iterable[str] | None = ("protein_coding",),
    window: int = 400,
    n_nonsplice: int | None = None,
    nonsplice_ratio: float = 1.0,
    decoy_fraction: float = 0.66,
    min_distance: int = 200,
    seed: int = 42,
    hard_negatives: pd.DataFrame | str | Path | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Build the three-class splice dataset.

    Args:
        fasta: indexed (or indexable) FASTA; pysam writes ``.fai`` beside it if missing.
        gtf: GENCODE/Ensembl GTF (plain or gzip).
        canonical: chromosomes to use (None = every chromosome of the FASTA).
        transcript_types: transcript types whose multi-exon transcripts give sites and genic
            regions; empty/None = all types.
        window: even window length (400 in the paper).
        n_nonsplice: number of non-splice windows (before hard negatives); None = ``round(
            nonsplice_ratio * mean(n_donor, n_acceptor))``, so 1.0 balances the three classes.
        decoy_fraction: share of the non-splice windows carrying GT/AG at the centre offsets.
        min_distance: minimum ``|J - junction|`` between a non-splice window and any annotated
            junction (any transcript type, either strand).
        seed: seed of the non-splice sampling.
        hard_negatives: extra class-0 sites, a DataFrame ``chrom, pos, strand`` or a BED path
            (see the module docstring).

    Returns:
        ``(df, stats)``: ``df`` has the columns of the common writer (``sequence`` upper-case
        ``ACGT``, length ``window``; ``start``/``end`` the 0-based half-open genomic window;
        ``source`` ``donor:<transcript>``, ``acceptor:<transcript>``, ``decoy_gt``, ``decoy_ag``,
        ``random`` or ``hard_negative``); ``stats`` counts what was dropped and why, and the
        share of donors with ``GT`` at ``[c, c+2)`` and acceptors with ``AG`` at ``[c-2, c)``.

    Transcripts on chromosomes missing from the FASTA or outside ``canonical`` are skipped and
    counted; windows running off the chromosome or holding ``N`` are dropped and counted; a
    letter other than ``ACGTN`` raises :class:`dnabert.seq.SequenceError` naming the window.
    """
    if window < 4 or window % 2:
        raise ValueError(f"window must be an even number >= 4, got {window}")
    if not 0.0 <= decoy_fraction <= 1.0:
        raise ValueError(f"decoy_fraction must be in [0, 1], got {decoy_fraction}")
    centre = window // 2
    fa = open_fasta(fasta)
    sizes = dict(zip(fa.references, fa.lengths, strict=True))
    transcripts = read_gtf_transcripts(gtf, sizes)
    if not transcripts:
        raise GTFError(f"{gtf}: no exon lines, so no splice sites; expected a GTF with exons")
    allowed = set(canonical) if canonical is not None else set(sizes)
    stats: dict = {
        "labels": dict(LABELS),
        "window": window,
        "site_offsets": {"donor_GT": [centre, centre + 2], "acceptor_AG": [centre - 2, centre]},
        "transcripts": len(transcripts),
        "transcripts_unknown_chromosome": 0,
        "transcripts_non_canonical": 0,
        "transcripts_selected_multi_exon": 0,
        "sites_out_of_bounds": 0,
        "sites_with_N": 0,
    }

    # Every annotated junction of every transcript, per chromosome, for the distance rule.
    all_junctions: dict[str, list[int]] = {}
    sites: dict[tuple[str, int, str, str], str] = {}
    genic: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for tx in transcripts.values():
        for _, junction, _ in splice_junctions(tx):
            all_junctions.setdefault(tx.chrom, []).append(junction)
        if tx.chrom not in sizes:
            stats["transcripts_unknown_chromosome"] += 1
            continue
        if tx.chrom not in allowed:
            stats["transcripts_non_canonical"] += 1
            continue
        if not is_selected(tx, transcript_types) or len(tx.exons) < 2:
            continue
        stats["transcripts_selected_multi_exon"] += 1
        genic.setdefault((tx.chrom, tx.strand), []).append(tx.span)
        for kind, junction, _ in splice_junctions(tx):
            sites.setdefault((tx.chrom, junction, tx.strand, kind), tx.transcript_id)
    if not sites:
        raise GTFError(
            f"{gtf}: none of its {len(transcripts)} transcripts gives a splice site: "
            f"{stats['transcripts_unknown_chromosome']} are on chromosomes missing from {fasta}, "
            f"{stats['transcripts_non_canonical']} on non-canonical ones, the others are "
            f"single-exon or not of the selected types {sorted(transcript_types or [])}"
        )
    junction_arrays = {
        c: np.unique(np.asarray(v, dtype=np.int64)) for c, v in all_junctions.items()
    }
    if stats["transcripts_unknown_chromosome"]:
        log.warning(
            "%s: %d transcripts on chromosomes missing from %s were skipped",
            gtf,
            stats["transcripts_unknown_chromosome"],
            fasta,
        )

    rows = []
    canon = {"donor": 0, "acceptor": 0}
    for (chrom, junction, strand, kind), tid in tqdm(
        sorted(sites.items()), desc="splice sites", disable=None
    ):
        start, end = window_interval(junction, window)
        if start < 0 or end > sizes[chrom]:
            stats["sites_out_of_bounds"] += 1
            continue
        seq, start, end = fetch_window(fa, chrom, junction, strand, window)
        if "N" in seq:
            stats["sites_with_N"] += 1
            continue
        if kind == "donor":
            canon["donor"] += seq[centre : centre + 2] == "GT"
        else:
            canon["acceptor"] += seq[centre - 2 : centre] == "AG"
        rows.append((seq, LABELS[kind], chrom, start, end, strand, f"{kind}:{tid}"))
    n_donor = sum(1 for r in rows if r[1] == LABELS["donor"])
    n_acceptor = len(rows) - n_donor
    stats.update(
        n_donor=n_donor,
        n_acceptor=n_acceptor,
        donor_GT_share=canon["donor"] / n_donor if n_donor else None,
        acceptor_AG_share=canon["acceptor"] / n_acceptor if n_acceptor else None,
    )

    if n_nonsplice is None:
        n_nonsplice = round(nonsplice_ratio * (n_donor + n_acceptor) / 2)
    rng = np.random.default_rng(seed)
    negatives, neg_stats = _sample_nonsplice(
        fa, sizes, genic, junction_arrays, n_nonsplice, decoy_fraction, min_distance, window, rng
    )
    rows.extend(negatives)
    stats.update(neg_stats)

    if hard_negatives is not None:
        hard_rows, hard_stats = _hard_negative_rows(fa, sizes, hard_negatives, sites, window)
        rows.extend(hard_rows)
        stats.update(hard_stats)
    fa.close()
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["label"] = df["label"].astype(np.int64)
    return df, stats


def _far_from_junctions(junctions: np.ndarray | None, pos: int, min_distance: int) -> bool:
    if junctions is None or junctions.size == 0:
        return True
    i = int(np.searchsorted(junctions, pos))
    near = junctions[max(i - 1, 0) : i + 1]
    return bool(np.all(np.abs(near - pos) >= min_distance))


def _sample_nonsplice(fa, sizes, genic, junctions, n, decoy_fraction, min_distance, window, rng):
    """Rejection-sample non-splice windows; decoys alternate GT (donor-like) and AG."""
    centre = window // 2
    regions = [
        (chrom, strand, s, e)
        for (chrom, strand), spans in sorted(genic.items())
        for s, e in _merge(spans)
    ]
    stats = {"nonsplice_requested": n, "nonsplice_decoy_requested": round(n * decoy_fraction)}
    if not regions or n <= 0:
        stats.update(nonsplice_decoy=0, nonsplice_random=0, nonsplice_shortfall=max(n, 0))
        return [], stats
    lengths = np.array([e - s for _, _, s, e in regions], dtype=np.float64)
    probs = lengths / lengths.sum()
    wanted = {"decoy_gt": (stats["nonsplice_decoy_requested"] + 1) // 2}
    wanted["decoy_ag"] = stats["nonsplice_decoy_requested"] - wanted["decoy_gt"]
    wanted["random"] = n - stats["nonsplice_decoy_requested"]
    got = dict.fromkeys(wanted, 0)
    rows, seen = [], set()
    max_attempts = 200 * n + 1000
    attempts = 0
    with tqdm(total=n, desc="non-splice windows", disable=None) as bar:
        while sum(got.values()) < n and attempts < max_attempts:
            batch = rng.choice(len(regions), size=1024, p=probs)
            offsets = rng.random(1024)
            for r, u in zip(batch, offsets, strict=True):
                attempts += 1
                chrom, strand, s, e = regions[r]
                junction = s + int(u * (e - s))
                start, end = window_interval(junction, window)
                if start < 0 or end > sizes[chrom] or (chrom, junction, strand) in seen:
                    continue
                if not _far_from_junctions(junctions.get(chrom), junction, min_distance):
                    continue
                seq, start, end = fetch_window(fa, chrom, junction, strand, window)
                if "N" in seq:
                    continue
                if seq[centre : centre + 2] == "GT" and got["decoy_gt"] < wanted["decoy_gt"]:
                    kind = "decoy_gt"
                elif seq[centre - 2 : centre] == "AG" and got["decoy_ag"] < wanted["decoy_ag"]:
                    kind = "decoy_ag"
                elif got["random"] < wanted["random"]:
                    kind = "random"
                else:
                    continue
                got[kind] += 1
                seen.add((chrom, junction, strand))
                rows.append((seq, LABELS["non_splice"], chrom, start, end, strand, kind))
                bar.update(1)
                if sum(got.values()) >= n:
                    break
    shortfall = n - len(rows)
    if shortfall:
        log.warning("only %d of %d non-splice windows found after %d draws", len(rows), n, attempts)
    stats.update(
        nonsplice_decoy=got["decoy_gt"] + got["decoy_ag"],
        nonsplice_decoy_gt=got["decoy_gt"],
        nonsplice_decoy_ag=got["decoy_ag"],
        nonsplice_random=got["random"],
        nonsplice_shortfall=shortfall,
    )
    return rows, stats


def _hard_negative_rows(fa, sizes, hard_negatives, sites, window):
    if not isinstance(hard_negatives, pd.DataFrame):
        hard_negatives = read_sites_bed(hard_negatives)
    annotated = {(c, j, s) for c, j, s, _ in sites}
    rows, stats = [], {"hard_negatives_in": len(hard_negatives), "hard_negatives_dropped": 0}
    for chrom, pos, strand in hard_negatives[["chrom", "pos", "strand"]].itertuples(index=False):
        start, end = window_interval(int(pos), window)
        if (
            chrom not in sizes
            or start < 0
            or end > sizes[chrom]
            or (chrom, int(pos), strand) in annotated
        ):
            stats["hard_negatives_dropped"] += 1
            continue
        seq, start, end = fetch_window(fa, chrom, int(pos), strand, window)
        if "N" in seq:
            stats["hard_negatives_dropped"] += 1
            continue
        rows.append((seq, LABELS["non_splice"], chrom, start, end, strand, "hard_negative"))
    stats["hard_negatives"] = len(rows)
    return rows, stats

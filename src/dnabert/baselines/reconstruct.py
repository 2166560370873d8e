"""SpliceFinder's reconstruction: scan genic sequence, keep the false positives as hard negatives.

One round: a SpliceFinder trained on the current splice dataset scans windows centred at
``J = s + i * step`` over the merged spans of the selected multi-exon transcripts (the same genic
regions the splice builder samples non-splice windows from), each read on its transcript's
strand (reverse-complemented on ``-``), with the builder's geometry (``[J - w//2, J + w//2)``,
see :mod:`dnabert.datasets.splice`). A position is a *false positive* when the model's argmax is
donor or acceptor with probability ``> threshold`` and no annotated junction of any transcript
(either strand) lies within ``min_distance`` bp (``|J - junction| < min_distance``). Those sites
are written as BED6 (``chrom, J, J + 1, name = fp_donor|fp_acceptor, score = round(1000 * p),
strand``), the format :func:`dnabert.datasets.splice.read_sites_bed` reads for the builder's
``hard_negatives`` hook; the rebuilt dataset is the task ``splice_rc``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from dnabert.baselines.train_baseline import load_baseline, predict_probs
from dnabert.config import schema_defaults
from dnabert.datasets.splice import (
    LABELS,
    _merge,
    is_selected,
    read_gtf_transcripts,
    read_sites_bed,
    splice_junctions,
)
from dnabert.datasets.windows import fetch_window
from dnabert.genome import open_fasta
from dnabert.provenance import atomic_path
from dnabert.seq import reverse_complement

log = logging.getLogger(__name__)

BED_COLUMNS = ["chrom", "start", "end", "name", "score", "strand"]
_KIND = {LABELS["donor"]: "fp_donor", LABELS["acceptor"]: "fp_acceptor"}


def genic_regions(
    gtf: str | os.PathLike,
    sizes: dict[str, int],
    *,
    transcript_types: Iterable[str] | None = ("protein_coding",),
    canonical: Iterable[str] | None = None,
) -> tuple[list[tuple[str, str, int, int]], dict[str, np.ndarray]]:
    """``(regions, junctions)``: merged spans ``(chrom, strand, start, end)`` of the selected
    multi-exon transcripts on chromosomes of ``sizes`` (and ``canonical`` when given), and every
    annotated junction per chromosome (all transcripts, both strands; sorted int64)."""
    allowed = set(canonical) if canonical is not None else set(sizes)
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    junctions: dict[str, list[int]] = {}
    for tx in read_gtf_transcripts(gtf, sizes).values():
        for _, junction, _ in splice_junctions(tx):
            junctions.setdefault(tx.chrom, []).append(junction)
        if tx.chrom not in sizes or tx.chrom not in allowed:
            continue
        if is_selected(tx, transcript_types) and len(tx.exons) >= 2:
            spans.setdefault((tx.chrom, tx.strand), []).append(tx.span)
    regions = [
        (chrom, strand, s, e) for (chrom, strand), v in sorted(spans.items()) for s, e in _merge(v)
    ]
    return regions, {c: np.unique(np.asarray(v, dtype=np.int64)) for c, v in junctions.items()}


SCAN_CHUNK = 8192  # window centres scanned together


def _scan_positions(
    regions, sizes, window: int, step: int
) -> Iterator[tuple[str, str, np.ndarray]]:
    """Window centres of each region, at most :data:`SCAN_CHUNK` at a time: merged genic regions
    grow with the genome (tens of Mbp on hg38), and a whole region's windows as strings took
    memory in proportion (measured by benchmarks/bench_scale.py)."""
    half = window // 2
    for chrom, strand, s, e in regions:
        pos = np.arange(s, e, step, dtype=np.int64)
        pos = pos[(pos - half >= 0) & (pos + half <= sizes[chrom])]
        for a in range(0, pos.size, SCAN_CHUNK):
            yield chrom, strand, pos[a : a + SCAN_CHUNK]


def distance_to_nearest(junctions: np.ndarray | None, pos: np.ndarray) -> np.ndarray:
    """``min |pos - junction|`` per position (``inf`` when there are no junctions)."""
    if junctions is None or junctions.size == 0:
        return np.full(pos.shape, np.inf)
    i = np.searchsorted(junctions, pos)
    left = junctions[np.clip(i - 1, 0, junctions.size - 1)]
    right = junctions[np.clip(i, 0, junctions.size - 1)]
    return np.minimum(np.abs(pos - left), np.abs(pos - right)).astype(np.float64)


def scan_false_positives(
    model: torch.nn.Module,
    fasta: str | os.PathLike,
    gtf: str | os.PathLike,
    *,
    window: int = 400,
    step: int = 10,
    threshold: float = 0.5,
    min_distance: int = 200,
    transcript_types: Iterable[str] | None = ("protein_coding",),
    canonical: Iterable[str] | None = None,
    max_sites: int | None = None,
    batch_size: int = 512,
) -> tuple[pd.DataFrame, dict]:
    """Scan genic regions with a 3-class splice model and return its false positives.

    ``model`` maps one-hot ``(N, 4, window)`` to logits ``(N, 3)`` (0 non-splice, 1 donor,
    2 acceptor). Windows holding ``N`` are skipped. ``max_sites`` keeps the highest-scoring
    sites. Returns ``(bed, stats)``: ``bed`` has :data:`BED_COLUMNS` (1 bp ``[J, J+1)``),
    sorted by chrom, start, strand; ``stats`` counts windows scanned, predicted sites, those
    near annotated junctions (true or nearby sites, excluded) and false positives.
    """
    from tqdm.auto import tqdm

    fa = open_fasta(fasta)
    sizes = dict(zip(fa.references, fa.lengths, strict=True))
    regions, junctions = genic_regions(
        gtf, sizes, transcript_types=transcript_types, canonical=canonical
    )
    half = window // 2
    stats = {"regions": len(regions), "windows": 0, "windows_with_N": 0, "predicted_sites": 0,
             "near_annotated": 0, "false_positives": 0}  # fmt: skip
    rows = []
    device = next(model.parameters()).device
    model.eval()
    n_chunks = sum(-(-((e - s) // step + 1) // SCAN_CHUNK) for _, _, s, e in regions)
    chunks = _scan_positions(regions, sizes, window, step)
    for chrom, strand, pos in tqdm(chunks, total=n_chunks, desc="scan genic regions", disable=None):
        ref = fetch_window(fa, chrom, int(pos[0]) - half, int(pos[-1]) + half)
        offset = int(pos[0]) - half
        seqs, kept = [], []
        for p in pos:
            seq = ref[p - half - offset : p + half - offset]
            if "N" in seq:
                stats["windows_with_N"] += 1
                continue
            seqs.append(reverse_complement(seq) if strand == "-" else seq)
            kept.append(p)
        if not seqs:
            continue
        kept = np.asarray(kept, dtype=np.int64)
        stats["windows"] += len(seqs)
        probs = predict_probs(model, seqs, batch_size=batch_size, device=device)  # (n, 3)
        pred = probs.argmax(1)
        best = probs[np.arange(len(pred)), pred]
        site = (pred != LABELS["non_splice"]) & (best > threshold)
        stats["predicted_sites"] += int(site.sum())
        far = distance_to_nearest(junctions.get(chrom), kept) >= min_distance
        stats["near_annotated"] += int((site & ~far).sum())
        for i in np.flatnonzero(site & far):
            j = int(kept[i])
            rows.append((chrom, j, j + 1, _KIND[int(pred[i])], int(round(1000 * best[i])), strand))
    fa.close()
    bed = pd.DataFrame(rows, columns=BED_COLUMNS)
    if max_sites is not None and len(bed) > max_sites:
        bed = bed.sort_values("score", ascending=False, kind="stable").head(max_sites)
    bed = bed.sort_values(["chrom", "start", "strand"], kind="stable").reset_index(drop=True)
    stats["false_positives"] = len(bed)
    return bed, stats


def write_sites_bed(bed: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write BED6 sites atomically (no header; readable by ``read_sites_bed``)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        bed[BED_COLUMNS].to_csv(tmp, sep="\t", header=False, index=False)


def union_sites(beds: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Sites of several rounds, one row per ``(chrom, start, strand)`` (highest score kept)."""
    frames = [b for b in beds if len(b)]
    if not frames:
        return pd.DataFrame(columns=BED_COLUMNS)
    df = pd.concat(frames, ignore_index=True).sort_values("score", ascending=False, kind="stable")
    df = df.drop_duplicates(["chrom", "start", "strand"])
    return df.sort_values(["chrom", "start", "strand"], kind="stable").reset_index(drop=True)


def read_bed6(path: str | os.PathLike) -> pd.DataFrame:
    """Read a hard-negative BED6 written by :func:`write_sites_bed` (empty file -> no rows)."""
    if os.path.getsize(path) == 0:
        return pd.DataFrame(columns=BED_COLUMNS)
    read_sites_bed(path)  # validates coordinates and strands, naming the file and line
    return pd.read_csv(path, sep="\t", header=None, names=BED_COLUMNS, dtype={"chrom": str})


def run_scan_round(
    model_dir: str | os.PathLike,
    fasta: str | os.PathLike,
    gtf: str | os.PathLike,
    out_bed: str | os.PathLike,
    *,
    previous: str | os.PathLike | None = None,
    splice_cfg: dict | None = None,
    recon_cfg: dict | None = None,
    canonical_txt: str | os.PathLike | None = None,
) -> dict:
    """One reconstruction round: load the SpliceFinder run in ``model_dir``, scan, add the sites
    of the ``previous`` round's BED (rounds accumulate) and write ``out_bed``. Returns stats.
    Keys ``splice_cfg`` (``datasets.splice``) and ``recon_cfg`` (``baselines.splicefinder``)
    lack take the schema's defaults."""
    from dnabert.datasets.splicetf_tasks import read_name_list

    splice_cfg = {**schema_defaults("datasets", "splice"), **(splice_cfg or {})}
    recon_cfg = {**schema_defaults("baselines", "splicefinder"), **(recon_cfg or {})}
    model = load_baseline(model_dir, device="cpu")
    bed, stats = scan_false_positives(
        model,
        fasta,
        gtf,
        window=splice_cfg["window"],
        step=recon_cfg["scan_step"],
        threshold=recon_cfg["threshold"],
        min_distance=splice_cfg["min_distance"],
        transcript_types=splice_cfg["transcript_types"],
        canonical=read_name_list(canonical_txt),
        max_sites=recon_cfg["max_hard_negatives"],
    )
    if previous:
        bed = union_sites([read_bed6(previous), bed])
        stats["cumulative_sites"] = len(bed)
    write_sites_bed(bed, out_bed)
    log.info("hard negatives: %s", stats)
    return stats

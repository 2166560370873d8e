"""promscan: 1001 bp windows scanned over +-5 kb around EPDnew TSSs (DNABERT paper, Prom-scan).

For each TSS ``t`` (0-based) windows are centred at ``t + j*step`` for
``j = -flank//step .. flank//step`` (``flank`` 5000, ``step`` 100, ``window`` 1001 bp, so window
``[c - 500, c + 501)``), on both strands. Windows repeated by neighbouring TSSs are kept once;
windows off the chromosome or holding N are dropped and counted.

A window is positive when it and some TSS region ``[t - tss_region, t + tss_region + 1)`` on the
same strand overlap by at least ``min_overlap`` of each (reciprocal; ``pybedtools`` ``intersect
-f 0.5 -r -s -u``). A window never counts a TSS of the opposite strand.

Splits: windows overlap each other, so a random split would leak near-copies between train and
test. Every window carries ``cluster``: TSSs whose scanned spans ``[t-flank-w/2, t+flank+w/2]``
touch are merged into one cluster, and splits are made by
:func:`dnabert.datasets.common.assign_splits` with ``group_col="cluster"`` so a cluster's windows
all land in one split. (A chromosome split, method ``chromosome``, is the other leak-free
choice.) The genomic coordinates are kept so scanners can be scored in genome space.

Streamed build: hg38 gives ~5.5M windows (~6 GB of sequence), so the build never holds them.
:func:`build_promscan_task` writes what :func:`dnabert.datasets.common.write_task` writes for the
frame of all windows (rows sorted by chromosome name, start, strand; de-duplicated by sequence;
the same splits and ``summary.json``), byte for byte, from two passes a chromosome at a time:
the first keeps ~34 bytes per window (coordinates, label, TSS, G+C count, a 128-bit sequence
digest for de-duplication), the second cuts the kept windows again and appends them to the split
files (``tests/test_promscan.py`` compares it with the in-memory build it replaced).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import ExitStack
from hashlib import blake2b
from pathlib import Path

import numpy as np
import pandas as pd
import pybedtools

from dnabert.config import schema_defaults
from dnabert.datasets.common import (
    COLUMNS,
    SPLITS,
    append_tsv,
    assign_splits,
    count_shared_ids,
    deduplicate_hashed,
    summary_block,
)
from dnabert.datasets.promoter_io import read_tss
from dnabert.datasets.promoters import filter_tss
from dnabert.datasets.windows import cut_block, fasta_lengths, load_chromosome
from dnabert.genome import open_fasta
from dnabert.provenance import atomic_path, provenance

log = logging.getLogger(__name__)


def plan_windows(
    tss: pd.DataFrame, *, flank: int, window: int, step: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scan windows around ``tss`` (one chromosome's TSSs, ``tss`` column, in file order).

    Returns ``(starts, minus, producer)``, each of shape ``(m,)``: ``int64`` 0-based starts (a
    window is ``[start, start + window)``), ``bool`` minus strand, and the ``tss`` index label of
    the first TSS (in row order) whose scan produced the window. Every start appears on ``+`` then
    ``-``; rows are sorted by start, then strand. A start repeated by neighbouring TSSs is kept once.
    """
    offsets = np.arange(-(flank // step), flank // step + 1) * step
    starts = (tss["tss"].to_numpy()[:, None] + offsets - window // 2).ravel()  # TSS-major
    unique, first = np.unique(starts, return_index=True)  # first: earliest TSS row
    producer = tss.index.to_numpy()[first // len(offsets)]
    return (
        np.repeat(unique, 2).astype(np.int64),
        np.tile([False, True], len(unique)),
        np.repeat(producer, 2),
    )


def label_windows(
    windows: pd.DataFrame, tss: pd.DataFrame, *, tss_region: int, min_overlap: float
) -> np.ndarray:
    """Label ``windows`` (``chrom, start, end, strand``) 1 when they overlap a same-strand TSS
    region ``[t - tss_region, t + tss_region + 1)`` by >= ``min_overlap`` reciprocally, else 0.
    Returns ``int64`` array (len(windows),). Uses ``bedtools intersect -f -r -s -u``."""
    if windows.empty:
        return np.zeros(0, dtype=np.int64)
    win_bed = pd.DataFrame(
        {
            "chrom": windows["chrom"].to_numpy(),
            "start": windows["start"].to_numpy(),
            "end": windows["end"].to_numpy(),
            "name": np.arange(len(windows)).astype(str),
            "score": 0,
            "strand": windows["strand"].to_numpy(),
        }
    )
    t = tss["tss"].to_numpy()
    reg = pd.DataFrame(
        {
            "chrom": tss["chrom"].to_numpy(),
            "start": np.maximum(t - tss_region, 0),
            "end": t + tss_region + 1,
            "name": tss["name"].to_numpy(),
            "score": 0,
            "strand": tss["strand"].to_numpy(),
        }
    )
    a = pybedtools.BedTool.from_dataframe(win_bed)
    b = pybedtools.BedTool.from_dataframe(reg)
    try:
        hits = a.intersect(b, f=min_overlap, r=True, s=True, u=True)
        idx = np.array([int(iv.name) for iv in hits], dtype=np.int64)
    finally:
        pybedtools.cleanup()
    labels = np.zeros(len(windows), dtype=np.int64)
    labels[idx] = 1
    return labels


def tss_clusters(tss: pd.DataFrame, reach: int) -> pd.Series:
    """Cluster ids (``chrom:first_tss``): TSSs whose ``[t - reach, t + reach]`` spans touch."""
    out = pd.Series(index=tss.index, dtype=object)
    for chrom, g in tss.groupby("chrom", sort=True):
        g = g.sort_values("tss")
        t = g["tss"].to_numpy()
        new = np.concatenate([[True], np.diff(t) > 2 * reach])
        first = t[np.flatnonzero(new)][np.cumsum(new) - 1]
        out.loc[g.index] = [f"{chrom}:{x}" for x in first]
    return out


_BATCH_ROWS = 20_000  # windows cut at a time (~20 MB of 1001 bp windows)


def _select_tss(
    fasta: str | Path,
    tss_path: str | Path,
    p: dict,
    seed: int,
    canonical: Sequence[str] | None,
    offsets: dict[str, int],
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``(scanned TSSs with cluster, all TSSs for labels, stats)``; ``max_tss`` draws a random
    subset (with ``seed``) to scan around, labels always use every TSS in the file."""
    all_tss = read_tss(tss_path)
    tss, stats = filter_tss(all_tss, fasta_lengths(fasta), tss_path, canonical, offsets)
    label_tss = tss
    if p["max_tss"] is not None and len(tss) > p["max_tss"]:
        rng = np.random.default_rng([seed, 4])
        tss = tss.iloc[np.sort(rng.choice(len(tss), p["max_tss"], replace=False))]
    tss = tss.reset_index(drop=True)
    reach = p["flank"] + p["window"] // 2 + 1
    tss = tss.assign(cluster=tss_clusters(tss, reach).to_numpy())
    log.info("promscan: %d windows per strand before de-duplication",
             len(tss) * (2 * (p["flank"] // p["step"]) + 1))  # fmt: skip
    return tss, label_tss, stats


def _batches(seq: np.ndarray, starts: np.ndarray, minus: np.ndarray, width: int):
    """Yield ``(first_row, block)``: the windows cut ``_BATCH_ROWS`` at a time, ``uint8``
    ``(rows, width)`` (:func:`dnabert.datasets.windows.cut_block`)."""
    for a in range(0, len(starts), _BATCH_ROWS):
        yield a, cut_block(seq, starts[a : a + _BATCH_ROWS], width, minus[a : a + _BATCH_ROWS])


def _scan_chromosome(fa, chrom: str, tss: pd.DataFrame, label_tss: pd.DataFrame, p: dict,
                     offset: int, length: int) -> tuple[dict[str, np.ndarray], int, int]:  # fmt: skip
    """First pass over one chromosome: its windows on the genome and free of N, with label,
    producing TSS, G+C count and a 128-bit digest of the sequence (no sequence is kept).
    Returns the per-window arrays and the counts of windows off the record and with N."""
    w = p["window"]
    starts, minus, producer = plan_windows(tss, flank=p["flank"], window=w, step=p["step"])
    inside = (starts - offset >= 0) & (starts - offset + w <= length)
    starts, minus, producer = starts[inside], minus[inside], producer[inside]
    seq = load_chromosome(fa, chrom)
    has_n = np.zeros(len(starts), dtype=bool)
    gc = np.zeros(len(starts), dtype=np.int64)
    digests = []
    for a, block in _batches(seq, starts - offset, minus, w):
        n_rows = (block == ord("N")).any(axis=1)
        has_n[a : a + len(block)] = n_rows
        gc[a : a + len(block)] = np.count_nonzero((block == ord("G")) | (block == ord("C")), axis=1)
        digests.extend(blake2b(row, digest_size=16).digest() for row in block[~n_rows])
    del seq
    keep = ~has_n
    win = pd.DataFrame({"chrom": chrom, "start": starts[keep], "end": starts[keep] + w,
                        "strand": np.where(minus[keep], "-", "+")})  # fmt: skip
    labels = label_windows(
        win, label_tss.loc[label_tss["chrom"] == chrom],
        tss_region=p["tss_region"], min_overlap=p["min_overlap"],
    )  # fmt: skip
    arrays = {  # compact dtypes: these live for every window of the genome
        "start": starts[keep],
        "minus": minus[keep],
        "producer": producer[keep].astype(np.int32),
        "label": labels.astype(np.int8),
        "gc": gc[keep].astype(np.int32),
        "digest": np.frombuffer(b"".join(digests), dtype="<u8").reshape(-1, 2),
    }
    return arrays, int((~inside).sum()), int(has_n.sum())


def _write_rows(fa, chroms: list[str], chrom_of: np.ndarray, win: dict[str, np.ndarray],
                rows: dict[str, np.ndarray], tss: pd.DataFrame, window: int,
                offsets: dict[str, int], files: dict) -> None:  # fmt: skip
    """Second pass: cut the kept windows again, a chromosome at a time, and append each split's
    rows (``rows[split]``: ascending indices into ``win``) to ``files[split]``."""
    names = ("scan:" + tss["name"].astype(str)).to_numpy(dtype=object)
    clusters = tss["cluster"].astype(str).to_numpy(dtype=object)
    split_of = np.full(len(chrom_of), -1, dtype=np.int8)
    for i, name in enumerate(SPLITS):
        split_of[rows[name]] = i
    for c, chrom in enumerate(chroms):
        idx = np.flatnonzero((chrom_of == c) & (split_of >= 0))
        if not len(idx):
            continue
        seq = load_chromosome(fa, chrom)
        starts, minus = win["start"][idx], win["minus"][idx]
        for a, block in _batches(seq, starts - offsets.get(chrom, 0), minus, window):
            text = block.tobytes().decode("ascii")
            at = idx[a : a + len(block)]
            prod = win["producer"][at]
            df = pd.DataFrame({
                "sequence": [text[i * window : (i + 1) * window] for i in range(len(block))],
                "label": win["label"][at].astype(np.int64),
                "chrom": chrom,
                "start": win["start"][at],
                "end": win["start"][at] + window,
                "strand": np.where(win["minus"][at], "-", "+"),
                "source": names[prod],
                "cluster": clusters[prod],
            })  # fmt: skip
            where = split_of[at]
            for i, name in enumerate(SPLITS):
                append_tsv(df.loc[where == i], files[name])


def _split_and_summarize(kept: np.ndarray, seq_id: np.ndarray, win: dict[str, np.ndarray],
                         chrom_of: np.ndarray, chroms: list[str], tss: pd.DataFrame, window: int,
                         split_cfg: dict, seed: int) -> tuple[dict, dict[str, np.ndarray]]:  # fmt: skip
    """Splits of the ``kept`` windows (:func:`assign_splits`, grouped by cluster for the random
    method) and the summary blocks :func:`dnabert.datasets.common.write_splits` would write,
    from the per-window arrays. Returns the summary and each split's rows (ascending)."""
    method = split_cfg.get("method", schema_defaults("datasets", "split", "method"))
    group = "cluster" if method == "random" else None
    # cluster names ranked: factorize(sort=True) orders the ranks as it would order the names
    rank = np.unique(tss["cluster"].to_numpy(dtype=str), return_inverse=True)[1]
    frame = pd.DataFrame({
        "label": win["label"][kept].astype(np.int64),
        "chrom": pd.Categorical.from_codes(chrom_of[kept], chroms),
        "cluster": rank[win["producer"][kept]],
    })  # fmt: skip
    split = assign_splits(frame, split_cfg, seed, group_col=group)
    del frame
    split_code = np.zeros(len(kept), dtype=np.int8)
    for i, name in enumerate(SPLITS):
        split_code[split == name] = i
    del split
    rows = {name: kept[split_code == i] for i, name in enumerate(SPLITS)}
    # G+C over non-N bases (none here), the same division as common._gc_fraction
    gc = win["gc"] / np.int64(max(window, 1))

    def block(idx: np.ndarray) -> dict:
        return summary_block(win["label"][idx].astype(np.int64), gc[idx],
                             np.full(len(idx), window, dtype=np.int64))  # fmt: skip

    summary = {
        # distinct sequences in more than one split: 0 by construction, counted anyway
        "shared_between_splits": count_shared_ids(seq_id[kept], split_code),
        "overall": block(np.concatenate([rows[s] for s in SPLITS])),
        "splits": {name: block(rows[name]) for name in SPLITS},
        "split": dict(split_cfg, group_col=group),
    }
    return summary, rows


def build_promscan_task(
    fasta: str | Path,
    tss_path: str | Path,
    out_dir: str | Path,
    *,
    seed: int,
    split_cfg: dict,
    params: dict | None = None,
    canonical: Sequence[str] | None = None,
    config: dict | None = None,
    task: str = "promscan",
    offsets: dict[str, int] | None = None,
) -> dict:
    """Build promscan into ``out_dir`` (group split by TSS cluster); returns the summary.

    The same files, byte for byte, as :func:`dnabert.datasets.common.write_task` on the frame of
    every window (:data:`COLUMNS` + ``cluster``, rows sorted by chromosome name, start, strand),
    without holding that frame: a first pass a chromosome at a time keeps each window's
    coordinates, label, producing TSS, G+C count and a 128-bit sequence digest (~34 bytes a
    window); de-duplication, splits and the summary come from those; a second pass cuts the kept
    windows again and appends them to the split files. Memory: the longest chromosome plus the
    per-window arrays (instead of ~1.5 kB a window). ``offsets`` as in
    :func:`dnabert.datasets.windows.extract_windows`. A window's ``source`` and ``cluster`` are
    those of the first TSS that produced it (the in-memory build joined them on the TSS name,
    which repeated a window when two TSSs shared a name; EPDnew's names are unique).
    """
    p = {**schema_defaults("datasets", "promscan"), **(params or {})}
    offsets = dict(offsets or {})
    tss, label_tss, stats = _select_tss(fasta, tss_path, p, seed, canonical, offsets)
    chroms = sorted(tss["chrom"].unique().tolist())  # the frame's sort order: chrom by name
    parts, n_off, n_n = [], 0, 0
    with open_fasta(fasta) as fa:
        lengths = dict(zip(fa.references, fa.lengths, strict=True))
        for chrom in chroms:
            arrays, off, with_n = _scan_chromosome(
                fa, chrom, tss.loc[tss["chrom"] == chrom], label_tss, p,
                offsets.get(chrom, 0), lengths[chrom],
            )  # fmt: skip
            parts.append(arrays)
            n_off, n_n = n_off + off, n_n + with_n
        win = {k: np.concatenate([a[k] for a in parts]) if parts else np.zeros(0) for k in
               ("start", "minus", "producer", "label", "gc")}  # fmt: skip
        digest = np.concatenate([a["digest"] for a in parts]) if parts else np.zeros((0, 2))
        chrom_of = np.repeat(np.arange(len(chroms)), [len(a["start"]) for a in parts])
        del parts
        if not len(chrom_of):
            raise ValueError(f"task {task}: no sequences to write")
        cluster_code = pd.factorize(tss["cluster"])[0]
        stats.update({
            "n_tss_scanned": int(len(tss)),
            "dropped_window_off_genome": n_off,
            "dropped_window_with_n": n_n,
            "n_clusters": int(np.count_nonzero(np.bincount(cluster_code[win["producer"]]))),
            "params": p,
        })  # fmt: skip
        kept, seq_id, dedup = deduplicate_hashed(digest, win["label"])
        del digest
        summary, rows = _split_and_summarize(kept, seq_id, win, chrom_of, chroms, tss,
                                             p["window"], split_cfg, seed)  # fmt: skip
        del seq_id
        summary.update({
            "n_input": int(len(chrom_of)),
            "n_written": int(len(kept)),
            "dropped_duplicates": dedup["duplicates"],
            "dropped_conflicting_sequences": dedup["conflicting_sequences"],
            "dropped_conflicting_rows": dedup["conflicting_rows"],
            "promscan": stats,
        })  # fmt: skip
        summary["task"] = task
        summary["provenance"] = provenance(config, seed)
        with atomic_path(out_dir, is_dir=True) as tmp:
            with ExitStack() as stack:
                files = {s: stack.enter_context(open(tmp / f"{s}.tsv", "w", newline=""))
                         for s in SPLITS}  # fmt: skip
                for fh in files.values():
                    fh.write("\t".join([*COLUMNS, "cluster"]) + "\n")
                _write_rows(fa, chroms, chrom_of, win, rows, tss, p["window"], offsets, files)
            (tmp / "summary.json").write_text(
                json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n"
            )
    log.info(
        "task %s: %d sequences written to %s (train %d, dev %d, test %d)",
        task, len(kept), out_dir, *(len(rows[s]) for s in SPLITS),
    )  # fmt: skip
    return summary

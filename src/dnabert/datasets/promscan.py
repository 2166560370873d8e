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
touch are merged into one cluster, and :func:`dnabert.datasets.common.write_task` is called with
``group_col="cluster"`` so a cluster's windows all land in one split. (A chromosome split, method
``chromosome``, is the other leak-free choice.) The genomic coordinates are kept so scanners can
be scored in genome space.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pybedtools

from dnabert.config import schema_defaults
from dnabert.datasets.common import COLUMNS, write_task
from dnabert.datasets.promoter_io import read_tss
from dnabert.datasets.promoters import filter_tss
from dnabert.datasets.windows import extract_windows, fasta_lengths

log = logging.getLogger(__name__)


def scan_windows(tss: pd.DataFrame, *, flank: int, window: int, step: int) -> pd.DataFrame:
    """All scan windows around ``tss`` (``chrom, tss, strand, name``), both strands, de-duplicated.

    Returns ``chrom, start, end, strand, tss_name`` (0-based half-open; ``tss_name`` is the first
    TSS that produced the window), sorted by chrom, start, strand.
    """
    half = window // 2
    offsets = np.arange(-(flank // step), flank // step + 1) * step
    centres = tss["tss"].to_numpy()[:, None] + offsets  # (n_tss, n_offsets)
    n = centres.size
    starts = (centres - half).ravel()
    base = pd.DataFrame(
        {
            "chrom": np.repeat(tss["chrom"].to_numpy(), len(offsets)),
            "start": starts,
            "end": starts + window,
            "tss_name": np.repeat(tss["name"].to_numpy(), len(offsets)),
        }
    )
    both = pd.concat([base.assign(strand="+"), base.assign(strand="-")], ignore_index=True)
    both = both.drop_duplicates(["chrom", "start", "end", "strand"])
    log.info("promscan: %d windows per strand before de-duplication", n)
    return both.sort_values(["chrom", "start", "strand"], kind="stable").reset_index(drop=True)


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


def build_promscan_frame(
    fasta: str | Path,
    tss_path: str | Path,
    *,
    seed: int,
    params: dict | None = None,
    canonical: Sequence[str] | None = None,
    offsets: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Scan windows with sequences and labels: :data:`COLUMNS` + ``cluster``, and stats.

    ``max_tss`` (``params``) takes a random subset of TSSs (drawn with ``seed``) to scan around;
    labels always use every TSS in the file.
    """
    p = {**schema_defaults("datasets", "promscan"), **(params or {})}
    lengths = fasta_lengths(fasta)
    all_tss = read_tss(tss_path)
    tss, stats = filter_tss(all_tss, lengths, tss_path, canonical, offsets)
    label_tss = tss
    if p["max_tss"] is not None and len(tss) > p["max_tss"]:
        rng = np.random.default_rng([seed, 4])
        tss = tss.iloc[np.sort(rng.choice(len(tss), p["max_tss"], replace=False))]
    tss = tss.reset_index(drop=True)
    reach = p["flank"] + p["window"] // 2 + 1
    tss = tss.assign(cluster=tss_clusters(tss, reach).to_numpy())
    win = scan_windows(tss, flank=p["flank"], window=p["window"], step=p["step"])
    win = win.merge(tss[["name", "cluster"]].rename(columns={"name": "tss_name"}), on="tss_name")
    seqs = extract_windows(
        fasta,
        win["chrom"].tolist(),
        win["start"].to_numpy(),
        win["end"].to_numpy(),
        win["strand"].tolist(),
        offsets=offsets,
        off_genome="none",
    )
    win["sequence"] = seqs
    off = win["sequence"].isna()
    has_n = ~off & win["sequence"].fillna("").str.contains("N")
    win = win.loc[~off & ~has_n].reset_index(drop=True)
    win["label"] = label_windows(
        win, label_tss, tss_region=p["tss_region"], min_overlap=p["min_overlap"]
    )
    win["source"] = "scan:" + win["tss_name"]
    stats.update(
        {
            "n_tss_scanned": int(len(tss)),
            "dropped_window_off_genome": int(off.sum()),
            "dropped_window_with_n": int(has_n.sum()),
            "n_clusters": int(win["cluster"].nunique()),
            "params": p,
        }
    )
    return win[COLUMNS + ["cluster"]], stats


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
) -> dict:
    """Build promscan into ``out_dir`` (group split by TSS cluster); returns the summary."""
    df, stats = build_promscan_frame(fasta, tss_path, seed=seed, params=params, canonical=canonical)
    group = "cluster" if split_cfg.get("method", "random") == "random" else None
    return write_task(
        df,
        out_dir,
        task=task,
        split_cfg=split_cfg,
        seed=seed,
        config=config,
        extra_summary={"promscan": stats},
        group_col=group,
    )

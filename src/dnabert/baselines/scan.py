"""Promscan scoring in genome space: TSS calls from window scores (PromID's evaluation).

Window-level metrics (F1, MCC, AUROC ...) come from :func:`dnabert.evaluate.write_run`. This
module turns the scored test windows of any promscan run (``predictions.tsv`` with ``chrom,
start, end, strand, prob_1``; DNABERT or PromID, the same windows) into TSS calls:

- the *position* of a window is its centre ``start + (end - start) // 2`` (0-based);
- per chromosome and strand, windows are ordered by position; two windows are neighbours when
  their positions differ by exactly ``step`` (100 bp in the dataset); a gap breaks the run;
- a window is a call when ``score >= threshold`` and it is a local maximum: strictly greater
  than its left neighbour and at least its right neighbour (so a plateau gives one call, its
  leftmost window); a missing neighbour counts as ``-inf``;
- calls are matched to true TSSs of the same chromosome and strand within ``tolerance`` bp
  (``|call - tss| <= tolerance``), greedily by decreasing score, each TSS matched at most once;
  precision = matched calls / calls, recall = matched TSSs / TSSs, F1 their harmonic mean.

The true TSSs are those of ``resources/promoters/{genome}.tss.bed`` that lie inside a scored
window of the same chromosome and strand (``start <= tss < end``), i.e. the TSSs of the scanned
test regions; TSSs elsewhere were never scanned and are not counted as missed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.provenance import provenance, write_json

REQUIRED = ("chrom", "start", "end", "strand", "prob_1")


def read_scored_windows(path: str | os.PathLike) -> pd.DataFrame:
    """Read a run's ``predictions.tsv``; returns ``chrom, start, end, strand, score, label``
    (``score`` = ``prob_1``). Raises ``ValueError`` naming the file when a column is missing."""
    df = pd.read_csv(path, sep="\t", dtype={"chrom": str, "strand": str}, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; TSS calling needs {', '.join(REQUIRED)} "
            "(write_run's predictions_extra must carry the test split's coordinates)"
        )
    out = df[["chrom", "start", "end", "strand"]].copy()
    out["score"] = df["prob_1"].astype(float)
    out["label"] = df["label"] if "label" in df.columns else -1
    return out


def call_tss(windows: pd.DataFrame, *, threshold: float = 0.5, step: int = 100) -> pd.DataFrame:
    """TSS calls at local maxima of window scores (see the module docstring).

    ``windows``: ``chrom, start, end, strand, score``. Returns ``chrom, pos, strand, score``
    sorted by chrom, strand, pos (``pos`` the 0-based window centre).
    """
    cols = ["chrom", "pos", "strand", "score"]
    if windows.empty:
        return pd.DataFrame(columns=cols)
    w = windows.assign(pos=windows["start"] + (windows["end"] - windows["start"]) // 2)
    # Two strands of one position are separate windows; duplicates of one window keep the best.
    w = w.groupby(["chrom", "strand", "pos"], as_index=False)["score"].max()
    calls = []
    for (chrom, strand), g in w.groupby(["chrom", "strand"], sort=True):
        pos = g["pos"].to_numpy()
        score = g["score"].to_numpy(dtype=np.float64)
        order = np.argsort(pos, kind="stable")
        pos, score = pos[order], score[order]
        left = np.full(pos.size, -np.inf)
        right = np.full(pos.size, -np.inf)
        adjacent = np.diff(pos) == step  # (n-1,) True where i and i+1 are neighbours
        left[1:] = np.where(adjacent, score[:-1], -np.inf)
        right[:-1] = np.where(adjacent, score[1:], -np.inf)
        keep = (score >= threshold) & (score > left) & (score >= right)
        kept = zip(pos[keep], score[keep], strict=True)
        calls.extend((chrom, int(p), strand, float(s)) for p, s in kept)
    return pd.DataFrame(calls, columns=cols)


def scanned_tss(tss: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """The TSSs (``chrom, tss, strand``; 0-based) covered by a window of the same chromosome and
    strand (``start <= tss < end``)."""
    keep = np.zeros(len(tss), dtype=bool)
    for (chrom, strand), g in windows.groupby(["chrom", "strand"]):
        sel = ((tss["chrom"] == chrom) & (tss["strand"] == strand)).to_numpy()
        if not sel.any():
            continue
        starts = np.sort(g["start"].to_numpy())
        ends = g["end"].to_numpy()[np.argsort(g["start"].to_numpy(), kind="stable")]
        max_end = np.maximum.accumulate(ends)  # windows starting at or before i reach max_end[i]
        t = tss.loc[sel, "tss"].to_numpy()
        i = np.searchsorted(starts, t, side="right") - 1
        covered = (i >= 0) & (max_end[np.maximum(i, 0)] > t)
        keep[np.flatnonzero(sel)[covered]] = True
    return tss[keep].reset_index(drop=True)


def match_calls(calls: pd.DataFrame, truth: pd.DataFrame, *, tolerance: int) -> dict:
    """Greedy one-to-one matching of calls (by decreasing score) to true TSSs of the same chrom
    and strand within ``tolerance`` bp. Returns counts, precision, recall and F1 (0 when
    undefined) and the per-call ``matched`` flags in call order."""
    matched_truth: set[int] = set()
    matched = np.zeros(len(calls), dtype=bool)
    by_key = {key: g for key, g in truth.groupby(["chrom", "strand"])}
    for i in np.argsort(-calls["score"].to_numpy(), kind="stable"):
        row = calls.iloc[i]
        g = by_key.get((row["chrom"], row["strand"]))
        if g is None:
            continue
        dist = (g["tss"] - row["pos"]).abs()
        candidates = dist[(dist <= tolerance) & ~g.index.isin(list(matched_truth))]
        if not candidates.empty:
            matched_truth.add(int(candidates.idxmin()))
            matched[i] = True
    n_calls, n_true, tp = len(calls), len(truth), int(matched.sum())
    precision = tp / n_calls if n_calls else 0.0
    recall = len(matched_truth) / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n_calls": n_calls,
        "n_true_tss": n_true,
        "true_positive_calls": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "matched": matched,
    }


def score_tss(
    predictions: str | os.PathLike,
    tss_path: str | os.PathLike,
    out_json: str | os.PathLike,
    *,
    threshold: float = 0.5,
    tolerance: int = 500,
    step: int = 100,
    config: dict | None = None,
    seed: int | None = None,
) -> dict:
    """Call TSSs from a promscan run's ``predictions.tsv``, score them against the TSS list
    (read with :func:`dnabert.datasets.promoter_io.read_tss`) and write ``out_json`` (usually
    ``tss_calls.json`` beside the predictions) with the settings, counts, precision, recall, F1
    and provenance. Returns the record."""
    from dnabert.datasets.promoter_io import read_tss

    windows = read_scored_windows(predictions)
    truth = scanned_tss(read_tss(tss_path)[["chrom", "tss", "strand"]], windows)
    truth = truth.drop_duplicates().reset_index(drop=True)
    calls = call_tss(windows, threshold=threshold, step=step)
    result = match_calls(calls, truth, tolerance=tolerance)
    result.pop("matched")
    record = {
        **result,
        "threshold": threshold,
        "tolerance": tolerance,
        "step": step,
        "n_windows": len(windows),
        "predictions": str(predictions),
        "tss": str(tss_path),
        **provenance(config, seed),
    }
    Path(out_json).parent.mkdir(parents=True, exist_ok=True)
    write_json(out_json, record)
    return record

"""The common dataset writer: de-duplicate, split reproducibly, write TSVs and a summary.

Every task builder (promoters, promscan, splice, TF) hands :func:`write_task` one DataFrame with
the columns :data:`COLUMNS` (optional extra provenance columns after them) and gets
``{out_dir}/train.tsv``, ``dev.tsv``, ``test.tsv`` and ``summary.json``, written atomically: the
files are built in a temporary directory and moved into ``out_dir`` only on success, so a failed
build leaves no partial TSV (``out_dir`` itself is never removed, so it may be a symlink or a
mount point; see :func:`dnabert.provenance.atomic_path`).

TSV layout: a header, then ``sequence<TAB>label`` first and the provenance columns after
(``chrom start end strand source`` with ``start``/``end`` 0-based half-open genomic coordinates of
the window and strand ``+``, ``-`` or ``.``).

De-duplication and splitting are in :mod:`dnabert.datasets.dedup_split`, reading and writing the
split TSVs in :mod:`dnabert.datasets.split_io`; their names are importable from here too.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dnabert.datasets.dedup_split import (  # noqa: F401 -- re-exported: builders import them here
    assign_splits,
    count_shared_ids,
    deduplicate,
    deduplicate_hashed,
)
from dnabert.datasets.split_io import (  # noqa: F401 -- re-exported: readers import them here
    append_tsv,
    count_split_rows,
    iter_task_split,
    read_task_split,
    sample_rows,
    write_tsv,
)
from dnabert.provenance import atomic_path, provenance

log = logging.getLogger(__name__)

COLUMNS = ["sequence", "label", "chrom", "start", "end", "strand", "source"]
# columns of a split that a run's predictions.tsv carries over (those the split has)
PROVENANCE_COLUMNS = ("chrom", "start", "end", "strand", "source", "cluster")
SPLITS = ("train", "dev", "test")
_VALID_BYTES = np.zeros(256, dtype=bool)
for _c in b"ACGTN":
    _VALID_BYTES[_c] = True


_CHUNK_BYTES = 4 << 20  # reduceat casts a piece to int64: 32 MB at a time


def _byte_chunks(seqs: pd.Series):
    """Yield ``(first_row, raw, starts)`` over ``seqs`` (text) in pieces of about 4 MB: ``raw`` is
    the piece's sequences joined as ``uint8``, ``starts`` each one's start in it (length m + 1).
    Pieces bound the memory of a whole-genome task's checks to a few copies of a piece."""
    lengths = seqs.str.len().to_numpy(dtype=np.int64)
    bounds = np.searchsorted(np.cumsum(lengths), np.arange(1, 1 + lengths.sum() // _CHUNK_BYTES)
                             * _CHUNK_BYTES)  # fmt: skip
    edges = np.unique(np.concatenate(([0], bounds + 1, [len(seqs)])).clip(0, len(seqs)))
    values = seqs.tolist()
    for a, b in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        starts = np.concatenate(([0], np.cumsum(lengths[a:b])))
        raw = np.frombuffer("".join(values[a:b]).encode("ascii", errors="replace"), np.uint8)
        yield a, raw, starts


def _check_frame(df: pd.DataFrame, task: str) -> None:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"task {task}: dataset frame lacks columns {missing}; expected {COLUMNS}")
    seqs = df["sequence"]
    is_text = seqs.map(type).eq(str).to_numpy() if len(df) else np.ones(0, bool)
    empty = ~is_text | (seqs.where(is_text, "").str.len().to_numpy() == 0)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise ValueError(f"task {task}: row {i}: empty or non-text sequence {seqs.iloc[i]!r}")
    # one pass over all bases (vectorized): a row-by-row loop costs minutes on genome-wide tasks
    if not seqs.map(str.isascii).all():
        i = int(np.flatnonzero(~seqs.map(str.isascii).to_numpy())[0])
        bad = next(j for j, c in enumerate(seqs.iloc[i]) if not c.isascii())
        raise ValueError(
            f"task {task}: row {i} ({df['source'].iloc[i]}): invalid letter "
            f"{seqs.iloc[i][bad]!r} at position {bad}; expected upper-case A, C, G, T or N"
        )
    for first, raw, starts in _byte_chunks(seqs):
        bad_at = np.flatnonzero(~_VALID_BYTES[raw])
        if bad_at.size:
            pos = int(bad_at[0])
            j = int(np.searchsorted(starts, pos, side="right")) - 1
            i, at = first + j, pos - int(starts[j])
            raise ValueError(
                f"task {task}: row {i} ({df['source'].iloc[i]}): invalid letter "
                f"{seqs.iloc[i][at]!r} at position {at}; expected upper-case A, C, G, T or N"
            )
    bad_strand = ~df["strand"].isin(["+", "-", "."])
    if bad_strand.any():
        i = int(np.flatnonzero(bad_strand.to_numpy())[0])
        raise ValueError(
            f"task {task}: row {i}: strand {df['strand'].iloc[i]!r}; expected +, - or ."
        )


_GC = np.zeros(256, dtype=np.uint8)
_GC[[ord("G"), ord("C")]] = 1
_N = np.zeros(256, dtype=np.uint8)
_N[ord("N")] = 1


def _gc_fraction(seqs: pd.Series) -> pd.Series:
    """G+C over non-N bases of each sequence (0 where all are N), counted with numpy."""
    gc = np.zeros(len(seqs), np.int64)
    n = np.zeros(len(seqs), np.int64)
    lengths = np.zeros(len(seqs), np.int64)
    for first, raw, starts in _byte_chunks(seqs):
        ln = np.diff(starts)
        rows = first + np.flatnonzero(ln > 0)
        at = starts[:-1][ln > 0]  # non-empty only: reduceat needs increasing in-bounds indices
        lengths[first : first + ln.size] = ln
        if at.size:
            gc[rows] = np.add.reduceat(_GC[raw], at, dtype=np.int64)
            n[rows] = np.add.reduceat(_N[raw], at, dtype=np.int64)
    return pd.Series(gc / np.maximum(lengths - n, 1), index=seqs.index)


def _summary_block(df: pd.DataFrame) -> dict[str, Any]:
    return summary_block(df["label"], _gc_fraction(df["sequence"]), df["sequence"].str.len())


def summary_block(labels, gc, lengths) -> dict[str, Any]:
    """One split's (or all splits') ``summary.json`` block from per-row ``labels``, GC fraction
    and sequence lengths (three arrays or Series of one length, rows in file order): ``n``, per
    class ``n`` and ``gc_mean``, length ``min/max/mean``. A class's ``gc_mean`` is a pandas mean
    over its rows in order (the floats a ``groupby`` gives, bit for bit), so a writer that never
    holds the sequences (promscan) writes the same summary as one that does."""
    codes, classes = pd.factorize(pd.Series(labels), sort=True)  # groupby's order; NaN left out
    gc = np.asarray(gc, dtype=np.float64)
    lengths = pd.Series(lengths)
    by_label = {}
    for i, lab in enumerate(classes):
        rows = codes == i
        by_label[str(lab)] = {"n": int(rows.sum()), "gc_mean": float(pd.Series(gc[rows]).mean())}
    n = len(labels)
    return {
        "n": int(n),
        "classes": by_label,
        "length": {
            "min": int(lengths.min()) if n else 0,
            "max": int(lengths.max()) if n else 0,
            "mean": float(lengths.mean()) if n else 0.0,
        },
    }


def write_task(
    df: pd.DataFrame,
    out_dir: str | Path,
    *,
    task: str,
    split_cfg: dict,
    seed: int,
    config: dict | None = None,
    extra_summary: dict | None = None,
    group_col: str | None = None,
) -> dict:
    """De-duplicate ``df``, split it, write ``{out_dir}/{train,dev,test}.tsv`` and ``summary.json``.

    ``df`` holds :data:`COLUMNS` (extra columns are kept after them); sequences must be upper-case
    ``ACGTN`` (else ValueError naming the row). Duplicates are removed by :func:`deduplicate`,
    splits made by :func:`assign_splits`. Within each split file rows keep the input order.
    ``summary.json`` holds per-split and overall counts per class, GC mean per class, length
    min/max/mean, ``shared_between_splits`` (distinct sequences in more than one split; 0 by
    construction), the de-duplication counts, provenance (config, seed, code version) and
    ``extra_summary`` merged at the top level. Everything is written atomically.
    Returns the summary.
    """
    _check_frame(df, task)
    if df.empty:
        raise ValueError(f"task {task}: no sequences to write")
    extra_cols = [c for c in df.columns if c not in COLUMNS]
    df = df[COLUMNS + extra_cols].reset_index(drop=True)
    kept, dedup = deduplicate(df)
    split = assign_splits(kept, split_cfg, seed, group_col=group_col)
    parts = {name: kept.loc[split == name] for name in SPLITS}
    summary: dict[str, Any] = {
        "n_input": int(len(df)),
        "n_written": int(len(kept)),
        "dropped_duplicates": dedup["duplicates"],
        "dropped_conflicting_sequences": dedup["conflicting_sequences"],
        "dropped_conflicting_rows": dedup["conflicting_rows"],
        "split": dict(split_cfg, group_col=group_col),
        **(extra_summary or {}),
    }
    return write_splits(parts, out_dir, task=task, config=config, seed=seed, extra_summary=summary)


def count_shared(parts: dict[str, pd.DataFrame]) -> int:
    """Number of distinct sequences that occur in more than one of the given splits."""
    seen: dict[str, str] = {}
    shared = set()
    for name, part in parts.items():
        for s in part["sequence"]:
            if seen.setdefault(s, name) != name:
                shared.add(s)
    return len(shared)


def write_splits(
    parts: dict[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    task: str,
    config: dict | None = None,
    seed: int | None = None,
    extra_summary: dict | None = None,
) -> dict:
    """Write already-split frames ``{"train": df, "dev": df, "test": df}`` as
    ``{out_dir}/{split}.tsv`` plus ``summary.json``, atomically, without de-duplicating or
    re-splitting (:func:`write_task` does those first; imported user tasks keep their splits).

    Frames hold :data:`COLUMNS` first (extra columns after). ``summary.json``: ``task``,
    ``shared_between_splits`` (:func:`count_shared`), ``overall`` and per-split counts per class,
    GC and length, ``extra_summary`` merged at the top level, provenance. Returns the summary.
    """
    kept = pd.concat(list(parts.values()), ignore_index=True)
    summary: dict[str, Any] = {
        "task": task,
        "shared_between_splits": count_shared(parts),
        "overall": _summary_block(kept),
        "splits": {name: _summary_block(part) for name, part in parts.items()},
    }
    if extra_summary:
        summary.update(extra_summary)
    summary["provenance"] = provenance(config, seed)
    with atomic_path(out_dir, is_dir=True) as tmp:
        for name, part in parts.items():
            write_tsv(part, tmp / f"{name}.tsv")
        (tmp / "summary.json").write_text(
            json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n"
        )
    log.info(
        "task %s: %d sequences written to %s (train %d, dev %d, test %d)",
        task,
        len(kept),
        out_dir,
        *(len(parts[s]) for s in SPLITS),
    )
    return summary

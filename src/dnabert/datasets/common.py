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
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dnabert.config import schema_defaults
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


def deduplicate(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop exact duplicate sequences, keeping the first copy.

    A sequence that appears with more than one label is ambiguous: all of its copies are dropped.
    Returns the kept rows (original order, fresh index) and the counts
    ``{"duplicates": rows dropped as repeats, "conflicting_sequences": distinct sequences dropped
    for conflicting labels, "conflicting_rows": rows dropped with them}``.
    """
    n_labels = df.groupby("sequence", sort=False)["label"].transform("nunique")
    conflict = (n_labels > 1).to_numpy()
    n_conflict_seq = int(df.loc[conflict, "sequence"].nunique())
    kept = df.loc[~conflict]
    dup = kept["sequence"].duplicated(keep="first")
    stats = {
        "duplicates": int(dup.sum()),
        "conflicting_sequences": n_conflict_seq,
        "conflicting_rows": int(conflict.sum()),
    }
    return kept.loc[~dup].reset_index(drop=True), stats


def deduplicate_hashed(
    keys: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """:func:`deduplicate` for a writer that holds sequence digests instead of sequences.

    ``keys`` ``(n, 2)`` ``uint64``: a 128-bit digest of each row's sequence (equal digests are
    taken as equal sequences; for the ~10^7 rows of a genome-wide task a chance collision has
    probability ~10^-25); ``labels`` ``(n,)``, numeric. Returns the indices of the kept rows (ascending:
    the first copy of each sequence, none of a sequence seen with two labels), each row's
    sequence id ``(n,)`` ``int64`` (equal ids: equal digests) and the same counts as
    :func:`deduplicate`.
    """
    n = len(keys)
    labels = np.asarray(labels)
    order = np.lexsort((keys[:, 1], keys[:, 0]))  # stable: a sequence's rows in row order
    new = np.ones(n, dtype=bool)
    for col in (0, 1):  # one column at a time: no sorted copy of the (n, 2) keys
        k = keys[order, col]
        new[1:] &= k[1:] == k[:-1]
    new[1:] = ~new[1:]
    del k
    at = np.flatnonzero(new)  # where each sequence's rows start in sorted order
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    by_label = labels[order]
    conflict_group = np.zeros(len(at), dtype=bool)
    if n:  # a sequence seen with two labels: its smallest and largest differ
        conflict_group = np.minimum.reduceat(by_label, at) != np.maximum.reduceat(by_label, at)
    del by_label
    conflict = conflict_group[group]
    first = np.zeros(n, dtype=bool)
    first[order[at]] = True  # the earliest row of each sequence
    stats = {
        "duplicates": int((~conflict & ~first).sum()),
        "conflicting_sequences": int(conflict_group.sum()),
        "conflicting_rows": int(conflict.sum()),
    }
    return np.flatnonzero(first & ~conflict), group, stats


def count_shared_ids(ids: np.ndarray, split: np.ndarray) -> int:
    """:func:`count_shared` on sequence ids: how many distinct ``ids`` occur with more than one
    ``split`` code (both ``(n,)`` non-negative integers)."""
    width = int(split.max(initial=0)) + 1
    pairs = np.sort(ids.astype(np.int64) * width + split)  # (np.unique: ~20x slower here)
    pairs = pairs[np.flatnonzero(np.diff(pairs, prepend=-1))]  # distinct (id, split) pairs
    return int((np.bincount(pairs // width) > 1).sum())


def _cut_points(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    a = int(round(n * fractions[0]))
    b = int(round(n * (fractions[0] + fractions[1])))
    return a, max(a, min(b, n))


def assign_splits(
    df: pd.DataFrame, split_cfg: dict, seed: int, group_col: str | None = None
) -> np.ndarray:
    """Return an array (len(df),) of ``"train"``/``"dev"``/``"test"``, reproducible from ``seed``.

    Keys ``split_cfg`` lacks take the schema's ``datasets.split`` defaults.
    ``method: random`` (default): stratified by label, each class permuted with
    ``numpy.random.default_rng(seed)`` and cut by ``fractions`` (default 0.8/0.1/0.1). With
    ``group_col``, whole groups are permuted and assigned in turn to train until it holds
    ``fractions[0]`` of the rows, then dev, then test (not stratified), so rows sharing a group
    never straddle splits. ``method: chromosome``: rows on ``test_chromosomes`` go to test, on
    ``dev_chromosomes`` to dev, all others to train (a chromosome in both lists is an error).
    """
    split_cfg = {**schema_defaults("datasets", "split"), **split_cfg}
    method = split_cfg["method"]
    out = np.empty(len(df), dtype=object)
    if method == "chromosome":
        dev = set(split_cfg["dev_chromosomes"])
        test = set(split_cfg["test_chromosomes"])
        if dev & test:
            raise ValueError(f"chromosomes {sorted(dev & test)} are in both dev and test lists")
        chrom = df["chrom"].astype(str)
        out[:] = "train"
        out[chrom.isin(dev).to_numpy()] = "dev"
        out[chrom.isin(test).to_numpy()] = "test"
        return out
    if method != "random":
        raise ValueError(f"unknown split method {method!r}; expected random or chromosome")
    fractions = list(split_cfg["fractions"])
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"split fractions {fractions} must be 3 non-negative numbers summing to 1")
    rng = np.random.default_rng(seed)
    if group_col is None:
        labels = df["label"].to_numpy()
        for lab in sorted(pd.unique(labels).tolist(), key=str):
            idx = np.flatnonzero(labels == lab)
            idx = idx[rng.permutation(len(idx))]
            a, b = _cut_points(len(idx), fractions)
            out[idx[:a]], out[idx[a:b]], out[idx[b:]] = "train", "dev", "test"
        return out
    codes, uniques = pd.factorize(df[group_col], sort=True)
    sizes = np.bincount(codes, minlength=len(uniques))
    order = rng.permutation(len(uniques))
    cum = np.cumsum(sizes[order])
    n = len(df)
    a, b = _cut_points(n, fractions)
    group_split = np.empty(len(uniques), dtype=object)
    # a group goes to the split its first row would fall in
    start = cum - sizes[order]
    group_split[order] = np.where(start < a, "train", np.where(start < b, "dev", "test"))
    return group_split[codes]


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


_SPECIAL = ("\t", "\n", "\r", '"')


def _plain_columns(df: pd.DataFrame) -> list[str] | None:
    """Each column of ``df`` as text the way ``to_csv`` writes it, or None when some value would
    need quoting, is missing or is not an integer or a string (then pandas must write it)."""
    cols = []
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu":
            cols.append(col.to_numpy().astype(str).tolist())
        elif pd.api.types.is_string_dtype(col.dtype):
            values = col.tolist()
            if not all(type(v) is str for v in values):
                return None
            joined = "".join(values)
            if any(ch in joined for ch in _SPECIAL):
                return None
            cols.append(values)
        else:
            return None
    return cols


def append_tsv(df: pd.DataFrame, fh, rows_per_piece: int = 10_000) -> None:
    """Append the rows of ``df`` (no header) to the open text file ``fh`` (``newline=""``) as
    :func:`write_tsv` writes them: the same bytes as ``to_csv``'s rows, so a file written in
    pieces equals one written whole. A piece that needs quoting goes through pandas."""
    for a in range(0, len(df), rows_per_piece):
        piece = df.iloc[a : a + rows_per_piece]
        cols = _plain_columns(piece)
        if cols is None:
            piece.to_csv(fh, sep="\t", index=False, header=False, lineterminator="\n")
        else:
            fh.writelines("\t".join(r) + "\n" for r in zip(*cols, strict=True))


def write_tsv(df: pd.DataFrame, path: str | Path, rows_per_piece: int = 10_000) -> None:
    """``df.to_csv(path, sep="\\t", index=False, lineterminator="\\n")``, byte for byte, but
    several times faster in the common case: integer and plain-text columns (no TAB, newline or
    quote anywhere, no missing values) are joined directly, ``rows_per_piece`` rows at a time
    (bounded memory); anything else goes through pandas."""
    header = [str(c) for c in df.columns]
    if any(ch in "".join(header) for ch in _SPECIAL):
        df.to_csv(path, sep="\t", index=False, lineterminator="\n")
        return
    with open(path, "w", newline="") as fh:
        fh.write("\t".join(header) + "\n")
        for a in range(0, len(df), rows_per_piece):
            cols = _plain_columns(df.iloc[a : a + rows_per_piece])
            if cols is None:
                break
            fh.writelines("\t".join(r) + "\n" for r in zip(*cols, strict=True))
        else:
            return
    df.to_csv(path, sep="\t", index=False, lineterminator="\n")


_SPLIT_DTYPES = {"sequence": str, "chrom": str, "strand": str, "source": str}


def read_task_split(
    path: str | Path,
    *,
    rows: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read one split TSV written by :func:`write_task` (``sequence`` and ``chrom`` as text).

    ``rows``: sorted 0-based row numbers to keep (the index keeps them); ``columns``: only these.
    Either reads the file in pieces (:func:`iter_task_split`), so memory follows what is kept, not
    the file (a genome-wide promscan train split is ~5 GB of TSV, ~10 GB read whole).
    """
    if rows is None and columns is None:
        path = Path(path)
        df = pd.read_csv(path, sep="\t", dtype=_SPLIT_DTYPES, keep_default_na=False)
        _check_split_header(path, list(df.columns))
        return df
    pieces = list(iter_task_split(path, rows=rows, columns=columns))
    return pd.concat(pieces) if len(pieces) > 1 else pieces[0]


def iter_task_split(
    path: str | Path,
    *,
    rows: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    chunk_rows: int = 100_000,
):
    """:func:`read_task_split` in pieces of ``chunk_rows`` file rows: yields DataFrames whose index
    is the 0-based row number in the file (at least one, possibly empty). ``rows`` past the end
    of the file raise ValueError naming the file."""
    path = Path(path)
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
    _check_split_header(path, header)
    usecols = list(columns) if columns is not None else None
    dtypes = {c: t for c, t in _SPLIT_DTYPES.items() if usecols is None or c in usecols}
    wanted = None if rows is None else np.asarray(rows, dtype=np.int64)
    reader = pd.read_csv(
        path,
        sep="\t",
        dtype=dtypes,
        keep_default_na=False,
        usecols=usecols,
        chunksize=chunk_rows,
    )
    seen, yielded = 0, False
    for chunk in reader:
        start, seen = seen, seen + len(chunk)
        chunk.index = pd.RangeIndex(start, seen)  # file rows from 0
        if usecols is not None:
            chunk = chunk[[c for c in header if c in usecols]]  # file order, as a whole read
        if wanted is not None:
            a, b = np.searchsorted(wanted, [start, seen])
            chunk = chunk.loc[wanted[a:b]]
        if len(chunk):
            yielded = True
            yield chunk
    if wanted is not None and wanted.size and wanted[-1] >= seen:
        raise ValueError(f"{path}: row {int(wanted[-1])} asked for; the file has {seen} rows")
    if not yielded:
        empty = pd.read_csv(
            path, sep="\t", dtype=dtypes, keep_default_na=False, usecols=usecols, nrows=0
        )
        yield empty[[c for c in header if usecols is None or c in usecols]]


def _check_split_header(path: Path, header: list[str]) -> None:
    if header[:2] != ["sequence", "label"]:
        raise ValueError(f"{path}: header starts {header[:2]}; expected sequence, label")


def count_split_rows(path: str | Path) -> int:
    """Data rows of a split TSV: lines after the header (:func:`write_task` never writes a
    newline inside a field), a last line without its newline included."""
    n, tail = 0, b""
    with open(path, "rb") as fh:
        fh.readline()
        while block := fh.read(1 << 24):
            n += block.count(b"\n")
            tail = block[-1:]
    return n + (tail not in (b"", b"\n"))


def sample_rows(
    n: int, limit: int | None, seed: int, *, how: str = "permutation"
) -> np.ndarray | None:
    """Sorted row numbers of a fixed random subset of ``limit`` of ``n`` rows, or None (keep all)
    when ``limit`` is None or not smaller than ``n``. ``how`` picks the draw the callers have
    always made: ``permutation`` (``default_rng(seed).permutation(n)[:limit]``, fine-tuning) or
    ``pandas`` (``DataFrame.sample(limit, random_state=seed)``, the baselines)."""
    if not limit or n <= limit:
        return None
    if how == "permutation":
        return np.sort(np.random.default_rng(seed).permutation(n)[:limit])
    return np.sort(np.random.RandomState(seed).choice(n, size=int(limit), replace=False))

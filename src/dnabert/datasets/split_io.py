"""Reading and writing a task's split TSVs (``train.tsv``, ``dev.tsv``, ``test.tsv``): fast
plain writes where no field needs quoting, whole or chunked reads with the sequence columns as
text, header checks that name the file, row counts and reproducible samples."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

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

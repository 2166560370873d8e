"""Fast window extraction from an indexed FASTA.

Each chromosome is read once with :mod:`pysam` into an upper-case ``uint8`` array and windows are
cut with numpy (equal-length windows in one gather; reverse complement by a 256-entry lookup
table), instead of one ``pysam.FastaFile.fetch`` call per window (see
``benchmarks/bench_windows.py`` for the comparison).

Coordinates are 0-based half-open genomic positions ``[start, end)``. A FASTA record may hold a
slice of a chromosome: ``offsets={chrom: o}`` says the record's first base is genomic position
``o`` (so position ``p`` is index ``p - o``). Minus-strand windows are reverse-complemented.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pysam

from dnabert.genome import fetch_sequence, open_fasta
from dnabert.seq import check_letters

log = logging.getLogger(__name__)

# bytes -> upper-case; letters outside ACGTN map to 0 (they are refused before any cut)
_UPPER = np.zeros(256, dtype=np.uint8)
for _c in b"ACGTN":
    _UPPER[_c] = _c
    _UPPER[ord(chr(_c).lower())] = _c
_COMP = np.zeros(256, dtype=np.uint8)
for _a, _b in zip(b"ACGTN", b"TGCAN", strict=True):
    _COMP[_a] = _b


_CHUNK_BYTES = 64 << 20
_LOAD_PIECE = 16 << 20  # bases of a record read at a time
# windows covering less than 1/_SPARSE of a record are fetched one by one instead of loading it
_SPARSE = 16


class WindowError(ValueError):
    """A window lies off its chromosome or names an unknown chromosome."""


def fasta_lengths(fasta_path: str | Path) -> dict[str, int]:
    """``{record name: length}`` of an indexed FASTA (the ``.fai`` is built when missing)."""
    with open_fasta(fasta_path) as fa:
        return dict(zip(fa.references, fa.lengths, strict=True))


def load_chromosome(fasta: pysam.FastaFile | str | Path, chrom: str) -> np.ndarray:
    """Return one FASTA record as an upper-case ``uint8`` array of ASCII codes, shape ``(length,)``.

    Soft-masked (lower-case) bases are upper-cased. A letter other than ``ACGTN`` raises
    :class:`dnabert.seq.SequenceError` naming the FASTA, the record, the 0-based position and
    the letter (the corpus makes the same check with the same message).
    """
    if not isinstance(fasta, pysam.FastaFile):
        with open_fasta(fasta) as fa:
            return load_chromosome(fa, chrom)
    if chrom not in fasta.references:
        return _load_whole(fasta, chrom)  # fails as a whole-record fetch does
    # read in pieces into one array: ~1 byte per base at the peak, not ~3 (text, bytes, array)
    length = fasta.get_reference_length(chrom)
    seq = np.empty(length, dtype=np.uint8)
    for a in range(0, length, _LOAD_PIECE):
        b = min(a + _LOAD_PIECE, length)
        text = fetch_sequence(fasta, chrom, a, b)
        if len(text) != b - a:
            return _load_whole(fasta, chrom)
        seq[a:b] = _UPPER[np.frombuffer(text.encode("ascii", errors="replace"), np.uint8)]
    if not seq.all():  # a 0 marks a letter outside ACGTN: the whole record names them all
        return _load_whole(fasta, chrom)
    return seq


def _load_whole(fasta: pysam.FastaFile, chrom: str) -> np.ndarray:
    raw = np.frombuffer(fetch_sequence(fasta, chrom).encode("ascii", errors="replace"), np.uint8)
    seq = _UPPER[raw]
    if not seq.all():  # a 0 marks a letter outside ACGTN
        check_letters(raw, f"{fasta.filename.decode()}: record {chrom}")
    return seq


def fetch_window(fa: pysam.FastaFile, chrom: str, start: int, end: int) -> str:
    """The upper-case text of ``[start, end)`` on ``chrom`` (0-based, plus strand).

    A letter other than ``ACGTN`` raises :class:`dnabert.seq.SequenceError` naming the FASTA,
    the record and the genomic 0-based position.
    """
    text = fetch_sequence(fa, chrom, start, end)
    check_letters(text, f"{fa.filename.decode()}: record {chrom}", start=start)
    return text.upper()


def cut_block(seq: np.ndarray, starts: np.ndarray, width: int, minus: np.ndarray) -> np.ndarray:
    """Equal-length windows ``seq[s : s + width]`` of a chromosome array (:func:`load_chromosome`)
    as one ``uint8`` array of shape ``(len(starts), width)`` (a copy); rows where ``minus`` is
    True are reverse-complemented. ``starts`` are indices into ``seq``, already in bounds."""
    view = np.lib.stride_tricks.sliding_window_view(seq, width)  # no copy
    block = view[starts]  # (n_windows, width), a copy
    if minus.any():
        block[minus] = _COMP[block[minus, ::-1]]
    return block


def _fetch_each(
    fa: pysam.FastaFile, chrom: str, starts: np.ndarray, ends: np.ndarray, minus: np.ndarray
) -> list[str]:
    """Windows of one record fetched one at a time (record coordinates, already in bounds)."""
    return [
        _oriented(np.frombuffer(fetch_window(fa, chrom, s, e).encode("ascii"), np.uint8), m)
        for s, e, m in zip(starts.tolist(), ends.tolist(), minus.tolist(), strict=True)
    ]


def _oriented(window: np.ndarray, minus: bool) -> str:
    """One window's text, reverse-complemented when ``minus``."""
    return (_COMP[window[::-1]] if minus else window).tobytes().decode("ascii")


def _cut(seq: np.ndarray, starts: np.ndarray, ends: np.ndarray, minus: np.ndarray) -> list[str]:
    """Cut windows from one chromosome array (indices already checked to be in bounds)."""
    lengths = ends - starts
    if len(starts) and (lengths == lengths[0]).all():
        width = int(lengths[0])
        out: list[str] = []
        step = max(1, _CHUNK_BYTES // width)  # bound memory of the gather
        for a in range(0, len(starts), step):
            block = cut_block(seq, starts[a : a + step], width, minus[a : a + step])
            text = block.tobytes().decode("ascii")
            out.extend(text[i * width : (i + 1) * width] for i in range(len(block)))
        return out
    return [
        _oriented(seq[s:e], m)
        for s, e, m in zip(starts.tolist(), ends.tolist(), minus.tolist(), strict=True)
    ]


def extract_windows(
    fasta_path: str | Path,
    chroms: Sequence[str] | str,
    starts: Sequence[int] | np.ndarray,
    ends: Sequence[int] | np.ndarray,
    strands: Sequence[str] | str = "+",
    *,
    offsets: Mapping[str, int] | None = None,
    off_genome: str = "raise",
) -> list[str | None]:
    """Cut windows ``[start, end)`` (0-based genomic) from ``fasta_path``, one string per window.

    ``chroms`` and ``strands`` may be one value for all windows or one per window; strands are
    ``+``, ``-`` or ``.`` (``-`` is reverse-complemented). Each chromosome is loaded once.
    Output order follows the input. Sequences are upper-case ``ACGTN``. A chromosome whose windows
    cover less than 1/16 of it is not loaded: its windows are fetched one at a time (same text),
    so the cost follows the windows, not the genome size.

    A window that leaves its record (``start < offset`` or ``end > offset + length``) or names
    a record the FASTA lacks raises :class:`WindowError` (``off_genome="raise"``), or yields
    ``None`` in its place (``off_genome="none"``). A letter other than ``ACGTN`` in a window
    raises (on a loaded chromosome: anywhere in it, :func:`load_chromosome`). ``start >= end``
    always raises.
    """
    n = len(starts)
    chroms_arr = np.asarray([chroms] * n if isinstance(chroms, str) else chroms, dtype=object)
    strands_arr = np.asarray([strands] * n if isinstance(strands, str) else strands, dtype=object)
    starts_arr = np.asarray(starts, dtype=np.int64)
    ends_arr = np.asarray(ends, dtype=np.int64)
    if not (len(chroms_arr) == len(strands_arr) == len(ends_arr) == n):
        raise ValueError("chroms, starts, ends and strands must have the same length")
    if n and (ends_arr <= starts_arr).any():
        i = int(np.flatnonzero(ends_arr <= starts_arr)[0])
        raise WindowError(f"window {i}: end {ends_arr[i]} <= start {starts_arr[i]}")
    offsets = dict(offsets or {})
    out: list[str | None] = [None] * n
    with open_fasta(fasta_path) as fa:
        lengths = dict(zip(fa.references, fa.lengths, strict=True))
        for chrom in dict.fromkeys(chroms_arr.tolist()):
            idx = np.flatnonzero(chroms_arr == chrom)
            off = offsets.get(chrom, 0)
            if chrom not in lengths:
                if off_genome == "raise":
                    raise WindowError(f"{fasta_path}: no record named {chrom!r}")
                continue
            s, e = starts_arr[idx] - off, ends_arr[idx] - off
            inside = (s >= 0) & (e <= lengths[chrom])
            if not inside.all() and off_genome == "raise":
                j = idx[int(np.flatnonzero(~inside)[0])]
                raise WindowError(
                    f"{fasta_path}: window {chrom}:{starts_arr[j]}-{ends_arr[j]} lies outside "
                    f"the record ({chrom} covers [{off}, {off + lengths[chrom]}))"
                )
            minus = strands_arr[idx] == "-"
            if int((e - s)[inside].sum()) * _SPARSE < lengths[chrom]:
                cut = _fetch_each(fa, chrom, s[inside], e[inside], minus[inside])
            else:
                cut = _cut(load_chromosome(fa, chrom), s[inside], e[inside], minus[inside])
            for j, w in zip(idx[inside].tolist(), cut, strict=True):
                out[j] = w
    return out

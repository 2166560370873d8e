"""Sequence conventions shared by every stage.

Sequences are upper-case ``ACGT`` with ``N`` for unknown. Soft-masked (lower-case) input is
upper-cased; any other letter is an error that names the record and position. Minus-strand
windows are reverse-complemented so every sequence reads 5'->3' on its own strand.
One-hot tensors have shape ``(N, 4, L)`` with channels in ``ACGT`` order; ``N`` is all-zero.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGT"
_VALID = np.zeros(256, dtype=bool)  # ACGTN in either case (soft-masked input)
for _c in b"ACGTNacgtn":
    _VALID[_c] = True
_VALID_UPPER = np.zeros(256, dtype=bool)  # ACGTN only: a cleaned sequence
for _c in b"ACGTN":
    _VALID_UPPER[_c] = True
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")
_ONEHOT_INDEX = np.full(256, -2, dtype=np.int8)  # -1: N (all-zero column), -2: not a base
_ONEHOT_INDEX[ord("N")] = -1
for _i, _c in enumerate(ALPHABET.encode()):
    _ONEHOT_INDEX[_c] = _i


class SequenceError(ValueError):
    """A sequence holds a letter outside ``ACGTN`` (case-insensitive)."""


def _as_uint8(seq: str | bytes | np.ndarray) -> np.ndarray:
    if isinstance(seq, np.ndarray):
        return seq
    if isinstance(seq, str):
        # one byte per character ('?' for non-ASCII), so positions stay those of the text
        seq = seq.encode("ascii", errors="replace")
    return np.frombuffer(seq, dtype=np.uint8)


def check_letters(
    seq: str | bytes | np.ndarray, record: str, *, start: int = 0, upper_only: bool = False
) -> None:
    """Raise :class:`SequenceError` when ``seq`` holds a letter outside ``ACGTN``.

    The one check every stage uses (genome windows, corpus, users' tasks, the dataset writer).
    ``seq`` is text, bytes or a 1-D ``uint8`` array of ASCII codes; lower case is accepted
    (soft-masking) unless ``upper_only``. The message names ``record`` (say ``"g.fa: record
    chr2"``), the 0-based position ``start + i`` of the first bad letter (pass the window's
    genomic start to get genomic positions), the letter, and how many such letters there are.
    """
    raw = _as_uint8(seq)
    bad = np.flatnonzero(~(_VALID_UPPER if upper_only else _VALID)[raw])
    if bad.size:
        i = int(bad[0])
        letter = seq[i] if isinstance(seq, str) else chr(raw[i])
        more = f" ({bad.size} such letters)" if bad.size > 1 else ""
        case = "upper-case " if upper_only else ""
        raise SequenceError(
            f"{record}: invalid letter {letter!r} at position {start + i}{more}; "
            f"expected only {case}A, C, G, T or N"
        )


def clean_sequence(seq: str, record: str = "<sequence>", *, start: int = 0) -> str:
    """Upper-case ``seq`` and check it holds only ``ACGTN`` (:func:`check_letters`).

    Raises :class:`SequenceError` naming ``record`` and the position (``start`` + 0-based index)
    of the first bad letter.
    """
    check_letters(seq, record, start=start)
    return seq.upper()


def reverse_complement(seq: str) -> str:
    """Reverse complement of an ``ACGTN`` sequence (case is kept)."""
    return seq.translate(_COMPLEMENT)[::-1]


def gc_content(seq: str) -> float:
    """Fraction of G or C among the non-N bases (0.0 for an all-N or empty sequence)."""
    s = seq.upper()
    acgt = len(s) - s.count("N")
    return (s.count("G") + s.count("C")) / acgt if acgt else 0.0


def one_hot(seqs: list[str] | str) -> np.ndarray:
    """One-hot encode equal-length sequences to ``float32`` of shape ``(N, 4, L)``; ``N`` -> zeros.

    Lower case counts as upper case; any other letter raises :class:`SequenceError` naming the
    sequence (its index in ``seqs``) and the position, never a silent all-zero column.
    """
    if isinstance(seqs, str):
        seqs = [seqs]
    if not seqs:
        return np.zeros((0, 4, 0), dtype=np.float32)
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        raise ValueError("one_hot needs sequences of equal length")
    codes = np.frombuffer("".join(seqs).upper().encode("ascii"), dtype=np.uint8)
    idx = _ONEHOT_INDEX[codes].reshape(len(seqs), length)  # (N, L), -1 for N
    if (idx == -2).any():
        row, pos = (int(v[0]) for v in np.nonzero(idx == -2))
        raise SequenceError(
            f"sequence {row}: letter {seqs[row][pos]!r} at position {pos} is not one of ACGTN"
        )
    out = np.zeros((len(seqs), length, 4), dtype=np.float32)
    n, pos = np.nonzero(idx >= 0)
    out[n, pos, idx[n, pos]] = 1.0
    return out.transpose(0, 2, 1).copy()  # (N, 4, L)

"""Opening input files that may or may not be gzip (or bgzip) compressed.

Compression is told by the file's first two bytes, not its name: downloads are decompressed
unless their name ends in ``.gz``, and users name files freely.

Every reader opens its inputs here, so a truncated or corrupt ``.gz`` (``EOFError: Compressed
file ended before the end-of-stream marker``) or bytes that are not text surface as one
:class:`InputFileError` that names the file, wherever they are met while reading.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator

GZIP_MAGIC = b"\x1f\x8b"


class InputFileError(ValueError):
    """An input file cannot be read to its end: truncated or corrupt gzip data, or not text."""


def is_gzip(path: str | os.PathLike) -> bool:
    """True when ``path`` starts with the gzip magic bytes (gzip and bgzip alike)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def _explain(path, exc: BaseException) -> InputFileError:
    if isinstance(exc, EOFError):
        why = (
            "the gzip data ends before its end-of-stream marker (a truncated file: "
            "an interrupted download or copy?); fetch or copy it again"
        )
    elif isinstance(exc, UnicodeDecodeError):
        why = f"it is not text ({exc})"
    else:
        why = f"its gzip data is corrupt ({exc}); fetch or copy it again"
    return InputFileError(f"{path}: cannot be read to its end: {why}")


_READ_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError)


class _Reader:
    """A file object whose read errors name the file (see the module docstring)."""

    def __init__(self, fh, path):
        self._fh, self._path = fh, path

    def _call(self, method, *args):
        try:
            return method(*args)
        except _READ_ERRORS as exc:
            raise _explain(self._path, exc) from exc

    def __iter__(self):
        return self

    def __next__(self):
        return self._call(self._fh.__next__)

    def read(self, *args):
        return self._call(self._fh.read, *args)

    def readline(self, *args):
        return self._call(self._fh.readline, *args)

    def readlines(self, *args):
        return self._call(self._fh.readlines, *args)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._fh.close()

    def __getattr__(self, name):  # close, seek, name, ...: the underlying file's
        return getattr(self._fh, name)


def open_text(path: str | os.PathLike):
    """Open ``path`` for reading text, through gzip when it is compressed."""
    return _Reader(gzip.open(path, "rt") if is_gzip(path) else open(path), path)


def bed_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """``(1-based line number, line)`` of each data line of a BED-like file (plain or gzip):
    blank lines and ``#``, ``track`` and ``browser`` lines are skipped; lines keep their end."""
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip() and not line.startswith(("#", "track", "browser")):
                yield lineno, line


def open_bytes(path: str | os.PathLike):
    """Open ``path`` for reading bytes, through gzip when it is compressed."""
    return _Reader(gzip.open(path, "rb") if is_gzip(path) else open(path, "rb"), path)

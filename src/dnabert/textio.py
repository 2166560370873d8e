"""Opening input files that may or may not be gzip (or bgzip) compressed.

Compression is told by the file's first two bytes, not its name: downloads are decompressed
unless their name ends in ``.gz``, and users name files freely.
"""

from __future__ import annotations

import gzip
import os

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: str | os.PathLike) -> bool:
    """True when ``path`` starts with the gzip magic bytes (gzip and bgzip alike)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_text(path: str | os.PathLike):
    """Open ``path`` for reading text, through gzip when it is compressed."""
    return gzip.open(path, "rt") if is_gzip(path) else open(path)

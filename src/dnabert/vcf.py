"""Reading a VCF for variant scoring (:mod:`dnabert.variants`): plain, gzip or bgzip through
pysam (a plain or gzip file is recompressed to a temporary BGZF copy first), one row per ALT
allele with the listed INFO fields as text, and the facts a summary reports (records, contig
lines, INFO fields missing from the header). Positions are VCF's 1-based ``POS``."""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from dnabert.textio import is_gzip

log = logging.getLogger(__name__)


class VariantError(ValueError):
    """A VCF cannot be read or scored; the message names the file and record."""


def is_bgzf(path: str | os.PathLike) -> bool:
    """True for a BGZF (bgzip) file: gzip whose first member has the ``BC`` extra subfield."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    return len(head) == 18 and head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


@contextlib.contextmanager
def _htslib_readable(path: Path) -> Iterator[Path]:
    """``path``, or a temporary plain copy of a gzip (not bgzip) file, which htslib cannot open
    for reading records (it seeks back after the header)."""
    if not is_gzip(path) or is_bgzf(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="dnabert-vcf-") as tmp:
        plain = Path(tmp) / "plain.vcf"
        with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield plain


@contextlib.contextmanager
def _quiet_htslib() -> Iterator[None]:
    """Silence htslib's stderr warnings (ClinVar's missing ``##contig`` lines warn per record);
    what matters is counted and logged here instead."""
    previous = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


def _info_text(value) -> str:
    """An INFO value as VCF text: tuples joined by ``,``, flags ``1``/empty, missing empty."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, tuple):
        return ",".join("" if v is None else str(v) for v in value)
    return str(value)


def read_vcf(path: str | os.PathLike, info_fields: Sequence[str] = ()) -> tuple[pd.DataFrame, dict]:
    """One row per ALT allele of every record of a VCF (plain, gzip or bgzip).

    Columns: ``chrom`` (as written), ``pos`` (1-based, int64), ``end`` (1-based inclusive
    end: INFO ``END`` when given, as for symbolic alleles, else ``pos + len(REF) - 1``), ``id``
    (``.`` when missing),
    ``ref``, ``alt`` (``.`` for a record without ALT), ``record`` (0-based record index) and one
    text column per name in ``info_fields`` (``,``-joined values; empty when absent or not
    declared in the header). Returns ``(table, facts)``: ``facts`` holds ``n_records``,
    ``n_contig_lines`` and ``info_fields_not_in_header``. Errors name the file (and record).
    """
    path = Path(path)
    rows: list[tuple] = []
    n = 0
    try:
        with (
            _htslib_readable(path) as readable,
            _quiet_htslib(),
            pysam.VariantFile(str(readable)) as vcf,
        ):
            declared = set(vcf.header.info)
            missing = [f for f in info_fields if f not in declared]
            facts = {
                "n_contig_lines": len(vcf.header.contigs),
                "info_fields_not_in_header": missing,
            }
            for rec in vcf:
                info = [_info_text(rec.info.get(f)) if f in declared else "" for f in info_fields]
                for alt in rec.alts or (".",):
                    row = (rec.chrom, rec.pos, rec.stop, rec.id or ".", rec.ref, alt, n)
                    rows.append((*row, *info))
                n += 1
    except (OSError, ValueError, EOFError, NotImplementedError) as exc:
        where = f" (after record {n})" if n else ""
        raise VariantError(f"{path}: cannot be read as VCF{where}: {exc}") from exc
    facts["n_records"] = n
    columns = ["chrom", "pos", "end", "id", "ref", "alt", "record", *info_fields]
    table = pd.DataFrame(rows, columns=columns).astype({"pos": np.int64, "end": np.int64})
    if missing:
        log.warning("%s: INFO field(s) %s not declared in the header: left empty", path, missing)
    return table, facts

"""Readers for EPDnew promoter input: TSS lists and TATA-box promoter lists.

TSS tables come back as a DataFrame ``chrom, tss, strand, name, line`` with ``tss`` the 0-based
position of the TSS base (``genome[tss]``) and ``line`` the 1-based line of the input file the row
came from (for error messages). Accepted TSS formats (gzip or plain, detected per file):

* EPDnew BED8 ``chrom start end name score strand thickStart thickEnd``: ``+`` TSS = thickStart,
  ``-`` TSS = thickEnd - 1 (UCSC epdNewPromoter convention, checked against EPD's SGA files).
* EPDnew BED6 without thick columns (EPD's own 60 bp BED, -49..+10): ``+`` TSS = start + 49,
  ``-`` TSS = end - 50.
* EPD SGA ``NC_0000NN.v  TSS  position  strand  count  name`` with 1-based position: TSS =
  position - 1. Human RefSeq accessions (GRCh38 or GRCh37 versions) become ``chr1..chr22, chrX,
  chrY, chrM``; names that are not RefSeq accessions are kept as they are.
* TSV with a header ``chrom tss strand name`` and 0-based ``tss``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from dnabert.textio import open_text

_REFSEQ = re.compile(r"^NC_0000(\d\d)\.\d+$")
_REFSEQ_SPECIAL = {"23": "chrX", "24": "chrY"}


class PromoterInputError(ValueError):
    """A promoter input file holds a line that cannot be read; the message names file and line."""


def _lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(1-based line number, line without newline)`` for non-blank, non-comment lines."""
    with open_text(path) as fh:
        for i, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if line.strip() and not line.startswith(("#", "track ", "browser ")):
                yield i, line


def refseq_to_ucsc(name: str) -> str:
    """``NC_000001.11 -> chr1`` ... ``NC_000023.* -> chrX``, ``NC_000024.* -> chrY``,
    ``NC_012920.1 -> chrM``; any other name is returned unchanged."""
    if name == "NC_012920.1":
        return "chrM"
    m = _REFSEQ.match(name)
    if not m:
        return name
    nn = m.group(1)
    if nn in _REFSEQ_SPECIAL:
        return _REFSEQ_SPECIAL[nn]
    if 1 <= int(nn) <= 22:
        return f"chr{int(nn)}"
    return name


def _int(value: str, path, line: int, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PromoterInputError(
            f"{path}: line {line}: {what} {value!r} is not an integer"
        ) from None


def read_tss_chrom_names(path: str | Path) -> set[str]:
    """Chromosome names of a TSS list as the promoter builders read it (EPDnew BED, SGA with
    RefSeq accessions mapped to ``chr`` names, or a ``chrom tss strand name`` TSV)."""
    return set(read_tss(path)["chrom"])


def read_tss(path: str | Path) -> pd.DataFrame:
    """Read an EPDnew TSS list (BED8, BED6, SGA or ``chrom tss strand name`` TSV; see module doc).

    Returns ``chrom, tss, strand, name, line`` (``tss`` 0-based, int64). Raises
    :class:`PromoterInputError` naming the file and line for a malformed line, a strand other
    than ``+``/``-``, a negative TSS, a BED line with ``end < start`` (or a thick part outside
    it), or an empty file.
    """
    rows = []
    fmt = None
    for ln, line in _lines(path):
        f = line.split("\t") if "\t" in line else line.split()
        if fmt is None:
            if [c.lower() for c in f[:4]] == ["chrom", "tss", "strand", "name"]:
                fmt = "tsv"
                continue
            if len(f) >= 6 and f[1] == "TSS":
                fmt = "sga"
            elif len(f) >= 8:
                fmt = "bed8"
            elif len(f) >= 6:
                fmt = "bed6"
            else:
                raise PromoterInputError(
                    f"{path}: line {ln}: cannot tell the format from {len(f)} columns; expected "
                    "EPDnew BED (6 or 8 columns), SGA (6 columns) or a 'chrom tss strand name' TSV"
                )
        need = {"tsv": 4, "sga": 6, "bed8": 8, "bed6": 6}[fmt]
        if len(f) < need:
            raise PromoterInputError(
                f"{path}: line {ln}: {len(f)} columns; expected at least {need} ({fmt})"
            )
        if fmt == "tsv":
            chrom, tss, strand, name = f[0], _int(f[1], path, ln, "tss"), f[2], f[3]
        elif fmt == "sga":
            chrom, strand, name = refseq_to_ucsc(f[0]), f[3], f[5]
            tss = _int(f[2], path, ln, "position") - 1
        else:
            chrom, name, strand = f[0], f[3], f[5]
            start, end = _int(f[1], path, ln, "start"), _int(f[2], path, ln, "end")
            if end < start:
                raise PromoterInputError(
                    f"{path}: line {ln}: end {end} < start {start}; expected BED 0 <= start <= end"
                )
            if fmt == "bed8":
                thick_s, thick_e = (
                    _int(f[6], path, ln, "thickStart"),
                    _int(f[7], path, ln, "thickEnd"),
                )
                if not start <= thick_s < thick_e <= end:
                    raise PromoterInputError(
                        f"{path}: line {ln}: thickStart..thickEnd {thick_s}..{thick_e}; expected "
                        f"start <= thickStart < thickEnd <= end ({start}..{end})"
                    )
                tss = thick_s if strand == "+" else thick_e - 1
            else:
                tss = start + 49 if strand == "+" else end - 50
        if strand not in ("+", "-"):
            raise PromoterInputError(f"{path}: line {ln}: strand {strand!r}; expected + or -")
        if tss < 0:
            raise PromoterInputError(f"{path}: line {ln}: TSS {tss} is negative (off the genome)")
        rows.append((chrom, tss, strand, name, ln))
    if not rows:
        raise PromoterInputError(f"{path}: no TSS records found (empty file?)")
    df = pd.DataFrame(rows, columns=["chrom", "tss", "strand", "name", "line"])
    df["tss"] = df["tss"].astype("int64")
    return df


_NAME_COLUMNS = ("name", "promoter", "promoter_id", "id")


def _is_flag_header(fields: list[str]) -> bool:
    return len(fields) >= 2 and any(f.strip().lower().startswith("tata") for f in fields)


def read_tata_names(path: str | Path, column: str | None = None) -> set[str]:
    """Read the names of TATA-box promoters.

    ``column`` names the flag column of a flag table (config ``datasets.promoters.tata_column``,
    e.g. EPD's ``TATA-box``; case-insensitive); None takes the first column whose header
    starts with ``TATA``.

    Accepted (detected from the first non-blank line):

    * EPD's ``promoter_motifs.txt``: a TAB table whose header line starts with ``#``
      (``#Name<TAB>TATA-box<TAB>Inr<TAB>CCAAT-box<TAB>GC-box``) and whose rows hold 0/1 flags;
      names with TATA-box flag 1 are returned. Any tab table whose header (``#`` optional) has a
      column starting with ``TATA`` and a name column (``name``, ``promoter``, ``promoter_id``,
      ``id``, else the first column of a ``#`` header) is read the same way.
    * EPD FASTA (``>FP001162 ECHDC1_3 ...``): the second header token is the name.
    * A BED (name = column 4) or SGA (name = column 6) of TATA promoters, space or tab
      delimited; otherwise one name per line (first token). ``#`` lines are comments here.

    CRLF line endings and gzip are accepted. Raises :class:`PromoterInputError` naming the file
    and line for an empty file, a flag table without a name column, a short row or a flag other
    than 0/1.
    """
    with open_text(path) as fh:
        raw = [(i, line.rstrip("\r\n")) for i, line in enumerate(fh, start=1)]
    raw = [(i, line) for i, line in raw if line.strip()]
    if not raw:
        raise PromoterInputError(f"{path}: no TATA promoter names found (empty file?)")
    first_ln, first = raw[0]
    header = first.lstrip("#").split("\t")
    if first.startswith(">"):
        return _tata_from_fasta(path, raw)
    if _is_flag_header(header):
        return _tata_from_flag_table(path, raw, header, hashed=first.startswith("#"), column=column)
    names: set[str] = set()
    for _ln, line in raw:
        if line.startswith(("#", "track ", "browser ")):
            continue
        f = line.split("\t") if "\t" in line else line.split()
        if len(f) >= 6 and f[1] == "TSS":
            names.add(f[5])
        elif len(f) >= 6:
            names.add(f[3])
        else:
            names.add(f[0].strip())
    if not names:
        raise PromoterInputError(f"{path}: no TATA promoter names found (only comments?)")
    return names


def _tata_from_fasta(path, raw) -> set[str]:
    names = set()
    for ln, line in raw:
        if line.startswith(">"):
            tok = line[1:].split()
            if len(tok) < 2:
                raise PromoterInputError(
                    f"{path}: line {ln}: FASTA header {line!r} lacks the promoter name "
                    "(second token)"
                )
            names.add(tok[1])
    return names


def _tata_from_flag_table(path, raw, header, *, hashed: bool, column: str | None) -> set[str]:
    lower = [h.strip().lower() for h in header]
    name_col = next((lower.index(c) for c in _NAME_COLUMNS if c in lower), None)
    if name_col is None and hashed:
        name_col = 0  # EPD: '#Name' is the first column
    if name_col is None:
        raise PromoterInputError(
            f"{path}: line {raw[0][0]}: table with a TATA column {header} needs a name column "
            f"(one of {', '.join(_NAME_COLUMNS)})"
        )
    if column is None:
        flag_col = next(i for i, h in enumerate(lower) if h.startswith("tata"))
    elif column.strip().lower() in lower:
        flag_col = lower.index(column.strip().lower())
    else:
        raise PromoterInputError(
            f"{path}: line {raw[0][0]}: no column {column!r} (datasets.promoters.tata_column) "
            f"in the header {header}"
        )
    names: set[str] = set()
    for ln, line in raw[1:]:
        if line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) <= max(flag_col, name_col):
            raise PromoterInputError(
                f"{path}: line {ln}: {len(f)} tab-separated columns; expected "
                f"{len(header)} as in the header {header}"
            )
        flag = f[flag_col].strip()
        if flag not in ("0", "1"):
            raise PromoterInputError(
                f"{path}: line {ln}: {header[flag_col]} flag {flag!r}; expected 0 or 1"
            )
        if flag == "1":
            names.add(f[name_col].strip())
    return names

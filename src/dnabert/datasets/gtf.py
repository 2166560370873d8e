"""Reading transcripts from a GTF annotation (GENCODE or Ensembl, plain or gzip) for the
splice task (:mod:`dnabert.datasets.splice`): exons become 0-based half-open ``[start, end)``
(GTF's are 1-based inclusive), grouped per transcript with its chromosome, strand and type."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dnabert.textio import open_text

# Only the attributes needed are searched for: a full attribute parse costs several times more
# on a 1.6 M-exon GENCODE GTF. Values may be quoted (GTF) or bare.
_TRANSCRIPT_ID = re.compile(r'(?:^|;)\s*transcript_id\s+(?:"([^"]*)"|([^;\s"]+))')


_TRANSCRIPT_TYPE = re.compile(r'(?:^|;)\s*transcript_(?:type|biotype)\s+(?:"([^"]*)"|([^;\s"]+))')


class GTFError(ValueError):
    """A GTF line is malformed; the message names the file and the 1-based line number."""


@dataclass
class Transcript:
    """One transcript: exons as 0-based half-open ``(start, end)`` pairs, sorted by start."""

    transcript_id: str
    chrom: str
    strand: str
    transcript_type: str | None
    exons: list[tuple[int, int]] = field(default_factory=list)

    @property
    def span(self) -> tuple[int, int]:
        return self.exons[0][0], self.exons[-1][1]


def read_gtf_transcripts(
    path: str | Path, chrom_sizes: dict[str, int] | None = None
) -> dict[str, Transcript]:
    """Stream the exon lines of a GTF (plain or gzip) into transcripts.

    Returns ``{transcript_id: Transcript}`` with exons converted to 0-based half-open and sorted.
    The type is the attribute ``transcript_type`` (GENCODE) or ``transcript_biotype`` (Ensembl),
    ``None`` when neither is present. Comment (``#``) and blank lines are skipped; other feature
    types are ignored without parsing their attributes.

    Raises :class:`GTFError` naming the file and 1-based line for: fewer than 9 tab-separated
    fields, non-integer or invalid coordinates (``start < 1`` or ``end < start``), an exon with a
    strand other than ``+``/``-``, an exon without ``transcript_id``, one transcript's exons on
    two chromosomes or strands, or (given ``chrom_sizes``) an exon ending past the end of its
    chromosome (a GTF for another assembly or patch). Chromosomes absent from ``chrom_sizes``
    are not checked here (the builders count and skip them).
    """
    path = Path(path)
    transcripts: dict[str, Transcript] = {}
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            where = f"{path}:{lineno}"
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 9:
                raise GTFError(f"{where}: expected 9 tab-separated GTF fields, found {len(fields)}")
            if fields[2] != "exon":
                continue
            chrom, _, _, start, end, _, strand, _, attr_text = fields[:9]
            try:
                start1, end1 = int(start), int(end)
            except ValueError:
                raise GTFError(
                    f"{where}: start/end must be integers, got {start!r}/{end!r}"
                ) from None
            if start1 < 1 or end1 < start1:
                raise GTFError(f"{where}: expected 1 <= start <= end, got {start1}..{end1}")
            if chrom_sizes is not None and chrom in chrom_sizes and end1 > chrom_sizes[chrom]:
                raise GTFError(
                    f"{where}: exon {chrom}:{start1}-{end1} ends past the end of {chrom} "
                    f"({chrom_sizes[chrom]} bp in the genome); expected end <= "
                    f"{chrom_sizes[chrom]} (is the GTF for another assembly?)"
                )
            if strand not in ("+", "-"):
                raise GTFError(f"{where}: exon strand must be '+' or '-', got {strand!r}")
            m = _TRANSCRIPT_ID.search(attr_text)
            tid = (m.group(1) or m.group(2)) if m else None
            if not tid:
                raise GTFError(f"{where}: exon line has no transcript_id attribute")
            m = _TRANSCRIPT_TYPE.search(attr_text)
            ttype = (m.group(1) or m.group(2)) if m else None
            tx = transcripts.get(tid)
            if tx is None:
                tx = transcripts[tid] = Transcript(tid, chrom, strand, ttype)
            elif tx.chrom != chrom or tx.strand != strand:
                raise GTFError(
                    f"{where}: transcript {tid} has exons on {tx.chrom}{tx.strand} and "
                    f"{chrom}{strand}; expected one chromosome and strand"
                )
            tx.exons.append((start1 - 1, end1))
    for tx in transcripts.values():
        tx.exons.sort()
    return transcripts


def is_selected(tx: Transcript, transcript_types: Iterable[str] | None) -> bool:
    """True when ``transcript_types`` is empty/None (all types) or holds the transcript's type."""
    types = set(transcript_types or ())
    return not types or tx.transcript_type in types

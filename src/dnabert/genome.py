"""Reference genome: index, chromosome sizes, canonical chromosomes, naming checks.

``index_genome`` writes ``{fasta}.fai`` (pysam), ``{prefix}.chrom.sizes`` (every sequence,
``name<TAB>length``, FASTA order) and ``{prefix}.canonical.txt`` (the canonical chromosomes
that datasets and pretraining use). :func:`check_chromosome_names` compares the chromosome names
used by other inputs with the genome's and explains a ``chr1`` versus ``1`` mismatch.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pysam

from dnabert.provenance import atomic_path
from dnabert.textio import bed_lines, is_gzip, open_bytes


class GenomeError(ValueError):
    """Inputs disagree with the genome (file, record and expectation are named)."""


class StaleIndexError(GenomeError):
    """A FASTA's ``.fai`` no longer describes it (the FASTA changed after indexing)."""


def _stale(fasta, fai, cause: str) -> StaleIndexError:
    return StaleIndexError(
        f"{fasta}: its index {fai} is stale: {cause}; the FASTA changed after it was indexed. "
        f"Re-index: delete {fai} and rerun index_genome (or `dnabert index-genome {fasta}`)"
    )


def check_fasta_index(fasta: str | os.PathLike) -> None:
    """Raise :class:`StaleIndexError` when ``{fasta}.fai`` no longer describes ``fasta``.

    A missing index is fine (pysam builds one). For a plain-text FASTA every ``.fai`` entry is
    checked against the file: the record's header line ends right before its sequence offset,
    and its sequence (length and line layout from the index) ends where the next record or the
    file ends (one seek and a short read per record: milliseconds for hg38). A bgzip FASTA's
    offsets are in uncompressed bytes, so there only the times are compared (an index older than
    its FASTA is stale). A FASTA and index found consistent are not checked again in this
    process until either file's size or time changes.
    """
    fasta = Path(fasta)
    fai = Path(f"{fasta}.fai")
    if not fai.exists():
        return
    st, st_fai = fasta.stat(), fai.stat()
    key = (str(fasta.resolve()), st.st_mtime_ns, st.st_size, st_fai.st_mtime_ns, st_fai.st_size)
    if key in _CHECKED_INDEXES:  # builders open one FASTA many times; check it once
        return
    _check_fasta_index(fasta, fai)
    _CHECKED_INDEXES.add(key)


_CHECKED_INDEXES: set[tuple] = set()


def _check_fasta_index(fasta: Path, fai: Path) -> None:
    if is_gzip(fasta):
        if fai.stat().st_mtime_ns < fasta.stat().st_mtime_ns:
            raise _stale(fasta, fai, f"{fai} is older than {fasta}")
        return
    entries = []
    with open(fai) as fh:
        for lineno, line in enumerate(fh, 1):
            f = line.rstrip("\n").split("\t")
            try:
                entries.append((f[0], int(f[1]), int(f[2]), int(f[3]), int(f[4])))
            except (IndexError, ValueError):
                raise GenomeError(
                    f"{fai}:{lineno}: expected 'name<TAB>length<TAB>offset<TAB>linebases<TAB>"
                    f"linewidth', got {line!r}; delete {fai} to re-index {fasta}"
                ) from None
    size = fasta.stat().st_size
    with open(fasta, "rb") as fh:
        for i, (name, length, offset, bases, width) in enumerate(entries):
            fh.seek(max(0, offset - 4096))
            before = fh.read(offset - max(0, offset - 4096))
            line_start = before[:-1].rfind(b"\n")  # -1: the header starts the buffer (or file)
            header = before[line_start + 1 : -1] if before.endswith(b"\n") else b""
            too_long = line_start < 0 and offset > len(before)  # a header over 4 KiB: unchecked
            if not too_long and (_header_name(header[1:]) != name or header[:1] != b">"):
                raise _stale(
                    fasta, fai, f"record {name!r} is indexed at byte {offset}, but no '>{name}' "
                    "header line ends there"
                )  # fmt: skip
            full, rem = divmod(length, bases) if bases else (0, 0)
            end = offset + full * width + (rem + width - bases if rem else 0)
            last = i == len(entries) - 1
            fh.seek(end)
            after = fh.read(1 << 16 if last else 1)
            if last:
                fits = end - (width - bases) <= size and not after.strip()
            else:
                fits = after in (b">", b"\n", b"\r", b" ")
            if not fits or (end > size and not last):
                raise _stale(
                    fasta, fai, f"record {name!r} holds {length} bp in the index, but its "
                    f"sequence in {fasta.name} does not end where that length says (byte {end})"
                )  # fmt: skip


def open_fasta(fasta: str | os.PathLike) -> pysam.FastaFile:
    """Open an indexed FASTA with :mod:`pysam` after :func:`check_fasta_index`; every reader
    of the genome opens it here, so a stale index is named instead of surfacing as htslib's
    ``failure when retrieving sequence``."""
    check_fasta_index(fasta)
    try:
        return pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as exc:
        raise GenomeError(f"{fasta}: cannot be opened as an indexed FASTA: {exc}") from exc


def fetch_sequence(
    fa: pysam.FastaFile, chrom: str, start: int | None = None, end: int | None = None
) -> str:
    """``fa.fetch(chrom, start, end)`` whose failure names the FASTA, its index and the record."""
    try:
        return fa.fetch(chrom, start, end)
    except (OSError, ValueError) as exc:
        fasta = fa.filename.decode()
        where = chrom if start is None else f"{chrom}:{start}-{end}"
        raise GenomeError(
            f"{fasta}: cannot read {where} ({exc}); if {fasta} changed after it was indexed, "
            f"re-index it: delete {fasta}.fai and rerun index_genome"
        ) from exc


def index_genome(
    fasta: str | os.PathLike,
    sizes_path: str | os.PathLike,
    canonical_path: str | os.PathLike,
    *,
    canonical_pattern: str = r"^(chr)?([0-9]+|X|Y)$",
    chromosomes: Iterable[str] = (),
) -> list[str]:
    """Index ``fasta`` and write chrom sizes and the canonical list; return the canonical names.

    ``chromosomes`` (if non-empty) is the canonical list itself and every name must exist in the
    FASTA; otherwise sequences whose names match ``canonical_pattern`` (default: the schema's
    ``genome.canonical_pattern``, pinned equal by tests/test_schema_defaults.py) are canonical.
    """
    fasta = Path(fasta)
    fai = Path(str(fasta) + ".fai")
    try:  # every argument is checked before anything is written
        pattern = re.compile(canonical_pattern)
    except re.error as exc:
        raise GenomeError(
            f"canonical pattern {canonical_pattern!r} is not a valid regular expression ({exc}); "
            f"nothing was written for {fasta}"
        ) from None
    check_unique_names(fasta)
    # the three outputs are renamed into place together, after every check passed
    with (
        atomic_path(fai) as tmp_fai,
        atomic_path(sizes_path) as tmp_sizes,
        atomic_path(canonical_path) as tmp_canonical,
    ):
        try:
            pysam.faidx(str(fasta), "--fai-idx", str(tmp_fai))
        except pysam.SamtoolsError as exc:
            raise GenomeError(f"{fasta}: cannot be indexed as FASTA: {exc}") from exc
        sizes = read_fai(tmp_fai)
        if not sizes:
            raise GenomeError(f"{fasta}: no sequences found")
        chromosomes = list(chromosomes)
        if chromosomes:
            missing = [c for c in chromosomes if c not in sizes]
            if missing:
                raise GenomeError(
                    f"genome.chromosomes lists {missing} but {fasta} has no such sequences "
                    f"(it has e.g. {list(sizes)[:5]})"
                )
            canonical = chromosomes
        else:
            canonical = [name for name in sizes if pattern.search(name)]
            if not canonical:
                raise GenomeError(
                    f"{fasta}: no sequence name matches genome.canonical_pattern "
                    f"{canonical_pattern!r} (names are e.g. {list(sizes)[:5]})"
                )
        tmp_sizes.write_text("".join(f"{name}\t{length}\n" for name, length in sizes.items()))
        tmp_canonical.write_text("".join(f"{name}\n" for name in canonical))
    return canonical


def fasta_record_names(fasta: str | os.PathLike, chunk_size: int = 1 << 24) -> list[str]:
    """Names (first word after ``>``) of every record of a FASTA (plain or gzip/bgzip), in order,
    repeats included. Reads the file in ``chunk_size`` blocks with no per-line Python loop (hg38:
    seconds), so index_genome can refuse a FASTA that htslib would silently index wrongly."""
    names: list[str] = []
    carry = b"\n"  # as if a newline preceded the file: a '>' on its first byte is a header
    with open_bytes(fasta) as fh:
        while chunk := fh.read(chunk_size):
            buf, start, pending = carry + chunk, 0, None
            while (i := buf.find(b"\n>", start)) >= 0:
                j = buf.find(b"\n", i + 1)
                if j < 0:  # the header line goes on in the next chunk
                    pending = i
                    break
                names.append(_header_name(buf[i + 2 : j]))
                start = j
            carry = buf[pending:] if pending is not None else buf[-1:]
    if carry.startswith(b"\n>"):  # a last header without a newline
        names.append(_header_name(carry[2:]))
    return names


def _header_name(header: bytes) -> str:
    words = header.split(None, 1)
    return words[0].decode("ascii", "replace") if words else ""


def check_unique_names(fasta: str | os.PathLike) -> int:
    """Raise :class:`GenomeError` when two FASTA records share a name (htslib indexes only the
    first, so the second sequence would vanish without a word); return the number of records."""
    names = fasta_record_names(fasta)
    counts = Counter(names)
    repeated = [name for name, n in counts.items() if n > 1]
    if repeated:
        raise GenomeError(
            f"{fasta}: {len(repeated)} sequence name(s) used by more than one record "
            f"({', '.join(f'{n!r} x{counts[n]}' for n in repeated[:5])}); every record needs its "
            "own name (an index keeps only the first record of a name)"
        )
    if "" in counts:
        raise GenomeError(f"{fasta}: a record has an empty name ('>' alone on its line)")
    return len(names)


def read_fai(path: str | os.PathLike) -> dict[str, int]:
    """Sequence lengths from a ``.fai`` index, in FASTA order."""
    out = {}
    with open(path) as fh:
        for line in fh:
            name, length, *_ = line.split("\t")
            out[name] = int(length)
    return out


def read_chrom_sizes(path: str | os.PathLike) -> dict[str, int]:
    """Read ``name<TAB>length`` lines; errors name the file and line."""
    out = {}
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 2 or not fields[1].isdigit():
                raise GenomeError(f"{path}:{lineno}: expected 'name<TAB>length', got {line!r}")
            out[fields[0]] = int(fields[1])
    return out


def read_canonical(path: str | os.PathLike) -> list[str]:
    """Canonical chromosome names, one per line."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


def read_chrom_names(path: str | os.PathLike) -> set[str]:
    """The set of chromosome names (first column) of a BED, GTF, narrowPeak or VCF-like file.

    gzip or plain; ``#``, ``track`` and ``browser`` lines and blank lines are skipped. The first
    column ends at the first TAB, or at the first blank in a line without TABs (EPDnew's BED is
    single-space delimited; the blacklist's 4th column holds spaces, so TABs come first). CRLF is
    accepted. Streams the file, so a GENCODE GTF (about 1.5 GB) costs seconds and little memory.
    """
    names: set[str] = set()
    for _, line in bed_lines(path):
        first = line.split("\t", 1)[0] if "\t" in line else line.split(None, 1)[0]
        names.add(first.strip())
    return names


def _flip(name: str) -> str:
    return name[3:] if name.startswith("chr") else "chr" + name


def check_chromosome_names(
    genome_names: Iterable[str], inputs: dict[str, Iterable[str]], genome_label: str = "genome"
) -> dict[str, dict]:
    """Check that each input's chromosome names are the genome's; explain a naming mismatch.

    ``inputs`` maps a file name to the chromosome names it uses. An input fails when most of its
    names are absent from the genome but present with ``chr`` added or removed (``1`` vs
    ``chr1``), or when none of its names is in the genome. Names absent for other reasons (e.g.
    alt contigs of another assembly) are reported, not fatal. Returns a per-input report.
    """
    genome = set(genome_names)
    report: dict[str, dict] = {}
    for source, names in inputs.items():
        names = set(names)
        unknown = sorted(names - genome)
        flipped = sorted(n for n in unknown if _flip(n) in genome)
        report[source] = {
            "n_names": len(names),
            "n_in_genome": len(names) - len(unknown),
            "unknown": unknown[:20],
        }
        if names and flipped and len(flipped) * 2 >= len(names):
            example = flipped[0]
            raise GenomeError(
                f"{source}: chromosome names disagree with the {genome_label}: "
                f"{source} uses {example!r} where the {genome_label} has {_flip(example)!r} "
                f"({len(flipped)} of {len(names)} names differ only by the 'chr' prefix); "
                "use inputs with the same naming (UCSC 'chr1' or Ensembl '1')"
            )
        if names and len(unknown) == len(names):
            raise GenomeError(
                f"{source}: none of its chromosome names ({unknown[:5]}) is in the "
                f"{genome_label}; is it for another assembly?"
            )
    return report


def chromosome_name_map(
    names: Iterable[str], genome_names: Iterable[str], source: str, genome_label: str = "genome"
) -> dict[str, str]:
    """``{name in source: name in the genome}`` for every name of ``names`` the genome has,
    as is or with ``chr`` added or removed (ClinVar's ``1`` is UCSC's ``chr1``; ``MT`` is
    ``chrM``). Names it lacks are left out (the caller counts their records).

    Raises :class:`GenomeError` naming ``source`` when no name maps (another assembly, or a
    naming this check does not know), with examples from both sides.
    """
    genome, names = set(genome_names), list(dict.fromkeys(names))
    out: dict[str, str] = {}
    for name in names:
        for candidate in (name, _flip(name), {"MT": "chrM", "chrM": "MT"}.get(name)):
            if candidate in genome:
                out[name] = candidate
                break
    if names and not out:
        some = sorted(names)[:5]
        raise GenomeError(
            f"{source}: none of its chromosome names ({some}) is in the {genome_label}, even "
            f"with 'chr' added or removed (the {genome_label} has e.g. {sorted(genome)[:5]}); "
            "is it for another assembly?"
        )
    return out

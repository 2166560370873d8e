"""``dnabert download``, ``dnabert index-genome``, ``dnabert check-names``."""

from __future__ import annotations

import json
from pathlib import Path


def _download(args) -> int:
    from dnabert.download import fetch

    fetch(
        args.url,
        args.dest,
        md5=args.md5,
        sha256=args.sha256,
        checksum_url=args.checksum_url,
        gunzip=args.gunzip,
    )
    return 0


def _index_genome(args) -> int:
    from dnabert.genome import index_genome

    prefix = Path(args.fasta).with_suffix("")
    canonical = index_genome(
        args.fasta,
        args.sizes or f"{prefix}.chrom.sizes",
        args.canonical or f"{prefix}.canonical.txt",
        canonical_pattern=args.pattern,
        chromosomes=args.chromosomes or (),
    )
    print(f"{len(canonical)} canonical chromosomes: {' '.join(canonical[:30])}")
    return 0


def _check_names(args) -> int:
    from dnabert.datasets.promoter_io import read_tss_chrom_names
    from dnabert.genome import (
        check_chromosome_names,
        read_chrom_names,
        read_chrom_sizes,
    )

    inputs = {path: read_chrom_names(path) for path in args.inputs}
    inputs.update({path: read_tss_chrom_names(path) for path in args.tss or ()})
    report = check_chromosome_names(read_chrom_sizes(args.sizes), inputs)
    print(json.dumps(report, indent=2))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("download", help="verified, atomic download of a URL or local file")
    p.add_argument("url", help="http(s)://, ftp://, file:// URL or a path")
    p.add_argument("dest", help="destination path (gzip input is decompressed unless it ends .gz)")
    p.add_argument("--md5")
    p.add_argument("--sha256")
    p.add_argument("--checksum-url", help="md5sum.txt / MD5SUMS style list naming the file")
    p.add_argument("--gunzip", action="store_true", default=None, help="require gzip input")
    p.add_argument("--no-gunzip", dest="gunzip", action="store_false", help="keep bytes as is")
    p.set_defaults(func=_download)

    p = sub.add_parser("index-genome", help="faidx, chrom.sizes and canonical chromosome list")
    p.add_argument("fasta")
    p.add_argument("--sizes", help="default: <fasta without .fa>.chrom.sizes")
    p.add_argument("--canonical", help="default: <fasta without .fa>.canonical.txt")
    p.add_argument("--pattern", default=r"^(chr)?([0-9]+|X|Y)$")
    p.add_argument("--chromosomes", nargs="*", help="explicit canonical chromosomes")
    p.set_defaults(func=_index_genome)

    p = sub.add_parser("check-names", help="compare chromosome names of inputs with the genome")
    p.add_argument("sizes", help="the genome's chrom.sizes")
    p.add_argument("inputs", nargs="*", help="GTF / BED / narrowPeak files (first column)")
    p.add_argument("--tss", nargs="+", help="EPDnew TSS lists (BED, SGA or TSV), read as TSSs")
    p.set_defaults(func=_check_names)

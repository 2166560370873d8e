"""Genome indexing, chromosome sizes, canonical chromosomes and naming checks."""

from __future__ import annotations

import hashlib

import pysam
import pytest

from dnabert.genome import (
    GenomeError,
    check_chromosome_names,
    index_genome,
    read_canonical,
    read_chrom_names,
    read_chrom_sizes,
)


@pytest.fixture
def fasta(tmp_path):
    path = tmp_path / "g.fa"
    path.write_text(">chr1\nACGTACGTAC\nGT\n>chr2\nNNNNacgt\n>chrUn_x\nAC\n>chrM\nA\n")
    return path


def test_index_writes_fai_sizes_and_canonical(tmp_path, fasta):
    canonical = index_genome(fasta, tmp_path / "g.chrom.sizes", tmp_path / "g.canonical.txt")
    assert canonical == ["chr1", "chr2"]
    assert read_chrom_sizes(tmp_path / "g.chrom.sizes") == {
        "chr1": 12,
        "chr2": 8,
        "chrUn_x": 2,
        "chrM": 1,
    }
    assert read_canonical(tmp_path / "g.canonical.txt") == ["chr1", "chr2"]
    with pysam.FastaFile(str(fasta)) as fa:
        assert fa.fetch("chr1", 8, 12) == "ACGT"


def test_explicit_chromosomes_must_exist(tmp_path, fasta):
    assert index_genome(fasta, tmp_path / "s", tmp_path / "c", chromosomes=["chrM"]) == ["chrM"]
    with pytest.raises(GenomeError, match="chr9"):
        index_genome(fasta, tmp_path / "s", tmp_path / "c", chromosomes=["chr9"])


def test_pattern_matching_nothing_is_an_error(tmp_path, fasta):
    with pytest.raises(GenomeError, match="canonical_pattern"):
        index_genome(fasta, tmp_path / "s", tmp_path / "c", canonical_pattern="^[0-9]+$")


def test_malformed_fasta_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGT\nAC\nACGT\n")  # inconsistent line lengths
    with pytest.raises(GenomeError, match="bad.fa"):
        index_genome(bad, tmp_path / "s", tmp_path / "c", canonical_pattern=".")


def test_chr_prefix_mismatch_is_explained(tmp_path):
    genome = ["chr1", "chr2", "chrX"]
    gtf = tmp_path / "a.gtf"
    gtf.write_text(
        '#comment\n1\tx\texon\t1\t5\t.\t+\t.\tgene_id "g";\n2\tx\texon\t1\t5\t.\t+\t.\t\n'
    )
    with pytest.raises(GenomeError, match=r"uses '1' where the genome has 'chr1'"):
        check_chromosome_names(genome, {str(gtf): read_chrom_names(gtf)})


def test_other_assembly_is_an_error_and_partial_overlap_is_reported():
    with pytest.raises(GenomeError, match="another assembly"):
        check_chromosome_names(["chr1"], {"peaks.bed": {"scaffold_7"}})
    report = check_chromosome_names(["chr1", "chr2"], {"peaks.bed": {"chr1", "chr2", "chrUn_z"}})
    assert report["peaks.bed"] == {"n_names": 3, "n_in_genome": 2, "unknown": ["chrUn_z"]}


def test_real_hg38_slice_indexes(tmp_path, real_data):
    src = real_data / "hg38_chr22_32000000_32300000.fa"
    assert hashlib.md5(src.read_bytes()).hexdigest() == "01320157a250a3d2eea63e89ecf79eba"
    fasta = tmp_path / "slice.fa"
    fasta.write_bytes(src.read_bytes())
    assert index_genome(fasta, tmp_path / "s", tmp_path / "c") == ["chr22"]
    assert read_chrom_sizes(tmp_path / "s") == {"chr22": 300_000}


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 1 << 24])
def test_fasta_record_names_at_any_chunk_boundary(tmp_path, chunk_size):
    from dnabert.genome import fasta_record_names

    fa = tmp_path / "g.fa"
    fa.write_bytes(b">chr1 first one\nACGT\nAC\n>chrUn_KI270302v1\r\nNNNN\n>chr2\nA\n>last")
    expected = ["chr1", "chrUn_KI270302v1", "chr2", "last"]
    assert fasta_record_names(fa, chunk_size=chunk_size) == expected


def test_repeated_record_name_stops_indexing_before_any_output(tmp_path):
    """htslib keeps the first of two '>chr1' records: chr2's bases would vanish silently."""
    fa = tmp_path / "dup.fa"
    fa.write_text(">chr1\nACGTACGT\n>chr2\nGGGG\n>chr1 again\nTTTT\n")
    sizes, canonical = tmp_path / "dup.chrom.sizes", tmp_path / "dup.canonical.txt"
    with pytest.raises(GenomeError, match=r"dup\.fa: 1 sequence name\(s\) used by more than one "
                       r"record \('chr1' x2\)"):  # fmt: skip
        index_genome(fa, sizes, canonical)
    assert not (tmp_path / "dup.fa.fai").exists() and not sizes.exists() and not canonical.exists()


def test_fasta_index_check_accepts_valid_layouts_and_names_a_stale_one(tmp_path):
    import pysam

    from dnabert.genome import StaleIndexError, check_fasta_index

    fa = tmp_path / "l.fa"
    # a header over 4 KiB, multi-line records, CRLF, no final newline
    fa.write_bytes(b">a " + b"x" * 5000 + b"\nACGTACGT\nAC\n>b\r\nACGT\r\nAA\r\n>c\nACG")
    pysam.faidx(str(fa))
    check_fasta_index(fa)
    fa.write_bytes(fa.read_bytes() + b"TT\n")  # record c grew after indexing
    with pytest.raises(StaleIndexError, match=r"l\.fa\.fai is stale: record 'c' holds 3 bp"):
        check_fasta_index(fa)

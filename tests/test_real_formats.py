"""Golden tests: the readers on byte-exact excerpts of real public files (tests/data/real).

Every expected value below is a fact listed in tests/data/real/SOURCES.md (counted on the files
with independent tools), not computed with the code under test.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from dnabert.datasets.promoter_io import read_tata_names, read_tss, read_tss_chrom_names
from dnabert.datasets.tfbs import _read_bed3, read_narrowpeak
from dnabert.genome import check_chromosome_names, read_chrom_names

REAL = Path(__file__).parent / "data" / "real"
EPD_BED = REAL / "Hs_EPDnew_006_hg38.head2000.bed"
EPD_MOTIFS = REAL / "Hs_EPDnew_006_promoter_motifs.head2001.txt"


def _shared_real() -> Path | None:
    for c in (
        os.environ.get("DNABERT_SHARED_DATA"),
        str(Path(__file__).resolve().parents[2] / "shared" / "data" / "real"),
    ):
        if c and (Path(c) / "epdnew_hg38_tss.tsv.gz").exists():
            return Path(c)
    return None


def test_vendored_files_are_byte_exact():
    listed = {}
    for line in (REAL / "MD5SUMS").read_text().splitlines():
        md5, name = line.split()
        listed[name] = md5
    assert len(listed) == 10
    for name, md5 in listed.items():
        assert hashlib.md5((REAL / name).read_bytes()).hexdigest() == md5, name


# --- EPDnew 006 hg38 BED: single-space BED8, TSS = thickStart (+) / thickEnd - 1 (-) ---


def test_epd_bed_is_space_delimited_bed8():
    data = EPD_BED.read_bytes()
    assert b"\t" not in data and data.count(b"\n") == 2000
    first = data.split(b"\n", 1)[0]
    assert first == b"chr1 959245 959305 NOC2L_1 900 - 959245 959256"


def test_epd_bed_tss_from_thick_columns():
    tss = read_tss(EPD_BED)
    assert len(tss) == 2000 and tss["name"].is_unique
    by_name = tss.set_index("name")
    # line 1: chr1 959245 959305 NOC2L_1 900 - 959245 959256 -> thickEnd - 1
    assert tuple(by_name.loc["NOC2L_1", ["chrom", "tss", "strand"]]) == ("chr1", 959255, "-")
    # line 50: chr1 1727706 1727766 SLC35E2B_3 900 - 1727706 1727717
    assert tuple(by_name.loc["SLC35E2B_3", ["tss", "strand"]]) == (1727716, "-")
    # line 99: chr1 3752400 3752460 CCDC27_1 900 + 3752449 3752460 -> thickStart
    assert tuple(by_name.loc["CCDC27_1", ["tss", "strand"]]) == (3752449, "+")
    assert list(tss["line"][:3]) == [1, 2, 3]
    assert set(tss["chrom"]) == {"chr1"}  # `cut -d" " -f1 | sort -u`


def test_epd_bed_tss_equal_independent_tss_list():
    shared = _shared_real()
    if shared is None:
        pytest.skip("../shared/data/real not present")
    expected = pd.read_csv(shared / "epdnew_hg38_tss.tsv.gz", sep="\t").set_index("name")
    got = read_tss(EPD_BED).set_index("name")
    common = got.index.intersection(expected.index)
    assert len(common) == 2000  # every EPDnew name of the excerpt is in the 29,598-row list
    pd.testing.assert_frame_equal(
        got.loc[common, ["chrom", "tss", "strand"]],
        expected.loc[common, ["chrom", "tss", "strand"]],
        check_dtype=False,
    )


def test_epd_bed_chromosome_names_check():
    # a TAB-only reader sees 'chr1 959245 ...' as the chromosome name
    assert read_chrom_names(EPD_BED) == {"chr1"}
    assert read_tss_chrom_names(EPD_BED) == {"chr1"}
    genome = {f"chr{i}" for i in range(1, 23)} | {"chrX", "chrY"}
    report = check_chromosome_names(genome, {"epd": read_chrom_names(EPD_BED)})
    assert report["epd"] == {"n_names": 1, "n_in_genome": 1, "unknown": []}


# --- EPD promoter_motifs.txt: TAB table, header '#Name<TAB>TATA-box...' ---


def test_epd_promoter_motifs_tata_flags():
    head = EPD_MOTIFS.read_bytes().split(b"\n", 2)
    assert head[0] == b"#Name\tTATA-box\tInr\tCCAAT-box\tGC-box"
    assert head[1] == b"MIOS_1\t0\t0\t1\t1"
    names = read_tata_names(EPD_MOTIFS)
    assert len(names) == 186  # TATA-box column sum of the 2000 rows
    assert {"NOV_1", "FAM78A_1", "SPANXA1_2"} <= names  # first TATA rows (awk '$2==1')
    assert "MIOS_1" not in names and "NRN1_1" not in names
    assert all("\t" not in n and n for n in names)


def test_epd_promoter_motifs_crlf_and_gzip(tmp_path):
    crlf = tmp_path / "motifs_crlf.txt"
    crlf.write_bytes(EPD_MOTIFS.read_bytes().replace(b"\n", b"\r\n"))
    gz = tmp_path / "promoter_motifs.txt.gz"
    gz.write_bytes(gzip.compress(EPD_MOTIFS.read_bytes()))
    assert read_tata_names(crlf) == read_tata_names(gz) == read_tata_names(EPD_MOTIFS)


# --- blacklists: TAB BED4 whose 4th column holds spaces; BED3 ---


def test_blacklist_v2_tab_bed4_with_spaces():
    path = REAL / "hg38-blacklist.v2.bed.gz"
    bed = _read_bed3(path)
    assert len(bed) == 636
    assert tuple(bed.iloc[0]) == ("chr10", 0, 45700)
    assert read_chrom_names(path) == {f"chr{i}" for i in range(1, 23)} | {"chrX", "chrY"}
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.count("High Signal Region") == 594 and text.count("Low Mappability") == 42


def test_encode_exclusion_list_bed3():
    path = REAL / "ENCFF356LFX.bed.gz"
    bed = _read_bed3(path)
    assert len(bed) == 910
    assert tuple(bed.iloc[0]) == ("chr1", 628903, 635104)


# --- narrowPeak ---


def test_narrowpeak_macs3_and_idr_style():
    macs = read_narrowpeak(REAL / "MotifPeeker_CTCF_ChIP_peaks.MACS3.narrowPeak")
    assert len(macs) == 209 and set(macs["chrom"]) == {"chr10"}
    assert (macs["peak"] >= 0).all() and (macs["peak"] < macs["end"] - macs["start"]).all()
    idr = read_narrowpeak(REAL / "bioframe_test_narrowPeak.bed")
    assert len(idr) == 30 and (idr["pValue"] == -1).all()


# --- VCFs (read through pysam, as the variant scoring will) ---


def test_clinvar_and_dbvar_vcf_through_pysam():
    pysam = pytest.importorskip("pysam")
    with pysam.VariantFile(str(REAL / "clinvar_20260226_GRCh38.genesubset.head345.vcf")) as vcf:
        assert not list(vcf.header.contigs)  # ClinVar has no ##contig lines
        records = list(vcf)
    assert len(records) == 300 and {r.chrom for r in records} == {"1"}
    first = records[0]
    assert (first.pos, first.id, first.ref, first.alts) == (45327453, "4271998", "T", ("C",))
    assert max(len(r.ref) for r in records[:10]) > 300  # a long deletion near the top
    with pysam.VariantFile(str(REAL / "dbvar_GRCh38_sample.vcf")) as vcf:
        records = list(vcf)
    assert len(records) == 172
    first = records[0]
    assert (first.chrom, first.pos, first.id, first.ref) == ("1", 10000, "nssv16889290", "N")
    assert first.alts == ("<DUP>",) and first.stop == 52000

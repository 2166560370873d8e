"""Tests for promoter readers, window extraction and the prom300/promcore/promscan builders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert.datasets import promoters as P
from dnabert.datasets.promoter_io import PromoterInputError, read_tata_names, read_tss
from dnabert.datasets.windows import WindowError, extract_windows
from dnabert.seq import reverse_complement

SLICE_OFFSET = 32_000_000


@pytest.fixture
def real_dir() -> Path:
    candidates = [
        os.environ.get("DNABERT_SHARED_DATA"),
        "/work/shared/data/real",
        str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real"),
    ]
    for c in candidates:
        if c and (Path(c) / "expected_prom300_chr22_slice.tsv").exists():
            return Path(c)
    pytest.skip("shared real data not available")


def write_fasta(path: Path, records: dict[str, str]) -> Path:
    with open(path, "w") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                fh.write(seq[i : i + 60] + "\n")
    return path


def random_seq(rng, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


# ---------- real data ----------


def test_real_prom300_exact(real_dir, tmp_path):
    fasta = shutil.copy(real_dir / "hg38_chr22_32000000_32300000.fa", tmp_path / "slice.fa")
    tss = read_tss(real_dir / "epdnew_hg38_tss.tsv.gz")
    assert len(tss) == 29598 and tss["name"].is_unique
    inside = tss[
        (tss["chrom"] == "chr22") & tss["tss"].between(SLICE_OFFSET, SLICE_OFFSET + 299_999)
    ]
    expected = pd.read_csv(real_dir / "expected_prom300_chr22_slice.tsv", sep="\t")
    assert list(inside["name"]) == list(expected["name"])
    pos, stats = P.prom300_positives(fasta, inside, offsets={"chr22": SLICE_OFFSET})
    assert stats == {"dropped_window_off_genome": 0, "dropped_window_with_n": 0}
    assert list(pos["sequence"]) == list(expected["sequence"])
    assert all(s[249] == "A" for s in pos["sequence"])
    # coordinates recorded are the genomic windows of the README
    assert pos.loc[0, ["start", "end"]].tolist() == [32042831, 32043131]
    assert pos.loc[5, ["start", "end"]].tolist() == [32255296, 32255596]


def test_real_tata_names(real_dir):
    names = read_tata_names(real_dir / "epdnew_tata_prom300.fa.gz")
    assert len(names) == 3065
    expected = pd.read_csv(real_dir / "expected_prom300_chr22_slice.tsv", sep="\t")
    assert sorted(set(expected["name"]) & names) == ["SLC5A1_2", "SLC5A4_2"]


# ---------- readers ----------


def test_read_tss_formats_agree(tmp_path):
    # TSS t=1000 on +, t=2000 on -
    bed8 = tmp_path / "a.bed"
    bed8.write_text(
        "chr1\t951\t1011\tA_1\t900\t+\t1000\t1011\nchr1\t1990\t2050\tB_1\t900\t-\t1990\t2001\n"
    )
    bed6 = tmp_path / "b.bed"
    bed6.write_text("chr1\t951\t1011\tA_1\t900\t+\nchr1\t1990\t2050\tB_1\t900\t-\n")
    sga = tmp_path / "c.sga"
    sga.write_text("NC_000001.11\tTSS\t1001\t+\t1\tA_1\nNC_000001.11\tTSS\t2001\t-\t1\tB_1\n")
    tsv = tmp_path / "d.tsv"
    tsv.write_text("chrom\ttss\tstrand\tname\nchr1\t1000\t+\tA_1\nchr1\t2000\t-\tB_1\n")
    for path in (bed8, bed6, sga, tsv):
        df = read_tss(path)
        assert df[["chrom", "tss", "strand", "name"]].values.tolist() == [
            ["chr1", 1000, "+", "A_1"],
            ["chr1", 2000, "-", "B_1"],
        ], path


def test_refseq_mapping(tmp_path):
    sga = tmp_path / "x.sga"
    sga.write_text(
        "NC_000023.10\tTSS\t5\t+\t1\tX_1\nNC_000024.10\tTSS\t5\t+\t1\tY_1\n"
        "chr7\tTSS\t5\t+\t1\tZ_1\nNC_000010.11\tTSS\t5\t+\t1\tT_1\n"
    )
    assert list(read_tss(sga)["chrom"]) == ["chrX", "chrY", "chr7", "chr10"]


def test_read_tss_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t951\t1011\tA_1\t900\t+\t1000\t1011\nchr1\tx\t1\tB\t0\t+\t1\t2\n")
    with pytest.raises(PromoterInputError, match=r"bad.bed: line 2: start 'x'"):
        read_tss(bad)
    bad.write_text("chrom\ttss\tstrand\tname\nchr1\t5\t*\tA\n")
    with pytest.raises(PromoterInputError, match=r"bad.bed: line 2: strand '\*'"):
        read_tss(bad)
    bad.write_text("")
    with pytest.raises(PromoterInputError, match="bad.bed: no TSS"):
        read_tss(bad)


def test_read_tata_formats(tmp_path):
    (tmp_path / "l.txt").write_text("A_1\nB_2\n")
    (tmp_path / "t.tsv").write_text("id\tTATA\tInr\nA_1\t1\t0\nC_1\t0\t1\nB_2\t1\t1\n")
    (tmp_path / "f.fa").write_text(">FP1 A_1   :+U\nACGT\n>FP2 B_2 x\nACGT\n")
    for name in ("l.txt", "t.tsv", "f.fa"):
        assert read_tata_names(tmp_path / name) == {"A_1", "B_2"}
    (tmp_path / "t.tsv").write_text("id\tTATA\nA_1\tyes\n")
    with pytest.raises(PromoterInputError, match=r"t.tsv: line 2: TATA flag 'yes'"):
        read_tata_names(tmp_path / "t.tsv")


# ---------- windows ----------


def test_extract_windows_matches_naive(tmp_path):
    rng = np.random.default_rng(0)
    chrom = random_seq(rng, 5000).lower()[:100] + random_seq(rng, 4900)
    fasta = write_fasta(tmp_path / "g.fa", {"c1": chrom, "c2": random_seq(rng, 300)})
    starts = rng.integers(0, 4000, 50)
    strands = rng.choice(["+", "-"], 50).tolist()
    got = extract_windows(fasta, "c1", starts, starts + 300, strands)
    for s, st, g in zip(starts, strands, got, strict=True):
        w = chrom[s : s + 300].upper()
        assert g == (reverse_complement(w) if st == "-" else w)
    # variable lengths
    got = extract_windows(fasta, ["c1", "c2"], [10, 5], [20, 300], ["-", "+"])
    c2 = Path(fasta).read_text().split(">c2\n")[1].replace("\n", "")
    assert got == [reverse_complement(chrom[10:20].upper()), c2[5:300]]
    with pytest.raises(WindowError, match="outside the record"):
        extract_windows(fasta, "c2", [100], [301], "+")
    assert extract_windows(fasta, ["c2", "nope"], [100, 0], [301, 5], "+", off_genome="none") == [
        None,
        None,
    ]


def test_extract_windows_bad_letter(tmp_path):
    fasta = write_fasta(tmp_path / "g.fa", {"c1": "ACGTRACGT"})
    with pytest.raises(WindowError, match=r"record c1: invalid letter 'R' at 0-based position 4"):
        extract_windows(fasta, "c1", [0], [3])
    assert extract_windows(fasta, "c1", [2], [7], invalid="N") == ["GTNAC"]

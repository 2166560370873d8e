"""Tests for promoter readers, window extraction and the prom300/promcore/promscan builders."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert.datasets import promoters as P
from dnabert.datasets.common import read_task_split
from dnabert.datasets.promoter_io import PromoterInputError, read_tata_names, read_tss
from dnabert.datasets.windows import WindowError, extract_windows
from dnabert.seq import SequenceError, reverse_complement

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
    # the whole record is checked when it is loaded, not only the windows cut from it
    with pytest.raises(SequenceError, match=r"g\.fa: record c1: invalid letter 'R' at position 4"):
        extract_windows(fasta, "c1", [0], [3])


def test_extract_windows_sparse_fetches_each_window(tmp_path):
    """Windows covering < 1/16 of a record are fetched one at a time: the same text as cutting
    the loaded record, and only the windows' letters are checked."""
    rng = np.random.default_rng(5)
    chrom = random_seq(rng, 20_000).lower()[:3000] + random_seq(rng, 17_000)
    fasta = write_fasta(tmp_path / "g.fa", {"c1": chrom[:9000] + "R" + chrom[9001:]})
    starts = np.array([0, 150, 2900, 15_000])  # 4 x 300 bp = 1,200 < 20,000 / 16
    strands = ["+", "-", "-", "+"]
    got = extract_windows(fasta, "c1", starts, starts + 300, strands)
    want = [chrom[s : s + 300].upper() for s in starts]
    assert got == [
        reverse_complement(w) if st == "-" else w for w, st in zip(want, strands, strict=True)
    ]
    with pytest.raises(
        SequenceError, match=r"g\.fa: record c1: invalid letter 'R' at position 9000"
    ):
        extract_windows(fasta, "c1", [8900], [9200])


def test_extract_windows_sparse_equals_loaded_on_real_hg38(tmp_path, monkeypatch, real_dir):
    from dnabert.datasets import windows

    fasta = shutil.copy(real_dir / "hg38_chr22_32000000_32300000.fa", tmp_path / "slice.fa")
    starts = np.array([100, 5_000, 123_456, 299_000])
    ends = starts + np.array([1001, 1001, 999, 999])
    strands = ["+", "-", "+", "-"]
    sparse = extract_windows(fasta, "chr22", starts, ends, strands)
    monkeypatch.setattr(windows, "_SPARSE", 0)  # always load the record
    assert extract_windows(fasta, "chr22", starts, ends, strands) == sparse
    assert [len(w) for w in sparse] == [1001, 1001, 999, 999]
    assert sparse[0].startswith("TATACATAGG")  # the excerpt's text at offset 100


def test_load_chromosome_in_pieces(tmp_path, monkeypatch):
    """A record read in pieces is the record read whole; a bad letter in any piece gives the
    whole-record message (first position, count over the record)."""
    from dnabert.datasets import windows

    rng = np.random.default_rng(3)
    chrom = random_seq(rng, 500).lower() + "N" * 30 + random_seq(rng, 473)
    fasta = write_fasta(tmp_path / "g.fa", {"c1": chrom, "c2": "ACGTRACGTR" * 3})
    monkeypatch.setattr(windows, "_LOAD_PIECE", 7)
    assert windows.load_chromosome(fasta, "c1").tobytes().decode() == chrom.upper()
    with pytest.raises(SequenceError, match=r"record c2: invalid letter 'R' at position 4 \(6 "):
        windows.load_chromosome(fasta, "c2")


# ---------- builders on a synthetic genome ----------


@pytest.fixture
def toy(tmp_path):
    """3 random chromosomes of 60 kb, 8 TSSs near chr1/chr2 starts, half of them TATA."""
    rng = np.random.default_rng(11)
    genome = {c: random_seq(rng, 60_000) for c in ("chr1", "chr2", "chr3")}
    genome["chrUn_x"] = random_seq(rng, 5000)
    fasta = write_fasta(tmp_path / "g.fa", genome)
    rows = [("chr1", 3000 + 700 * i, "+-"[i % 2], f"G{i}_1") for i in range(5)]
    rows += [("chr2", 2000 + 900 * i, "-+"[i % 2], f"H{i}_1") for i in range(3)]
    tss = tmp_path / "tss.tsv"
    tss.write_text(
        "chrom\ttss\tstrand\tname\n" + "".join(f"{c}\t{t}\t{s}\t{n}\n" for c, t, s, n in rows)
    )
    tata = tmp_path / "tata.txt"
    tata.write_text("G0_1\nG2_1\nH1_1\nH2_1\n")
    return {"fasta": fasta, "tss": tss, "tata": tata, "genome": genome, "rows": rows}


PARAMS = {"min_distance": 5000}
SPLIT = {"method": "random", "fractions": [0.6, 0.2, 0.2]}


def test_promoter_frames_negatives(toy):
    frames, stats = P.build_promoter_frames(
        toy["fasta"], toy["tss"], toy["tata"], seed=1, params=PARAMS
    )
    assert stats["tata_positives"] == 4 and stats["notata_positives"] == 4
    tss_by_chrom = {}
    for c, t, _s, _n in toy["rows"]:
        tss_by_chrom.setdefault(c, []).append(t)
    for _subset, df in frames.items():
        assert (df["label"] == 1).sum() == (df["label"] == 0).sum() == 4
        assert (df["sequence"].str.len() == 300).all()
    notata = frames["notata"]
    pos, neg = notata[notata["label"] == 1], notata[notata["label"] == 0]
    for p, n in zip(pos["sequence"], neg["sequence"], strict=True):
        same = [p[i * 15 : (i + 1) * 15] == n[i * 15 : (i + 1) * 15] for i in range(20)]
        assert sum(same) == 8
        assert set(n) <= set("ACGT")
    neg = frames["tata"][frames["tata"]["label"] == 0]
    for row in neg.itertuples():
        assert re.search("TATA[AT]A[AT]", row.sequence)
        assert row.chrom in ("chr1", "chr2", "chr3")
        for t in tss_by_chrom.get(row.chrom, []):
            assert t < row.start - 5000 or t >= row.end + 5000
        w = toy["genome"][row.chrom][row.start : row.end]
        assert row.sequence == (reverse_complement(w) if row.strand == "-" else w)
    # same seed -> same frames; other seed -> other negatives
    again, _ = P.build_promoter_frames(toy["fasta"], toy["tss"], toy["tata"], seed=1, params=PARAMS)
    other, _ = P.build_promoter_frames(toy["fasta"], toy["tss"], toy["tata"], seed=2, params=PARAMS)
    pd.testing.assert_frame_equal(again["tata"], frames["tata"])
    assert list(other["notata"]["sequence"]) != list(frames["notata"]["sequence"])


def test_promcore_is_prom300_slice(toy, tmp_path):
    kw = {"seed": 3, "split_cfg": SPLIT, "params": PARAMS}
    for task in ("prom300_all", "promcore_all"):
        P.build_promoter_task(task, toy["fasta"], toy["tss"], toy["tata"], tmp_path / task, **kw)

    def read(t):
        return (
            pd.concat(read_task_split(tmp_path / t / f"{s}.tsv") for s in ("train", "dev", "test"))
            .sort_values(["source", "chrom", "start", "strand", "label"])
            .reset_index(drop=True)
        )

    full, core = read("prom300_all"), read("promcore_all")
    assert len(full) == len(core) == 16
    assert list(core["sequence"]) == [s[216:286] for s in full["sequence"]]
    assert list(core["label"]) == list(full["label"])
    for row in core.itertuples():  # the core coordinates cut the core sequence (positives)
        if row.label == 1:
            w = toy["genome"][row.chrom][row.start : row.end]
            assert row.sequence == (reverse_complement(w) if row.strand == "-" else w)


def test_unknown_and_off_genome_tss(toy, tmp_path):
    tss = tmp_path / "t2.tsv"
    tss.write_text(
        toy["tss"].read_text() + "chrUn_other\t100\t+\tU_1\nchr3\t59990\t+\tEDGE_1\n"
        "chr3\t70000\t+\tOFF_1\n"
    )
    frames, stats = P.build_promoter_frames(toy["fasta"], tss, toy["tata"], seed=1, params=PARAMS)
    assert stats["dropped_unknown_chrom"] == 1
    assert stats["dropped_tss_off_genome"] == 1
    assert stats["dropped_window_off_genome"] == 1
    tss.write_text(toy["tss"].read_text() + "chr9\t100\t+\tU_1\n")
    with pytest.raises(PromoterInputError, match=r"t2.tsv: line 10: TSS U_1 on chromosome 'chr9'"):
        P.build_promoter_frames(toy["fasta"], tss, toy["tata"], seed=1, params=PARAMS)


def test_promscan_labels_hand_made(tmp_path):
    from dnabert.datasets import promscan

    rng = np.random.default_rng(5)
    fasta = write_fasta(tmp_path / "g.fa", {"chr1": random_seq(rng, 50_000)})
    tss = tmp_path / "tss.tsv"
    tss.write_text("chrom\ttss\tstrand\tname\nchr1\t10000\t+\tA_1\nchr1\t30000\t-\tB_1\n")
    params = {"flank": 1000, "window": 101, "step": 10, "tss_region": 50, "min_overlap": 0.5}
    out = tmp_path / "ps"
    summary = promscan.build_promscan_task(fasta, tss, out, seed=0, split_cfg=SPLIT, params=params)
    parts = [read_task_split(out / f"{s}.tsv") for s in ("train", "dev", "test")]
    df = pd.concat(parts).sort_values(["start", "strand"], ignore_index=True)
    assert len(df) == 2 * 2 * 201 and summary["promscan"]["n_clusters"] == 2
    assert (df["end"] - df["start"] == 101).all()
    centre = df["start"] + 50
    pos = df[df["label"] == 1]
    # overlap of [c-50, c+51) with [t-50, t+51) is 101 - |c - t| >= 50.5  <=>  |c - t| <= 50
    expected = {("+", c) for c in range(9950, 10051, 10)} | {
        ("-", c) for c in range(29950, 30051, 10)
    }
    assert set(zip(pos["strand"], pos["start"] + 50, strict=True)) == expected
    # the opposite strand is never positive
    near_a = (centre - 10000).abs() <= 50
    assert (df.loc[near_a & (df["strand"] == "-"), "label"] == 0).all()
    w = df.iloc[0]
    assert w["sequence"] == extract_windows(fasta, "chr1", [w["start"]], [w["end"]], w["strand"])[0]
    assert summary["shared_between_splits"] == 0
    clusters = [set(part["cluster"]) for part in parts]
    assert sum(len(c) for c in clusters) == 2  # each cluster in exactly one split


def test_cli_build_promoters_and_error(toy, tmp_path, capsys):
    from dnabert.cli import main

    out = tmp_path / "cli_out"
    args = [
        "build-promoters",
        "--task",
        "promcore_notata",
        "--fasta",
        str(toy["fasta"]),
        "--tss",
        str(toy["tss"]),
        "--tata",
        str(toy["tata"]),
        "--out-dir",
        str(out),
        "--seed",
        "2",
    ]
    assert main(args) == 0
    train = read_task_split(out / "train.tsv")
    assert (train["sequence"].str.len() == 70).all()
    bad = tmp_path / "bad.tsv"
    bad.write_text("chrom\ttss\tstrand\tname\nchr1\tabc\t+\tX_1\n")
    args[args.index("--tss") + 1] = str(bad)
    args[args.index("--out-dir") + 1] = str(tmp_path / "never")
    assert main(args) == 1
    assert not (tmp_path / "never").exists()


def test_tata_names_matching_no_tss_stop_the_build(tmp_path):
    from dnabert.datasets.promoters import check_tata_names

    tss = pd.DataFrame({"name": ["NOC2L_1", "KLHL17_1"]})
    with pytest.raises(PromoterInputError, match=r"tata\.txt: none of its 2 TATA promoter names"):
        check_tata_names({"X_1", "Y_1"}, tss, tmp_path / "tata.txt", tmp_path / "tss.bed")
    check_tata_names({"NOC2L_1", "Y_1"}, tss, "tata.txt", "tss.bed")  # one match: fine

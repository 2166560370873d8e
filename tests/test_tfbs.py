"""TF-binding datasets: narrowPeak reading, peak processing, dinucleotide shuffle, negatives."""

from __future__ import annotations

import gzip
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert.datasets.tfbs import (
    PeakFileError,
    build_tf_task,
    dinuc_shuffle,
    process_peaks,
    read_narrowpeak,
    write_narrowpeak,
)
from dnabert.seq import gc_content

PEAK_FILE = "wgEncodeAwgTfbsHaibA549Atf3V0422111Etoh02UniPk.narrowPeak.gz"


@pytest.fixture(scope="module")
def real_peaks() -> Path:
    for c in (
        os.environ.get("DNABERT_SHARED_DATA"),
        "/work/shared/data/real",
        str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"),
    ):
        if c and (Path(c) / PEAK_FILE).exists():
            return Path(c) / PEAK_FILE
    pytest.skip("real shared data not available")


def _peak_line(chrom, start, end, signal, peak):
    return f"{chrom}\t{start}\t{end}\t.\t0\t.\t{signal}\t-1\t-1\t{peak}\n"


def test_real_narrowpeak_round_trip(real_peaks, tmp_path):
    df = read_narrowpeak(real_peaks)
    assert df.shape == (6580, 10)
    assert (df.start < df.end).all() and ((df.peak >= 0) & (df.peak < df.end - df.start)).all()
    out = tmp_path / "rt.narrowPeak"
    write_narrowpeak(df, out)
    pd.testing.assert_frame_equal(read_narrowpeak(out), df)
    with gzip.open(real_peaks, "rt") as fh:
        first = fh.readline().rstrip("\n").split("\t")
    assert int(first[1]) == df.start.iloc[0] and int(first[9]) == df.peak.iloc[0]


def test_reader_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.narrowPeak"
    bad.write_text(_peak_line("chr1", 10, 100, 5, 3) + "chr1\t10\t100\t.\n")
    with pytest.raises(PeakFileError, match=r"bad\.narrowPeak:2: expected 10 narrowPeak columns"):
        read_narrowpeak(bad)
    bad.write_text(_peak_line("chr1", 10, 100, 5, 90))
    with pytest.raises(PeakFileError, match=r":1: peak offset 90 outside \[0, 90\)"):
        read_narrowpeak(bad)
    bad.write_text(_peak_line("chr1", 100, 100, 5, 0))
    with pytest.raises(PeakFileError, match=r":1: expected 0 <= start < end"):
        read_narrowpeak(bad)
    empty = tmp_path / "empty.narrowPeak.gz"
    with gzip.open(empty, "wt"):
        pass
    with pytest.raises(PeakFileError, match=r"empty\.narrowPeak\.gz: no peaks"):
        read_narrowpeak(empty)


def test_missing_summit_uses_midpoint(tmp_path):
    p = tmp_path / "a.narrowPeak"
    p.write_text(_peak_line("chr1", 10, 111, 5, -1))
    assert read_narrowpeak(p).peak.iloc[0] == 50


def test_process_peaks_filters_and_counts(tmp_path):
    peaks = pd.DataFrame(
        [
            ("chr1", 1000, 1400, 5.0, 200),  # kept, summit 1200
            ("chr1", 1100, 1300, 9.0, 100),  # same summit 1200, higher signal: this one stays
            ("chr1", 5000, 5200, 7.0, 100),  # window [5050, 5151) overlaps blacklist
            ("chr1", 0, 100, 3.0, 10),  # off the start of chr1
            ("chr1", 9950, 10000, 3.0, 40),  # off the end (chr1 is 10 kb)
            ("chrUn_x", 100, 300, 8.0, 100),  # non-canonical
            ("chrZ", 100, 300, 8.0, 100),  # unknown chromosome
            ("chr2", 3000, 3400, 6.0, 0),  # kept, summit 3000
        ],
        columns=["chrom", "start", "end", "signalValue", "peak"],
    )
    bl = tmp_path / "bl.bed"
    bl.write_text("chr1\t5150\t5300\n")
    sizes = {"chr1": 10_000, "chr2": 10_000, "chrUn_x": 10_000}
    out, stats = process_peaks(
        peaks, chrom_sizes=sizes, canonical=["chr1", "chr2"], blacklist_bed=bl
    )
    assert list(zip(out.chrom, out.summit, out.signalValue, strict=True)) == [
        ("chr1", 1200, 9.0),
        ("chr2", 3000, 6.0),
    ]
    assert (out.end - out.start == 101).all() and (out.summit - out.start == 50).all()
    assert stats == {
        "peaks_in": 8, "unknown_chromosome": 1, "non_canonical": 1, "out_of_bounds": 2,
        "blacklisted": 1, "duplicate_summits": 1, "windows": 2,
    }  # fmt: skip
    top, tstats = process_peaks(peaks, chrom_sizes=sizes, canonical=["chr1", "chr2"], top_n=1)
    assert len(top) == 1 and top.signalValue.iloc[0] == 9.0 and tstats["beyond_top_n"] == 2


def _dinucs(s):
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


@pytest.mark.parametrize("seed", range(5))
def test_dinuc_shuffle_properties(seed):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), size=101)) for _ in range(40)]
    seqs += ["AAAAACCCCCGGGGGTTTTTACGTACGTNNNACGT", "ACACACACACGT", "AT"]
    changed = 0
    for s in seqs:
        t = dinuc_shuffle(s, rng)
        assert len(t) == len(s) and _dinucs(t) == _dinucs(s)
        assert t[0] == s[0] and t[-1] == s[-1]
        changed += t != s
    assert changed >= 40  # every random 101-mer moves


def test_dinuc_shuffle_deterministic_and_spread():
    s = "ACGTTGCAAGGCTTAACCGGTAGCTAGC"
    a = [dinuc_shuffle(s, np.random.default_rng(1)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = np.random.default_rng(2)
    outs = Counter(dinuc_shuffle(s, rng) for _ in range(2000))
    assert len(outs) > 200  # many distinct shuffles, not a handful
    assert max(outs.values()) < 60  # no single output dominates


def test_dinuc_shuffle_is_uniform_on_a_small_case():
    # "ACAGA": paths from A with edges AC, CA, AG, GA -> exactly ACAGA and AGACA, equally likely
    rng = np.random.default_rng(0)
    outs = Counter(dinuc_shuffle("ACAGA", rng) for _ in range(4000))
    assert set(outs) == {"ACAGA", "AGACA"}
    assert abs(outs["ACAGA"] - 2000) < 200


@pytest.fixture
def small_genome(tmp_path):
    rng = np.random.default_rng(11)
    chroms = {c: "".join(rng.choice(list("ACGT"), size=20_000)) for c in ("chr1", "chr2")}
    chroms["chr1"] = chroms["chr1"][:15_000] + "N" * 500 + chroms["chr1"][15_500:].lower()
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()) + ">chrUn\nACGT\n")
    peaks = tmp_path / "p.narrowPeak.gz"
    lines = [_peak_line("chr1", 1000 * i, 1000 * i + 300, 100 - i, 150) for i in range(1, 14)]
    lines += [_peak_line("chr2", 700 * i, 700 * i + 300, 50 - i, 150) for i in range(1, 20)]
    lines.append(_peak_line("chr1", 15_200, 15_400, 1, 100))  # window all N: dropped
    with gzip.open(peaks, "wt") as fh:
        fh.writelines(lines)
    return fa, peaks, chroms


@pytest.mark.parametrize("method", ["shuffle", "gc_matched"])
def test_build_tf_task(small_genome, method):
    fa, peaks, chroms = small_genome
    df, stats = build_tf_task(
        peaks, fa, canonical=["chr1", "chr2"], negatives=method, gc_tolerance=0.05, seed=4
    )
    pos, neg = df[df.label == 1], df[df.label == 0]
    assert len(pos) == 32 and stats["windows_with_N"] == 1
    for r in pos.itertuples():
        assert r.sequence == chroms[r.chrom][r.start : r.end].upper()
        assert r.end - r.start == 101
    assert df.sequence.str.fullmatch("[ACGT]{101}").all()
    if method == "shuffle":
        assert len(neg) == 32 and (neg.source == "shuffle").all()
        for p, n in zip(pos.sequence, neg.sequence, strict=True):
            assert _dinucs(p) == _dinucs(n) and p != n
    else:
        assert len(neg) + stats["gc_unmatched"] == 32 and (neg.source == "genome").all()
        bins = Counter(min(int(gc_content(s) / 0.05), 20) for s in pos.sequence)
        nbins = Counter(min(int(gc_content(s) / 0.05), 20) for s in neg.sequence)
        assert all(nbins[b] <= bins[b] for b in nbins)
        # background windows overlap no peak
        peak_df = read_narrowpeak(peaks)
        for r in neg.itertuples():
            same = peak_df[peak_df.chrom == r.chrom]
            assert not ((same.start < r.end) & (same.end > r.start)).any()
    again, _ = build_tf_task(
        peaks, fa, canonical=["chr1", "chr2"], negatives=method, gc_tolerance=0.05, seed=4
    )
    pd.testing.assert_frame_equal(df, again)


def test_bad_letter_names_file(small_genome, tmp_path):
    fa, peaks, chroms = small_genome
    bad = tmp_path / "bad.fa"
    bad.write_text(">chr1\n" + chroms["chr1"][:1100] + "X" + chroms["chr1"][1101:] + "\n")
    with pytest.raises(
        ValueError, match=r"bad\.fa: record chr1: invalid letter 'X' at position 1100"
    ):
        build_tf_task(peaks, bad, canonical=["chr1"])

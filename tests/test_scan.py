"""Promscan TSS calling and SpliceFinder's hard-negative scan (reconstruction)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from dnabert.baselines.reconstruct import (
    BED_COLUMNS,
    distance_to_nearest,
    read_bed6,
    scan_false_positives,
    union_sites,
    write_sites_bed,
)
from dnabert.baselines.scan import call_tss, match_calls, scanned_tss, score_tss
from dnabert.datasets.splice import build_splice, read_sites_bed


def _windows(chrom, strand, centres, scores, half=500):
    centres = np.asarray(centres)
    return pd.DataFrame({"chrom": chrom, "start": centres - half, "end": centres + half + 1,
                         "strand": strand, "score": scores})  # fmt: skip


def test_call_tss_local_maxima_plateau_gap_and_strand():
    centres = np.arange(1000, 1000 + 100 * 9, 100)  # 1000..1800
    scores = [0.1, 0.6, 0.9, 0.7, 0.2, 0.8, 0.8, 0.1, 0.4]
    w = pd.concat([
        _windows("chr1", "+", centres, scores),
        # after a gap (no window at 2000..2900) a lone window above threshold is its own maximum
        _windows("chr1", "+", [3000], [0.55]),
        # the minus strand is called separately, even at the same positions
        _windows("chr1", "-", centres[:3], [0.2, 0.95, 0.3]),
    ])  # fmt: skip
    calls = call_tss(w, threshold=0.5, step=100)
    got = list(calls[["chrom", "pos", "strand"]].itertuples(index=False, name=None))
    # 0.9 at 1200; plateau 0.8/0.8 -> its leftmost window 1500; 3000 after the gap; - at 1100.
    assert got == [("chr1", 1200, "+"), ("chr1", 1500, "+"), ("chr1", 3000, "+"),
                   ("chr1", 1100, "-")]  # fmt: skip
    assert calls["score"].tolist() == [0.9, 0.8, 0.55, 0.95]
    assert call_tss(w, threshold=0.99).empty


def test_match_calls_precision_recall_one_to_one():
    calls = pd.DataFrame({"chrom": ["chr1"] * 4, "pos": [1000, 1100, 5000, 9000],
                          "strand": ["+", "+", "+", "-"], "score": [0.9, 0.8, 0.7, 0.6]})  # fmt: skip
    truth = pd.DataFrame({"chrom": ["chr1"] * 3, "tss": [1050, 5600, 9000],
                          "strand": ["+", "+", "+"]})  # fmt: skip
    r = match_calls(calls, truth, tolerance=500)
    # 1000 matches 1050; 1100 would too, but 1050 is taken; 5000 is 600 away; 9000 is on '-'.
    assert r["matched"].tolist() == [True, False, False, False]
    assert r["precision"] == pytest.approx(1 / 4) and r["recall"] == pytest.approx(1 / 3)
    assert r["f1"] == pytest.approx(2 * 0.25 / 3 / (0.25 + 1 / 3))
    assert match_calls(calls, truth, tolerance=600)["true_positive_calls"] == 2


def test_scanned_tss_keeps_only_covered_same_strand():
    w = _windows("chr1", "+", [1000, 1100], [0.1, 0.2])  # covers [500, 1601)
    tss = pd.DataFrame({"chrom": ["chr1", "chr1", "chr1", "chr2"], "tss": [600, 1600, 1601, 600],
                        "strand": ["+", "+", "+", "+"]})  # fmt: skip
    tss = pd.concat([tss, pd.DataFrame({"chrom": ["chr1"], "tss": [800], "strand": ["-"]})])
    assert scanned_tss(tss, w)["tss"].tolist() == [600, 1600]


def test_score_tss_end_to_end(tmp_path):
    centres = np.arange(10_000, 12_000, 100)
    score = np.exp(-(((centres - 11_000) / 150.0) ** 2))  # one peak at 11000
    pred = pd.DataFrame({"label": (np.abs(centres - 11_000) <= 200).astype(int), "pred": 0,
                         "prob_0": 1 - score, "prob_1": score, "chrom": "chr1",
                         "start": centres - 500, "end": centres + 501, "strand": "+"})  # fmt: skip
    pred.to_csv(tmp_path / "predictions.tsv", sep="\t", index=False)
    # EPDnew BED: chrom start end name score strand (TSS = start); the second TSS lies outside.
    (tmp_path / "tss.bed").write_text(
        "chr1\t11020\t11021\tP1_1\t900\t+\nchr1\t50000\t50001\tP2_1\t900\t+\n"
    )
    rec = score_tss(tmp_path / "predictions.tsv", tmp_path / "tss.bed",
                    tmp_path / "tss_calls.json", threshold=0.5, tolerance=100, seed=42)  # fmt: skip
    saved = json.loads((tmp_path / "tss_calls.json").read_text())
    assert saved["n_calls"] == 1 and saved["n_true_tss"] == 1
    assert saved["precision"] == saved["recall"] == 1.0 and saved["seed"] == 42
    assert "code_version" in saved and rec["n_windows"] == len(pred)
    pred.drop(columns=["chrom"]).to_csv(tmp_path / "bad.tsv", sep="\t", index=False)
    with pytest.raises(ValueError, match="bad.tsv.*chrom"):
        score_tss(tmp_path / "bad.tsv", tmp_path / "tss.bed", tmp_path / "x.json")


# ------------------------------------------------------------ hard negatives on a toy genome

DECOY = "GGTACCGGTACC"  # what the toy "model" mistakes for a donor


class MotifAtCentre(nn.Module):
    """Calls 'donor' (class 1) when DECOY sits at the window centre, else non-splice."""

    def __init__(self, window: int):
        super().__init__()
        idx = {"A": 0, "C": 1, "G": 2, "T": 3}
        self.register_buffer("pwm", torch.zeros(4, len(DECOY)))
        for i, b in enumerate(DECOY):
            self.pwm[idx[b], i] = 1.0
        self.at = window // 2
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        hit = (x[:, :, self.at : self.at + len(DECOY)] * self.pwm).sum((1, 2)) == len(DECOY)
        logits = torch.zeros(x.shape[0], 3)
        logits[:, 1] = torch.where(hit, 10.0, -10.0)
        return logits + self.dummy


@pytest.fixture
def toy_genome(tmp_path):
    """chr1 (6 kb, random) with one + transcript: exons [1000, 1500) and [3000, 4000), so the
    junctions are 1500 (donor) and 3000 (acceptor). DECOY is planted at 2200 (genic, far from
    junctions: a false positive), at 1500 (the annotated donor: excluded) and at 5500 (outside
    the transcript: never scanned)."""
    rng = np.random.default_rng(1)
    seq = list(rng.choice(list("ACGT"), 6000))
    for pos in (2200, 1500, 5500):
        seq[pos : pos + len(DECOY)] = DECOY
    fa = tmp_path / "toy.fa"
    fa.write_text(">chr1\n" + "".join(seq) + "\n")
    attrs = 'gene_id "G1"; transcript_id "T1"; transcript_type "protein_coding";'
    gtf = tmp_path / "toy.gtf"
    gtf.write_text(
        f"chr1\ttoy\texon\t1001\t1500\t.\t+\t.\t{attrs}\n"
        f"chr1\ttoy\texon\t3001\t4000\t.\t+\t.\t{attrs}\n"
    )
    return fa, gtf


def test_scan_finds_planted_decoys_and_excludes_true_sites(toy_genome):
    fa, gtf = toy_genome
    bed, stats = scan_false_positives(
        MotifAtCentre(400), fa, gtf, window=400, step=10, threshold=0.5, min_distance=200
    )
    assert bed[["chrom", "start", "end", "name", "strand"]].values.tolist() == [
        ["chr1", 2200, 2201, "fp_donor", "+"]
    ]
    assert stats["predicted_sites"] == 2 and stats["near_annotated"] == 1
    # window centres every 10 bp over [1000, 4000) that fit on the chromosome
    assert stats["windows"] == 300


def test_hard_negatives_round_trip_through_the_splice_builder(toy_genome, tmp_path):
    fa, gtf = toy_genome
    bed, _ = scan_false_positives(MotifAtCentre(400), fa, gtf, window=400, step=10)
    path = tmp_path / "hn.bed"
    write_sites_bed(bed, path)
    assert read_sites_bed(path).values.tolist() == [["chr1", 2200, "+"]]
    assert read_bed6(path).equals(bed)
    df, stats = build_splice(fa, gtf, window=400, n_nonsplice=0, hard_negatives=path)
    hard = df[df["source"] == "hard_negative"]
    assert stats["hard_negatives"] == 1 and len(hard) == 1
    row = hard.iloc[0]
    assert (row["label"], row["start"], row["end"], row["strand"]) == (0, 2000, 2400, "+")
    assert row["sequence"][200 : 200 + len(DECOY)] == DECOY
    # the annotated donor and acceptor are still there with their own labels
    assert sorted(df.loc[df["source"] != "hard_negative", "label"]) == [1, 2]


def test_union_and_distance_helpers():
    a = pd.DataFrame([["chr1", 5, 6, "fp_donor", 600, "+"]], columns=BED_COLUMNS)
    b = pd.DataFrame([["chr1", 5, 6, "fp_donor", 900, "+"], ["chr1", 5, 6, "fp_acceptor", 700,
                      "-"]], columns=a.columns)  # fmt: skip
    u = union_sites([a, b])
    assert len(u) == 2 and u.loc[u["strand"] == "+", "score"].item() == 900
    d = distance_to_nearest(np.array([100, 500]), np.array([0, 120, 300, 900]))
    assert d.tolist() == [100, 20, 200, 400]
    assert np.isinf(distance_to_nearest(None, np.array([1]))).all()


@pytest.fixture
def real_dir(repo):
    """The real-data bundle: $DNABERT_SHARED_DATA, /work/shared/data/real or ../shared/data/real."""
    import os
    from pathlib import Path

    for c in (os.environ.get("DNABERT_SHARED_DATA"), "/work/shared/data/real",
              repo.parent / "shared" / "data" / "real"):  # fmt: skip
        if c and Path(c).is_dir():
            return Path(c)
    pytest.skip("real-data bundle not present")


def test_score_tss_on_real_epdnew_tss(real_dir, tmp_path):
    """Windows every 100 bp around real chr22 EPDnew TSSs, scored by an oracle that peaks at the
    window nearest each TSS: every scanned TSS is recalled, and a call is correct exactly when it
    lies within the tolerance of a TSS."""
    from dnabert.datasets.promoter_io import read_tss

    path = real_dir / "epdnew_hg38_tss.tsv.gz"
    tss = read_tss(path)
    chr22 = tss[(tss["chrom"] == "chr22") & (tss["strand"] == "+")].sort_values("tss")
    gaps = chr22["tss"].diff().fillna(1e9).to_numpy()
    isolated = chr22[(gaps > 20_000) & (np.roll(gaps, -1) > 20_000)].head(3)
    assert len(isolated) == 3
    rows = []
    for t in isolated["tss"]:
        for c in range(t - 2000, t + 2001, 100):
            rows.append(("chr22", c - 500, c + 501, "+", float(np.exp(-(((c - t) / 300) ** 2)))))
    w = pd.DataFrame(rows, columns=["chrom", "start", "end", "strand", "prob_1"])
    w.insert(0, "label", 0)
    w.to_csv(tmp_path / "predictions.tsv", sep="\t", index=False)
    rec = score_tss(tmp_path / "predictions.tsv", path, tmp_path / "tss_calls.json",
                    threshold=0.5, tolerance=100)  # fmt: skip
    assert rec["n_true_tss"] == 3 and rec["n_calls"] == 3
    assert rec["precision"] == rec["recall"] == 1.0

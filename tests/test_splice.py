"""Splice-site dataset: real annotated region (GRCh38 chr9:1-1,000,000) and hand-made GTFs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from dnabert.datasets.splice import (
    GTFError,
    build_splice,
    fetch_window,
    read_gtf_transcripts,
    splice_junctions,
)


@pytest.fixture(scope="module")
def real_dir() -> Path:
    candidates = [
        os.environ.get("DNABERT_SHARED_DATA"),
        "/work/shared/data/real",
        str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"),
    ]
    for c in candidates:
        if c and (Path(c) / "splice" / "region.gtf").exists():
            return Path(c)
    pytest.skip("real shared data not available")


@pytest.fixture(scope="module")
def region(real_dir, tmp_path_factory) -> tuple[Path, Path]:
    # Copy the FASTA so pysam can write its .fai beside it (the shared directory is read-only).
    tmp = tmp_path_factory.mktemp("region")
    shutil.copy(real_dir / "splice" / "region.fa", tmp / "region.fa")
    return tmp / "region.fa", real_dir / "splice" / "region.gtf"


@pytest.fixture(scope="module")
def real_build(region):
    fasta, gtf = region
    return build_splice(fasta, gtf, transcript_types=None, seed=3)


def test_real_sites_are_canonical(real_build):
    df, stats = real_build
    donors = df[df.label == 1].sequence
    acceptors = df[df.label == 2].sequence
    assert len(donors) == 154 and len(acceptors) == 147  # unique junctions per kind
    assert (donors.str[200:202] == "GT").mean() >= 0.95
    assert (acceptors.str[198:200] == "AG").mean() >= 0.95
    assert stats["donor_GT_share"] >= 0.95 and stats["acceptor_AG_share"] >= 0.95
    assert df.sequence.str.len().eq(400).all()
    assert df.sequence.str.fullmatch("[ACGT]+").all()  # upper-cased, no N


def test_windows_match_expected_introns_exactly(region, real_dir):
    fasta, gtf = region
    expected = pd.read_csv(real_dir / "splice" / "introns_expected.tsv", sep="\t")
    transcripts = read_gtf_transcripts(gtf)
    fa = pysam.FastaFile(str(fasta))
    got = []
    for tid in expected.transcript_id.unique():
        tx = transcripts[tid]
        for kind, junction, (s, e) in splice_junctions(tx):
            seq, start, end = fetch_window(fa, tx.chrom, junction, tx.strand, 400)
            assert end - start == 400 and start == junction - 200
            dinuc = seq[200:202] if kind == "donor" else seq[198:200]
            got.append((tid, s + 1, e, kind, dinuc))  # intron back to 1-based inclusive
    got_df = pd.DataFrame(got, columns=["transcript_id", "intron_start", "intron_end", "kind", "d"])
    wide = got_df.pivot_table(
        index=["transcript_id", "intron_start", "intron_end"],
        columns="kind",
        values="d",
        aggfunc="first",
    ).reset_index()
    merged = expected.merge(wide, on=["transcript_id", "intron_start", "intron_end"], how="outer")
    assert len(merged) == len(expected) == 726
    assert (merged.donor_x == merged.donor_y).all()
    assert (merged.acceptor_x == merged.acceptor_y).all()


def test_decoy_fraction_and_distance(real_build, region):
    df, stats = real_build
    neg = df[df.label == 0]
    n = stats["nonsplice_requested"]
    assert len(neg) == n == round((154 + 147) / 2)
    decoys = neg[neg.source.str.startswith("decoy")]
    assert len(decoys) == round(0.66 * n)
    assert (decoys[decoys.source == "decoy_gt"].sequence.str[200:202] == "GT").all()
    assert (decoys[decoys.source == "decoy_ag"].sequence.str[198:200] == "AG").all()
    # every non-splice centre is >= 200 bp from every annotated junction (any transcript)
    junctions = np.array(
        sorted(
            {
                j
                for tx in read_gtf_transcripts(region[1]).values()
                for _, j, _ in splice_junctions(tx)
            }
        )
    )
    centres = (neg.start + 200).to_numpy()
    dist = np.abs(centres[:, None] - junctions[None, :]).min(axis=1)
    assert (dist >= 200).all()


def test_seed_reproducible_and_fraction_configurable(region):
    fasta, gtf = region
    a, _ = build_splice(fasta, gtf, transcript_types=None, seed=5, decoy_fraction=0.0)
    b, _ = build_splice(fasta, gtf, transcript_types=None, seed=5, decoy_fraction=0.0)
    pd.testing.assert_frame_equal(a, b)
    assert not a.source.str.startswith("decoy").any()


def test_transcript_type_filter(region):
    fasta, gtf = region
    df, stats = build_splice(fasta, gtf, transcript_types=["protein_coding"], n_nonsplice=10)
    txs = read_gtf_transcripts(gtf)
    pc = {t for t, tx in txs.items() if tx.transcript_type == "protein_coding"}
    ids = set(df[df.label > 0].source.str.split(":").str[1])
    assert ids and ids <= pc
    assert stats["n_donor"] < 154


def test_hard_negatives_join_class_zero(region, tmp_path):
    fasta, gtf = region
    bed = tmp_path / "hard.bed"
    # one new site, and one exactly at an annotated + strand donor (intron 12191.. -> J = 12190)
    bed.write_text("9\t500000\t500001\tfp1\t0\t-\n9\t12190\t12191\tfp2\t0\t+\n")
    df, stats = build_splice(fasta, gtf, transcript_types=None, n_nonsplice=5, hard_negatives=bed)
    hard = df[df.source == "hard_negative"]
    assert len(hard) == 1 and hard.label.eq(0).all()
    assert hard.start.iloc[0] == 500000 - 200 and hard.strand.iloc[0] == "-"
    assert stats["hard_negatives_dropped"] == 1


def test_gtf_without_transcript_id_names_file_and_line(tmp_path):
    gtf = tmp_path / "bad.gtf"
    gtf.write_text(
        "#comment\n"
        'chr1\tt\texon\t10\t20\t.\t+\t.\tgene_id "g"; transcript_id "t1";\n'
        'chr1\tt\texon\t30\t40\t.\t+\t.\tgene_id "g";\n'
    )
    with pytest.raises(GTFError, match=r"bad\.gtf:3: exon line has no transcript_id"):
        read_gtf_transcripts(gtf)


def test_gtf_coordinates_and_gzip(tmp_path):
    import gzip

    gtf = tmp_path / "a.gtf.gz"
    with gzip.open(gtf, "wt") as fh:
        fh.write('c\tt\texon\t30\t40\t.\t-\t.\ttranscript_id "t"; transcript_type "lncRNA";\n')
        fh.write('c\tt\texon\t10\t20\t.\t-\t.\ttranscript_id "t"; transcript_type "lncRNA";\n')
    tx = read_gtf_transcripts(gtf)["t"]
    assert tx.exons == [(9, 20), (29, 40)] and tx.transcript_type == "lncRNA"
    # minus strand: donor at the intron's 3' genomic end, acceptor at its 5' end
    assert list(splice_junctions(tx)) == [("donor", 29, (20, 29)), ("acceptor", 20, (20, 29))]
    bad = tmp_path / "b.gtf"
    bad.write_text('c\tt\texon\t40\t30\t.\t+\t.\ttranscript_id "t";\n')
    with pytest.raises(GTFError, match=r"b\.gtf:1: expected 1 <= start <= end"):
        read_gtf_transcripts(bad)


def test_unknown_chromosome_counted_and_bad_letter_raises(tmp_path):
    fa = tmp_path / "g.fa"
    seq = "ACGT" * 250
    fa.write_text(">c\n" + seq[:500] + "GTAAGT" + seq[506:] + "\n")
    gtf = tmp_path / "g.gtf"
    gtf.write_text(
        'c\tt\texon\t100\t500\t.\t+\t.\ttranscript_id "t"; transcript_type "protein_coding";\n'
        'c\tt\texon\t700\t800\t.\t+\t.\ttranscript_id "t"; transcript_type "protein_coding";\n'
        'zz\tt\texon\t1\t5\t.\t+\t.\ttranscript_id "u"; transcript_type "protein_coding";\n'
        'zz\tt\texon\t9\t15\t.\t+\t.\ttranscript_id "u"; transcript_type "protein_coding";\n'
    )
    df, stats = build_splice(fa, gtf, window=200, n_nonsplice=0)
    assert stats["transcripts_unknown_chromosome"] == 1
    assert (df[df.label == 1].sequence.str[100:102] == "GT").all()
    fa.write_text(">c\n" + seq[:450] + "R" + seq[451:] + "\n")
    (tmp_path / "g.fa.fai").unlink()
    with pytest.raises(ValueError, match=r"g\.fa: record c: invalid letter 'R' at position 450"):
        build_splice(fa, gtf, window=200, n_nonsplice=0)

"""Selection of TF peak sets: ENCODE portal metadata, UCSC uniform TFBS lists, local files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dnabert.datasets.encode import (
    read_experiment_table,
    read_local_files,
    read_ucsc_uniform,
    select_encode_files,
    select_experiments,
    write_experiment_table,
)

HEADER = [
    "File accession", "File format", "File type", "Output type", "Experiment accession", "Assay",
    "Biosample term name", "Experiment target", "File assembly", "File Status", "md5sum",
    "File download URL",
]  # fmt: skip


def _row(acc, *, fmt="bed narrowPeak", out="IDR thresholded peaks", assay="TF ChIP-seq",
         asm="GRCh38", status="released", url=None):  # fmt: skip
    return [
        acc, fmt, "bed", out, "ENCSR" + acc[5:], assay, "K562", "CTCF-human", asm, status,
        "0" * 31 + acc[-1], url or f"https://www.encodeproject.org/files/{acc}/@@download/{acc}.bed.gz",
    ]  # fmt: skip


@pytest.fixture
def metadata(tmp_path):
    rows = [
        _row("ENCFF001AAA"),
        _row("ENCFF002AAB", url="tf/ENCFF002AAB.bed.gz"),  # relative URL
        _row("ENCFF003AAC", out="conservative IDR thresholded peaks"),  # decoy output type
        _row("ENCFF004AAD", asm="hg19"),  # decoy assembly
        _row("ENCFF005AAE", status="archived"),  # decoy status
        _row("ENCFF006AAF", assay="DNase-seq"),  # decoy assay
        _row("ENCFF007AAG", fmt="bigWig"),  # decoy format
        _row("ENCFF001AAA"),  # repeated accession
        _row("ENCFF008AAH"),
    ]
    d = tmp_path / "portal"
    d.mkdir()
    p = d / "metadata.tsv"
    p.write_text("\n".join("\t".join(r) for r in [HEADER, *rows]) + "\n")
    return p


def test_select_encode_files(metadata):
    recs = select_encode_files(metadata, assembly="GRCh38")
    assert [r["accession"] for r in recs] == ["ENCFF001AAA", "ENCFF002AAB", "ENCFF008AAH"]
    assert recs[1]["url"] == str(metadata.resolve().parent / "tf" / "ENCFF002AAB.bed.gz")
    assert recs[0]["url"].startswith("https://www.encodeproject.org/")
    assert recs[0]["target"] == "CTCF" and recs[0]["biosample"] == "K562"
    assert recs[2]["md5"] == "0" * 31 + "H" and recs[0]["experiment"] == "ENCFF001AAA"
    assert len(select_encode_files(metadata, max_experiments=2)) == 2
    hg19 = select_encode_files(metadata, assembly="hg19")
    assert [r["accession"] for r in hg19] == ["ENCFF004AAD"]


def test_select_encode_missing_columns(tmp_path):
    p = tmp_path / "m.tsv"
    p.write_text("File accession\tmd5sum\nENCFF1\tx\n")
    with pytest.raises(ValueError, match=r"m\.tsv: missing ENCODE metadata columns"):
        select_encode_files(p)


@pytest.fixture
def real_list() -> Path:
    for c in (
        os.environ.get("DNABERT_SHARED_DATA"),
        "/work/shared/data/real",
        str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"),
    ):
        if c and (Path(c) / "encode_tfbs.txt").exists():
            return Path(c) / "encode_tfbs.txt"
    pytest.skip("real shared data not available")


def test_690_uniform_sets(real_list, tmp_path):
    recs = read_ucsc_uniform(real_list, base_url="https://example.org/tfbs")
    assert len(recs) == 690 and len({r["experiment"] for r in recs}) == 690
    first = recs[0]
    assert first["experiment"] == "wgEncodeAwgTfbsHaibA549Atf3V0422111Etoh02UniPk"
    assert first["url"] == (
        "https://example.org/tfbs/wgEncodeAwgTfbsHaibA549Atf3V0422111Etoh02UniPk.narrowPeak.gz"
    )
    assert first["target"] == "ATF3" and first["biosample"] == "A549"
    table = tmp_path / "t.tsv"
    write_experiment_table(recs, table)
    back = read_experiment_table(table)
    assert list(back) == [r["experiment"] for r in recs]


def test_ucsc_files_txt_and_md5(tmp_path):
    files = tmp_path / "files.txt"
    files.write_text(
        "wgEncodeAwgTfbsBroadDnd41CtcfUniPk.narrowPeak.gz\tproject=wgEncode; lab=Broad; "
        "cell=Dnd41; antibody=CTCF; type=narrowPeak; md5sum=aaaa\n"
        "wgEncodeAwgTfbsUniform.README\tproject=wgEncode; type=txt\n"
        "wgEncodeAwgTfbsSydhK562Yy1UniPk.narrowPeak.gz\tcell=K562; antibody=YY1; md5sum=bbbb\n"
    )
    md5 = tmp_path / "md5sum.txt"
    md5.write_text("cccc  wgEncodeAwgTfbsSydhK562Yy1UniPk.narrowPeak.gz\n")
    recs = read_ucsc_uniform(files, md5, "http://x/")
    assert [(r["target"], r["biosample"], r["md5"]) for r in recs] == [
        ("CTCF", "Dnd41", "aaaa"),
        ("YY1", "K562", "cccc"),
    ]
    dup = tmp_path / "dup.txt"
    dup.write_text(files.read_text().splitlines()[0] + "\n" + files.read_text().splitlines()[0])
    with pytest.raises(ValueError, match=r"dup\.txt:2: .* listed twice"):
        read_ucsc_uniform(dup)


def test_local_files_and_dispatch(tmp_path, metadata):
    recs = read_local_files(["a/My Peaks (rep1).narrowPeak.gz", "b/other.bed"])
    assert [r["experiment"] for r in recs] == ["My_Peaks_rep1", "other"]
    with pytest.raises(ValueError, match="both give task name tf_x"):
        read_local_files(["a/x.narrowPeak", "b/x.bed.gz"])
    assert len(select_experiments({"source": "encode", "metadata": str(metadata)})) == 3
    assert len(select_experiments({"source": "local", "files": ["p.bed"]})) == 1
    with pytest.raises(ValueError, match="tf.metadata"):
        select_experiments({"source": "encode", "metadata": None})

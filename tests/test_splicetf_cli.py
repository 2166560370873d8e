"""Wiring of the splice/TF commands and rules: CLI -> builder -> common writer; DAG dry run."""

from __future__ import annotations

import gzip
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dnabert.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def captured(monkeypatch):
    """Replace the common writer with a recorder (the writer has its own tests)."""
    calls = []

    def write_task(df, out_dir, *, task, split_cfg, seed, config=None, extra_summary=None,
                   group_col=None):  # fmt: skip
        calls.append(dict(df=df, out_dir=out_dir, task=task, seed=seed, extra=extra_summary,
                          split=split_cfg))  # fmt: skip
        return dict(extra_summary or {})

    try:
        import dnabert.datasets.common as common

        monkeypatch.setattr(common, "write_task", write_task)
    except ImportError:
        fake = types.ModuleType("dnabert.datasets.common")
        fake.write_task = write_task
        monkeypatch.setitem(sys.modules, "dnabert.datasets.common", fake)
    return calls


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(5)
    seq = "".join(rng.choice(list("ACGT"), size=6000))
    seq = seq[:1000] + "GT" + seq[1002:2998] + "AG" + seq[3000:]
    fa = tmp_path / "g.fa"
    fa.write_text(f">chr1\n{seq}\n")
    gtf = tmp_path / "a.gtf"
    gtf.write_text(
        'chr1\tx\texon\t501\t1000\t.\t+\t.\ttranscript_id "t"; transcript_type "protein_coding";\n'
        'chr1\tx\texon\t3001\t5000\t.\t+\t.\ttranscript_id "t"; transcript_type "protein_coding";\n'
    )
    peaks = tmp_path / "My peaks.narrowPeak.gz"
    with gzip.open(peaks, "wt") as fh:
        fh.write("chr1\t1000\t1300\t.\t0\t.\t5\t-1\t-1\t100\n")
    return fa, gtf, peaks


def test_rule_split_param_wins_over_the_whole_config(genome, tmp_path, captured):
    """The rules pass datasets.split as a param (a changed split reruns them): the builders use
    it, and read the whole config's split only when called without one (the CLI)."""
    from dnabert.datasets.splicetf_tasks import run_splice_task, run_tf_task

    fa, gtf, peaks = genome
    param = {"method": "random", "fractions": [0.5, 0.25, 0.25]}
    stale = {"datasets": {"split": {"method": "random", "fractions": [0.8, 0.1, 0.1]}}}
    run_splice_task(fa, gtf, tmp_path / "s", split_cfg=param, config=stale)
    record = {"experiment": "E1"}
    run_tf_task(peaks, fa, tmp_path / "t", experiment=record, split_cfg=param, config=stale)
    run_splice_task(fa, gtf, tmp_path / "c", config=stale)
    run_splice_task(fa, gtf, tmp_path / "d")  # no config: the schema's split
    schema_split = {"method": "random", "fractions": [0.8, 0.1, 0.1], "dev_chromosomes": [],
                    "test_chromosomes": []}  # fmt: skip
    splits = [call["split"] for call in captured]
    assert splits == [param, param, stale["datasets"]["split"], schema_split]


REAL_2019 = Path(__file__).parent / "data/real/ENCODE_metadata_2019_histone_H1.metadata.tsv"


def test_build_splice_command(genome, tmp_path, captured, capsys):
    fa, gtf, _ = genome
    assert main(["build-splice", "--fasta", str(fa), "--gtf", str(gtf), "--out",
                 str(tmp_path / "out"), "--seed", "3"]) == 0  # fmt: skip
    (call,) = captured
    assert call["task"] == "splice" and call["seed"] == 3
    df = call["df"]
    assert set(df.label) == {0, 1, 2}
    assert df[df.label == 1].sequence.iloc[0][200:202] == "GT"
    assert df[df.label == 2].sequence.iloc[0][198:200] == "AG"
    assert call["extra"]["donor_GT_share"] == 1.0
    assert '"donor_GT_share": 1.0' in capsys.readouterr().out


def test_build_tf_command(genome, tmp_path, captured):
    fa, _, peaks = genome
    assert main(["build-tf", "--peaks", str(peaks), "--fasta", str(fa), "--out",
                 str(tmp_path / "tf")]) == 0  # fmt: skip
    (call,) = captured
    assert call["task"] == "tf_My_peaks"
    assert call["extra"]["experiment"]["experiment"] == "My_peaks"
    assert list(call["df"].label) == [1, 0]


def test_list_tf_experiments(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("genome: {name: g, fasta: {url: x}}\ntf: {source: local, files: [a/x.bed]}\n")
    assert main(["list-tf-experiments", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("experiment\turl") and out[1].startswith("x\ta/x.bed")


def test_list_tf_experiments_encode_with_skipped(tmp_path, capsys):
    # the 2019 portal layout (Assembly, no File format type), CRLF line endings
    header = ["File accession", "File format", "Output type", "Experiment accession", "Assay",
              "Experiment target", "Biosample term name", "File Status", "md5sum",
              "File download URL", "Assembly", "Audit ERROR"]  # fmt: skip
    rows = [
        ["ENCFF001", "bigBed narrowPeak", "replicated peaks", "ENCSR1", "ChIP-seq", "CTCF-human",
         "K562", "released", "a" * 32, "https://x/ENCFF001.bigBed", "GRCh38", ""],
        ["ENCFF002", "bed narrowPeak", "peaks", "ENCSR1", "ChIP-seq", "CTCF-human", "K562",
         "released", "b" * 32, "https://x/ENCFF002.bed.gz", "GRCh38", ""],
        ["ENCFF003", "bed narrowPeak", "replicated peaks", "ENCSR1", "ChIP-seq", "CTCF-human",
         "K562", "released", "c" * 32, "https://x/ENCFF003.bed.gz", "GRCh38", ""],
    ]  # fmt: skip
    meta = tmp_path / "metadata.tsv"
    meta.write_bytes("".join("\t".join(r) + "\r\n" for r in [header, *rows]).encode())
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "genome: {name: g, fasta: {url: x}}\n"
        f"tf: {{source: encode, metadata: {meta}, assay: [ChIP-seq],"
        " output_types: [replicated peaks, peaks], task_name: experiment_target}\n"
    )
    skipped = tmp_path / "skipped.tsv"
    assert main(["list-tf-experiments", "--config", str(cfg), "--skipped", str(skipped)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "experiment\turl\tmd5\ttarget\tbiosample\taccession\tsource\texperiment_accession"
        "\toutput_type\tassembly\tanalysis",
        f"ENCSR1_CTCF\thttps://x/ENCFF003.bed.gz\t{'c' * 32}\tCTCF\tK562\tENCFF003\tencode"
        "\tENCSR1\treplicated peaks\tGRCh38\t",
    ]
    assert skipped.read_text().splitlines() == [
        "file_accession\texperiment_accession\treason",
        "ENCFF001\tENCSR1\tnot bed narrowPeak",
        "ENCFF002\tENCSR1\tanother file preferred",
    ]


def test_run_select_tf_experiments_writes_both_tables(tmp_path):
    from dnabert.datasets.splicetf_tasks import run_select_tf_experiments

    table, skipped = tmp_path / "tf_experiments.tsv", tmp_path / "tf_experiments.skipped.tsv"
    recs = run_select_tf_experiments(
        {"source": "local", "files": ["a/x.bed"]}, table, skipped_tsv=skipped
    )
    assert [r["experiment"] for r in recs] == ["x"]
    assert table.read_text().splitlines()[1] == "x\ta/x.bed\t\t\t\ta/x.bed\tlocal\t\t\t\t"
    assert skipped.read_text() == "file_accession\texperiment_accession\treason\n"  # header only
    meta = tmp_path / "m.tsv"
    meta.write_text(
        "File accession\tFile format\tOutput type\tExperiment accession\tAssay\t"
        "Experiment target\tBiosample term name\tFile Status\tmd5sum\tFile download URL\t"
        "Assembly\nENCFF1\tbigBed narrowPeak\tpeaks\tENCSR1\tChIP-seq\tX-human\tK562\treleased"
        "\t\thttps://x/ENCFF1.bigBed\tGRCh38\n"
    )
    empty = tmp_path / "empty.tsv"
    with pytest.raises(ValueError, match=r"no TF peak files selected .*'not bed narrowPeak': 1"):
        run_select_tf_experiments(
            {"source": "encode", "metadata": str(meta), "assay": ["ChIP-seq"]}, empty
        )
    assert not empty.exists()


def test_selection_summary_records_the_metadata_url_and_md5(tmp_path):
    import json

    from dnabert.datasets.splicetf_tasks import run_select_tf_experiments

    meta = tmp_path / "encode_metadata.tsv"
    meta.write_bytes(REAL_2019.read_bytes())
    url = "https://www.encodeproject.org/metadata/?type=Experiment&assay_title=TF+ChIP-seq"
    summary = tmp_path / "tf_experiments.json"
    cfg = {"source": "encode", "metadata": str(meta), "assay": ["ChIP-seq"],
           "output_types": ["replicated peaks", "peaks"]}  # fmt: skip
    recs = run_select_tf_experiments(
        cfg, tmp_path / "t.tsv", summary_json=summary, source_urls={"metadata": url}
    )
    got = json.loads(summary.read_text())
    # md5 of the vendored real file, as listed in tests/data/real/MD5SUMS
    assert got["inputs"]["metadata"]["md5"] == "5db0e51331dc19791eb7e49317db4051"
    assert got["inputs"]["metadata"]["url"] == url and got["inputs"]["metadata"]["bytes"] == 89344
    assert got["n_experiments"] == len(recs) and got["source"] == "encode"
    assert sum(got["skipped_by_reason"].values()) == 186 - len(recs)
    assert got["config"]["tf"]["metadata"] == str(meta) and "code_version" in got

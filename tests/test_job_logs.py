"""A failed Snakemake job explains itself in its own rule log (logs/...), not only on the console."""

from __future__ import annotations

import subprocess
import sys

import yaml
from snakemake_runs import SNAKEMAKE


def test_failed_job_writes_its_error_into_the_rule_log(repo, tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chr1\nACGTACGT\n>chr2\nGGGG\n>chr1\nTTTT\n")  # a repeated record name
    cfg = {"genome": {"name": "g", "fasta": {"url": str(fasta)}}, "datasets": {"tasks": []}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    result = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1", "--configfile",
         str(tmp_path / "c.yaml"), "--directory", str(tmp_path), "resources/genome/g.fa.fai"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    log = (tmp_path / "logs/genome/index_g.log").read_text()
    assert "failed: GenomeError:" in log and "used by more than one record ('chr1' x2)" in log
    assert "Traceback" in log
    # the failed step left nothing behind
    assert not (tmp_path / "resources/genome/g.fa.fai").exists()
    assert not (tmp_path / "resources/genome/g.chrom.sizes").exists()


def _run_failing_job(tmp_path, log_arg: str) -> subprocess.CompletedProcess:
    code = (
        "import logging\n"
        "from dnabert.joblog import setup_job_log\n"
        f"setup_job_log({log_arg})\n"
        "logging.getLogger('dnabert.step').info('read %d records', 3)\n"
        "raise ValueError('bad record 7 in x.tsv')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )


def test_setup_job_log_sends_log_lines_traceback_and_peak_rss_to_the_rule_log(tmp_path):
    result = _run_failing_job(tmp_path, "'job.log'")
    assert result.returncode == 1
    lines = (tmp_path / "job.log").read_text().splitlines()
    assert lines[0].endswith(" INFO dnabert.step: read 3 records")
    assert " ERROR dnabert: failed: ValueError: bad record 7 in x.tsv" in lines[1]
    assert lines[2] == "Traceback (most recent call last):"
    assert lines[-2] == "ValueError: bad record 7 in x.tsv"
    assert " INFO dnabert: peak RSS: " in lines[-1] and lines[-1].endswith(" s")
    assert "ValueError: bad record 7 in x.tsv" in result.stderr  # the console still has it


def test_setup_job_log_without_a_file_writes_one_traceback_to_stderr(tmp_path):
    # a shell: rule (pretrain_mlm) sends the command's stderr to {log}
    result = _run_failing_job(tmp_path, "None")
    assert result.returncode == 1
    assert " INFO dnabert.step: read 3 records" in result.stderr
    assert result.stderr.count("Traceback (most recent call last):") == 1
    assert "peak RSS: " in result.stderr.splitlines()[-1]


def test_every_adapter_uses_the_one_log_setup(repo):
    scripts = sorted((repo / "workflow" / "scripts").glob("*.py"))
    assert len(scripts) > 20
    for script in scripts:
        text = script.read_text()
        assert "setup_job_log(" in text, f"{script.name}: no setup_job_log (dnabert.joblog)"
        assert "basicConfig" not in text, f"{script.name}: a log setup of its own"
        if script.name != "pretrain_mlm.py":  # a shell: rule's program: stderr is its log
            assert "setup_job_log(snakemake.log[0])" in text, script.name

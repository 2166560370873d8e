"""A failed Snakemake job explains itself in its own rule log (logs/...), not only on the console."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

SNAKEMAKE = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")


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

"""The Snakemake workflow: config validated before any job, the demo DAG builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SNAKEMAKE = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")


def _snakemake(repo, *args, cwd=None):
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1", *args],
        cwd=cwd or repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_dry_run_builds_the_whole_dag(repo, tmp_path):
    result = _snakemake(
        repo, "-n", "--configfile", str(repo / "config/demo.yaml"), "--directory", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    for rule in (
        "generate_demo_data",
        "download_resource",
        "index_genome",
        "check_chromosome_names",
    ):
        assert rule in out, f"{rule} missing from the demo DAG"


def test_paper_config_dry_run(repo, tmp_path):
    result = _snakemake(repo, "-n", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "hg38.fa" in result.stdout + result.stderr


def test_invalid_config_stops_before_any_job(repo, tmp_path):
    cfg = yaml.safe_load((repo / "config/demo.yaml").read_text())
    cfg["tokenize"]["k"] = [9]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    result = _snakemake(repo, "-n", "--configfile", str(bad), "--directory", str(tmp_path))
    assert result.returncode != 0
    assert "tokenize.k[0]" in result.stdout + result.stderr
    assert not (tmp_path / "resources").exists()


@pytest.mark.slow
def test_demo_runs_end_to_end(repo, tmp_path):
    """The real demo: generated data -> verified downloads -> indexed genome -> name check."""
    result = _snakemake(
        repo, "--configfile", str(repo / "config/demo.yaml"), "--directory", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "resources/genome/demo.fa.fai").is_file()
    sizes = (tmp_path / "resources/genome/demo.chrom.sizes").read_text().split()
    assert "chrUn_demo1" in sizes
    canonical = (tmp_path / "resources/genome/demo.canonical.txt").read_text().split()
    assert canonical == ["chr1", "chr2", "chr3"]
    for path in ("annotation/demo.gtf", "promoters/demo.tss.bed", "blacklist/demo.bed"):
        assert (tmp_path / "resources" / path).stat().st_size > 0

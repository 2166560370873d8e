"""Running the workflow's Snakefile from tests: the one place that finds snakemake and reads
its job table (test modules import these instead of importing each other)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

SNAKEMAKE = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")


def run_snakemake(repo: Path, *args: str, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    """``snakemake --snakefile <repo>/Snakefile --cores 1 *args`` (a later ``--cores`` wins)."""
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1", *args],
        cwd=cwd or repo,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def job_counts(text: str) -> dict[str, int]:
    """{rule: count} from Snakemake's 'Job stats' table."""
    table = text[text.index("Job stats:") :]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}

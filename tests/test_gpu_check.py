"""benchmarks/gpu_check.sh --dry-run: every step runs in its tiny CPU form and one table comes out.

The GPU path itself is never run in tests (or CI); the dry run exercises the same script, the
same benchmark scripts and the same Snakemake invocation (as a dry run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_dry_run_prints_one_table(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        ["bash", str(REPO / "benchmarks/gpu_check.sh"), "--dry-run", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    table = [ln for ln in result.stdout.splitlines() if ln.startswith("| ")]
    assert table[0] == "| check | unit | value | MFU | status | s |"
    rows = {ln.split(" | ")[0].lstrip("| "): ln.split(" | ") for ln in table[1:]}
    assert any(k.startswith("bench_pretrain (a) plain") for k in rows)
    assert sum(k.startswith("bench_pretrain (b) project") for k in rows) == 2
    assert {"bench_inference demo 101 bp", "bench_inference demo 300 bp"} <= set(rows)
    assert any(k.startswith("snakemake demo: dry run") for k in rows)
    for name, row in rows.items():
        assert row[4] == "ok", (name, (tmp_path / "rows.tsv").read_text())
        if name.startswith("bench_"):
            assert float(row[2]) > 0  # a measured throughput, not "-"
    assert shutil.which("bash")

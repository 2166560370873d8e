"""workflow/scripts/launch_torchrun.sh: the command lines it builds, with and without SLURM.

`srun`, `scontrol`, `squeue` and `torchrun` are replaced by stubs that record their arguments,
so the multi-node branch is checked without a cluster (tests/slurm/ runs the one-node branch
on a real SLURM).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "launch_torchrun.sh"


@pytest.fixture
def stubs(tmp_path):
    """A bin/ with recording stubs; returns (bin dir, calls log)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    scripts = {
        "torchrun": f'echo "torchrun $*" >> {calls}',
        "srun": f'echo "srun $*" >> {calls}',
        "scontrol": "echo gpu-node-07; echo gpu-node-08",  # show hostnames gpu-node-[07-08]
        "squeue": 'case "$*" in *%D*) echo 2;; *%N*) echo "gpu-node-[07-08]";; esac',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    return bin_dir, calls


def run_launcher(bin_dir, *args, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.update(env_extra)
    return subprocess.run(
        ["bash", str(LAUNCHER), *args], env=env, capture_output=True, text=True, check=True
    )


def test_without_slurm_runs_standalone_with_one_worker_per_gpu(stubs):
    bin_dir, calls = stubs
    run_launcher(bin_dir, "4", "-m", "dnabert.cli", "pretrain")
    assert calls.read_text().split() == [
        "torchrun", "--standalone", "--nnodes=1", "--nproc-per-node=4", "-m", "dnabert.cli",
        "pretrain",
    ]  # fmt: skip


def test_zero_gpus_is_a_one_worker_cpu_run(stubs):
    bin_dir, calls = stubs
    run_launcher(bin_dir, "0", "train.py")
    assert "--nproc-per-node=1" in calls.read_text().split()


def test_multi_node_job_starts_one_torchrun_per_node_via_srun(stubs):
    # the executor's job step leaves only SLURM_JOB_ID: nodes come from squeue
    bin_dir, calls = stubs
    result = run_launcher(bin_dir, "0", "train.py", "--x", SLURM_JOB_ID="4242")
    words = calls.read_text().split()
    assert words[:5] == ["srun", "--nodes=2", "--ntasks-per-node=1", "--kill-on-bad-exit=1",
                         "torchrun"]  # fmt: skip
    assert "--nnodes=2" in words and "--nproc-per-node=gpu" in words
    assert "--rdzv-endpoint=gpu-node-07:29500" in words and "--rdzv-id=4242" in words
    assert words[-2:] == ["train.py", "--x"]
    assert "2 nodes" in result.stderr


def test_one_node_slurm_job_runs_standalone(stubs):
    bin_dir, calls = stubs
    run_launcher(bin_dir, "2", "train.py", SLURM_JOB_ID="7", SLURM_JOB_NUM_NODES="1")
    words = calls.read_text().split()
    assert words[0] == "torchrun" and "--standalone" in words and "--nproc-per-node=2" in words

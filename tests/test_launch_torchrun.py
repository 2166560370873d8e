"""workflow/scripts/launch_torchrun.sh: the command lines it builds, with and without SLURM;
with the real torchrun, the exit status 75 after SIGTERM and no worker outliving a kill -9.

`srun`, `scontrol`, `squeue` and `torchrun` are replaced by stubs that record their arguments,
so the multi-node branch is checked without a cluster (tests/slurm/ runs the one-node branch
on a real SLURM).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
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


# ---------- the real torchrun: exit status 75 and no orphaned workers ----------

WORKER = """
import os, signal, sys, time
from dnabert.procguard import preempted_exit, watch_parent
from dnabert.train import Preempted

watch_parent(grace_s=5, interval_s=0.2)  # what dnabert.pretrain does under torchrun


def stop(signum, frame):  # what the training loop does: checkpoint, then raise Preempted
    raise Preempted(3, None)


signal.signal(signal.SIGTERM, stop)
pid_file = sys.argv[1]
with open(pid_file + ".tmp", "w") as fh:
    fh.write(f"{os.getpid()}\\n")
os.replace(pid_file + ".tmp", pid_file)
try:
    time.sleep(60)
except Preempted as exc:
    sys.exit(preempted_exit(exc))  # what workflow/scripts/pretrain_mlm.py does
"""


@pytest.fixture
def launch_real(tmp_path):
    """Start the launcher with the real torchrun and a worker that sleeps until signalled;
    returns a function giving (launcher Popen, worker pid). Everything is killed at the end."""
    if shutil.which("torchrun") is None:
        pytest.skip("torchrun not on PATH")
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    started = []

    def launch():
        pid_file = tmp_path / f"worker{len(started)}.pid"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(LAUNCHER.parents[2] / "src"), env.get("PYTHONPATH", "")]
        )
        proc = subprocess.Popen(
            ["bash", str(LAUNCHER), "0", str(worker), str(pid_file)],
            env=env,
            start_new_session=True,  # its own process group, as Snakemake's job would be
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "worker did not start"
            time.sleep(0.1)
        started.append((proc, int(pid_file.read_text())))
        return started[-1]

    yield launch
    for proc, worker_pid in started:
        for pid in (worker_pid, proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_sigterm_to_a_worker_makes_the_launcher_exit_75(launch_real):
    # torchrun alone turns the worker's 75 into ChildFailedError, exit 1
    proc, worker = launch_real()
    os.kill(worker, signal.SIGTERM)
    assert proc.wait(timeout=60) == 75
    out = proc.stdout.read()
    assert "preempted at step 3" in out and "exit 75: rerun to resume" in out


def test_sigterm_to_the_launcher_reaches_the_worker_and_exits_75(launch_real):
    proc, worker = launch_real()
    os.kill(proc.pid, signal.SIGTERM)  # SLURM before preemption / the time limit
    assert proc.wait(timeout=60) == 75
    assert _gone_within(worker, 5)


def test_kill_9_of_the_launcher_group_takes_the_worker_down(launch_real):
    proc, worker = launch_real()
    assert os.getsid(worker) == worker  # torchrun gave it a session of its own
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake's process group, killed hard
    proc.wait(timeout=10)
    assert _gone_within(worker, 10), "the torchrun worker outlived its launcher"

"""dnabert.procguard: one trainer per work directory, stale locks, the preempted marker.

(The kill -9 and SIGTERM behaviour through torchrun is tested in tests/test_launch_torchrun.py.)
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from dnabert.procguard import (
    EXIT_PREEMPTED,
    LOCK_NAME,
    TrainerLockError,
    preempted_exit,
    trainer_lock,
)


@pytest.fixture(autouse=True)
def no_slurm(monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_trainer_is_refused_naming_pid_and_host(tmp_path):
    me = [f"pid={os.getpid()}", f"host={socket.gethostname()}"]
    holder = rf"pid {os.getpid()} on host {socket.gethostname()}"
    with trainer_lock(tmp_path) as lock:
        assert lock.read_text().split()[:2] == me
        with pytest.raises(TrainerLockError, match=holder), trainer_lock(tmp_path):
            pass
        assert lock.exists()  # the refused one did not remove the holder's lock
    assert not lock.exists()  # released


def test_stale_lock_of_a_dead_pid_on_this_host_is_taken_over(tmp_path, caplog):
    pid = dead_pid()
    (tmp_path / LOCK_NAME).write_text(f"pid={pid} host={socket.gethostname()} slurm_job=\n")
    with caplog.at_level(logging.WARNING), trainer_lock(tmp_path) as lock:
        assert f"pid={os.getpid()}" in lock.read_text()
    assert f"its pid {pid} is not running" in caplog.text


def test_lock_of_another_host_is_refused_unless_same_slurm_job(tmp_path, monkeypatch):
    (tmp_path / LOCK_NAME).write_text(f"pid={dead_pid()} host=gpu-node-99 slurm_job=41\n")
    refused = pytest.raises(TrainerLockError, match=r"on host gpu-node-99 \(SLURM job 41\)")
    with refused, trainer_lock(tmp_path):
        pass
    monkeypatch.setenv("SLURM_JOB_ID", "41")  # the same job, requeued onto another node
    with trainer_lock(tmp_path):
        pass


def test_pretrain_refuses_a_held_work_dir_before_reading_anything(tmp_path):
    from dnabert.pretrain import pretrain

    work = tmp_path / "dnabert3.work"
    refused = pytest.raises(TrainerLockError, match="another trainer holds this work directory")
    with trainer_lock(work), refused:
        pretrain(tmp_path / "no_corpus", tmp_path / "dnabert3", 3, work_dir=work)


def test_preempted_exit_leaves_the_launchers_marker(tmp_path, monkeypatch):
    monkeypatch.setenv("DNABERT_STATUS_DIR", str(tmp_path))
    monkeypatch.setenv("RANK", "2")
    assert preempted_exit(RuntimeError("preempted at step 7")) == EXIT_PREEMPTED == 75
    assert (tmp_path / "preempted.rank2").read_text() == "preempted at step 7\n"

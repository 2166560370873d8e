"""Keeping trainer processes accountable: no orphans, one trainer per work directory, and the
"preempted, rerun to resume" exit status carried through ``torchrun``.

``torchrun`` starts each worker in a session of its own, so a ``kill -9`` of Snakemake's
process group (or of the launcher) kills the agent but not the workers: they would go on
training and checkpointing, and a rerun would put a second trainer on the same checkpoints.

- :func:`watch_parent` (called by workers under ``torchrun``): a daemon thread polls
  ``os.getppid()``; when the parent (the agent) is gone the worker gets SIGTERM, which the
  training loop turns into "checkpoint after this step and stop", and SIGKILL after a grace
  period if it is still alive (a collective waiting on a dead peer never returns). Polling is
  used instead of ``prctl(PR_SET_PDEATHSIG)``: that fires when the *thread* that forked the
  worker exits, which need not be the agent's end, and it exists on Linux only.
- :func:`trainer_lock`: ``{work_dir}/trainer.lock`` names the holder's pid, host and SLURM job;
  a second trainer is refused with those names. A lock whose pid is dead on this host, or left
  by an earlier run of the same SLURM job (a requeue), is taken over with a log line.
- :func:`preempted_exit`: a worker that stopped on SIGTERM/SIGUSR1 exits 75 (``EX_TEMPFAIL``),
  but ``torchrun`` reports any non-zero worker exit as its own failure (exit 1). The worker also
  drops a marker in ``$DNABERT_STATUS_DIR`` (set by ``workflow/scripts/launch_torchrun.sh``),
  and the launcher exits 75 when it finds one, so Snakemake and SLURM's requeue see 75.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

EXIT_PREEMPTED = 75  # EX_TEMPFAIL from sysexits.h: "try again later"; the rerun resumes.
LOCK_NAME = "trainer.lock"


def watch_parent(grace_s: float | None = None, interval_s: float = 1.0) -> threading.Thread:
    """Stop this process when its parent dies (see the module docstring); returns the thread.

    ``grace_s`` (default ``$DNABERT_ORPHAN_GRACE_S`` or 120) is how long the SIGTERM'd worker
    may take to checkpoint before SIGKILL.
    """
    if grace_s is None:
        grace_s = float(os.environ.get("DNABERT_ORPHAN_GRACE_S", 120))
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        log.error(
            "parent process %d is gone (launcher killed?): stopping this worker (SIGTERM, then "
            "SIGKILL after %.0f s)", parent, grace_s,
        )  # fmt: skip
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


class TrainerLockError(OSError):
    """Another trainer holds the work directory."""


def _holder() -> dict[str, str]:
    return {
        "pid": str(os.getpid()),
        "host": socket.gethostname(),
        "slurm_job": os.environ.get("SLURM_JOB_ID", ""),
    }


def _read_lock(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    return dict(w.split("=", 1) for w in text.split() if "=" in w)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _stale_reason(held: dict[str, str], me: dict[str, str]) -> str | None:
    """Why a lock can be taken over, or None when its holder may still be running."""
    if not held.get("pid", "").isdigit():
        return "it names no pid"
    if held.get("slurm_job") and held["slurm_job"] == me["slurm_job"]:
        return f"it was left by an earlier run of this SLURM job {me['slurm_job']} (requeued)"
    if held.get("host") == me["host"] and not _pid_alive(int(held["pid"])):
        return f"its pid {held['pid']} is not running on {me['host']}"
    return None


@contextlib.contextmanager
def trainer_lock(work_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``{work_dir}/trainer.lock`` for the block (one trainer per work directory).

    The file holds ``pid=… host=… slurm_job=…``. Raises :class:`TrainerLockError` naming the
    lock file and the holder's pid and host when a live trainer holds it; takes over a stale
    lock (see the module docstring) with a warning. Released on exit (also when the work
    directory was removed meanwhile).
    """
    path = Path(work_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    me = _holder()
    text = " ".join(f"{k}={v}" for k, v in me.items()) + "\n"
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            held = _read_lock(path)
            why = _stale_reason(held, me) if held else "it is empty"
            if why is None:
                raise TrainerLockError(
                    f"{path}: another trainer holds this work directory: pid {held.get('pid')} "
                    f"on host {held.get('host')}"
                    + (f" (SLURM job {held['slurm_job']})" if held.get("slurm_job") else "")
                    + "; two trainers would overwrite each other's checkpoints. Stop it first, "
                    f"or delete {path} if that process is gone"
                ) from None
            log.warning("%s: taking over a stale trainer lock (%s)", path, why)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        break
    else:
        raise TrainerLockError(f"{path}: could not take the trainer lock (contended)")
    try:
        yield path
    finally:
        if _read_lock(path).get("pid") == me["pid"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def preempted_exit(exc: BaseException) -> int:
    """Log a preemption, leave the marker the launcher looks for, and return 75."""
    log.warning("%s", exc)
    status_dir = os.environ.get("DNABERT_STATUS_DIR")
    if status_dir:
        rank = os.environ.get("RANK", "0")
        with contextlib.suppress(OSError):
            Path(status_dir, f"preempted.rank{rank}").write_text(f"{exc}\n")
    return EXIT_PREEMPTED

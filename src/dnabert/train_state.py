"""What a training run keeps between its parts: RNG states (python, numpy, torch, CUDA, the
collator's generator), the CSV logs trimmed back to a resumed checkpoint, the stop flag that
SIGTERM/SIGUSR1 raise, and the ``checkpoints/latest`` pointer (:mod:`dnabert.train` is the loop)."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import random
import signal
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnabert.provenance import atomic_path

log = logging.getLogger(__name__)


def _rng_state(collate_fn: Any) -> dict:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "collate": collate_fn.state_dict() if hasattr(collate_fn, "state_dict") else None,
    }
    return state


def _set_rng_state(state: dict, collate_fn: Any) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if state["collate"] is not None and hasattr(collate_fn, "load_state_dict"):
        collate_fn.load_state_dict(state["collate"])


class _Log:
    """Append-only CSV whose header comes from the first row; on resume, rows past the
    checkpoint's step (written by the interrupted run) are dropped first."""

    def __init__(self, path: Path, resume_step: int):
        self.path = path
        self.fields: list[str] | None = None
        if path.exists():
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
            fields = list(rows[0].keys()) if rows else None
            keep = [r for r in rows if int(r["step"]) <= resume_step]
            with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
                if fields:
                    writer = csv.DictWriter(fh, fieldnames=fields)
                    writer.writeheader()
                    writer.writerows(keep)
            self.fields = fields

    def write(self, row: dict) -> None:
        new = self.fields is None
        if new:
            self.fields = list(row.keys())
        with open(self.path, "a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


class _StopFlag:
    """Sets ``requested`` on SIGTERM/SIGUSR1; restores the previous handlers on exit."""

    SIGNALS = tuple(s for s in (signal.SIGTERM, getattr(signal, "SIGUSR1", None)) if s)

    def __init__(self):
        self.requested = False
        self._previous: dict = {}

    def _handle(self, signum, frame):
        log.warning("received signal %d: checkpointing after this step", signum)
        self.requested = True

    def __enter__(self):
        with contextlib.suppress(ValueError):  # not the main thread: no handlers
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def latest_checkpoint(out_dir: str | os.PathLike) -> Path | None:
    """The checkpoint named by ``out_dir/checkpoints/latest``, or None."""
    pointer = Path(out_dir) / "checkpoints" / "latest"
    if not pointer.exists():
        return None
    path = pointer.parent / pointer.read_text().strip()
    if not path.exists():
        raise FileNotFoundError(f"{pointer} names {path.name}, which does not exist")
    return path


class Preempted(Exception):  # noqa: N818 -- reads as "the run was preempted"
    """Training stopped on SIGTERM/SIGUSR1 after writing a checkpoint; rerun to resume."""

    def __init__(self, step: int, checkpoint: Path | None):
        super().__init__(f"preempted at step {step}; checkpoint {checkpoint}; rerun to resume")
        self.step = step
        self.checkpoint = checkpoint

"""Provenance and safe output: code version, run records, and atomic writes.

Every result file records the config, seed and code version that made it
(:func:`provenance`), and every step writes to a temporary path that is renamed into place
only when complete (:func:`atomic_path`), so a failed step leaves no partial output.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from dnabert import __version__

_PACKAGES = ("numpy", "pandas", "torch", "transformers", "pysam", "pybedtools", "scikit-learn")


@functools.cache
def code_version() -> str:
    """Return ``<package version>+g<commit>[.dirty]`` when run from a git checkout, else the version."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", str(here)],
            cwd=here,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}" + (".dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    """Versions of the scientific packages that shape results (missing ones are omitted)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def provenance(config: Any = None, seed: int | None = None, **extra: Any) -> dict[str, Any]:
    """The record stored beside (or inside) every result: config, seed, code and package versions."""
    record = {
        "code_version": code_version(),
        "seed": seed,
        "config": config,
        "packages": package_versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    record.update(extra)
    return record


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary lives in the same directory (same filesystem), so the final ``os.replace`` is
    atomic. On any exception the temporary is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_dir:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if is_dir and path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")

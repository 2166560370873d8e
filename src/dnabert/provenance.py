"""Provenance and safe output: code version, run records, and atomic writes.

Every result file records the config, seed and code version that made it
(:func:`provenance`), and every step writes to a temporary path that is renamed into place
only when complete (:func:`atomic_path`), so a failed step leaves no partial output.
"""

from __future__ import annotations

import contextlib
import errno
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


def _git(*args: str, cwd: Path) -> str:
    """Stdout of ``git ARGS`` in ``cwd``, stripped (raises OSError / SubprocessError on failure)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


@functools.cache
def code_version() -> str:
    """Return ``<package version>+g<commit>[.dirty]`` when run from a git checkout, else the version."""
    here = Path(__file__).resolve().parent
    try:
        commit = _git("rev-parse", "--short=12", "HEAD", cwd=here)
        dirty = _git("status", "--porcelain", "--untracked-files=no", "--", str(here), cwd=here)
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


def stable_provenance(config: Any = None, seed: int | None = None, **extra: Any) -> dict[str, Any]:
    """:func:`provenance` without its ``created`` timestamp: the sidecar of an output that
    regenerating from the same inputs must write byte for byte again (figures, viz)."""
    record = provenance(config, seed, **extra)
    record.pop("created", None)
    return record


_FULL = (errno.ENOSPC, errno.EDQUOT)


def _named_full(exc: OSError, path: Path) -> OSError:
    """``No space left on device`` (or over quota) naming the output being written."""
    err = OSError(
        exc.errno,
        f"{exc.strerror or exc} while writing {path} (on the filesystem of {path.parent}); "
        "free space there (or point the output elsewhere) and rerun; nothing was written",
    )
    err.filename = str(path)
    return err


def _replace_contents(new: Path, target: Path, last: str | None = None) -> None:
    """Move every entry of ``new`` into the existing directory ``target`` (``os.replace``, one
    entry at a time, the entry named ``last`` after all others), then remove ``target``'s entries
    that ``new`` did not have. ``target`` itself is never removed or renamed, so it may be a
    symlink or a mount point."""
    names = {p.name for p in new.iterdir()}
    for name in sorted(names, key=lambda n: (n == last, n)):
        dest = target / name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)  # a directory cannot be replaced by os.replace when non-empty
        os.replace(new / name, dest)
    for old in target.iterdir():
        if old.name in names or old == new:
            continue
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, is_dir: bool = False, last: str | None = None
) -> Iterator[Path]:
    """Yield a temporary path for ``path``; move it onto ``path`` only if the block succeeds.

    Files: a temporary sibling in the same directory (same filesystem), renamed with one atomic
    ``os.replace``. Directories (``is_dir``): when ``path`` does not exist yet, a temporary
    sibling directory renamed onto it; when it exists, a temporary directory *inside* it (so on
    its filesystem) whose entries then replace ``path``'s entries one by one (the one named
    ``last``, e.g. a run's ``metrics.json``, after all others), old entries not rewritten being
    removed: ``path`` itself is never removed or renamed, so it may be a
    symlink to scratch space or a mount point. On any exception the temporary is removed and
    ``path`` is left untouched, and folders made for it are removed again when empty.
    ``No space left on device`` (and over quota) errors name ``path``.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():  # a link to a scratch folder not made yet
        path.resolve().mkdir(parents=True, exist_ok=True)
    in_place = is_dir and path.is_dir()
    created = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    if not in_place:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if is_dir:
            where = path if in_place else path.parent
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=where))
        else:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmp = Path(name)
    except OSError as exc:
        raise (_named_full(exc, path) if exc.errno in _FULL else exc) from exc
    try:
        yield tmp
        if in_place:
            _replace_contents(tmp, path, last)
            tmp.rmdir()
        else:
            os.replace(tmp, path)
    except BaseException as exc:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        for d in created:  # the folders made for this output, deepest first, when still empty
            with contextlib.suppress(OSError):
                d.rmdir()
        if isinstance(exc, OSError) and exc.errno in _FULL:
            raise _named_full(exc, path) from exc
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")

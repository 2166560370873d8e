"""Shared fixtures: the repository root and the optional real-data bundle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Scheduling under pytest-xdist (`make test` runs `pytest -n 2 --dist loadfile
# --no-loadscope-reorder -m "not demo"`): each test file is one unit of work, so its module
# fixtures (the tiny workflow run of test_e2e_tiny.py) are built once; the longest units come
# first, so that they start at once and the rest fills the other worker. (Not `--dist loadgroup`:
# pytest-xdist 3.8 marks a test's group by rewriting ``item._nodeid``, which pytest 9.2 no longer
# reads, so every test was scheduled on its own and the tiny run was built twice.)
_LONGEST_FIRST = (
    "test_workflow.py::test_demo_runs_end_to_end",
    "test_e2e_tiny.py",
    "test_report_workflow.py",
    "test_cross_species.py",
    "test_custom_tasks.py",
    "test_hf_models.py",
    "test_rerun_triggers.py",
    "test_gpu_check.py",
)


def _rank(item: pytest.Item) -> int:
    name = item.nodeid.rsplit("/", 1)[-1]
    return next(
        (i for i, key in enumerate(_LONGEST_FIRST) if name.startswith(key)), len(_LONGEST_FIRST)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the order within a file is kept


def _shared_data() -> Path | None:
    candidates = [os.environ.get("DNABERT_SHARED_DATA"), REPO.parent / "shared" / "data" / "real"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_data() -> Path:
    """../shared/data/real (or $DNABERT_SHARED_DATA); tests using it skip when it is absent."""
    path = _shared_data()
    if path is None:
        pytest.skip("real-data bundle ../shared/data/real not present")
    return path

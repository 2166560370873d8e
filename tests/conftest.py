"""Shared fixtures: the repository root and the optional real-data bundle."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


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

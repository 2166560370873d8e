"""Time the demo data generator at the default size (6 x 1 Mbp) and a small size.

Run: ``PYTHONPATH=src python benchmarks/bench_demo.py``. Prints seconds per size next to the
target (the default size should take well under ~10 s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from dnabert.demo import generate_demo

TARGET_S = 10.0


def main() -> None:
    sizes = [
        {"n_chromosomes": 2, "chromosome_length": 200_000},
        {"n_chromosomes": 6, "chromosome_length": 1_000_000},
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, size in enumerate(sizes):
            t0 = time.perf_counter()
            generate_demo(Path(tmp) / f"demo{i}", seed=7, **size)
            dt = time.perf_counter() - t0
            mbp = size["n_chromosomes"] * size["chromosome_length"] / 1e6
            print(f"{mbp:4.1f} Mbp: {dt:6.2f} s (target < {TARGET_S:.0f} s for 6 Mbp)")


if __name__ == "__main__":
    main()

"""Benchmark the k-mer yardstick (kmer_lr) at promscan's shape: time and peak memory.

``N`` random 1001 bp windows (5% positives carrying TATAAA at the centre) and 2,000 dev windows;
prints the feature build time, non-zeros per window, the feature matrix size, the time of the
fits over the default C grid (one BLAS thread) and the peak RSS. Results: docs/baselines.md.

    PYTHONPATH=src python benchmarks/bench_kmer_lr.py 20000
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

from dnabert.baselines.kmer_lr import fit_kmer_lr, kmer_features
from dnabert.config import schema_defaults

LENGTH = 1001


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def windows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    codes = rng.integers(0, 4, size=(n, LENGTH)).astype(np.uint8)
    labels = (rng.random(n) < 0.05).astype(int)
    codes[labels == 1, 480:486] = [3, 0, 3, 0, 0, 0]  # TATAAA
    letters = np.array(list("ACGT"))[codes]
    return pd.DataFrame({"sequence": ["".join(r) for r in letters], "label": labels})


def main(n: int) -> None:
    rng = np.random.default_rng(0)
    train, dev = windows(n, rng), windows(2000, rng)
    print(f"sequences in memory: peak {peak_mb():.0f} MB")
    t = time.perf_counter()
    x = kmer_features(train["sequence"].tolist(), [4, 5, 6])
    size = (x.data.nbytes + x.indices.nbytes + x.indptr.nbytes) / 1e6
    print(f"features: {time.perf_counter() - t:.1f} s, {x.nnz / n:.0f} non-zeros per window, "
          f"{size:.0f} MB, peak {peak_mb():.0f} MB")  # fmt: skip
    del x
    grid = schema_defaults("baselines", "kmer_lr")["c_grid"]
    t = time.perf_counter()
    model, log = fit_kmer_lr(train, dev, ks=[4, 5, 6], c_grid=grid, seed=0, threads=1)
    print(f"fit over C {grid}: {time.perf_counter() - t:.1f} s, chose C={float(model['C'])}")
    print("dev MCC per C:", [(row["C"], round(row["mcc"], 3)) for row in log])
    print(f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)

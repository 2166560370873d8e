"""Benchmark: pretraining corpus build time on a generated genome, projected to hg38.

Run: ``PYTHONPATH=src python benchmarks/bench_corpus.py [--mbp 16] [--k 6] [--coverage 5]``

Writes a random FASTA (``--mbp`` Mbp in 4 chromosomes, soft-masked stretches and N runs), indexes
it, builds the corpus with the paper's settings on one core and prints Mbp/s of genome and the
projected time for hg38 (3.1 Gbp). Everything lives in a temporary directory.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pysam  # noqa: E402

from dnabert.corpus import TokenCorpus, build_corpus  # noqa: E402
from dnabert.masking import LengthBucketSampler, padding_fraction  # noqa: E402

HG38_BP = 3.1e9


def write_genome(path: Path, mbp: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_chrom = 4
    length = int(mbp * 1e6 / n_chrom)
    with open(path, "w") as fh:
        for c in range(n_chrom):
            s = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].copy()
            for a in rng.integers(0, length, size=20):  # soft-masked repeats
                s[a : a + 5000] |= 32  # lower case (idempotent)
            s[:10_000] = ord("N")  # telomere
            for a in rng.integers(0, length, size=10):  # gaps
                s[a : a + int(rng.integers(100, 50_000))] = ord("N")
            fh.write(f">chr{c + 1}\n")
            lines = s[: length - length % 60].reshape(-1, 60)
            nl = np.full((lines.shape[0], 1), ord("\n"), dtype=np.uint8)
            fh.write(np.hstack([lines, nl]).tobytes().decode())
            fh.write(s[length - length % 60 :].tobytes().decode() + "\n")
    pysam.faidx(str(path))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mbp", type=float, default=16.0)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--coverage", type=float, default=5.0)
    ap.add_argument("--n-policy", default="split", choices=("split", "delete"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "genome.fa"
        write_genome(fasta, args.mbp)
        t = time.perf_counter()
        summary = build_corpus(
            fasta,
            Path(tmp) / "out",
            args.k,
            coverage=args.coverage,
            n_policy=args.n_policy,
            val_fraction=0.01,
            seed=1,
            progress=False,
        )
        seconds = time.perf_counter() - t
        train = TokenCorpus(Path(tmp) / "out" / "train")
        out_mb = (Path(tmp) / "out" / "train.bin").stat().st_size / 1e6
        lengths = np.array(train.lengths)
    bp = summary["genome_bp"]
    print(f"genome {bp / 1e6:.1f} Mbp, k={args.k}, coverage {args.coverage}, {args.n_policy}")
    print(f"  train: {len(train)} sequences, {train.n_tokens / 1e6:.1f} M tokens ({out_mb:.0f} MB)")
    print(f"  build: {seconds:.2f} s = {bp / 1e6 / seconds:.1f} Mbp/s of genome")
    print(f"  projected hg38 (3.1 Gbp): {HG38_BP / (bp / seconds) / 60:.1f} min on one core")
    rng = np.random.default_rng(0)
    for bs in (32, 256):
        perm = rng.permutation(lengths.size)
        plain = [perm[i : i + bs] for i in range(0, perm.size, bs)]
        bucketed = list(LengthBucketSampler(lengths, bs, seed=0))
        print(
            f"  padding fraction, batch {bs} (pad to x8): random batches "
            f"{padding_fraction(lengths, plain, 8):.1%}, length buckets "
            f"{padding_fraction(lengths, bucketed, 8):.1%}"
        )


if __name__ == "__main__":
    main()

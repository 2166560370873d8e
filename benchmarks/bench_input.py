"""Benchmark: the pretraining input pipeline on one CPU core (corpus read + k-span masking + collation).

Run: ``PYTHONPATH=src python benchmarks/bench_input.py [--mbp 16] [--k 6] [--batch 64]``

Builds a corpus with the paper's settings (``max_tokens`` 510, i.e. 512 positions with [CLS] and
[SEP]) from a generated genome, then runs exactly what :func:`dnabert.pretrain.pretrain` feeds the
training loop: ``LengthBucketSampler`` batches, ``TokenCorpus[i]`` memmap views and
``KmerSpanMaskCollator`` (pad, k-span masking, 80/10/10 replacement). Tokens/s count real
(non-padding) tokens in the batches, as the training loop's throughput does. One table; the
target (issue 16) is >= 2M tokens/s per core, enough to feed an H100 (BERT-base at 50% MFU
consumes ~0.9M tokens/s).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import write_genome  # noqa: E402

from dnabert.corpus import TokenCorpus, build_corpus  # noqa: E402
from dnabert.masking import KmerSpanMaskCollator, LengthBucketSampler  # noqa: E402

TARGET = 2e6


def timed(fn, batches) -> tuple[float, int]:
    """Seconds and real tokens over ``batches`` (index lists) through ``fn(idx) -> n_tokens``."""
    t0, tokens = time.perf_counter(), 0
    for idx in batches:
        tokens += fn(idx)
    return time.perf_counter() - t0, tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mbp", type=float, default=16.0, help="genome size (Mbp) for the corpus")
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--batches", type=int, default=300, help="batches timed per row")
    ap.add_argument(
        "--plan-sequences",
        type=float,
        default=4e7,
        help="corpus size for the sampler's epoch-plan timing (hg38 5x k=6: ~4e7 sequences)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        fasta = Path(tmp) / "genome.fa"
        write_genome(fasta, args.mbp)
        build_corpus(
            fasta, Path(tmp) / "out", args.k, max_tokens=args.max_length - 2, seed=1, progress=False
        )
        data = TokenCorpus(Path(tmp) / "out" / "train")
        t = time.perf_counter()
        sampler = LengthBucketSampler(data.lengths, args.batch, seed=0)
        batches = sampler.batches()
        sampler_s = time.perf_counter() - t
        batches = batches[: args.batches]
        collator = KmerSpanMaskCollator(args.k, max_length=args.max_length, seed=0)

        def read(idx):
            return sum(len(data[j]) + 2 for j in idx)

        def pad(idx):
            return int(collator.pad([data[j] for j in idx])[1].sum())

        def full(idx):
            return int(collator([data[j] for j in idx])["attention_mask"].sum())

        rows = [(name, *timed(fn, batches)) for name, fn in
                (("corpus read (memmap views)", read), ("read + pad/collate", pad),
                 ("read + collate + k-span masking", full))]  # fmt: skip
        n_seq = len(data)
    rng = np.random.default_rng(0)
    n_plan = int(args.plan_sequences)
    body = args.max_length - 2
    plan_lengths = np.where(rng.random(n_plan) < 0.5, body, rng.integers(5, body + 1, n_plan))
    t = time.perf_counter()
    n_plan_batches = len(LengthBucketSampler(plan_lengths, args.batch, seed=0).batches())
    plan_s = time.perf_counter() - t
    del plan_lengths
    print(
        f"k={args.k}, max_length {args.max_length}, batch {args.batch}, {len(batches)} batches, "
        f"corpus {n_seq:,} sequences; sampler epoch plan {sampler_s * 1e3:.0f} ms; one core"
    )
    print(f"| {'stage':<34} | {'s':>6} | {'tokens':>11} | {'tokens/s':>12} | {'batches/s':>9} |")
    print(f"|{'-' * 36}|{'-' * 7}:|{'-' * 12}:|{'-' * 13}:|{'-' * 10}:|")
    for name, sec, tok in rows:
        print(
            f"| {name:<34} | {sec:6.2f} | {tok:11,} | {tok / sec:12,.0f} | "
            f"{len(batches) / sec:9.1f} |"
        )
    tps = rows[-1][2] / rows[-1][1]
    print(
        f"sampler epoch plan at {n_plan:,} sequences ({n_plan_batches:,} batches): {plan_s:.1f} s "
        "once per epoch"
    )
    verdict = "meets" if tps >= TARGET else "MISSES"
    print(f"full pipeline {tps / 1e6:.2f}M tokens/s per core: {verdict} the 2M tokens/s target")
    raise SystemExit(0 if np.isfinite(tps) else 1)


if __name__ == "__main__":
    main()

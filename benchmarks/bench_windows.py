"""Benchmark window extraction and the promoter dataset stage.

Compares windows/s of :func:`dnabert.datasets.windows.extract_windows` (each chromosome loaded
once, numpy slicing) with a plain per-window ``pysam.FastaFile.fetch`` loop (+ upper-case and
reverse complement) on the same windows in the same run, checks both give identical sequences,
then times the promoter (prom300_all) and promscan builders end to end.

    python benchmarks/bench_windows.py [--fasta genome.fa --tss tss.bed --tata tata.txt]

Without --fasta a random 3-chromosome genome (default 3 x 1 Mbp) with synthetic TSSs is written
to a temporary directory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pysam

from dnabert.datasets.promoters import build_promoter_task
from dnabert.datasets.promscan import build_promscan_task
from dnabert.datasets.windows import extract_windows, fasta_lengths
from dnabert.seq import reverse_complement


def make_genome(tmp: Path, n_chrom: int, length: int, n_tss: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    fasta = tmp / "genome.fa"
    with open(fasta, "w") as fh:
        for i in range(n_chrom):
            seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes()
            fh.write(f">chr{i + 1}\n")
            for a in range(0, length, 60):
                fh.write(seq[a : a + 60].decode() + "\n")
    pysam.faidx(str(fasta))
    tss = tmp / "tss.tsv"
    with open(tss, "w") as fh:
        fh.write("chrom\ttss\tstrand\tname\n")
        # TSSs in the first half of each chromosome so TATA negatives have room
        for j in range(n_tss):
            c = j % n_chrom + 1
            t = int(rng.integers(6000, length // 2))
            fh.write(f"chr{c}\t{t}\t{'+-'[j % 2]}\tT{j}_1\n")
    tata = tmp / "tata.txt"
    tata.write_text("".join(f"T{j}_1\n" for j in range(0, n_tss, 5)))
    return fasta, tss, tata


def naive(fasta: Path, chroms, starts, ends, strands) -> list[str]:
    out = []
    with pysam.FastaFile(str(fasta)) as fa:
        for c, s, e, st in zip(chroms, starts, ends, strands, strict=True):
            w = fa.fetch(c, int(s), int(e)).upper()
            out.append(reverse_complement(w) if st == "-" else w)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fasta")
    ap.add_argument("--tss")
    ap.add_argument("--tata")
    ap.add_argument("--windows", type=int, default=200_000)
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--chrom-length", type=int, default=1_000_000)
    ap.add_argument("--n-tss", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.fasta:
            fasta, tss, tata = Path(args.fasta), args.tss, args.tata
        else:
            fasta, tss, tata = make_genome(tmp, 3, args.chrom_length, args.n_tss)
        lengths = fasta_lengths(fasta)
        names = list(lengths)
        rng = np.random.default_rng(1)
        chroms = [names[i] for i in rng.integers(0, len(names), args.windows)]
        starts = np.array([rng.integers(0, lengths[c] - args.width) for c in chroms])
        ends = starts + args.width
        strands = rng.choice(["+", "-"], args.windows).tolist()
        t0 = time.perf_counter()
        fast = extract_windows(fasta, chroms, starts, ends, strands, invalid="N")
        t_fast = time.perf_counter() - t0
        t0 = time.perf_counter()
        slow = naive(fasta, chroms, starts, ends, strands)
        t_slow = time.perf_counter() - t0
        assert fast == slow, "extract_windows and the pysam loop disagree"
        n = args.windows
        print(f"windows: {n} x {args.width} bp on {len(names)} records")
        print(f"extract_windows      : {t_fast:7.2f} s  {n / t_fast:12,.0f} windows/s")
        print(f"pysam fetch per window: {t_slow:7.2f} s  {n / t_slow:12,.0f} windows/s")
        print(f"speed-up              : {t_slow / t_fast:7.1f} x (identical sequences)")
        if tss and tata:
            split = {"method": "random", "fractions": [0.8, 0.1, 0.1]}
            t0 = time.perf_counter()
            s = build_promoter_task(
                "prom300_all",
                fasta,
                tss,
                tata,
                tmp / "out" / "prom300_all",
                seed=1,
                split_cfg=split,
                params={"min_distance": 2000},
            )
            t1 = time.perf_counter()
            s2 = build_promscan_task(fasta, tss, tmp / "out" / "promscan", seed=1, split_cfg=split)
            t2 = time.perf_counter()
            print(f"build prom300_all     : {t1 - t0:7.2f} s  ({s['n_written']} sequences)")
            print(f"build promscan        : {t2 - t1:7.2f} s  ({s2['n_written']} windows)")


if __name__ == "__main__":
    main()

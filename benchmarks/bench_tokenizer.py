"""Benchmark: vectorized k-mer tokenizer vs DNABERT's string path vs a `tokenizers` WordLevel.

Run: ``PYTHONPATH=src python benchmarks/bench_tokenizer.py [--k 6] [--mbp 4]``

All three run in this one process, on one core, on the same random sequences with N runs, and
must give identical ids. Mbp/s counts input bases. Two workloads: long sequences (genome chunks
of 100 kb, the corpus case) and many short ones (300 bp, the fine-tuning case; ours uses
``encode_batch``). The WordLevel tokenizer gets the k-mer text ready-made (its time excludes
building the text), which favours it.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from tokenizers.models import WordLevel  # noqa: E402
from tokenizers.pre_tokenizers import WhitespaceSplit  # noqa: E402

from dnabert.tokenizer import UNK_ID, encode, encode_batch, kmer_vocab  # noqa: E402

torch.set_num_threads(1)


def random_sequences(n_seqs: int, length: int, seed: int = 0) -> list[str]:
    """Random ACGT with ~1% lower case and one N run (0-50 bp) per sequence."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGTacgt", dtype=np.uint8)
    out = []
    for _ in range(n_seqs):
        p = np.array([0.2475] * 4 + [0.0025] * 4)
        s = letters[rng.choice(8, size=length, p=p)]
        a = int(rng.integers(0, length))
        s[a : a + int(rng.integers(0, 51))] = ord("N")
        out.append(s.tobytes().decode())
    return out


def dnabert_style(seqs: list[str], k: int, vocab: dict[str, int]) -> list[list[int]]:
    """DNABERT's path: seq2kmer (a string join) then whitespace split and dict lookup."""
    out = []
    for seq in seqs:
        seq = seq.upper()
        text = " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))
        out.append([vocab.get(t, UNK_ID) for t in text.split()])
    return out


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def run(seqs: list[str], k: int, label: str, batch: bool) -> None:
    vocab = {t: i for i, t in enumerate(kmer_vocab(k))}
    wl = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    wl.pre_tokenizer = WhitespaceSplit()
    texts = [
        " ".join(s.upper()[i : i + k] for i in range(len(s) - k + 1)) for s in seqs
    ]  # prepared outside the timing
    mbp = sum(map(len, seqs)) / 1e6

    if batch:
        t_ours, ours = best_of(lambda: encode_batch(seqs, k), 5)
    else:
        t_ours, ours = best_of(lambda: [encode(s, k) for s in seqs], 5)
    t_slow, slow = best_of(lambda: dnabert_style(seqs, k, vocab), 1)
    t_wl, wl_ids = best_of(lambda: [wl.encode(t).ids for t in texts], 1)
    for a, b, c in zip(ours, slow, wl_ids, strict=True):
        assert a.tolist() == b == c, "tokenizers disagree"
    print(f"\n{label}: {len(seqs)} sequences, {mbp:.1f} Mbp, k={k}")
    print(f"  {'method':<44} {'Mbp/s':>9} {'speed-up':>9}")
    rows = [
        ("this tokenizer (numpy, byte LUT + shifts)", t_ours),
        ("DNABERT-style (k-mer string join + dict)", t_slow),
        ("tokenizers WordLevel (k-mer text given)", t_wl),
    ]
    for name, t in rows:
        print(
            f"  {name:<44} {mbp / t:>9.1f} {t / t_ours:>8.1f}x slower"
            if t != t_ours
            else f"  {name:<44} {mbp / t:>9.1f} {'(ref)':>9}"
        )
    print(
        f"  ratio ours / DNABERT-style = {t_slow / t_ours:.0f}x; ours / WordLevel = "
        f"{t_wl / t_ours:.0f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", default=[6])
    ap.add_argument("--mbp", type=float, default=4.0, help="Mbp per workload")
    args = ap.parse_args()
    n_long = max(1, int(args.mbp * 10))
    n_short = max(1, int(args.mbp * 1e6 / 300))
    for k in args.k:
        run(random_sequences(n_long, 100_000), k, "long (100 kb chunks)", batch=False)
        run(random_sequences(n_short, 300, seed=1), k, "short (300 bp, batched)", batch=True)


if __name__ == "__main__":
    main()

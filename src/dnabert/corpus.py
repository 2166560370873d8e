"""Pretraining corpus: k-mer token sequences cut from the genome, stored as uint16 memmaps.

Following DNABERT (Ji et al. 2021, section 2.2): sequences of 5..510 k-mers are taken from the
chosen chromosomes (paper: chr1-22) in two ways, (1) non-overlapping cuts that tile the genome,
each of ``max_tokens`` k-mers with probability ``full_length_probability`` (paper 0.5) and else a
uniform length in ``[min_tokens, max_tokens]``, and (2) random sampling (uniform start, same length
distribution). ``cut_passes`` tilings are made (each with fresh lengths), and random samples fill
the rest of ``coverage`` (bases sampled / bases available; paper about 5x).

Lengths are in k-mer tokens: a sequence of ``L`` tokens spans ``L + k - 1`` bases. ``max_tokens``
(default 510) leaves room for ``[CLS]`` and ``[SEP]`` within 512 positions.

N policy: ``split`` (default) cuts each chromosome at every run of ``N`` and samples only inside
the N-free segments, so no sequence spans an assembly gap and none holds ``[UNK]``; ``delete``
(the paper) removes every ``N`` and treats the rest of the chromosome as one sequence.

Train/validation: each chromosome is divided into regions of ``val_region_bp`` bases (0-based
half-open ``[i*R, (i+1)*R)``, in the N-deleted coordinates in ``delete`` mode). Region ``i`` of
``chrom`` goes to validation when a uniform draw from a generator seeded by ``(seed, chrom)`` is
below ``val_fraction``, so the choice for one chromosome does not depend on which others are built.
If that leaves no validation region at all (tiny genomes), the region with the smallest draw is
taken. Sequences never cross a region boundary, so validation sequences never overlap training
sequences in the genome.

Files (``{out_dir}/{split}.bin`` + ``{split}.idx``): ``.bin`` holds the token ids of all sequences
of a split, concatenated, as little-endian ``uint16``. ``.idx`` is a 24-byte header, the struct
``<8sIIQ`` = (magic ``b"DNBTOKID"``, version 1, k, n_sequences), followed by ``n_sequences + 1``
little-endian ``int64`` offsets (in tokens) into ``.bin``; sequence ``i`` is
``tokens[offsets[i]:offsets[i + 1]]``. :class:`TokenCorpus` reads them with zero copies.

The build streams one chromosome at a time (memory: about 4 bytes per base of the longest
chromosome, about 1.3 GB for hg38 chr1), is deterministic for a seed and independent of
chromosome order, and writes all outputs atomically.

It stays one module (about 400 lines): the writer and the reader (:class:`TokenCorpus`)
share one file layout, which a split would state in two places.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import struct
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from dnabert.provenance import atomic_path, provenance, write_json
from dnabert.tokenizer import _CODE, N_SPECIAL, encode, vocab_size

log = logging.getLogger(__name__)

IDX_MAGIC = b"DNBTOKID"
IDX_VERSION = 1
_IDX_HEADER = struct.Struct("<8sIIQ")
# The schema's genome.canonical_pattern, for library and command-line calls without a config
# (tests/test_schema_defaults.py pins it equal).
CANONICAL_PATTERN = r"^(chr)?([0-9]+|X|Y)$"
SPLITS = ("train", "val")
_GATHER_TOKENS = 1 << 23  # tokens gathered per write


def write_index(path: str | os.PathLike, offsets: np.ndarray, k: int) -> None:
    """Write an ``.idx`` file: header ``<8sIIQ`` then ``int64`` offsets (length n + 1)."""
    offsets = np.ascontiguousarray(offsets, dtype="<i8")
    with open(path, "wb") as fh:
        fh.write(_IDX_HEADER.pack(IDX_MAGIC, IDX_VERSION, k, offsets.size - 1))
        offsets.tofile(fh)


class TokenCorpus:
    """Zero-copy reader of a token corpus written by :func:`build_corpus`.

    ``TokenCorpus("results/pretrain/k6/train")`` opens ``train.bin`` and ``train.idx``.
    ``corpus[i]`` is a read-only ``uint16`` view (no copy) of sequence ``i``'s k-mer ids, without
    special tokens; ``lengths`` is ``int64`` tokens per sequence; ``k`` and ``n_tokens`` come from
    the files.
    """

    def __init__(self, path_prefix: str | os.PathLike):
        self._open(path_prefix)

    def __getstate__(self) -> dict:
        # pickle the paths, not the mapped data (DataLoader workers reopen the files)
        return {"prefix": str(self.bin_path)[: -len(".bin")]}

    def __setstate__(self, state: dict) -> None:
        self._open(state["prefix"])

    def _open(self, path_prefix: str | os.PathLike) -> None:
        prefix = str(path_prefix)
        for suffix in (".bin", ".idx"):
            if prefix.endswith(suffix):
                prefix = prefix[: -len(suffix)]
        self.bin_path, self.idx_path = Path(prefix + ".bin"), Path(prefix + ".idx")
        with open(self.idx_path, "rb") as fh:
            header = fh.read(_IDX_HEADER.size)
        if len(header) != _IDX_HEADER.size:
            raise ValueError(f"{self.idx_path}: truncated header")
        magic, version, k, n = _IDX_HEADER.unpack(header)
        if magic != IDX_MAGIC or version != IDX_VERSION:
            raise ValueError(
                f"{self.idx_path}: not a token index (magic {magic!r}, version {version}); "
                f"expected {IDX_MAGIC!r} version {IDX_VERSION}"
            )
        self.k = int(k)
        self._lengths = None
        self.offsets = np.memmap(
            self.idx_path, dtype="<i8", mode="r", offset=_IDX_HEADER.size, shape=(n + 1,)
        )
        self.n_tokens = int(self.offsets[-1])
        size = self.bin_path.stat().st_size
        if size != 2 * self.n_tokens:
            raise ValueError(
                f"{self.bin_path}: {size} bytes, but {self.idx_path} says {self.n_tokens} tokens"
            )
        if self.n_tokens:
            self.tokens = np.memmap(self.bin_path, dtype="<u2", mode="r", shape=(self.n_tokens,))
        else:  # numpy cannot memmap an empty file
            self.tokens = np.empty(0, dtype="<u2")

    def __len__(self) -> int:
        return self.offsets.size - 1

    def __getitem__(self, i: int) -> np.ndarray:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"sequence {i} out of range for {n} sequences")
        i %= n
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per sequence, ``int64`` of shape ``(len(self),)`` (computed once)."""
        if self._lengths is None:
            self._lengths = np.diff(np.asarray(self.offsets))
        return self._lengths


def select_chromosomes(
    names: Sequence[str], chromosomes: Sequence[str] | None, pattern: str = CANONICAL_PATTERN
) -> list[str]:
    """The chromosomes to use: ``chromosomes`` if given (all must exist), else names matching
    ``pattern``; returned in FASTA order."""
    if chromosomes:
        missing = [c for c in chromosomes if c not in set(names)]
        if missing:
            raise ValueError(f"chromosomes not in the FASTA: {', '.join(missing)}")
        wanted = set(chromosomes)
        return [n for n in names if n in wanted]
    regex = re.compile(pattern)
    return [n for n in names if regex.match(n)]


def _n_free_segments(is_n: np.ndarray) -> np.ndarray:
    """``(m, 2)`` int64 array of maximal ``[start, end)`` runs where ``is_n`` is False."""
    edges = np.diff(np.concatenate(([True], is_n, [True])).astype(np.int8))
    return np.stack([np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)], axis=1)


def _units(
    segments: np.ndarray, region_bp: int, min_bp: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut segments at region boundaries; return starts, ends, region index of pieces >= min_bp."""
    starts, ends, regions = [], [], []
    for a, b in segments.tolist():
        for r in range(a // region_bp, (b - 1) // region_bp + 1):
            s, e = max(a, r * region_bp), min(b, (r + 1) * region_bp)
            if e - s >= min_bp:
                starts.append(s)
                ends.append(e)
                regions.append(r)
    return np.array(starts, np.int64), np.array(ends, np.int64), np.array(regions, np.int64)


def _draw_lengths(rng, n, min_tokens, max_tokens, p_full) -> np.ndarray:
    full = rng.random(n) < p_full
    return np.where(full, max_tokens, rng.integers(min_tokens, max_tokens + 1, size=n))


def _sample_unit(rng, unit_bp, k, cfg) -> tuple[np.ndarray, np.ndarray]:
    """Token starts (relative to the unit) and lengths of all sequences drawn from one unit."""
    min_t, max_t, p_full = cfg["min_tokens"], cfg["max_tokens"], cfg["full_length_probability"]
    n_tok = unit_bp - k + 1
    mean_bp = p_full * max_t + (1 - p_full) * (min_t + max_t) / 2 + k - 1
    starts, lengths = [], []
    for _ in range(cfg["cut_passes"]):  # non-overlapping tiling
        n = int(unit_bp / mean_bp * 1.3) + 8
        while True:
            ln = _draw_lengths(rng, n, min_t, max_t, p_full)
            ends_bp = np.cumsum(ln + k - 1)
            if ends_bp[-1] > unit_bp:
                break
            n *= 2
        keep = int(np.searchsorted(ends_bp, unit_bp, side="right"))
        ln = ln[: keep + 1].copy()
        st = np.concatenate(([0], ends_bp[:keep]))
        ln[keep] = min(ln[keep], unit_bp - st[keep] - k + 1)  # clip the last piece to the unit
        ok = ln >= min_t
        starts.append(st[ok])
        lengths.append(ln[ok])
    rand_cov = cfg["coverage"] - cfg["cut_passes"]
    if rand_cov > 0:  # random sampling; stochastic rounding keeps the expected coverage exact
        x = rand_cov * unit_bp / mean_bp
        n = int(x) + int(rng.random() < x - int(x))
        ln = np.minimum(_draw_lengths(rng, n, min_t, max_t, p_full), n_tok)
        st = rng.integers(0, n_tok - ln + 1)
        order = np.argsort(st, kind="stable")  # genomic order: faster gather
        starts.append(st[order])
        lengths.append(ln[order])
    if not starts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(starts).astype(np.int64), np.concatenate(lengths).astype(np.int64)


def _gather(ids: np.ndarray, starts: np.ndarray, lengths: np.ndarray, fh) -> None:
    """Write ``ids[s:s+l]`` for each (s, l), concatenated, to ``fh`` (vectorized, in batches)."""
    i = 0
    cum = np.cumsum(lengths)
    while i < starts.size:
        j = int(np.searchsorted(cum, (cum[i - 1] if i else 0) + _GATHER_TOKENS, side="right"))
        j = max(j, i + 1)
        ln = lengths[i:j]
        offs = np.cumsum(ln) - ln  # where each sequence starts in the batch
        idx = np.repeat(starts[i:j] - offs, ln) + np.arange(int(ln.sum()), dtype=np.int64)
        ids[idx].tofile(fh)
        i = j


def _chrom_seed(seed: int, chrom: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(chrom.encode()), stream])


def _choose_val_regions(
    lengths: dict[str, int], val_fraction: float, region_bp: int, seed: int
) -> dict[str, np.ndarray]:
    """Indices of the validation regions of each chromosome (see the module docstring)."""
    draws = {
        c: _chrom_seed(seed, c, 1).random(max(1, math.ceil(n / region_bp)))
        for c, n in lengths.items()
    }
    chosen = {c: np.flatnonzero(u < val_fraction) for c, u in draws.items()}
    if val_fraction > 0 and not any(v.size for v in chosen.values()):
        c = min(draws, key=lambda name: draws[name].min())
        chosen[c] = np.array([int(draws[c].argmin())])
    return chosen


def build_corpus(
    fasta: str | os.PathLike,
    out_dir: str | os.PathLike,
    k: int,
    *,
    chromosomes: Sequence[str] | None = None,
    canonical_pattern: str = CANONICAL_PATTERN,
    n_policy: str = "split",
    coverage: float = 5.0,
    cut_passes: int = 1,
    full_length_probability: float = 0.5,
    min_tokens: int = 5,
    max_tokens: int = 510,
    val_fraction: float = 0.01,
    val_region_bp: int = 100_000,
    seed: int = 42,
    config: Any = None,
    progress: bool | None = None,
) -> dict:
    """Build ``{out_dir}/{train,val}.{bin,idx}`` and ``summary.json``; return the summary.

    ``fasta`` must be indexed (``.fai``). ``chromosomes`` empty/None means those matching
    ``canonical_pattern``. ``coverage`` is the total bases sampled per available base (the
    ``cut_passes`` tilings count 1 each; random samples make up the rest, so
    ``coverage >= cut_passes``). ``config`` is stored in the summary as provenance.
    ``progress=None`` shows a tqdm bar only on a terminal. The keyword defaults are the schema's
    ``pretrain.corpus`` defaults (pinned equal by tests/test_schema_defaults.py); the workflow
    passes the config's.
    """
    from dnabert.genome import fetch_sequence, open_fasta  # pysam: only this step needs it

    if n_policy not in ("split", "delete"):
        raise ValueError(f"n_policy must be 'split' or 'delete', got {n_policy!r}")
    if not 1 <= min_tokens <= max_tokens:
        raise ValueError(f"need 1 <= min_tokens <= max_tokens, got {min_tokens}, {max_tokens}")
    if coverage < cut_passes or cut_passes < 0:
        raise ValueError(f"coverage ({coverage}) must be >= cut_passes ({cut_passes}) >= 0")
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if vocab_size(k) > 65536:  # also validates k
        raise ValueError("ids do not fit uint16")
    cfg = {
        "coverage": coverage,
        "cut_passes": cut_passes,
        "full_length_probability": full_length_probability,
        "min_tokens": min_tokens,
        "max_tokens": max_tokens,
    }
    settings = dict(
        cfg,
        k=k,
        n_policy=n_policy,
        val_fraction=val_fraction,
        val_region_bp=val_region_bp,
        seed=seed,
        canonical_pattern=canonical_pattern,
    )
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    with open_fasta(fasta) as fa:
        names = select_chromosomes(fa.references, chromosomes, canonical_pattern)
        if not names:
            raise ValueError(f"{fasta}: no chromosomes selected (pattern {canonical_pattern!r})")
        chrom_len = dict(zip(fa.references, fa.lengths, strict=True))
        val_regions = _choose_val_regions(
            {c: chrom_len[c] for c in names}, val_fraction, val_region_bp, seed
        )
        per_chrom: dict[str, dict] = {}
        lengths: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
        with contextlib.ExitStack() as stack:
            tmp = {
                (s, ext): stack.enter_context(atomic_path(out_dir / f"{s}.{ext}"))
                for s in SPLITS
                for ext in ("bin", "idx")
            }
            fhs = {s: stack.enter_context(open(tmp[(s, "bin")], "wb")) for s in SPLITS}
            bar = stack.enter_context(
                tqdm(
                    total=sum(chrom_len[c] for c in names),
                    unit="bp",
                    unit_scale=True,
                    desc=f"corpus k={k}",
                    disable=None if progress is None else not progress,
                )
            )
            for chrom in names:
                raw = np.frombuffer(
                    fetch_sequence(fa, chrom).encode("ascii", "replace"), dtype=np.uint8
                )
                is_n = _CODE[raw] == 4
                n_bases = int(is_n.sum())
                if n_policy == "delete":
                    raw = raw[~is_n]
                    segments = np.array([[0, raw.size]], dtype=np.int64)
                else:
                    segments = _n_free_segments(is_n)
                del is_n
                ids = encode(raw, k, record=f"{fasta}: record {chrom}")
                del raw
                min_bp = min_tokens + k - 1
                u_start, u_end, u_region = _units(segments, val_region_bp, min_bp)
                is_val = np.isin(u_region, val_regions[chrom])
                rng = _chrom_seed(seed, chrom, 0)
                stats = {"length": chrom_len[chrom], "n_bases": n_bases, "units": int(u_start.size)}
                for split, sel in (("train", ~is_val), ("val", is_val)):
                    all_st, all_ln = [], []
                    for a, b in zip(u_start[sel].tolist(), u_end[sel].tolist(), strict=True):
                        st, ln = _sample_unit(rng, b - a, k, cfg)
                        all_st.append(st + a)
                        all_ln.append(ln)
                    st = np.concatenate(all_st) if all_st else np.empty(0, np.int64)
                    ln = np.concatenate(all_ln) if all_ln else np.empty(0, np.int64)
                    _gather(ids, st, ln, fhs[split])
                    lengths[split].append(ln)
                    stats[f"{split}_bp"] = int((u_end[sel] - u_start[sel]).sum())
                    stats[f"{split}_sequences"] = int(ln.size)
                    stats[f"{split}_tokens"] = int(ln.sum())
                per_chrom[chrom] = stats
                del ids
                bar.update(chrom_len[chrom])
            for fh in fhs.values():
                fh.close()
            summary_splits = {}
            for s in SPLITS:
                ln = np.concatenate(lengths[s]) if lengths[s] else np.empty(0, np.int64)
                offsets = np.concatenate(([0], np.cumsum(ln))).astype(np.int64)
                write_index(tmp[(s, "idx")], offsets, k)
                summary_splits[s] = {
                    "sequences": int(ln.size),
                    "tokens": int(ln.sum()),
                    "mean_length": float(ln.mean()) if ln.size else 0.0,
                    "full_length_fraction": float((ln == max_tokens).mean()) if ln.size else 0.0,
                }
    seconds = time.perf_counter() - t0
    total_bp = sum(chrom_len[c] for c in names)
    summary = provenance(
        config,
        seed,
        settings=settings,
        fasta=str(fasta),
        chromosomes=names,
        splits=summary_splits,
        per_chromosome=per_chrom,
        genome_bp=total_bp,
        seconds=round(seconds, 3),
        mbp_per_s=round(total_bp / 1e6 / seconds, 3) if seconds else None,
        idx_format="header <8sIIQ (magic DNBTOKID, version 1, k, n) + int64 offsets[n+1]",
        special_tokens_offset=N_SPECIAL,
    )
    write_json(out_dir / "summary.json", summary)
    log.info(
        "corpus k=%d: %d train / %d val sequences, %d / %d tokens, %.1f s",
        k,
        summary_splits["train"]["sequences"],
        summary_splits["val"]["sequences"],
        summary_splits["train"]["tokens"],
        summary_splits["val"]["tokens"],
        seconds,
    )
    return summary

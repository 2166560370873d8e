"""De-duplication and reproducible train/dev/test splits of a task's rows (by sequence, or by
a precomputed hash for tasks too large to hold as text); :mod:`dnabert.datasets.common` writes
the result."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dnabert.config import schema_defaults


def deduplicate(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop exact duplicate sequences, keeping the first copy.

    A sequence that appears with more than one label is ambiguous: all of its copies are dropped.
    Returns the kept rows (original order, fresh index) and the counts
    ``{"duplicates": rows dropped as repeats, "conflicting_sequences": distinct sequences dropped
    for conflicting labels, "conflicting_rows": rows dropped with them}``.
    """
    n_labels = df.groupby("sequence", sort=False)["label"].transform("nunique")
    conflict = (n_labels > 1).to_numpy()
    n_conflict_seq = int(df.loc[conflict, "sequence"].nunique())
    kept = df.loc[~conflict]
    dup = kept["sequence"].duplicated(keep="first")
    stats = {
        "duplicates": int(dup.sum()),
        "conflicting_sequences": n_conflict_seq,
        "conflicting_rows": int(conflict.sum()),
    }
    return kept.loc[~dup].reset_index(drop=True), stats


def deduplicate_hashed(
    keys: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """:func:`deduplicate` for a writer that holds sequence digests instead of sequences.

    ``keys`` ``(n, 2)`` ``uint64``: a 128-bit digest of each row's sequence (equal digests are
    taken as equal sequences; for the ~10^7 rows of a genome-wide task a chance collision has
    probability ~10^-25); ``labels`` ``(n,)``, numeric. Returns the indices of the kept rows (ascending:
    the first copy of each sequence, none of a sequence seen with two labels), each row's
    sequence id ``(n,)`` ``int64`` (equal ids: equal digests) and the same counts as
    :func:`deduplicate`.
    """
    n = len(keys)
    labels = np.asarray(labels)
    order = np.lexsort((keys[:, 1], keys[:, 0]))  # stable: a sequence's rows in row order
    new = np.ones(n, dtype=bool)
    for col in (0, 1):  # one column at a time: no sorted copy of the (n, 2) keys
        k = keys[order, col]
        new[1:] &= k[1:] == k[:-1]
    new[1:] = ~new[1:]
    del k
    at = np.flatnonzero(new)  # where each sequence's rows start in sorted order
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    by_label = labels[order]
    conflict_group = np.zeros(len(at), dtype=bool)
    if n:  # a sequence seen with two labels: its smallest and largest differ
        conflict_group = np.minimum.reduceat(by_label, at) != np.maximum.reduceat(by_label, at)
    del by_label
    conflict = conflict_group[group]
    first = np.zeros(n, dtype=bool)
    first[order[at]] = True  # the earliest row of each sequence
    stats = {
        "duplicates": int((~conflict & ~first).sum()),
        "conflicting_sequences": int(conflict_group.sum()),
        "conflicting_rows": int(conflict.sum()),
    }
    return np.flatnonzero(first & ~conflict), group, stats


def count_shared_ids(ids: np.ndarray, split: np.ndarray) -> int:
    """:func:`count_shared` on sequence ids: how many distinct ``ids`` occur with more than one
    ``split`` code (both ``(n,)`` non-negative integers)."""
    width = int(split.max(initial=0)) + 1
    pairs = np.sort(ids.astype(np.int64) * width + split)  # (np.unique: ~20x slower here)
    pairs = pairs[np.flatnonzero(np.diff(pairs, prepend=-1))]  # distinct (id, split) pairs
    return int((np.bincount(pairs // width) > 1).sum())


def _cut_points(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    a = int(round(n * fractions[0]))
    b = int(round(n * (fractions[0] + fractions[1])))
    return a, max(a, min(b, n))


def assign_splits(
    df: pd.DataFrame, split_cfg: dict, seed: int, group_col: str | None = None
) -> np.ndarray:
    """Return an array (len(df),) of ``"train"``/``"dev"``/``"test"``, reproducible from ``seed``.

    Keys ``split_cfg`` lacks take the schema's ``datasets.split`` defaults.
    ``method: random`` (default): stratified by label, each class permuted with
    ``numpy.random.default_rng(seed)`` and cut by ``fractions`` (default 0.8/0.1/0.1). With
    ``group_col``, whole groups are permuted and assigned in turn to train until it holds
    ``fractions[0]`` of the rows, then dev, then test (not stratified), so rows sharing a group
    never straddle splits. ``method: chromosome``: rows on ``test_chromosomes`` go to test, on
    ``dev_chromosomes`` to dev, all others to train (a chromosome in both lists is an error).
    """
    split_cfg = {**schema_defaults("datasets", "split"), **split_cfg}
    method = split_cfg["method"]
    out = np.empty(len(df), dtype=object)
    if method == "chromosome":
        dev = set(split_cfg["dev_chromosomes"])
        test = set(split_cfg["test_chromosomes"])
        if dev & test:
            raise ValueError(f"chromosomes {sorted(dev & test)} are in both dev and test lists")
        chrom = df["chrom"].astype(str)
        out[:] = "train"
        out[chrom.isin(dev).to_numpy()] = "dev"
        out[chrom.isin(test).to_numpy()] = "test"
        return out
    if method != "random":
        raise ValueError(f"unknown split method {method!r}; expected random or chromosome")
    fractions = list(split_cfg["fractions"])
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"split fractions {fractions} must be 3 non-negative numbers summing to 1")
    rng = np.random.default_rng(seed)
    if group_col is None:
        labels = df["label"].to_numpy()
        for lab in sorted(pd.unique(labels).tolist(), key=str):
            idx = np.flatnonzero(labels == lab)
            idx = idx[rng.permutation(len(idx))]
            a, b = _cut_points(len(idx), fractions)
            out[idx[:a]], out[idx[a:b]], out[idx[b:]] = "train", "dev", "test"
        return out
    codes, uniques = pd.factorize(df[group_col], sort=True)
    sizes = np.bincount(codes, minlength=len(uniques))
    order = rng.permutation(len(uniques))
    cum = np.cumsum(sizes[order])
    n = len(df)
    a, b = _cut_points(n, fractions)
    group_split = np.empty(len(uniques), dtype=object)
    # a group goes to the split its first row would fall in
    start = cum - sizes[order]
    group_split[order] = np.where(start < a, "train", np.where(start < b, "dev", "test"))
    return group_split[codes]

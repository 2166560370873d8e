"""The k-mer yardstick: logistic regression on bags of k-mer frequencies (no torch).

Features of a sequence: for each ``k`` in ``ks`` (default 4, 5, 6) the counts of its overlapping
k-mers divided by the number of k-mers counted for it (a frequency block that sums to 1; an
all-``N`` sequence gives zeros), the blocks concatenated: ``4**4 + 4**5 + 4**6 = 5376`` columns.
Column order within a block: the k-mer read as a base-4 number with ``A=0, C=1, G=2, T=3``
(lexicographic: ``AAAA, AAAC, ..., TTTT``); a k-mer that contains ``N`` is not counted.
The frequencies enter in percent (x 100) and unscaled: on the demo tasks, scaling each column to
unit variance lost 5-25 MCC points (it amplifies rare 6-mers). A scikit-learn
``LogisticRegression`` (lbfgs, L2, softmax over the classes) is fitted for each ``C`` of a
small grid; the dev split picks ``C`` (the best ``select_metric``,
ties to the smaller ``C``), never the test split. Fixed seed, no randomness beyond the optional
train/dev subsets.

Memory: features are sparse ``(N, 5376)`` CSR matrices; the test split is featurised and scored
``chunk_size`` sequences at a time, and ``max_train_examples`` / ``eval_max_examples`` cap the
fitted and the model-selection sets with fixed random subsets, so a genome-wide promscan (hundreds
of thousands of 1001 bp windows) stays within a few GB (see docs/baselines.md).

A run is published like every other (:func:`dnabert.evaluate.publish_run`): ``metrics.json``
(model ``kmer_lr``, k None, ``steps`` null; ``details`` holds ``ks``, the chosen ``C``, the dev
scores of every ``C``, ``n_features``), ``predictions.tsv`` (same columns and
row order as the test split, with its provenance columns), ``eval_log.csv`` (one row per ``C``)
and ``model.npz``: ``ks (n_k,)``, ``coef (n_out, F)`` float64 with the scaling folded in (so the
logits are ``features @ coef.T + intercept``), ``intercept (n_out,)``, ``classes (C,)`` and
``C``; ``n_out`` is 1 for binary tasks (the logit of class 1); ``features`` are those of
:func:`kmer_features`. It is loaded with
:func:`load_kmer_lr` without pickle.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from dnabert.config import schema_defaults
from dnabert.datasets.common import (
    PROVENANCE_COLUMNS,
    count_split_rows,
    read_task_split,
    sample_rows,
)
from dnabert.evaluate import FitSummary, compute_metrics, publish_run
from dnabert.seq import SequenceError

log = logging.getLogger(__name__)

NAME = "kmer_lr"
_CODE = np.full(256, 255, dtype=np.uint8)  # 255: not a letter of ACGTN
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _i
_CODE[ord("N")] = 4


def kmer_params(config: dict | None = None) -> dict:
    """Settings of the k-mer baseline: the schema's ``baselines.kmer_lr`` defaults updated by
    ``config["baselines"]["kmer_lr"]``."""
    section = ((config or {}).get("baselines") or {}).get(NAME) or {}
    return {**schema_defaults("baselines", NAME), **section}


def kmer_counts(seqs: Sequence[str], k: int) -> sparse.csr_matrix:
    """Counts of the overlapping k-mers of each sequence: ``(len(seqs), 4**k)`` CSR, float64.

    Column ``j`` is the k-mer whose base-4 digits (``A=0, C=1, G=2, T=3``, first base most
    significant) spell ``j``. k-mers that contain ``N`` are skipped; a sequence shorter than
    ``k`` has an empty row. Vectorised: the sequences are concatenated into one code array and the
    k-mer index of every position is built with ``k`` array operations. Raises
    :class:`dnabert.seq.SequenceError` naming the sequence for a letter outside ``ACGTN``.
    """
    n = len(seqs)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
    codes = _CODE[np.frombuffer("".join(seqs).encode("ascii", errors="replace"), dtype=np.uint8)]
    bad = np.flatnonzero(codes == 255)
    if bad.size:
        row = int(np.searchsorted(np.cumsum(lengths), bad[0], side="right"))
        raise SequenceError(
            f"sequence {row}: invalid letter at position {bad[0] - lengths[:row].sum()}; "
            "expected only upper-case A, C, G, T or N"
        )
    n_pos = codes.size - k + 1
    if n_pos <= 0:
        return sparse.csr_matrix((n, 4**k), dtype=np.float64)
    index = np.zeros(n_pos, dtype=np.int64)
    for j in range(k):  # index = sum_j code[i + j] * 4**(k - 1 - j)
        index = index * 4 + np.minimum(codes[j : j + n_pos], 3)
    is_n = np.concatenate([[0], np.cumsum(codes == 4)])
    row = np.repeat(np.arange(n), lengths)
    # a k-mer counts when it holds no N and lies inside one sequence (first and last base's row)
    keep = (is_n[k : k + n_pos] == is_n[:n_pos]) & (row[:n_pos] == row[k - 1 :])
    # count (row, k-mer) pairs with bincount over blocks of rows (<= 2**23 cells each), faster
    # than sorting them; the non-zero cells, in row-major order, are the CSR entries
    rows, index = row[:n_pos][keep], index[keep]  # rows is sorted
    size, block = 4**k, max(1, 2**23 // 4**k)  # block: rows per bincount
    data, cols, row_nnz = [], [], []
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        lo, hi = np.searchsorted(rows, [r0, r1])
        counts = np.bincount((rows[lo:hi] - r0) * size + index[lo:hi], minlength=(r1 - r0) * size)
        cells = np.flatnonzero(counts)
        data.append(counts[cells].astype(np.float64))
        cols.append(cells % size)
        row_nnz.append(np.bincount(cells // size, minlength=r1 - r0))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(row_nnz))])
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(cols), indptr), shape=(n, size))


def kmer_features(
    seqs: Sequence[str], ks: Sequence[int], chunk_size: int = 10000
) -> sparse.csr_matrix:
    """Per-k frequency blocks of :func:`kmer_counts`, concatenated: ``(N, sum 4**k)`` CSR float64.

    Each block is divided by its row sum (the number of k-mers counted) and given in percent, so
    every non-empty block sums to 100 and sequences of different lengths are comparable.
    Sequences are counted ``chunk_size`` at a time, so the per-position work arrays stay small
    (about 40 bytes per base of a chunk) whatever ``N`` is.
    """
    rows = []
    for i in range(0, max(len(seqs), 1), chunk_size):
        chunk, blocks = seqs[i : i + chunk_size], []
        for k in ks:
            counts = kmer_counts(chunk, k)
            totals = np.asarray(counts.sum(axis=1)).ravel()
            blocks.append(sparse.diags(100.0 / np.maximum(totals, 1.0)) @ counts)
        rows.append(sparse.hstack(blocks, format="csr"))
    return sparse.vstack(rows, format="csr")


def predict_proba(model: dict, seqs: Sequence[str], chunk_size: int = 10000) -> np.ndarray:
    """Class probabilities ``(N, C)`` float64 of a fitted model (see :func:`load_kmer_lr`),
    featurising ``chunk_size`` sequences at a time."""
    out = [np.zeros((0, len(model["classes"])))]
    for i in range(0, len(seqs), chunk_size):
        out.append(_proba(model, kmer_features(seqs[i : i + chunk_size], model["ks"], chunk_size)))
    return np.concatenate(out)


def _proba(model: dict, x: sparse.csr_matrix) -> np.ndarray:
    """Probabilities ``(n, C)`` from features ``x`` ``(n, F)``."""
    logits = np.asarray(x @ model["coef"].T) + model["intercept"]  # (n, n_out)
    if len(model["classes"]) == 2:  # one logit z: p1 = sigmoid(z)
        p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.stack([1.0 - p1, p1], axis=1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def load_kmer_lr(run_dir: str | os.PathLike) -> dict:
    """The fitted model of a run dir (``model.npz``) as a dict of arrays (``ks, coef, intercept,
    classes, C``)."""
    with np.load(Path(run_dir) / "model.npz", allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def _read_capped(path: Path, limit: int | None, seed: int) -> pd.DataFrame:
    """``sequence`` and ``label`` of at most ``limit`` rows of a split, only those read (a
    genome-wide promscan train split is ~5 GB of TSV): the rows of
    ``DataFrame.sample(limit, random_state=seed)``, in file order."""
    rows = sample_rows(count_split_rows(path), limit, seed, how="pandas")
    return read_task_split(path, rows=rows, columns=["sequence", "label"])


def fit_kmer_lr(
    train: pd.DataFrame,
    dev: pd.DataFrame,
    *,
    ks: Sequence[int],
    c_grid: Sequence[float],
    seed: int,
    select_metric: str = "mcc",
    class_weight: str | None = "balanced",
    max_iter: int = 1000,
    tol: float = 1e-3,
    threads: int | None = None,
) -> tuple[dict, list[dict]]:
    """Fit one logistic regression per ``C`` in ``c_grid`` on ``train`` and keep the one whose
    ``select_metric`` on ``dev`` is best (the first, i.e. smallest ``C`` when sorted, on ties;
    with an empty dev split the largest-regularisation ``C`` is kept).

    ``threads`` caps the BLAS / OpenMP threads of the fits (None: the library's default; on a
    busy machine one thread was 4x faster than oversubscribed ones).

    Returns ``(model, log)``: the model dict of :func:`load_kmer_lr` and one row per ``C``
    (``C``, dev metrics, ``n_iter``, ``converged``).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    ks = [int(k) for k in ks]
    x_train = kmer_features(train["sequence"].tolist(), ks)
    y_train = train["label"].to_numpy(dtype=np.int64)
    classes = np.arange(max(2, int(y_train.max()) + 1))
    if np.unique(y_train).size < 2:
        raise ValueError("the training split holds a single class; logistic regression needs two")
    x_dev, dev_labels = kmer_features(dev["sequence"].tolist(), ks), dev["label"].to_numpy()
    best, rows = None, []
    for c in sorted(float(c) for c in c_grid):
        clf = LogisticRegression(
            C=c, max_iter=max_iter, tol=tol, class_weight=class_weight, random_state=seed
        )
        with threadpool_limits(limits=threads), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(x_train, y_train)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        if not np.array_equal(clf.classes_, classes):
            raise ValueError(
                f"training labels {clf.classes_.tolist()} do not cover 0..{classes.size - 1}"
            )
        model = {
            "ks": np.asarray(ks, dtype=np.int64),
            "coef": clf.coef_.astype(np.float64),  # (n_out, F)
            "intercept": clf.intercept_.astype(np.float64),
            "classes": classes,
            "C": np.float64(c),
        }
        row = {"C": c, "n_iter": int(np.max(clf.n_iter_)), "converged": converged}
        if len(dev_labels):
            metrics = compute_metrics(dev_labels, _proba(model, x_dev))
            metrics.pop("n_test")
            row.update(metrics)
            value = metrics.get(select_metric, np.nan)
            value = value if np.isfinite(value) else -np.inf
        else:
            value = -np.inf
        rows.append(row)
        if best is None or value > best[0]:
            best = (value, model)
        log.info("kmer_lr C=%g: dev %s %s%s", c, select_metric, row.get(select_metric),
                 "" if converged else " (lbfgs did not converge)")  # fmt: skip
    return best[1], rows


def run_kmer_lr(
    task_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    seed: int,
    params: dict | None = None,
    config: dict | None = None,
    task: str | None = None,
    threads: int | None = None,
) -> dict:
    """Fit the k-mer baseline on ``task_dir/{train,dev}.tsv``, score ``test.tsv`` and write
    ``out_dir`` (see the module doc). ``params``: the schema's ``baselines.kmer_lr`` keys
    (``ks, c_grid, select_metric, class_weights, max_iter, tol, max_train_examples,
    eval_max_examples, chunk_size``); missing keys take the defaults; ``threads`` caps BLAS
    threads (see :func:`fit_kmer_lr`). The files are assembled in a temporary directory and
    moved into place as a whole, so a failed run leaves no output. Returns the metrics record.
    """
    task_dir, out_dir = Path(task_dir), Path(out_dir)
    task = task or task_dir.name
    p = kmer_params({"baselines": {NAME: params or {}}})
    train = _read_capped(task_dir / "train.tsv", p["max_train_examples"], seed)
    dev = _read_capped(task_dir / "dev.tsv", p["eval_max_examples"], seed)
    if train.empty:
        raise ValueError(f"{task_dir / 'train.tsv'}: the training split is empty")
    t0 = time.perf_counter()
    model, c_log = fit_kmer_lr(
        train, dev, ks=p["ks"], c_grid=p["c_grid"], seed=seed, select_metric=p["select_metric"],
        class_weight=p["class_weights"], max_iter=int(p["max_iter"]), tol=float(p["tol"]),
        threads=threads,
    )  # fmt: skip
    train_seconds = time.perf_counter() - t0
    test = read_task_split(task_dir / "test.tsv")
    t1 = time.perf_counter()
    probs = predict_proba(model, test["sequence"].tolist(), int(p["chunk_size"]))
    infer_seconds = time.perf_counter() - t1
    chosen = next(row for row in c_log if row["C"] == float(model["C"]))

    def write_model(run_dir: Path) -> None:
        np.savez(run_dir / "model.npz", **model)
        pd.DataFrame(c_log).to_csv(run_dir / "eval_log.csv", index=False)

    record = publish_run(
        out_dir,
        task=task,
        model=NAME,
        k=None,
        seed=seed,
        labels=test["label"].to_numpy(),
        probs=probs,
        config=config,
        fit=FitSummary(
            architecture="LogisticRegression",
            n_params=int(model["coef"].size + model["intercept"].size),
            n_classes=int(model["classes"].size),
            n_train=len(train),
            n_dev=len(dev),
            device="cpu",
            select_metric=p["select_metric"],
            best={"C": float(model["C"]), p["select_metric"]: chosen.get(p["select_metric"])},
            steps=None,  # no optimizer steps: one lbfgs fit per C
            max_steps=None,
            train_seconds=train_seconds,
        ),
        inference_seconds=infer_seconds,
        details={
            "ks": [int(k) for k in model["ks"]],
            "C": float(model["C"]),
            "n_features": int(model["coef"].shape[1]),
            "converged": bool(chosen["converged"]),
            "dev_scores": c_log,
            "train_params": p,
        },
        write_model=write_model,
        predictions_extra=test[[c for c in PROVENANCE_COLUMNS if c in test.columns]],
        logs=(),
    )
    log.info(
        "kmer_lr on %s (seed %d, C=%g): test accuracy %.3f, MCC %.3f in %.1f s",
        task, seed, float(model["C"]), record["accuracy"], record["mcc"], train_seconds,
    )  # fmt: skip
    return record

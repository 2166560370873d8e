"""The metrics table as the figures read it: ``metrics.tsv`` with display labels, the model
order every figure draws in, and where each run's files are (:mod:`dnabert.figures` draws)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd

from dnabert import paths

log = logging.getLogger(__name__)


REQUIRED_COLUMNS = ("task", "model", "k", "seed", "accuracy", "f1", "mcc")


BASELINE_LABELS = {
    "deepromoter": "DeePromoter",
    "promid": "PromID-style",
    "splicefinder": "SpliceFinder",
    "deepbind": "DeepBind-style",
    "kmer_lr": "k-mer LR",
}


# Panel titles of the built-in tasks (which tasks a figure draws is the registry's say:
# :func:`dnabert.tasks.tasks_with_figure`).
PANEL_TITLES = {
    "prom300_tata": "TATA",
    "prom300_notata": "non-TATA",
    "prom300_all": "all",
    "promcore_tata": "TATA",
    "promcore_notata": "non-TATA",
    "promcore_all": "all",
    "promscan": "Prom-scan (1001 bp windows)",
    "splice": "before reconstruction",
    "splice_rc": "after reconstruction",
}


def read_metrics(path: str | os.PathLike) -> pd.DataFrame:
    """Read ``metrics.tsv``; adds ``label`` (``DNABERT-6``, ``DeePromoter``, ...).

    Raises ValueError naming the file when a required column is missing. An absent file gives an
    empty table (every figure then says that there are no results).
    """
    path = Path(path)
    if not path.exists():
        log.warning("%s not found: figures will only note missing results", path)
        return pd.DataFrame(columns=[*REQUIRED_COLUMNS, "label"])
    df = pd.read_csv(path, sep="\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {list(REQUIRED_COLUMNS)}")
    df["label"] = [model_label(m, k) for m, k in zip(df["model"], df["k"], strict=True)]
    return df


def model_label(model: str, k) -> str:
    """Display name: ``DNABERT-{k}`` for DNABERT rows, ``DNABERT-{k} scratch`` for their
    from-scratch controls (also from a run name such as ``dnabert6_scratch``), the baseline's
    name otherwise."""
    if model == "dnabert":
        return f"DNABERT-{int(k)}" if pd.notna(k) else "DNABERT"
    if model == "dnabert_scratch":
        return f"DNABERT-{int(k)} scratch" if pd.notna(k) else "DNABERT scratch"
    run = re.fullmatch(r"dnabert(\d)(_scratch)?", str(model))
    if run:
        return f"DNABERT-{run[1]}" + (" scratch" if run[2] else "")
    return BASELINE_LABELS.get(model, str(model))


def _model_order(df: pd.DataFrame) -> list[tuple[str, str]]:
    """``(label, model)`` pairs: DNABERT-k by k first, then the from-scratch controls by k, then
    baselines by name, then the yardstick (k-mer LR)."""
    pairs = df[["label", "model", "k"]].drop_duplicates()
    rank = pairs["model"].map({"dnabert": 0, "dnabert_scratch": 1, "kmer_lr": 3}).fillna(2)
    pairs = pairs.assign(base=rank).sort_values(["base", "k", "label"])
    return list(zip(pairs["label"], pairs["model"], strict=True))


def summarise(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean, sd (nan for one seed) and number of seeds of ``metric`` per task and model label."""
    g = df.groupby(["task", "label"], sort=True)[metric]
    return g.agg(mean="mean", sd="std", n="count").reset_index()


def run_dir(results: Path, row) -> Path:
    """Directory of one run (metrics.json, predictions.tsv) from its metrics row
    (:mod:`dnabert.paths`): DNABERT's and other language models' under ``finetune/``,
    baselines' under ``baselines/``."""
    seed = int(row.seed)
    if row.model in ("dnabert", "dnabert_scratch"):
        run = paths.dnabert_run(int(row.k), scratch=row.model == "dnabert_scratch")
        return Path(paths.finetune_run(row.task, run, seed, results))
    finetuned = Path(paths.finetune_run(row.task, row.model, seed, results))
    if finetuned.is_dir():  # another language model (finetune.models)
        return finetuned
    return Path(paths.baseline_run(row.task, row.model, seed, results))


def other_language_models(df: pd.DataFrame, results: Path) -> list[str]:
    """Models of ``df`` fine-tuned beside DNABERT (``finetune.models``): those with a run under
    ``results/finetune/`` that are not DNABERT runs, by name."""
    pairs = df.loc[~df["model"].isin(["dnabert", "dnabert_scratch"]), ["task", "model"]]
    return sorted(
        {m for t, m in pairs.drop_duplicates().itertuples(index=False)
         if Path(paths.finetune_run(str(t), str(m), 0, results)).parent.is_dir()}  # any seed
    )  # fmt: skip

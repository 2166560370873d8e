"""The metrics table over all runs: one row per metrics.json, seed summaries, TF Wilcoxon tests.

- :func:`collect_metrics`: every ``metrics.json`` (fine-tuning and baselines) as one row:
  ``task, model, k, seed, run`` (``dnabert{k}`` or the baseline name), the metrics of
  :data:`dnabert.evaluate.METRIC_NAMES`, ``n_test``, ``code_version``, ``path``.
- :func:`summarize_seeds`: mean and sample sd (ddof 1; NaN with one seed) over seeds per
  task x model x k.
- :func:`tf_wilcoxon`: for TF tasks (``tf_*`` and users' tasks of family ``tf``), per baseline
  and DNABERT k, a one-sided Wilcoxon signed-rank test over experiments (pairs of seed-averaged
  values) that DNABERT is better, on accuracy and F1, as the paper reports (Section 3.3);
  :func:`paired_wilcoxon` is the same test over any set of tasks.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.evaluate import METRIC_NAMES
from dnabert.tasks import builtin_group

KEYS = ["task", "model", "k", "seed"]
WILCOXON_METRICS = ("accuracy", "f1")


def _run_name(model: str, k) -> str:
    """``dnabert{k}``, ``dnabert{k}_scratch`` (the from-scratch control) or the baseline name."""
    if k is None or pd.isna(k):
        return model
    if model == "dnabert":
        return f"dnabert{int(k)}"
    if model == "dnabert_scratch":
        return f"dnabert{int(k)}_scratch"
    return model


def with_run_column(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (metrics.tsv rows) with its ``run`` column: as it is, or filled in from ``model``
    and ``k`` for a table written before the column existed."""
    if "run" in df.columns:
        return df
    return df.assign(run=[_run_name(m, k) for m, k in zip(df["model"], df["k"], strict=True)])


def collect_metrics(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """One row per ``metrics.json`` in ``paths``, sorted by task, run, seed.

    ``k`` is a nullable integer (``<NA>`` for baselines); ``warnings`` joins the run's own
    warnings (e.g. a degenerate fine-tuning run, see :func:`dnabert.finetune.run_warnings`) with
    "; ", empty when there are none. A file lacking ``task``, ``model`` or
    ``seed`` raises ValueError naming it; a duplicate task x model x k x seed too.
    """
    rows = []
    for path in paths:
        path = Path(path)
        record = json.loads(path.read_text())
        missing = [key for key in ("task", "model", "seed") if key not in record]
        if missing:
            raise ValueError(f"{path}: metrics.json lacks {missing}")
        row = {key: record.get(key) for key in KEYS}
        row["run"] = _run_name(record["model"], record.get("k"))
        for name in (*METRIC_NAMES, "n_test"):
            row[name] = record.get(name, math.nan)
        row["warnings"] = "; ".join(record.get("warnings") or [])
        row["code_version"] = record.get("code_version")
        row["path"] = str(path)
        rows.append(row)
    columns = [*KEYS, "run", *METRIC_NAMES, "n_test", "warnings", "code_version", "path"]
    df = pd.DataFrame(rows, columns=columns)
    df["k"] = df["k"].astype("Int64")
    df["seed"] = df["seed"].astype("int64")
    dup = df.duplicated(subset=KEYS, keep=False)
    if dup.any():
        clash = df.loc[dup, "path"].tolist()
        raise ValueError(f"several metrics.json for one task x model x k x seed: {clash}")
    return df.sort_values(["task", "run", "seed"], kind="stable").reset_index(drop=True)


def summarize_seeds(df: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds of every metric, per task x model x k (one row each).

    Columns: ``task, model, k, run, n_seeds, seeds`` (comma-separated), then ``{metric}_mean``
    and ``{metric}_sd`` for each metric (sd is the sample sd, NaN for a single seed).
    """
    out = []
    for (task, run), sub in df.groupby(["task", "run"], sort=True):
        row = {
            "task": task,
            "model": sub["model"].iloc[0],
            "k": sub["k"].iloc[0],
            "run": run,
            "n_seeds": int(len(sub)),
            "seeds": ",".join(map(str, sorted(sub["seed"]))),
        }
        for name in METRIC_NAMES:
            values = sub[name].astype(float)
            row[f"{name}_mean"] = float(values.mean())
            row[f"{name}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        out.append(row)
    columns = ["task", "model", "k", "run", "n_seeds", "seeds"]
    columns += [f"{name}_{stat}" for name in METRIC_NAMES for stat in ("mean", "sd")]
    result = pd.DataFrame(out, columns=columns)
    result["k"] = result["k"].astype("Int64")
    return result


def tf_wilcoxon(
    df: pd.DataFrame, metrics: Iterable[str] = WILCOXON_METRICS, tasks: Iterable[str] = ()
) -> pd.DataFrame:
    """One-sided Wilcoxon signed-rank tests, DNABERT vs each baseline, over TF experiments.

    The experiments are the ``tf_*`` tasks plus ``tasks`` (users' tasks of family ``tf``, e.g.
    GUE's TF sets); see :func:`paired_wilcoxon` for the rows. No TF runs: an empty table.
    """
    extra = set(tasks)
    builtin = df["task"].map(lambda task: builtin_group(str(task)) == "tf").astype(bool)
    tf = df[builtin | df["task"].isin(extra)]
    return paired_wilcoxon(tf, metrics, unit="TF experiment")


def paired_wilcoxon(
    df: pd.DataFrame, metrics: Iterable[str] = WILCOXON_METRICS, unit: str = "task"
) -> pd.DataFrame:
    """One-sided Wilcoxon signed-rank tests, each DNABERT run vs each other model, over the
    tasks of ``df`` (the paper's TF test, Section 3.3, for any set of tasks).

    For each DNABERT k (pretrained runs, model ``dnabert``), other run (baselines and
    from-scratch controls) and metric: values are averaged over seeds per task, paired on the
    tasks both have, and ``scipy.stats.wilcoxon(dnabert - other, alternative="greater")`` is
    computed (small p: DNABERT better). Rows: ``dnabert, baseline, metric, n_experiments,
    dnabert_mean, baseline_mean, median_difference, statistic, p_value, note``. With fewer than
    2 paired tasks, or when every difference is 0, ``p_value`` is NaN and ``note`` says why
    (naming ``unit``). No runs: an empty table with these columns.
    """
    from scipy.stats import wilcoxon

    columns = [
        "dnabert",
        "baseline",
        "metric",
        "n_experiments",
        "dnabert_mean",
        "baseline_mean",
        "median_difference",
        "statistic",
        "p_value",
        "note",
    ]
    if df.empty:
        return pd.DataFrame(columns=columns)
    metrics = list(metrics)
    means = df.groupby(["run", "model", "task"], sort=True)[metrics].mean().reset_index()
    dnabert_runs = sorted(means.loc[means["model"] == "dnabert", "run"].unique())
    baselines = sorted(means.loc[means["model"] != "dnabert", "run"].unique())
    rows = []
    for run in dnabert_runs:
        ours = means[means["run"] == run].set_index("task")
        for base in baselines:
            theirs = means[means["run"] == base].set_index("task")
            shared = sorted(set(ours.index) & set(theirs.index))
            for name in metrics:
                a = ours.loc[shared, name].to_numpy(dtype=float)
                b = theirs.loc[shared, name].to_numpy(dtype=float)
                diff = a - b
                row = {
                    "dnabert": run,
                    "baseline": base,
                    "metric": name,
                    "n_experiments": len(shared),
                    "dnabert_mean": float(a.mean()) if a.size else math.nan,
                    "baseline_mean": float(b.mean()) if b.size else math.nan,
                    "median_difference": float(np.median(diff)) if diff.size else math.nan,
                    "statistic": math.nan,
                    "p_value": math.nan,
                    "note": "",
                }
                if len(shared) < 2:
                    row["note"] = f"{len(shared)} {unit}(s) with both models; the test needs >= 2"
                elif not np.any(diff):
                    row["note"] = "all differences are zero"
                else:
                    res = wilcoxon(a, b, alternative="greater")
                    row["statistic"] = float(res.statistic)
                    row["p_value"] = float(res.pvalue)
                rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def write_metrics_tables(
    paths: Iterable[str | os.PathLike],
    table: str | os.PathLike,
    summary: str | os.PathLike,
    wilcoxon_table: str | os.PathLike,
    wilcoxon_metrics: Iterable[str] = WILCOXON_METRICS,
    tf_tasks: Iterable[str] = (),
) -> pd.DataFrame:
    """Write ``metrics.tsv``, ``metrics_summary.tsv`` and ``tf_wilcoxon.tsv`` (atomically);
    ``tf_tasks`` are users' tasks of family ``tf`` that join the TF test."""
    from dnabert.provenance import atomic_path

    df = collect_metrics(paths)
    for frame, path in (
        (df, table),
        (summarize_seeds(df), summary),
        (tf_wilcoxon(df, wilcoxon_metrics, tf_tasks), wilcoxon_table),
    ):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, sep="\t", index=False, float_format="%.6g", na_rep="NaN")
    return df

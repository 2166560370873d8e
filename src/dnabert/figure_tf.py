"""The TF-binding figure: violins of accuracy and F1 over TF experiments per model, with the
Wilcoxon p-values of ``tf_wilcoxon.tsv`` (when that table is absent, the same one-sided test
computed here by :func:`dnabert.metrics_table.paired_wilcoxon`: one test, whichever ran)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dnabert import paths
from dnabert.figure_data import _model_order, model_label
from dnabert.metrics_table import WILCOXON_METRICS, paired_wilcoxon, with_run_column
from dnabert.plotting import (
    YARDSTICK_MODELS,
    YARDSTICK_STYLE,
    model_colour,
    note,
)
from dnabert.task_groups import task_family, task_groups
from dnabert.tasks import figure_group


def read_wilcoxon(path: Path) -> pd.DataFrame | None:
    """``tf_wilcoxon.tsv`` (baseline, metric, p_value, n_experiments) or None when absent."""
    if not path.exists():
        return None
    table = pd.read_csv(path, sep="\t")
    missing = {"baseline", "metric", "p_value"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
    return table


def tf_tests(tf: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``tf_wilcoxon.tsv`` for the TF runs ``tf`` (metrics.tsv rows): one-sided
    Wilcoxon tests of each pretrained DNABERT vs each other model, over the experiments both ran
    (:func:`dnabert.metrics_table.paired_wilcoxon`; the workflow's ``collect_metrics`` writes the
    same table)."""
    return paired_wilcoxon(with_run_column(tf), WILCOXON_METRICS, unit="TF experiment")


def figure_tf_violins(df: pd.DataFrame, results: Path, config=None):
    """Violins of accuracy and F1 over all TF experiments per model (``tf_*`` and users' tasks
    of family ``tf``), Wilcoxon p-values. The y-axis spans every point and violin (a metric
    such as MCC may be negative; a violin's density runs past its data)."""
    import matplotlib.pyplot as plt

    groups, group = task_groups(config), figure_group("tf_violins")
    tf = df[[task_family(str(t), groups) == group for t in df["task"]]] if len(df) else df
    wilcoxon = read_wilcoxon(Path(paths.report_file("tf_wilcoxon.tsv", results)))
    if wilcoxon is None and not tf.empty:
        wilcoxon = tf_tests(tf)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, metric in zip(axes, ("accuracy", "f1"), strict=True):
        if tf.empty:
            note(ax, "no TF-binding results (tf_* or a custom / suite task of family 'tf')")
            continue
        order = _model_order(tf)
        data = [
            tf[tf["label"] == lab].groupby("task")[metric].mean().to_numpy() for lab, _ in order
        ]
        positions = np.arange(len(order))
        if all(len(d) >= 2 for d in data):
            parts = ax.violinplot(data, positions=positions, showmedians=True, showextrema=False)
            for body, (_, model), i in zip(parts["bodies"], order, positions, strict=True):
                body.set_facecolor(model_colour(model, int(i)))
                body.set_alpha(0.6)
                if model in YARDSTICK_MODELS:
                    body.set_edgecolor(YARDSTICK_STYLE["edgecolor"])
                    body.set_linestyle(YARDSTICK_STYLE["linestyle"])
        for i, d in enumerate(data):
            jitter = np.linspace(-0.08, 0.08, len(d)) if len(d) > 1 else np.zeros(len(d))
            ax.scatter(i + jitter, d, s=6, color="black", zorder=3)
        _fit_ylim(ax)
        # "DNABERT-6 scratch" on two lines, so neighbouring labels never run together
        ax.set_xticks(positions, [lab.replace(" ", "\n", 1) for lab, _ in order], fontsize=8)
        ax.set_ylabel(metric)
        n_exp = tf["task"].nunique()
        ax.set_title(f"TF binding: {metric} over {n_exp} experiment{'s' * (n_exp > 1)}")
        ax.set_xlabel(_wilcoxon_text(tf, metric, wilcoxon), fontsize=7)
    fig.tight_layout()
    return fig


def _fit_ylim(ax, pad: float = 0.03) -> None:
    """Set the y-limits to span every point and violin drawn on ``ax``, with a margin."""
    from matplotlib.collections import PathCollection

    ys = []
    for c in ax.collections:
        if isinstance(c, PathCollection):  # scatter: markers at data offsets
            ys.append(np.asarray(c.get_offsets(), dtype=float).reshape(-1, 2)[:, 1])
        else:  # violin bodies and median lines: paths in data coordinates
            ys += [p.vertices[:, 1] for p in c.get_paths()]
    ys = np.concatenate([y[np.isfinite(y)] for y in ys if len(y)] or [np.zeros(1)])
    lo, hi = float(ys.min()), float(ys.max())
    margin = max(pad * (hi - lo), 0.02)
    ax.set_ylim(lo - margin, hi + margin)


def _wilcoxon_text(tf: pd.DataFrame, metric: str, table: pd.DataFrame | None) -> str:
    rows = table[table["metric"] == metric] if table is not None else table
    if rows is None or rows.empty:
        return "Wilcoxon: needs DNABERT and a baseline"
    return "\n".join(
        f"Wilcoxon vs {model_label(r.baseline, None)}: p={r.p_value:.2g}" for r in rows.itertuples()
    )

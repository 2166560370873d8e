"""Figures and tables for any task, built-in or a user's: the per-task MCC figure and the GUE table.

:func:`figure_task_mcc` draws one row per task of ``metrics.tsv`` (custom and suite tasks
included), so a run of users' tasks alone gets a real figure. :func:`gue_table_html` renders
``results/report/gue_table.tsv`` (:func:`dnabert.task_groups.gue_table`) for ``metrics.html``.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from dnabert.datasets.suites import GUE_GROUPS
from dnabert.plotting import model_colour, note
from dnabert.task_groups import FAMILIES, task_family, task_groups


def task_order(tasks, config=None) -> list[tuple[str, str]]:
    """``(section, task)`` pairs: a suite task's section is ``{suite}:{group}``, any other
    task's its family (``promoter``, ``splice``, ``tf``) or ``other``. Sorted by section (the
    families, then the suite groups in the DNABERT-2 paper's order, then ``other``), then
    task."""
    groups = task_groups(config)
    rank = {name: i for i, name in enumerate(FAMILIES)}
    rank.update({f"gue:{key}": len(FAMILIES) + i for i, (key, _, _) in enumerate(GUE_GROUPS)})
    pairs = []
    for task in set(tasks):
        info = groups.get(task) or {}
        if info.get("suite"):
            section = f"{info['suite']}:{info['group']}"
        else:
            section = task_family(task, groups) or "other"
        pairs.append((section, task))
    return sorted(pairs, key=lambda pair: (rank.get(pair[0], len(rank)), pair[0], pair[1]))


def figure_task_mcc(df: pd.DataFrame, results, config=None):
    """Test MCC per task (rows) and model (colours): mean over seeds as a marker, each seed as
    a small dot and the min-max range over seeds as a line. A note when there is no run."""
    import matplotlib.pyplot as plt

    from dnabert.figure_data import _model_order

    if df.empty:
        fig, ax = plt.subplots(figsize=(6, 2))
        note(ax, "no runs in results/report/metrics.tsv (no fine-tuning or baseline finished)")
        return fig
    rows = task_order(df["task"].astype(str), config)
    models = _model_order(df)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.32 * len(rows) * max(1, len(models) / 3)))
    step = 0.8 / len(models)
    for i, (label, model) in enumerate(models):
        colour = model_colour(model, i)
        labelled = False
        for y, (_, task) in enumerate(rows):
            values = df.loc[(df["task"] == task) & (df["label"] == label), "mcc"].dropna()
            if values.empty:
                continue
            pos = y + (i - (len(models) - 1) / 2) * step
            if len(values) > 1:
                ax.hlines(pos, values.min(), values.max(), color=colour, lw=1)
                ax.scatter(values, np.full(len(values), pos), s=5, color=colour, zorder=3)
            n = len(values)
            legend = None if labelled else f"{label} (n={n} seed{'s' * (n > 1)})"
            ax.scatter(values.mean(), pos, s=28, marker="D", color=colour, zorder=4, label=legend)
            labelled = True
    ax.set_yticks(range(len(rows)), [f"{task}  [{section}]" for section, task in rows])
    ax.invert_yaxis()
    lo = min(0.0, float(df["mcc"].min()) if df["mcc"].notna().any() else 0.0)
    ax.set_xlim(lo - 0.05, 1.05)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("test MCC (0: chance)")
    ax.set_title(f"Every task: test MCC per model ({len(rows)} task{'s' * (len(rows) > 1)})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def gue_table_html(table: pd.DataFrame | None) -> str:
    """The GUE table (MCC x 100) as an HTML section; empty string without one."""
    if table is None or table.empty:
        return ""
    runs = [c for c in table.columns if c not in ("group", "title", "task")]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["group", "task", *runs])
    body = []
    for row in table.itertuples(index=False):
        record = row._asdict()
        cells = "".join(
            "<td></td>" if _isnan(record[r]) else f"<td>{float(record[r]):.2f}</td>" for r in runs
        )
        style = " style='font-weight:bold'" if record["task"] == "average" else ""
        body.append(
            f"<tr{style}><td>{html.escape(str(record['title']))}</td>"
            f"<td>{html.escape(str(record['task']))}</td>{cells}</tr>"
        )
    return (
        "<h2>GUE benchmark (DNABERT-2 paper): test MCC x 100, mean over seeds</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _isnan(value) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True

"""Bar figures of the benchmark tasks (Prom-300, Prom-scan, splice sites): DNABERT vs the
paper's baselines per task, with users' tasks of the same group as extra panels.

Which tasks a figure draws and which baselines it compares come from the task registry
(:attr:`dnabert.tasks.TaskFamily.figure`, :attr:`~dnabert.tasks.TaskFamily.baselines`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.figure_data import PANEL_TITLES, _model_order, other_language_models
from dnabert.plotting import (
    YARDSTICK_MODELS,
    YARDSTICK_STYLE,
    model_colour,
    note,
)
from dnabert.task_groups import task_family, task_groups
from dnabert.tasks import FAMILIES, figure_group, tasks_with_figure


def _bars(ax, df: pd.DataFrame, task: str, metrics: list[str], models: list[str] | None) -> bool:
    """Grouped bars (x: metric, one bar per model) for ``task``; False when there is no data."""
    sub = df[df["task"] == task]
    if models is not None:
        sub = sub[sub["model"].isin(models)]
    if sub.empty:
        return False
    order = _model_order(sub)
    width = 0.8 / len(order)
    x = np.arange(len(metrics))
    for i, (label, model) in enumerate(order):
        rows = sub[sub["label"] == label]
        means = [rows[m].mean() for m in metrics]
        sds = [rows[m].std() if len(rows) > 1 else 0.0 for m in metrics]
        n = len(rows)
        ax.bar(
            x + (i - (len(order) - 1) / 2) * width,
            means,
            width,
            yerr=sds if n > 1 else None,
            capsize=2,
            color=model_colour(model, i),
            label=f"{label} (n={n} seed{'s' if n > 1 else ''})",
            **(YARDSTICK_STYLE if model in YARDSTICK_MODELS else {}),
        )
    ax.set_xticks(x, [m.upper() if m in ("mcc", "f1") else m for m in metrics])
    ax.set_ylim(min(0.0, float(np.nanmin(sub[metrics].to_numpy()))), 1.05)
    ax.axhline(0, color="black", lw=0.5)
    return True


def family_panels(df, panels, models, family, config=None):
    """``(task, title, models)`` panels of a family's figure: the built-in ``panels`` (when
    any of them has results, or no user's task of ``family`` does), then one panel per user's
    task that declares ``family`` (custom_tasks.{name}.family, suite tasks), every model."""
    groups = task_groups(config)
    tasks = set(df["task"].astype(str))
    extra = sorted(t for t in tasks if t in groups and task_family(t, groups) == family)
    builtin = [(task, name, models) for task, name in panels]
    if extra and not tasks & {task for task, _ in panels}:
        builtin = []
    return builtin + [(task, task, None) for task in extra]


def _bar_figure(df, panels, metrics, models, title, family=None, config=None):
    """Bar panels (at most 3 per row) of the built-in ``panels`` and the users' tasks of
    ``family``; with no results at all, one note that names what is missing."""
    import matplotlib.pyplot as plt

    panels = family_panels(df, panels, models, family, config)
    if not any((df["task"] == task).any() for task, _, _ in panels):
        fig, ax = plt.subplots(figsize=(6, 2))
        tasks = ", ".join(task for task, _, _ in panels)
        users = f"; no custom or suite task of family '{family}'" if family else ""
        note(ax, f"{title}: no results for {tasks}{users}")
        return fig
    if any(task_models is None for _, _, task_models in panels):
        title += f" (+ users' {family} tasks, every model)"
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.0 * nrows), squeeze=False)
    flat = list(axes.flat)
    drawn = False
    for ax, (task, name, task_models) in zip(flat, panels, strict=False):
        if _bars(ax, df, task, metrics, task_models):
            ax.set_title(name)
            drawn = True
        else:
            note(ax, f"{name}: no results for task '{task}'")
    for ax in flat[len(panels) :]:
        ax.set_axis_off()
    if drawn:
        handles, labels = {}, {}
        for ax in flat:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
                labels[lab] = lab
        fig.legend(
            handles.values(),
            labels.values(),
            loc="lower center",
            ncol=4,
            bbox_to_anchor=(0.5, -0.02),
        )
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08 / nrows, 1, 1))
    return fig


def figure_panels(figure: str) -> list[tuple[str, str]]:
    """``(task, title)`` of the built-in tasks drawn in ``figure``, in registry order."""
    return [(task, PANEL_TITLES.get(task, task)) for task in tasks_with_figure(figure)]


def compared_models(df: pd.DataFrame, results: Path, figure: str) -> list[str]:
    """The models a bar figure compares: DNABERT, its from-scratch control, the other language
    models, the baselines of the families drawn in ``figure`` (registry order), the k-mer
    yardstick."""
    baselines = [b for f in FAMILIES.values() if f.figure == figure for b in f.baselines]
    return [
        "dnabert",
        "dnabert_scratch",
        *other_language_models(df, results),
        *dict.fromkeys(baselines),
        "kmer_lr",
    ]


def _registry_bar_figure(df, results, config, figure, title, metrics=("accuracy", "f1", "mcc")):
    """Bars of the built-in tasks drawn in ``figure`` and, when their families have a group,
    the users' tasks of that group (:func:`dnabert.tasks.figure_group`)."""
    family = figure_group(figure)
    return _bar_figure(
        df,
        figure_panels(figure),
        list(metrics),
        compared_models(df, results, figure),
        title,
        family=family,
        config=config if family else None,
    )


def figure_prom300(df: pd.DataFrame, results: Path, config=None):
    """Fig. 2-style panel: prom300 accuracy/F1/MCC, DNABERT vs DeePromoter; TATA, non-TATA, all."""
    title = "Prom-300: DNABERT vs DeePromoter"
    return _registry_bar_figure(df, results, config, "prom300_bars", title)


def figure_promscan(df: pd.DataFrame, results: Path, config=None):
    """Prom-scan F1 and MCC, DNABERT vs the PromID-style scanner."""
    title = "Prom-scan: DNABERT vs PromID-style"
    return _registry_bar_figure(df, results, config, "promscan_bars", title, ("f1", "mcc"))


def figure_splice(df: pd.DataFrame, results: Path, config=None):
    """Splice accuracy/F1/MCC, DNABERT vs SpliceFinder, before and after reconstruction."""
    title = "Splice sites: DNABERT vs SpliceFinder"
    return _registry_bar_figure(df, results, config, "splice_bars", title)

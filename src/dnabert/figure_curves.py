"""Curve figures: ROC and precision-recall on Prom-core, and the pretraining curves (loss, MLM
accuracy, throughput) from ``results/models/dnabert{k}/{train,eval}_log.csv``."""

from __future__ import annotations

import glob
import logging
from pathlib import Path

import pandas as pd
from sklearn import metrics as skm

from dnabert import paths
from dnabert.figure_data import PANEL_TITLES, _model_order, run_dir
from dnabert.plotting import (
    YARDSTICK_MODELS,
    YARDSTICK_STYLE,
    model_colour,
    note,
)
from dnabert.tasks import tasks_with_figure

log = logging.getLogger(__name__)


def figure_promcore_curves(df: pd.DataFrame, results: Path, config=None):
    """ROC and precision-recall curves on promcore (TATA, non-TATA, all), every model.

    One curve per model from its lowest seed's ``predictions.tsv`` (column ``prob_1``); the
    legend gives AUROC / AUPRC as mean +- sd over seeds from the metrics table.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(10, 6.4))
    for j, task in enumerate(tasks_with_figure("promcore_curves")):
        name = PANEL_TITLES[task]
        sub = df[df["task"] == task]
        roc_ax, pr_ax = axes[0, j], axes[1, j]
        curves = 0
        for i, (label, model) in enumerate(_model_order(sub)):
            rows = sub[sub["label"] == label].sort_values("seed")
            pred_path = run_dir(results, next(rows.itertuples())) / "predictions.tsv"
            if not pred_path.exists():
                log.warning("%s missing: no curve for %s on %s", pred_path, label, task)
                continue
            pred = pd.read_csv(pred_path, sep="\t")
            if "prob_1" not in pred or pred["label"].nunique() < 2:
                continue
            y, p = pred["label"].to_numpy(), pred["prob_1"].to_numpy()
            fpr, tpr, _ = skm.roc_curve(y, p)
            prec, rec, _ = skm.precision_recall_curve(y, p)
            colour = model_colour(model, i)
            ls = YARDSTICK_STYLE["linestyle"] if model in YARDSTICK_MODELS else "-"
            for ax, xs, ys, metric, metric_name in (
                (roc_ax, fpr, tpr, "auroc", "AUROC"),
                (pr_ax, rec, prec, "auprc", "AUPRC"),
            ):
                legend = f"{label} {_pm(rows, metric, metric_name)}"
                ax.plot(xs, ys, color=colour, lw=1.2, ls=ls, label=legend)
            curves += 1
        if not curves:
            note(roc_ax, f"{name}: no predictions for '{task}'")
            note(pr_ax, f"{name}: no predictions for '{task}'")
            continue
        roc_ax.plot([0, 1], [0, 1], color="#999999", lw=0.6, ls="--")
        for ax, kind, xlabel, ylabel in (
            (roc_ax, "ROC", "false positive rate", "true positive rate"),
            (pr_ax, "precision-recall", "recall", "precision"),
        ):
            ax.set(
                title=f"Prom-core {name}: {kind}",
                xlabel=xlabel,
                ylabel=ylabel,
                xlim=(0, 1),
                ylim=(0, 1.01),
            )
        roc_ax.legend(loc="lower right")
        pr_ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def _pm(rows: pd.DataFrame, metric: str, name: str) -> str:
    if metric not in rows or rows[metric].isna().all():
        return ""
    if len(rows) > 1:
        return f"({name} {rows[metric].mean():.3f}±{rows[metric].std():.3f})"
    return f"({name} {rows[metric].mean():.3f})"


def read_training_logs(model_dir: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``train_log.csv`` and ``eval_log.csv`` of a pretrained model dir (None when absent)."""
    out = []
    for name in ("train_log.csv", "eval_log.csv"):
        path = model_dir / name
        out.append(pd.read_csv(path) if path.exists() and path.stat().st_size else None)
    return out[0], out[1]


def pretrain_dirs(results: Path) -> list[tuple[int, Path]]:
    """``(k, results/models/dnabert{k})`` for every pretrained model, by k."""
    found = []
    pattern = paths.model_dir("*", glob.escape(str(results)))
    for d in sorted(map(Path, glob.glob(pattern))):
        suffix = d.name.removeprefix("dnabert")
        if d.is_dir() and suffix.isdigit():
            found.append((int(suffix), d))
    return sorted(found)


def figure_pretrain(df: pd.DataFrame, results: Path, config=None):
    """Pretraining: training/validation loss, MLM accuracy per k and throughput (tokens/s)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.0))
    loss_ax, acc_ax, tput_ax = axes
    models = pretrain_dirs(results)
    tput = {}
    for i, (k, d) in enumerate(models):
        train_log, eval_log = read_training_logs(d)
        colour = model_colour("", i) if i else model_colour("dnabert")
        for log_df, ls, kind in ((train_log, "-", "train"), (eval_log, "--", "val")):
            for ax, column in ((loss_ax, "loss"), (acc_ax, "mlm_acc")):
                if log_df is None or column not in log_df:
                    continue
                # validation loss has few points: a marker on each
                marker = {"marker": "o", "ms": 3} if (kind, column) == ("val", "loss") else {}
                label = f"k={k} {kind}"
                ax.plot(
                    log_df["step"], log_df[column], color=colour, lw=1, ls=ls, label=label, **marker
                )
        if train_log is not None and "tokens_per_s" in train_log:
            tput[k] = float(
                train_log["tokens_per_s"].iloc[1:].median()
                if len(train_log) > 1
                else train_log["tokens_per_s"].iloc[0]
            )
    if not models:
        for ax in axes:
            note(ax, "no pretrained models (results/models/dnabert*)")
    else:
        loss_ax.set(title="MLM loss", xlabel="step", ylabel="cross-entropy")
        acc_ax.set(title="MLM accuracy (masked tokens)", xlabel="step", ylabel="accuracy")
        for ax in (loss_ax, acc_ax):
            if ax.lines:
                ax.legend()
            else:
                note(ax, "no logged values")
        if tput:
            ks = sorted(tput)
            tput_ax.bar([f"k={k}" for k in ks], [tput[k] for k in ks], color="#0072B2")
            tput_ax.set(title="training throughput (median)", ylabel="tokens / s")
        else:
            note(tput_ax, "no throughput logged")
    fig.tight_layout()
    return fig

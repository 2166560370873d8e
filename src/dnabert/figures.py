"""The paper's figures, regenerated from ``results/`` without retraining.

Inputs (the output contract): ``results/report/metrics.tsv`` (one row per task x model x k x seed),
optionally ``results/report/tf_wilcoxon.tsv`` (baseline, metric, p_value, n_experiments), each
run's ``predictions.tsv`` (found from the metrics rows: ``results/finetune/{task}/dnabert{k}/
seed{seed}/``, ``results/finetune/{task}/{model}/seed{seed}/`` for the other language models of
``finetune.models``, or ``results/baselines/{task}/{model}/seed{seed}/``) and the pretraining logs
``results/models/dnabert{k}/{train,eval}_log.csv``.

Outputs in ``out_dir``: ``{name}.png``, ``{name}.pdf`` and ``{name}.json`` (provenance: config,
seeds, code versions, package versions, input files) for every name in :data:`FIGURES`, plus
``metrics.html`` (the results table). A panel without data is drawn as a note saying what is
missing; nothing crashes on a partial results tree. Error bars are the standard deviation over
seeds wherever a model has more than one seed.
"""

from __future__ import annotations

import glob
import html
import logging
import math
import os
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from dnabert import paths
from dnabert.plotting import (
    YARDSTICK_MODELS,
    YARDSTICK_STYLE,
    model_colour,
    note,
    save_figure,
    style,
)
from dnabert.provenance import atomic_path, provenance, write_json
from dnabert.task_figures import figure_task_mcc, gue_table_html
from dnabert.task_groups import read_gue_table, task_family, task_groups
from dnabert.tasks import family_of

log = logging.getLogger(__name__)

FIGURES = paths.FIGURE_NAMES
REQUIRED_COLUMNS = ("task", "model", "k", "seed", "accuracy", "f1", "mcc")
BASELINE_LABELS = {
    "deepromoter": "DeePromoter",
    "promid": "PromID-style",
    "splicefinder": "SpliceFinder",
    "deepbind": "DeepBind-style",
    "kmer_lr": "k-mer LR",
}
SUBSETS = (("tata", "TATA"), ("notata", "non-TATA"), ("all", "all"))


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


def figure_prom300(df: pd.DataFrame, results: Path, config=None):
    """Fig. 2-style panel: prom300 accuracy/F1/MCC, DNABERT vs DeePromoter; TATA, non-TATA, all."""
    panels = [(f"prom300_{s}", name) for s, name in SUBSETS]
    return _bar_figure(
        df,
        panels,
        ["accuracy", "f1", "mcc"],
        [
            "dnabert",
            "dnabert_scratch",
            *other_language_models(df, results),
            "deepromoter",
            "kmer_lr",
        ],
        "Prom-300: DNABERT vs DeePromoter",
        family="promoter",
        config=config,
    )


def figure_promscan(df: pd.DataFrame, results: Path, config=None):
    """Prom-scan F1 and MCC, DNABERT vs the PromID-style scanner."""
    return _bar_figure(
        df,
        [("promscan", "Prom-scan (1001 bp windows)")],
        ["f1", "mcc"],
        ["dnabert", "dnabert_scratch", *other_language_models(df, results), "promid", "kmer_lr"],
        "Prom-scan: DNABERT vs PromID-style",
    )


def figure_splice(df: pd.DataFrame, results: Path, config=None):
    """Splice accuracy/F1/MCC, DNABERT vs SpliceFinder, before and after reconstruction."""
    panels = [("splice", "before reconstruction"), ("splice_rc", "after reconstruction")]
    return _bar_figure(
        df,
        panels,
        ["accuracy", "f1", "mcc"],
        [
            "dnabert",
            "dnabert_scratch",
            *other_language_models(df, results),
            "splicefinder",
            "kmer_lr",
        ],
        "Splice sites: DNABERT vs SpliceFinder",
        family="splice",
        config=config,
    )


def figure_promcore_curves(df: pd.DataFrame, results: Path, config=None):
    """ROC and precision-recall curves on promcore (TATA, non-TATA, all), every model.

    One curve per model from its lowest seed's ``predictions.tsv`` (column ``prob_1``); the
    legend gives AUROC / AUPRC as mean +- sd over seeds from the metrics table.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(10, 6.4))
    for j, (subset, name) in enumerate(SUBSETS):
        task = f"promcore_{subset}"
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
            roc_ax.plot(
                fpr,
                tpr,
                color=colour,
                lw=1.2,
                ls=ls,
                label=f"{label} {_pm(rows, 'auroc', 'AUROC')}",
            )
            pr_ax.plot(
                rec,
                prec,
                color=colour,
                lw=1.2,
                ls=ls,
                label=f"{label} {_pm(rows, 'auprc', 'AUPRC')}",
            )
            curves += 1
        if not curves:
            note(roc_ax, f"{name}: no predictions for '{task}'")
            note(pr_ax, f"{name}: no predictions for '{task}'")
            continue
        roc_ax.plot([0, 1], [0, 1], color="#999999", lw=0.6, ls="--")
        roc_ax.set(
            title=f"Prom-core {name}: ROC",
            xlabel="false positive rate",
            ylabel="true positive rate",
            xlim=(0, 1),
            ylim=(0, 1.01),
        )
        pr_ax.set(
            title=f"Prom-core {name}: precision-recall",
            xlabel="recall",
            ylabel="precision",
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


def read_wilcoxon(path: Path) -> pd.DataFrame | None:
    """``tf_wilcoxon.tsv`` (baseline, metric, p_value, n_experiments) or None when absent."""
    if not path.exists():
        return None
    table = pd.read_csv(path, sep="\t")
    missing = {"baseline", "metric", "p_value"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {sorted(missing)}")
    return table


def wilcoxon_tests(tf: pd.DataFrame, metric: str) -> dict[str, tuple[float, int]]:
    """Paired two-sided Wilcoxon signed-rank p-value of the best pretrained DNABERT vs each other
    model (baselines, from-scratch controls and other language models).

    Pairs are the experiments both models ran (values averaged over seeds). Returns
    ``{baseline label: (p, n_experiments)}``; p is nan with fewer than 2 pairs or all ties.
    """
    per = tf.groupby(["label", "task"])[metric].mean().unstack("label")
    if "model" in tf.columns:  # by model: another language model's name may say DNABERT
        ours = set(tf.loc[tf["model"] == "dnabert", "label"])
        dnabert = [c for c in per.columns if c in ours]
    else:
        dnabert = [c for c in per.columns if re.fullmatch(r"DNABERT-\d", str(c))]
    out: dict[str, tuple[float, int]] = {}
    if not dnabert:
        return out
    best = per[dnabert].mean().idxmax()
    for col in per.columns:
        if col in dnabert:
            continue
        pair = per[[best, col]].dropna()
        diff = pair[best] - pair[col]
        p = float("nan")
        if len(pair) >= 2 and np.any(diff != 0):
            p = float(stats.wilcoxon(pair[best], pair[col]).pvalue)
        out[col] = (p, len(pair))
    return out


def figure_tf_violins(df: pd.DataFrame, results: Path, config=None):
    """Violins of accuracy and F1 over all TF experiments per model (``tf_*`` and users' tasks
    of family ``tf``), Wilcoxon p-values. The y-axis spans every point and violin (a metric
    such as MCC may be negative; a violin's density runs past its data)."""
    import matplotlib.pyplot as plt

    groups = task_groups(config)
    tf = df[[task_family(str(t), groups) == "tf" for t in df["task"]]] if len(df) else df
    wilcoxon = read_wilcoxon(Path(paths.report_file("tf_wilcoxon.tsv", results)))
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
    if table is not None:
        rows = table[table["metric"] == metric]
        lines = [
            f"Wilcoxon vs {model_label(r.baseline, None)}: p={r.p_value:.2g}"
            for r in rows.itertuples()
        ]
        return "\n".join(lines) or "Wilcoxon: no test in tf_wilcoxon.tsv"
    tests = wilcoxon_tests(tf, metric)
    if not tests:
        return "Wilcoxon: needs DNABERT and a baseline"
    return "\n".join(f"Wilcoxon vs {b}: p={p:.2g} (n={n})" for b, (p, n) in tests.items())


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
        if train_log is not None and "loss" in train_log:
            loss_ax.plot(
                train_log["step"], train_log["loss"], color=colour, lw=1, label=f"k={k} train"
            )
        if eval_log is not None and "loss" in eval_log:
            loss_ax.plot(
                eval_log["step"],
                eval_log["loss"],
                color=colour,
                lw=1,
                ls="--",
                marker="o",
                ms=3,
                label=f"k={k} val",
            )
        for log_df, ls, kind in ((train_log, "-", "train"), (eval_log, "--", "val")):
            if log_df is not None and "mlm_acc" in log_df:
                acc_ax.plot(
                    log_df["step"],
                    log_df["mlm_acc"],
                    color=colour,
                    lw=1,
                    ls=ls,
                    label=f"k={k} {kind}",
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


FIGURE_FUNCS: dict[str, Callable] = {
    "task_mcc": figure_task_mcc,
    "prom300_bars": figure_prom300,
    "promcore_curves": figure_promcore_curves,
    "promscan_bars": figure_promscan,
    "tf_violins": figure_tf_violins,
    "splice_bars": figure_splice,
    "pretrain_curves": figure_pretrain,
}


def is_drawn_in(figure: str, task: str) -> bool:
    """True when built-in task ``task`` belongs to a family drawn in ``figure``
    (:attr:`dnabert.tasks.TaskFamily.figure`; ``task_mcc`` draws every task)."""
    if figure == "task_mcc":
        return True
    family = family_of(task)
    return family is not None and family.figure == figure and task != family.selector


def figure_provenance(name: str, df: pd.DataFrame, results: Path, config=None) -> dict:
    """Provenance of one figure: config, seeds and code versions of its runs, package versions.

    No timestamp, so that regenerating from the same results gives the same file.
    """
    family = {"prom300_bars": "promoter", "tf_violins": "tf", "splice_bars": "splice"}.get(name)
    groups = task_groups(config)

    def shown(task: str) -> bool:
        users = family is not None and task in groups and task_family(task, groups) == family
        return is_drawn_in(name, task) or users

    rows = df[[shown(str(t)) for t in df["task"]]] if len(df) else df
    runs = sorted({f"{r.task}/{r.label}/seed{int(r.seed)}" for r in rows.itertuples()})
    record = provenance(
        config,
        seed=None,
        figure=name,
        seeds=sorted({int(s) for s in rows["seed"]}) if len(rows) else [],
        runs=runs,
        run_code_versions=sorted({str(v) for v in rows.get("code_version", pd.Series())}),
        pretrained_models=[
            str(d.relative_to(results.parent)) if d.is_relative_to(results.parent) else str(d)
            for _, d in pretrain_dirs(results)
        ]
        if name == "pretrain_curves"
        else [],
    )
    record.pop("created", None)
    record["packages"]["matplotlib"] = metadata.version("matplotlib")
    record["packages"]["scipy"] = metadata.version("scipy")
    return record


def write_metrics_html(
    df: pd.DataFrame, path: str | os.PathLike, gue: pd.DataFrame | None = None
) -> Path:
    """The results table as a standalone HTML page (mean +- sd over seeds per task and model),
    then the GUE table (:func:`dnabert.task_figures.gue_table_html`) when ``gue`` has rows."""
    path = Path(path)
    cols = [
        c
        for c in ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc")
        if c in df.columns
    ]
    body = "<p>No results.</p>"
    if len(df):
        g = df.groupby(["task", "label"], sort=True)
        rows = []
        for (task, label), grp in g:
            cells = "".join(
                f"<td>{grp[c].mean():.3f}"
                + (f" ± {grp[c].std():.3f}" if len(grp) > 1 else "")
                + "</td>"
                for c in cols
            )
            rows.append(
                f"<tr><td>{html.escape(str(task))}</td><td>{html.escape(label)}</td>"
                f"<td>{len(grp)}</td>{cells}</tr>"
            )
        head = "".join(f"<th>{c}</th>" for c in ["task", "model", "seeds", *cols])
        body = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT results</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "td:first-child,td:nth-child(2){text-align:left}</style></head><body>"
        "<h1>DNABERT results (mean ± sd over seeds)</h1>"
        + body
        + gue_table_html(gue)
        + "</body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)
    return path


def plot_figures(
    results: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    config=None,
    dpi: int = 150,
    metrics_path: str | os.PathLike | None = None,
    names: tuple[str, ...] = FIGURES,
) -> list[Path]:
    """Draw every figure in ``names`` from ``results`` into ``out_dir``; returns the written paths.

    ``metrics_path`` defaults to ``results/report/metrics.tsv``. Each figure gives ``.png``,
    ``.pdf`` and a provenance ``.json``; ``metrics.html`` holds the results table.
    """
    results, out_dir = Path(results), Path(out_dir)
    df = read_metrics(metrics_path or paths.report_file("metrics.tsv", results))
    written = []
    with style():
        for name in names:
            fig = FIGURE_FUNCS[name](df, results, config)
            written += save_figure(fig, out_dir / name, dpi=dpi)
            sidecar = out_dir / f"{name}.json"
            write_json(sidecar, figure_provenance(name, df, results, config))
            written.append(sidecar)
            log.info("wrote %s.{png,pdf,json}", out_dir / name)
    gue = read_gue_table(paths.report_file("gue_table.tsv", results))
    written.append(write_metrics_html(df, out_dir / "metrics.html", gue))
    return written


def write_provenance_html(sidecars: list[str | os.PathLike], path: str | os.PathLike) -> Path:
    """One HTML table of what produced each figure and viz output (from their ``.json`` sidecars).

    Columns: output, seeds, code version(s), config digest (sha256 of the key-sorted JSON, first
    12 hex digits; equal digests mean equal configs) and package versions. The full config is in
    each sidecar named in the first column.
    """
    import hashlib
    import json

    rows = []
    for side in sidecars:
        rec = json.loads(Path(side).read_text())
        seeds = rec.get("seeds") if rec.get("seeds") is not None else rec.get("seed")
        codes = sorted({rec.get("code_version", ""), *rec.get("run_code_versions", [])} - {""})
        digest = hashlib.sha256(
            json.dumps(rec.get("config"), sort_keys=True, default=str).encode()
        ).hexdigest()[:12]
        pkgs = ", ".join(f"{k} {v}" for k, v in sorted(rec.get("packages", {}).items()))
        cells = [str(side), str(seeds), "<br>".join(codes), digest, pkgs]
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(c).replace('&lt;br&gt;', '<br>')}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(
        f"<th>{c}</th>"
        for c in ("provenance file", "seeds", "code version", "config sha256", "packages")
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Provenance</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}</style></head><body>"
        "<h1>What produced each figure</h1><table><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)
    return Path(path)

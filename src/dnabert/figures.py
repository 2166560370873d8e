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

This module names the figures and writes them with their provenance; the drawing is in
:mod:`dnabert.figure_bars` (benchmark bars), :mod:`dnabert.figure_curves` (ROC/PR and
pretraining curves), :mod:`dnabert.figure_tf` (TF violins, Wilcoxon) and
:mod:`dnabert.task_figures` (every task's MCC); :mod:`dnabert.figure_data` reads the metrics
table and :mod:`dnabert.report_html` writes the HTML pages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pandas as pd

from dnabert import paths
from dnabert.figure_bars import figure_prom300, figure_promscan, figure_splice
from dnabert.figure_curves import figure_pretrain, figure_promcore_curves, pretrain_dirs
from dnabert.figure_data import (  # noqa: F401 -- re-exported: callers read the table here
    model_label,
    other_language_models,
    read_metrics,
    run_dir,
    summarise,
)
from dnabert.figure_tf import figure_tf_violins, tf_tests  # noqa: F401 -- re-exported
from dnabert.plotting import save_figure, style
from dnabert.provenance import stable_provenance, write_json
from dnabert.report_html import write_metrics_html, write_provenance_html  # noqa: F401
from dnabert.task_figures import figure_task_mcc
from dnabert.task_groups import read_gue_table, task_family, task_groups
from dnabert.tasks import family_of, figure_group

log = logging.getLogger(__name__)

# Figures that add users' tasks (custom and suite tasks) of their families' group to the
# built-in tasks they draw (:func:`dnabert.tasks.figure_group`).
DRAWS_USERS_TASKS = ("prom300_bars", "splice_bars", "tf_violins")

FIGURES = paths.FIGURE_NAMES


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
    family = figure_group(name) if name in DRAWS_USERS_TASKS else None
    groups = task_groups(config)

    def shown(task: str) -> bool:
        users = family is not None and task in groups and task_family(task, groups) == family
        return is_drawn_in(name, task) or users

    rows = df[[shown(str(t)) for t in df["task"]]] if len(df) else df
    runs = sorted({f"{r.task}/{r.label}/seed{int(r.seed)}" for r in rows.itertuples()})
    record = stable_provenance(
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
    record["packages"]["matplotlib"] = metadata.version("matplotlib")
    record["packages"]["scipy"] = metadata.version("scipy")
    return record


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

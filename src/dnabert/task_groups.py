"""Which group each task belongs to, and the tables over groups of tasks.

A task's *family* is the built-in figure it joins: ``promoter`` (``prom300_*``, ``promcore_*``),
``splice`` (``splice``, ``splice_rc``), ``tf`` (``tf_*``), or what a custom task declares
(``custom_tasks.{name}.family``); suite tasks get theirs from their group
(:mod:`dnabert.datasets.suites`). Groups for the Wilcoxon tests (:func:`wilcoxon_groups`):
``family:{family}`` for each family with tasks, ``gue:{group}`` for each GUE table group and
``gue:all``.

- :func:`task_groups`: ``{task: {family, suite, group}}`` of the custom and suite tasks of a config.
- :func:`gue_table`: MCC x 100 (mean over seeds) per GUE task and model, grouped as in the
  DNABERT-2 paper, with an average row per group and over all tasks.
- :func:`group_wilcoxon`: the one-sided Wilcoxon test of DNABERT against every other model over
  the tasks of each group (the paper's TF test, for any group).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from dnabert.datasets.suites import GROUP_TITLES, GUE_GROUPS, expand_suites
from dnabert.metrics_table import paired_wilcoxon, with_run_column
from dnabert.tasks import FAMILIES as TASK_FAMILIES
from dnabert.tasks import builtin_group

# the groups of the built-in families, in registry order: promoter, splice, tf
FAMILIES = tuple(dict.fromkeys(f.group for f in TASK_FAMILIES.values() if f.group))
GROUP_WILCOXON_METRICS = ("mcc", "accuracy", "f1")


def task_groups(config: dict | None) -> dict[str, dict]:
    """``{task: {"family", "suite", "group"}}`` of every custom and suite task in ``config``
    (values None where not set)."""
    config = config or {}
    specs = {**(config.get("custom_tasks") or {}), **expand_suites(config)}
    return {
        name: {key: spec.get(key) for key in ("family", "suite", "group")}
        for name, spec in specs.items()
    }


def task_family(task: str, groups: dict[str, dict] | None = None) -> str | None:
    """The group of a built-in task by its family (:mod:`dnabert.tasks`), else the one ``groups`` records (or None)."""
    return builtin_group(task) or ((groups or {}).get(task) or {}).get("family")


def wilcoxon_groups(tasks, groups: dict[str, dict] | None = None) -> dict[str, list[str]]:
    """``{group name: sorted tasks}``: ``family:{f}``, ``gue:{group}`` and ``gue:all``; only
    groups with at least one of ``tasks``."""
    groups = groups or {}
    out: dict[str, list[str]] = {}
    for task in sorted(set(tasks)):
        family = task_family(task, groups)
        if family:
            out.setdefault(f"family:{family}", []).append(task)
        info = groups.get(task) or {}
        if info.get("suite") and info.get("group"):
            out.setdefault(f"{info['suite']}:{info['group']}", []).append(task)
            out.setdefault(f"{info['suite']}:all", []).append(task)
    return dict(sorted(out.items()))


def group_wilcoxon(
    df: pd.DataFrame, groups: dict[str, dict] | None = None, metrics=GROUP_WILCOXON_METRICS
) -> pd.DataFrame:
    """:func:`dnabert.metrics_table.paired_wilcoxon` over the tasks of every group of
    :func:`wilcoxon_groups`, one block of rows per group (column ``group`` first, ``n_tasks``
    the number of paired tasks). No groups: an empty table with these columns."""
    frames = []
    for name, tasks in wilcoxon_groups(df["task"], groups).items():
        table = paired_wilcoxon(df[df["task"].isin(tasks)], metrics, unit="task")
        frames.append(table.assign(group=name))
    columns = ["group", *paired_wilcoxon(df.iloc[:0], metrics, unit="task").columns]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns].rename(
        columns={"n_experiments": "n_tasks"}
    )


def _model_columns(runs) -> list[str]:
    """DNABERT-k runs by k, their scratch controls, then the other models by name."""

    def key(run: str):
        base = run.removesuffix("_scratch")
        if base.startswith("dnabert") and base[7:].isdigit():
            return (0 if run == base else 1, int(base[7:]), run)
        return (2, 0, run)

    return sorted(set(runs), key=key)


def gue_table(df: pd.DataFrame, groups: dict[str, dict]) -> pd.DataFrame:
    """MCC x 100 (mean over seeds) of every GUE task (rows) and model (columns, run names).

    Rows in the DNABERT-2 paper's group order: ``group, title, task`` then one column per run,
    each group followed by an ``average`` row (mean over the group's tasks that the run has;
    NaN when it has none) and the table by an ``all`` / ``average`` row over every task.
    Models without a value for a task get NaN. No GUE task: an empty table with ``group,
    title, task``.
    """
    gue = {t: g for t, g in groups.items() if g.get("suite") == "gue"}
    rows = df[df["task"].isin(gue)]
    runs = _model_columns(rows["run"]) if len(rows) else []
    columns = ["group", "title", "task", *runs]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    mcc = rows.groupby(["task", "run"])["mcc"].mean().unstack("run").reindex(columns=runs) * 100
    order = [key for key, _, _ in GUE_GROUPS]
    out = []
    for group in order:
        tasks = [t for t in gue if gue[t]["group"] == group and t in mcc.index]
        if not tasks:
            continue
        for task in tasks:
            out.append({"group": group, "title": GROUP_TITLES[group], "task": task,
                        **mcc.loc[task].to_dict()})  # fmt: skip
        average = mcc.loc[tasks].mean(skipna=True)
        out.append({"group": group, "title": GROUP_TITLES[group], "task": "average",
                    **average.to_dict()})  # fmt: skip
    out.append({"group": "all", "title": "All GUE tasks", "task": "average",
                **mcc.mean(skipna=True).to_dict()})  # fmt: skip
    return pd.DataFrame(out, columns=columns)


def write_group_tables(
    metrics_tsv: str | os.PathLike,
    groups: dict[str, dict],
    gue_out: str | os.PathLike,
    wilcoxon_out: str | os.PathLike,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write :func:`gue_table` and :func:`group_wilcoxon` of ``metrics.tsv`` (atomically)."""
    from dnabert.provenance import atomic_path

    df = with_run_column(pd.read_csv(metrics_tsv, sep="\t"))
    tables = (gue_table(df, groups), group_wilcoxon(df, groups))
    for frame, path in zip(tables, (gue_out, wilcoxon_out), strict=True):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, sep="\t", index=False, float_format="%.4g", na_rep="NaN")
    return tables


def read_gue_table(path: str | os.PathLike) -> pd.DataFrame | None:
    """``gue_table.tsv`` or None when it is absent or has no rows."""
    path = Path(path)
    if not path.exists():
        return None
    table = pd.read_csv(path, sep="\t")
    return table if len(table) else None

"""Benchmark suites (config ``suites``): a local copy of a published benchmark expanded into tasks.

One suite so far, ``gue``: the Genome Understanding Evaluation benchmark of the DNABERT-2 paper
(Zhou et al., ICLR 2024), 28 tasks in seven groups. Its folder layout, as distributed::

    GUE/EMP/{H3,H3K14ac,H3K36me3,H3K4me1,H3K4me2,H3K4me3,H3K79me3,H3K9ac,H4,H4ac}/
    GUE/prom/prom_{300,core}_{all,notata,tata}/
    GUE/tf/{0..4}/        GUE/mouse/{0..4}/      GUE/splice/reconstructed/    GUE/virus/covid/

each task folder holding ``train.csv``, ``dev.csv``, ``test.csv`` (``sequence,label`` with a
header line). Every task becomes a custom task (:mod:`dnabert.datasets.custom`) named
``gue_{folder}_{task}`` in lower case, with a task folder that already starts with its group
folder's name not repeated: ``gue_emp_h3k4me1``, ``gue_prom_300_tata``, ``gue_prom_core_all``,
``gue_tf_0``, ``gue_mouse_3``, ``gue_splice_reconstructed``, ``gue_virus_covid`` (covid has 9
classes; the fine-tuning loop and the metrics are multi-class).

Each expanded task also records where it belongs: ``suite`` (``gue``), ``group`` (the row groups
of the DNABERT-2 paper's tables, :data:`GUE_GROUPS`) and ``family`` (the pipeline's built-in
figure it joins: ``promoter``, ``tf``, ``splice``, or none).
"""

from __future__ import annotations

import os
from pathlib import Path

from dnabert.baselines.registry import YARDSTICK

SPLIT_FILES = ("train.csv", "dev.csv", "test.csv")

# Table groups in the DNABERT-2 paper's order: (key, title, family of the pipeline's figures).
GUE_GROUPS = (
    ("emp", "Epigenetic marks (yeast)", None),
    ("tf_human", "Transcription factor (human)", "tf"),
    ("prom_300", "Promoter detection (300 bp)", "promoter"),
    ("prom_core", "Core promoter detection (70 bp)", "promoter"),
    ("tf_mouse", "Transcription factor (mouse)", "tf"),
    ("virus", "Virus (COVID variant type)", None),
    ("splice", "Splice site (reconstructed)", "splice"),
)
GROUP_TITLES = {key: title for key, title, _ in GUE_GROUPS}
_GROUP_FAMILY = {key: family for key, _, family in GUE_GROUPS}

# (selector = folder in lower case, folder on disk, task folders, table group of each task)
GUE_FOLDERS = (
    ("emp", "EMP", ("H3", "H3K14ac", "H3K36me3", "H3K4me1", "H3K4me2", "H3K4me3", "H3K79me3",
                    "H3K9ac", "H4", "H4ac"), lambda t: "emp"),
    ("tf", "tf", ("0", "1", "2", "3", "4"), lambda t: "tf_human"),
    ("prom", "prom", tuple(f"prom_{w}_{s}" for w in ("300", "core")
                           for s in ("all", "notata", "tata")),
     lambda t: "prom_300" if t.startswith("prom_300") else "prom_core"),
    ("mouse", "mouse", ("0", "1", "2", "3", "4"), lambda t: "tf_mouse"),
    ("virus", "virus", ("covid",), lambda t: "virus"),
    ("splice", "splice", ("reconstructed",), lambda t: "splice"),
)  # fmt: skip
GUE_SELECTORS = tuple(sel for sel, *_ in GUE_FOLDERS)


def gue_task_name(folder: str, task: str) -> str:
    """``gue_{folder}_{task}`` in lower case; ``prom/prom_300_all`` gives ``gue_prom_300_all``."""
    folder, task = folder.lower(), task.lower()
    return f"gue_{task}" if task.startswith(f"{folder}_") else f"gue_{folder}_{task}"


def suite_settings(config: dict, suite: str = "gue") -> dict | None:
    """The ``suites.{suite}`` entry as ``{path, include, baselines}`` (a bare path is shorthand
    for every group and the default baselines, ``[kmer_lr]``), or None when the suite is not
    configured."""
    entry = (config.get("suites") or {}).get(suite)
    if entry is None:
        return None
    if isinstance(entry, str | os.PathLike):
        entry = {"path": str(entry)}
    return {
        "path": str(entry["path"]),
        "include": list(entry.get("include") or GUE_SELECTORS),
        # like custom_tasks: the k-mer yardstick unless the entry names its own ([] for none)
        "baselines": list(entry.get("baselines", [YARDSTICK])),
    }


def expand_suites(config: dict) -> dict[str, dict]:
    """``{task name: custom task spec}`` of every configured suite task, in the paper's order.

    A spec is a ``custom_tasks`` entry (``train``, ``dev``, ``test`` paths under the suite's
    path, ``format: gue``, ``baselines``) plus ``suite``, ``group`` and ``family``. Reads no
    file (see :func:`check_suite_files`).
    """
    settings = suite_settings(config)
    if settings is None:
        return {}
    root = Path(settings["path"])
    tasks = {}
    for selector, folder, names, group_of in GUE_FOLDERS:
        if selector not in settings["include"]:
            continue
        for name in names:
            group = group_of(name)
            tasks[gue_task_name(selector, name)] = {
                **{split: str(root / folder / name / f"{split}.csv") for split in
                   ("train", "dev", "test")},
                "format": "gue",
                "baselines": settings["baselines"],
                "family": _GROUP_FAMILY[group],
                "suite": "gue",
                "group": group,
            }  # fmt: skip
    return tasks


def check_suite_files(config: dict) -> None:
    """Raise ValueError naming every missing folder or file of the configured suites, or a file
    whose first line is not the ``sequence,label`` header, and what was expected."""
    settings = suite_settings(config)
    if settings is None:
        return
    root = Path(settings["path"])
    expected = (
        "expected the GUE layout {EMP,prom,tf,mouse,splice,virus}/<task>/"
        "{train,dev,test}.csv, 'sequence,label' CSV with a header line (DNABERT-2's GUE)"
    )
    if not root.is_dir():
        raise ValueError(f"suites.gue.path: {root}: no such folder; {expected}")
    problems = []
    for spec in expand_suites(config).values():
        for split in ("train", "dev", "test"):
            path = Path(spec[split])
            if not path.parent.is_dir():
                problems.append(f"{path.parent}: no such folder")
                break
            if not path.is_file():
                problems.append(f"{path}: no such file")
                continue
            with open(path) as fh:
                header = fh.readline().strip().lower()
            if not header.startswith("sequence,label"):
                problems.append(f"{path}: line 1 is {header[:40]!r}, not 'sequence,label'")
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; ... {len(problems) - 10} more" * (len(problems) > 10)
        )
        raise ValueError(
            f"suites.gue: {len(problems)} problem(s) under {root}: {shown}. {expected}; "
            f"suites.gue.include picks groups ({', '.join(GUE_SELECTORS)})"
        )

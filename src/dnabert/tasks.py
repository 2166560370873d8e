"""The built-in task families: one declarative registry, read by everything that needs to know
what a task is (no torch, no Snakemake: the workflow's common.smk imports it at parse time).

A *family* is a set of task names built by one builder. Its tasks are either a fixed list of
names (``prom300_tata``, ``splice``) or, for an *open* family, every name ``{prefix}{member}``
(``tf_{experiment}``: which experiments exist is decided at run time by the TF selection
checkpoint); an open family may have a *selector*, a name that stands in config for all its
selected members (``tf``). A *derived* family is built by another stage (``splice_rc``, by the
baselines stage's SpliceFinder reconstruction) and is not listed in ``datasets.tasks``.

Readers: the config check (:func:`configurable_task_pattern`, :func:`is_known_task`), users'
task names (:func:`is_builtin_task`), the baselines registry (:attr:`TaskFamily.baselines`),
task groups and figures (:attr:`TaskFamily.group`, :attr:`TaskFamily.figure`), the CLI
(:func:`family_tasks`) and the workflow's target lists (:func:`fixed_tasks`, :func:`open_tasks`).

Adding a built-in family is one :func:`register` call (an entry in :data:`FAMILIES` below) plus
its builder module; ``tests/test_tasks.py`` registers a toy family to show it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskFamily:
    """One family of built-in tasks.

    ``names``: the fixed task names, in the order the config lists them; ``prefix`` and
    ``member_pattern``: an open family's names (``prefix`` + a member matching the pattern);
    ``selector``: the config name that stands for every selected member of an open family;
    ``builder``: ``"module:function"`` that builds one task's dataset; ``baselines``: the
    paper's baselines compared on the family (the k-mer yardstick is added by
    :mod:`dnabert.baselines.registry`); ``group``: the family users' tasks can join in figures
    and Wilcoxon groups (``promoter``, ``splice``, ``tf``; None: none); ``figure``: the report
    figure drawn from the family's tasks; ``n_classes``: label classes; ``derived``: built by
    another stage, never named in ``datasets.tasks``.
    """

    name: str
    builder: str
    names: tuple[str, ...] = ()
    prefix: str | None = None
    member_pattern: str = r"[A-Za-z0-9_.-]+"
    selector: str | None = None
    baselines: tuple[str, ...] = ()
    group: str | None = None
    figure: str | None = None
    n_classes: int = 2
    derived: bool = False

    @property
    def is_open(self) -> bool:
        return self.prefix is not None

    def has_task(self, task: str) -> bool:
        """True for one of this family's task names (an open family: any ``{prefix}...``, the
        reserved namespace, whether or not the member is a valid experiment name)."""
        return task in self.names or (self.is_open and task.startswith(self.prefix))

    def name_pattern(self) -> str:
        """Regex alternatives (no anchors) of the names a config may list for this family:
        its fixed names, its selector, ``{prefix}{member_pattern}``."""
        parts = [re.escape(name) for name in self.names]
        if self.selector:
            parts.append(re.escape(self.selector))
        if self.is_open:
            parts.append(re.escape(self.prefix) + self.member_pattern)
        return "|".join(parts)


FAMILIES: dict[str, TaskFamily] = {}


def register(family: TaskFamily) -> TaskFamily:
    """Add ``family`` to :data:`FAMILIES`; raise ValueError when its name or one of its task
    names is taken by a registered family."""
    if family.name in FAMILIES:
        raise ValueError(f"task family {family.name!r} is already registered")
    for other in FAMILIES.values():
        clash = [n for n in (*family.names, family.selector) if n and other.has_task(n)]
        clash += [n for n in other.names if family.has_task(n)]
        if clash:
            raise ValueError(
                f"task family {family.name!r}: {sorted(set(clash))} already belong to "
                f"family {other.name!r}"
            )
    FAMILIES[family.name] = family
    return family


def unregister(name: str) -> None:
    """Remove family ``name`` (tests that register a toy family clean up with this)."""
    del FAMILIES[name]


# The paper's tasks (Ji et al. 2021, sections 2.3-2.5) and their baselines.
def _promoter_family(name: str, figure: str) -> TaskFamily:
    """A promoter family: ``{name}_tata``, ``{name}_notata``, ``{name}_all``."""
    return TaskFamily(
        name,
        "dnabert.datasets.promoters:build_promoter_task",
        names=tuple(f"{name}_{subset}" for subset in ("tata", "notata", "all")),
        baselines=("deepromoter",),
        group="promoter",
        figure=figure,
    )


register(_promoter_family("prom300", "prom300_bars"))
register(_promoter_family("promcore", "promcore_curves"))
register(
    TaskFamily(
        "promscan",
        "dnabert.datasets.promscan:build_promscan_task",
        names=("promscan",),
        baselines=("promid",),
        figure="promscan_bars",
    )
)


def _splice_family(name: str, *, derived: bool = False) -> TaskFamily:
    """A splice-site family: ``splice``, or ``splice_rc``, the set rebuilt with
    SpliceFinder's hard negatives (derived: built by the baselines stage)."""
    return TaskFamily(
        name,
        "dnabert.datasets.splicetf_tasks:run_splice_task",
        names=(name,),
        baselines=("splicefinder",),
        group="splice",
        figure="splice_bars",
        n_classes=3,
        derived=derived,
    )


register(_splice_family("splice"))
register(_splice_family("splice_rc", derived=True))
register(
    TaskFamily(
        "tf",
        "dnabert.datasets.splicetf_tasks:run_tf_task",
        prefix="tf_",
        selector="tf",
        baselines=("deepbind",),
        group="tf",
        figure="tf_violins",
    )
)


def family_of(task: str) -> TaskFamily | None:
    """The family of built-in task ``task`` (an open family's selector counts), else None."""
    for family in FAMILIES.values():
        if family.has_task(task) or task == family.selector:
            return family
    return None


def builtin_group(task: str) -> str | None:
    """The group (:attr:`TaskFamily.group`) of built-in task ``task``; None for a selector
    (``tf``), a family without a group, or a name no family owns."""
    family = family_of(task)
    if family is not None and family.group and task != family.selector:
        return family.group
    return None


def family_tasks(name: str) -> list[str]:
    """The fixed task names of family ``name`` (an open family has none)."""
    return list(FAMILIES[name].names)


def tasks_with_figure(figure: str) -> list[str]:
    """Fixed task names of the families drawn in report figure ``figure``."""
    return [t for f in FAMILIES.values() if f.figure == figure for t in f.names]


def figure_group(figure: str) -> str | None:
    """The group of the families drawn in report figure ``figure`` (None when they have none,
    or when no family is drawn there)."""
    groups = {f.group for f in FAMILIES.values() if f.figure == figure}
    return groups.pop() if len(groups) == 1 else None


def is_builtin_task(name: str) -> bool:
    """True for a name users' tasks may not take: a built-in task name, a selector, or any
    name in an open family's namespace (``tf_*``)."""
    return family_of(name) is not None


def reserved_names() -> str:
    """The built-in names for messages: ``prom300_tata, ..., tf, tf_*``."""
    out = []
    for family in FAMILIES.values():
        out += [*family.names, *([family.selector] if family.selector else [])]
        out += [f"{family.prefix}*"] if family.is_open else []
    return ", ".join(out)


def configurable_task_pattern() -> str:
    """The anchored regex of the names ``datasets.tasks`` accepts (the config schema's
    ``datasets.tasks`` item pattern is this string; a test keeps them equal)."""
    parts = [f.name_pattern() for f in FAMILIES.values() if not f.derived]
    return "^(" + "|".join(parts) + ")$"


def is_known_task(task: str) -> bool:
    """True for a task name this pipeline can build: one :func:`configurable_task_pattern`
    accepts, or a derived family's task (``splice_rc``)."""
    if re.match(configurable_task_pattern(), task):
        return True
    return any(f.derived and re.fullmatch(f.name_pattern(), task) for f in FAMILIES.values())


def wildcard_pattern(*families: str) -> str:
    """A Snakemake wildcard constraint matching the fixed task names of ``families``."""
    return "|".join(re.escape(t) for name in families for t in FAMILIES[name].names)


def load_builder(family: TaskFamily) -> Callable:
    """The builder function ``family.builder`` names (imported on demand)."""
    module, _, function = family.builder.partition(":")
    return getattr(importlib.import_module(module), function)


# --- "tf means every selected experiment, tf_X one of them": the one place that says so ---


def _open_family(task: str) -> TaskFamily | None:
    family = family_of(task)
    return family if family is not None and family.is_open else None


def is_open_task(task: str) -> bool:
    """True for an open family's selector or member (``tf``, ``tf_X``)."""
    return _open_family(task) is not None


def has_open_tasks(requested: Iterable[str]) -> bool:
    """True when ``requested`` names any selector or open-family member (``tf``, ``tf_X``)."""
    return any(is_open_task(task) for task in requested)


def fixed_tasks(requested: Iterable[str]) -> list[str]:
    """``requested`` without selectors and open-family members, in order: the tasks known
    before any checkpoint has run."""
    return [task for task in requested if not is_open_task(task)]


def open_tasks(
    requested: Iterable[str], selected: Callable[[TaskFamily], list[str]], limit: int | None = None
) -> list[str]:
    """The open-family tasks of ``requested``: for each family, when its selector is requested,
    every member ``selected(family)`` returns (the first ``limit`` of them), then the members
    named one by one that are not among those, in order. ``selected`` is called only for a
    requested selector (it may wait on a checkpoint)."""
    requested = list(requested)
    out: list[str] = []
    for family in FAMILIES.values():
        if not family.is_open:
            continue
        if family.selector in requested:
            out += list(selected(family))[:limit]
        out += [t for t in requested if family.has_task(t) and t not in out]
    return out

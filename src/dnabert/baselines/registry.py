"""Which baselines run on which task (no torch import: the workflow's common.smk uses it)."""

from __future__ import annotations

from dnabert.config import schema_defaults
from dnabert.tasks import family_of

BASELINE_NAMES = ("deepromoter", "promid", "splicefinder", "deepbind", "kmer_lr")
# The yardstick every task family gets besides its paper baseline: logistic regression on k-mer
# frequencies (dnabert.baselines.kmer_lr); architecture-free, so it fits any length and classes.
YARDSTICK = "kmer_lr"


def baselines_for_task(task: str, config: dict | None = None) -> list[str]:
    """The baselines compared on ``task``, restricted to ``baselines.enabled``.

    A built-in task -> its family's baselines (:mod:`dnabert.tasks`: prom300_*/promcore_* ->
    deepromoter; promscan -> promid; splice and splice_rc -> splicefinder; tf_* -> deepbind),
    each followed by kmer_lr. A custom task ->
    ``custom_tasks[task]["baselines"]`` (validated configs default it to ``[kmer_lr]``; read
    defensively: a missing key means ``[kmer_lr]``, the schema's default, ``[]`` none). Unknown
    tasks get none. A config without ``baselines.enabled`` enables the schema's default.
    """
    config = config or {}
    enabled = (config.get("baselines") or {}).get("enabled")
    if enabled is None:
        enabled = schema_defaults("baselines", "enabled")
    custom = (config.get("custom_tasks") or {}).get(task)
    if isinstance(custom, dict):
        names = list(custom.get("baselines", [YARDSTICK]) or [])
    else:
        family = family_of(task)
        family = family if family and task != family.selector else None  # "tf": no task
        names = [*family.baselines, YARDSTICK] if family and family.baselines else []
    return [name for name in names if name in enabled]

"""What the workflow sets up at parse time besides its targets (:mod:`dnabert.targets`): the
run config's check, the environment its jobs inherit, wildcard constraints and the settings
each step is given. No Snakemake import: ``workflow/rules/common.smk`` calls these with
Snakemake's merged config, its ``--configfile`` paths and its ``--config`` overrides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, MutableMapping

from dnabert.config import (
    canonical,
    read_yaml_config,
    retype_cli_overrides,
    task_settings,
    validate_config,
)
from dnabert.datasets.custom import check_custom_task_names
from dnabert.datasets.suites import check_suite_files
from dnabert.targets import users_tasks
from dnabert.tasks import FAMILIES

# Jobs keep third-party progress bars and info notes (transformers' weight loading and shard
# writing, huggingface_hub's bars) out of their logs; the project's own log lines stay. A value
# the user set is kept: set these variables yourself to see them again.
QUIET_THIRD_PARTY = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "warning"}


def check_run_config(
    config: dict, configfiles: Iterable[str | os.PathLike], cli_config: dict
) -> dict[str, dict]:
    """Check the run config and return ``{name: spec}`` of the users' tasks
    (:func:`dnabert.targets.users_tasks`).

    ``config`` is Snakemake's merged config: ``--config`` values (``cli_config``) are retyped in
    it (:func:`dnabert.config.retype_cli_overrides`) and the schema's defaults filled in, in
    place. Each of ``configfiles`` is reread strictly (Snakemake's YAML reader keeps a repeated
    key's last value). Raises :class:`dnabert.config.ConfigError` (a ValueError) naming the
    files and the ``--config`` keys, or ValueError for a users' task name that is taken.
    """
    configfiles = [str(path) for path in configfiles]
    retype_cli_overrides(config, cli_config)
    for path in configfiles:
        read_yaml_config(path)
    source = ", ".join(configfiles) or "config"
    if cli_config:
        source += " with --config " + ", ".join(cli_config)
    validate_config(config, source=source)
    check_custom_task_names(config)
    check_suite_files(config)
    return users_tasks(config)


def export_job_environment(
    src_dir: str | os.PathLike, environ: MutableMapping[str, str] = os.environ
) -> None:
    """Set what every job inherits (on every SLURM node too): ``src_dir`` first on
    ``PYTHONPATH`` (once), so jobs import the workflow's package from this checkout in every
    conda env (the envs hold its dependencies only; docs/slurm.md, "conda"), and
    :data:`QUIET_THIRD_PARTY` unless set."""
    src = str(src_dir)
    current = environ.get("PYTHONPATH", "")
    if src not in current.split(os.pathsep):
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [src, current]))
    for name, value in QUIET_THIRD_PARTY.items():
        environ.setdefault(name, value)


def alternatives(names: Iterable[str]) -> str:
    """A wildcard constraint matching exactly ``names`` (``"(?!)"``, which never matches, for
    no names)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


def trained_baselines() -> list[str]:
    """The baselines rule ``train_baseline`` trains: those the task families name
    (:attr:`dnabert.tasks.TaskFamily.baselines`), in registry order, each once (the k-mer
    yardstick has a rule of its own)."""
    names = [name for family in FAMILIES.values() for name in family.baselines]
    return list(dict.fromkeys(names))


def genome_settings(config: dict) -> dict:
    """The ``genome`` section; without one (a run of users' tasks alone, see
    :func:`dnabert.config.check_genome_needed`) genome ``none``, whose rules nothing asks for."""
    return config.get("genome") or {"name": "none", "canonical_pattern": "", "chromosomes": []}


# The config keys a step reads, by section (dotted path): its params hold these and no others,
# so that a key that says which jobs exist (report.viz_tasks, variants.tasks) or that another
# step reads (report.ism for viz, PromID's training settings for DNABERT's TSS calls) reruns
# nothing here. The step's script reads exactly these keys.
_VARIANT_KEYS = ("window", "info_fields", "group_by", "max_ref_len", "max_alt_len", "target_class")
STEP_KEYS = {
    "viz": ("report", ("viz_max_sequences", "n_heatmap_sequences", "motif", "attention", "dpi")),
    "ism": ("report", ("ism", "dpi")),
    "variants": ("variants", (*_VARIANT_KEYS, "batch_size", "device", "top_n")),
    "tss_calls": ("baselines.promid", ("tss_threshold", "tss_tolerance")),
}
# What an import of a users' task reads of its spec (family, group, suite and baselines do not
# change the dataset)
CUSTOM_IMPORT_KEYS = ("train", "dev", "test", "format")


def step_settings(config: dict, step: str) -> dict:
    """The config keys step ``step`` reads (:data:`STEP_KEYS`), key-sorted (a rule param)."""
    path, keys = STEP_KEYS[step]
    section = config
    for name in path.split("."):
        section = section[name]
    return canonical({key: section[key] for key in keys})


def custom_import_settings(spec: dict) -> dict:
    """What importing a users' task reads of its spec ``spec`` (:data:`CUSTOM_IMPORT_KEYS`
    present in it), key-sorted (a rule param)."""
    return canonical({key: spec[key] for key in CUSTOM_IMPORT_KEYS if key in spec})


def finetune_settings(config: dict, task: str) -> dict:
    """The ``finetune`` section as fine-tuning on ``task`` sees it (its ``task_overrides``
    applied), key-sorted, without ``models``: adding a model reruns no other run."""
    settings = task_settings(config["finetune"], task)
    return canonical({key: value for key, value in settings.items() if key != "models"})

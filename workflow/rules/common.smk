# Config validation and input functions. The only place in the workflow with Python logic:
# what to make lives in dnabert.targets, where it goes in dnabert.paths, what a task is in
# dnabert.tasks; the functions here bind them to this config and to the TF checkpoint.
import functools
import json
import os
import re

from snakemake.exceptions import WorkflowError

from dnabert import paths, targets
from dnabert.config import (
    ConfigError,
    canonical,
    read_yaml_config,
    retype_cli_overrides,
    task_settings,
    validate_config,
)
from dnabert.datasets.custom import check_custom_task_names
from dnabert.datasets.encode import read_experiment_table
from dnabert.datasets.suites import check_suite_files
from dnabert.hfmodels import model_files
from dnabert.task_groups import task_groups
from dnabert.tasks import FAMILIES, wildcard_pattern

# Jobs import the workflow's package from this checkout, in every conda env and on every SLURM
# node (jobs inherit the environment): the envs/*.yaml hold its dependencies only; see
# docs/slurm.md, "conda".
_SRC = os.path.join(workflow.basedir, "src")
if _SRC not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ.update(
        PYTHONPATH=os.pathsep.join(filter(None, [_SRC, os.environ.get("PYTHONPATH")]))
    )

# Jobs keep third-party progress bars and info notes (transformers' weight loading and shard
# writing, huggingface_hub's bars) out of their output; the project's own log lines stay. Set
# these variables yourself to see them again.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning")

_CLI_CONFIG = workflow.config_settings.config or {}
retype_cli_overrides(config, _CLI_CONFIG)
try:
    # Snakemake's YAML reader keeps a repeated key's last value: reread strictly
    for _path in workflow.configfiles:
        read_yaml_config(_path)
    validate_config(
        config,
        source=(", ".join(map(str, workflow.configfiles)) or "config")
        + (" with --config " + ", ".join(_CLI_CONFIG) if _CLI_CONFIG else ""),
    )
    check_custom_task_names(config)
    check_suite_files(config)
    # Users' tasks: custom_tasks plus the tasks of the benchmark suites (config suites, e.g. GUE)
    CUSTOM_TASKS = targets.users_tasks(config)
except (ConfigError, ValueError) as exc:
    raise WorkflowError(str(exc)) from None

# No genome block: a run of users' tasks alone (dnabert.config.check_genome_needed); the
# genome rules are then never asked for, and "resources/genome/none.fa" names nothing.
GENOME_SETTINGS = config.get("genome") or {
    "name": "none",
    "canonical_pattern": "",
    "chromosomes": [],
}
GENOME = GENOME_SETTINGS["name"]
GENOME_FA = paths.genome_fasta(GENOME)
CANONICAL = paths.canonical_chromosomes(GENOME)
# Scripts that shell commands run, relative to the working directory: a stable params value
# (workflow.source_path points into a per-invocation cache, which made Snakemake see changed
# params and rerun pretraining on every invocation).
SCRIPTS = os.path.relpath(os.path.join(workflow.basedir, "workflow", "scripts"))
VARIANTS_VCF = targets.variants_vcf(config, GENOME)
DOWNLOADS = targets.download_sources(config, GENOME)


def _alternatives(names):
    """A wildcard constraint matching exactly ``names`` ("(?!)" never matches: no names)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


DOWNLOAD_PATTERN = _alternatives(DOWNLOADS)
PROMOTER_TASK_PATTERN = wildcard_pattern("prom300", "promcore")

CUSTOM_TASK_PATTERN = _alternatives(CUSTOM_TASKS)
# {task: {family, suite, group}} of the users' tasks: figures, Wilcoxon groups, the GUE table
TASK_GROUPS = task_groups(config)
# other language models (finetune.models), by the user's name; names never start with dnabert
HF_MODELS = config["finetune"]["models"]
HF_MODEL_PATTERN = _alternatives(HF_MODELS)
RECONSTRUCTION_SEED = config["seeds"][0]


def get_download_source(wildcards):
    """The config source (url + checksums) of resources/{resource}."""
    return canonical(DOWNLOADS[wildcards.resource])


def get_local_sources(wildcards):
    """Local files a download reads (so rules that generate them run first, e.g. the demo)."""
    return targets.local_sources(DOWNLOADS[wildcards.resource])


# --- TF tasks (see tfbs.smk for why selection is a checkpoint) ---


def get_tf_selection_inputs(wildcards):
    """What select_tf_experiments reads: the metadata, the UCSC lists, or nothing (local)."""
    try:
        return targets.tf_selection_inputs(config)
    except ValueError as exc:
        raise WorkflowError(str(exc)) from None


@functools.cache
def _read_tf_table(path, mtime):
    return read_experiment_table(path)


def selected_tasks(family):
    """Tasks of an open family chosen at run time: tf_{experiment} of every experiment the
    checkpoint selected (its table read once per version)."""
    assert family is FAMILIES["tf"], family.name
    table = checkpoints.select_tf_experiments.get().output.table
    return [f"tf_{e}" for e in _read_tf_table(table, os.path.getmtime(table))]


def get_tf_index_source(wildcards):
    """Download source of a selection list (tf.metadata URL or the UCSC lists)."""
    return canonical({"url": targets.tf_index_sources(config)[wildcards.index]})


# --- targets of the final rule (all), the TF parts apart, so that the rest of the DAG stays visible
# until the selection checkpoint has run ---


def get_final_targets(wildcards):
    return targets.final_targets(config, CUSTOM_TASKS, GENOME, len(DOWNLOADS))


def get_tf_targets(wildcards):
    return targets.dataset_summaries(targets.tf_tasks(config, selected_tasks))


def get_baseline_targets(wildcards):
    return targets.baseline_targets(config, CUSTOM_TASKS)


def get_tf_baseline_targets(wildcards):
    tf_tasks = targets.tf_tasks(config, selected_tasks)
    return targets.baseline_metrics(config, CUSTOM_TASKS, tf_tasks)


def get_finetune_targets(wildcards):
    return targets.finetune_targets(config, CUSTOM_TASKS)


def is_report_enabled():
    """The report reads the fine-tuning stage's metrics table: only with that stage present."""
    try:
        getattr(rules, "collect_metrics")
    except (AttributeError, WorkflowError):
        return False
    return True


def get_report_targets(wildcards):
    return targets.report_targets(config) if is_report_enabled() else []


def get_variant_targets(wildcards):
    return targets.variant_files(config, "variant_effects.png")


# --- inputs and params of single rules ---


# Params derived from a rule's input (Snakemake records no such params, so they rerun nothing)
def get_corpus_dir(wildcards, input):
    """The corpus directory results/pretrain/k{k}, derived from the rule's input."""
    return os.path.dirname(input.train_bin)


def get_results_dir(wildcards, input):
    """The results/ directory, derived from results/report/metrics.tsv."""
    return os.path.dirname(os.path.dirname(input.metrics))


def get_baseline_task_name(wildcards):
    """Task name recorded in metrics.json: the task wildcard, or splice_round{r}."""
    if "task" in wildcards.keys():
        return wildcards.task
    return f"splice_round{wildcards.round}"


def get_splice_scan_model(wildcards):
    return targets.splice_scan_model(wildcards.round, RECONSTRUCTION_SEED)


def get_previous_hard_negatives(wildcards):
    return targets.previous_hard_negatives(wildcards.round)


def get_baseline_params(wildcards):
    """Training settings of the baseline (config baselines.<name>)."""
    return canonical(config["baselines"][wildcards.baseline])


def get_custom_task_files(wildcards):
    """The user's train/dev/test files of custom task {task}."""
    return {
        split: CUSTOM_TASKS[wildcards.task][split] for split in ("train", "dev", "test")
    }


def get_custom_task_spec(wildcards):
    return canonical(CUSTOM_TASKS[wildcards.task])


def get_hf_model_spec(wildcards):
    """The finetune.models entry of run {hf_model}, with its name."""
    return canonical({"name": wildcards.hf_model, **HF_MODELS[wildcards.hf_model]})


def get_all_metrics(wildcards):
    """Every metrics.json the metrics table collects (TF tasks included: checkpoint-aware)."""
    tasks = targets.finetune_tasks(config, CUSTOM_TASKS, selected_tasks)
    baselines = targets.all_baseline_metrics(config, CUSTOM_TASKS, selected_tasks)
    return targets.finetune_metrics(config, tasks) + baselines


def get_viz_provenance(wildcards):
    """viz.json and ism.json of every viz run, TF tasks included (checkpoint-aware)."""
    if not is_report_enabled():
        return []
    tasks = targets.viz_tasks(config, selected_tasks)
    return targets.viz_files(config, tasks, ["viz.json", "ism.json"])


def get_finetune_settings(wildcards):
    """The finetune section as this task sees it (its task_overrides applied; without
    finetune.models, so that adding a model reruns no other run)."""
    settings = task_settings(config["finetune"], wildcards.task)
    return canonical({key: v for key, v in settings.items() if key != "models"})


def get_hf_model_files(wildcards):
    """The directory of finetune.models.{hf_model} and its files: inputs, so that a changed
    file reruns the model's runs; a directory that is no model stops the workflow."""
    path = HF_MODELS[wildcards.hf_model]["path"]
    try:
        return {"model_dir": path, "model_files": model_files(path)}
    except FileNotFoundError as exc:
        raise WorkflowError(f"finetune.models.{wildcards.hf_model}: {exc}") from None


def get_pretrained_model(wildcards):
    """finetune.init_from (its {k} the run's k), else results/models/dnabert{k}."""
    return targets.pretrained_model(config, wildcards.k)

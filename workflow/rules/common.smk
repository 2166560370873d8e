# Config check and input functions: the workflow's only Python. What to make lives in
# dnabert.targets, where it goes in dnabert.paths, what a task is in dnabert.tasks, the config
# check, job environment and step settings in dnabert.workflow_setup; the functions here bind
# them to this config and to the TF selection checkpoint.
import json
import os

from snakemake.exceptions import WorkflowError

from dnabert import paths, targets
from dnabert import workflow_setup as setup
from dnabert.config import canonical
from dnabert.hfmodels import model_files
from dnabert.task_groups import task_groups
from dnabert.tasks import FAMILIES, wildcard_pattern

setup.export_job_environment(os.path.join(workflow.basedir, "src"))
try:
    # users' tasks: custom_tasks plus the tasks of the benchmark suites (config suites, e.g. GUE)
    CUSTOM_TASKS = setup.check_run_config(
        config, workflow.configfiles, workflow.config_settings.config or {}
    )
except ValueError as exc:
    raise WorkflowError(str(exc)) from None

GENOME_SETTINGS = setup.genome_settings(config)
GENOME = GENOME_SETTINGS["name"]
GENOME_FA = paths.genome_fasta(GENOME)
CANONICAL = paths.canonical_chromosomes(GENOME)
# Scripts that shell commands run, relative to the working directory: a stable params value
# (workflow.source_path points into a per-invocation cache, which made Snakemake see changed
# params and rerun pretraining on every invocation).
SCRIPTS = os.path.relpath(os.path.join(workflow.basedir, "workflow", "scripts"))
VARIANTS_VCF = targets.variants_vcf(config, GENOME)
DOWNLOADS = targets.download_sources(config, GENOME)
# {task: {family, suite, group}} of the users' tasks: figures, Wilcoxon groups, the GUE table
TASK_GROUPS = canonical(task_groups(config))
# other language models (finetune.models), by the user's name; names never start with dnabert
HF_MODELS = config["finetune"]["models"]
RECONSTRUCTION_SEED = config["seeds"][0]
TF_TASK = f"{FAMILIES['tf'].prefix}{{experiment}}"  # tf_{experiment}

DOWNLOAD_PATTERN = setup.alternatives(DOWNLOADS)
CUSTOM_TASK_PATTERN = setup.alternatives(CUSTOM_TASKS)
HF_MODEL_PATTERN = setup.alternatives(HF_MODELS)
TRAINED_BASELINE_PATTERN = setup.alternatives(setup.trained_baselines())
TF_INDEX_PATTERN = setup.alternatives(targets.tf_index_sources(config))


wildcard_constraints:
    k="[3-6]",  # tokenize.k
    seed=r"\d+",
    round=r"\d+",
    experiment=FAMILIES["tf"].member_pattern,


# --- the TF selection checkpoint (tfbs.smk) ---


def selected_tasks(family):
    """The tasks of an open family the checkpoint selected (tf: tf_{experiment})."""
    assert family is FAMILIES["tf"], family.name
    return targets.selected_tf_tasks(
        checkpoints.select_tf_experiments.get().output.table
    )


def get_tf_peak_source(wildcards):
    table = checkpoints.select_tf_experiments.get().output.table
    return targets.tf_peak_sources(table, wildcards.experiment)


def get_tf_selection_inputs(wildcards):
    """What select_tf_experiments reads: the metadata, the UCSC lists, or nothing (local)."""
    try:
        return targets.tf_selection_inputs(config)
    except ValueError as exc:
        raise WorkflowError(str(exc)) from None


# --- what rule all asks for, the TF targets apart (so that the rest of the DAG stays visible
# until the selection checkpoint has run) ---


def get_fixed_targets(wildcards):
    return targets.fixed_targets(config, CUSTOM_TASKS, GENOME, len(DOWNLOADS))


def get_tf_targets(wildcards):
    return targets.tf_targets(config, CUSTOM_TASKS, selected_tasks)


def get_all_metrics(wildcards):
    return targets.all_metrics(config, CUSTOM_TASKS, selected_tasks)


def get_viz_provenance(wildcards):
    """viz.json and ism.json of every viz run, TF tasks included."""
    tasks = targets.viz_tasks(config, selected_tasks)
    return targets.viz_files(config, tasks, ["viz.json", "ism.json"])


# --- inputs and params of single rules ---


def get_download_source(wildcards):
    """The config source (url + checksums) of resources/{resource}."""
    return canonical(DOWNLOADS[wildcards.resource])


def get_local_sources(wildcards):
    """Local files a download reads (so rules that generate them run first, e.g. the demo)."""
    return targets.local_sources(DOWNLOADS[wildcards.resource])


def get_tf_index_source(wildcards):
    return canonical({"url": targets.tf_index_sources(config)[wildcards.index]})


# Params derived from a rule's input (Snakemake records no such params, so they rerun nothing)
def get_corpus_dir(wildcards, input):
    return os.path.dirname(input.train_bin)


def get_results_dir(wildcards, input):
    return os.path.dirname(os.path.dirname(input.metrics))


def get_task_name(wildcards):
    """The task a run or dataset records: {task}, or splice_round{round} (reconstruction)."""
    return wildcards.get("task") or f"splice_round{wildcards.round}"


def get_splice_scan_model(wildcards):
    return targets.splice_scan_model(wildcards.round, RECONSTRUCTION_SEED)


def get_previous_hard_negatives(wildcards):
    return targets.previous_hard_negatives(wildcards.round)


def get_baseline_params(wildcards):
    return canonical(config["baselines"][wildcards.baseline])


def get_custom_task_files(wildcards):
    spec = CUSTOM_TASKS[wildcards.task]
    return {split: spec[split] for split in ("train", "dev", "test")}


def get_custom_task_spec(wildcards):
    return setup.custom_import_settings(CUSTOM_TASKS[wildcards.task])


def get_finetune_settings(wildcards):
    return setup.finetune_settings(config, wildcards.task)


def get_pretrained_model(wildcards):
    """finetune.init_from (its {k} the run's k), else results/models/dnabert{k}."""
    return targets.pretrained_model(config, wildcards.k)


def get_hf_model_spec(wildcards):
    return canonical({"name": wildcards.hf_model, **HF_MODELS[wildcards.hf_model]})


def get_hf_model_files(wildcards):
    """The directory of finetune.models.{hf_model} and its files: inputs, so that a changed
    file reruns the model's runs; a directory that is no model stops the workflow."""
    path = HF_MODELS[wildcards.hf_model]["path"]
    try:
        return {"model_dir": path, "model_files": model_files(path)}
    except FileNotFoundError as exc:
        raise WorkflowError(f"finetune.models.{wildcards.hf_model}: {exc}") from None

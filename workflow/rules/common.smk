# Config validation and input functions. The only place in the workflow with Python logic.
import functools
import json
import os
import re
from urllib.parse import urlparse

from snakemake.exceptions import WorkflowError

from dnabert.config import ConfigError, validate_config
from dnabert.datasets.encode import read_experiment_table
from dnabert.download import resolve_url

try:
    validate_config(
        config, source=", ".join(map(str, workflow.configfiles)) or "config"
    )
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

GENOME = config["genome"]["name"]
GENOME_FA = f"resources/genome/{GENOME}.fa"
CHROM_SIZES = f"resources/genome/{GENOME}.chrom.sizes"
CANONICAL = f"resources/genome/{GENOME}.canonical.txt"
DEMO_SOURCE = "resources/demo_source"


def _download_sources():
    """Map each downloaded resource path (under resources/) to its config source."""
    sources = {f"genome/{GENOME}.fa": config["genome"]["fasta"]}
    if "annotation" in config:
        sources[f"annotation/{GENOME}.gtf"] = config["annotation"]["gtf"]
    if "promoters" in config:
        sources[f"promoters/{GENOME}.tss.bed"] = config["promoters"]["tss"]
        if "tata" in config["promoters"]:
            sources[f"promoters/{GENOME}.tata.txt"] = config["promoters"]["tata"]
    if "blacklist" in config:
        sources[f"blacklist/{GENOME}.bed"] = config["blacklist"]
    return sources


DOWNLOADS = _download_sources()
DOWNLOAD_PATTERN = "|".join(re.escape(path) for path in DOWNLOADS)


def _local_path(url):
    """Local file behind a file: URL or path; relative to the workdir when inside it."""
    kind, path = resolve_url(url)
    if kind != "local":
        return None
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def get_download_source(wildcards):
    """The config source (url + checksums) of resources/{resource}."""
    return DOWNLOADS[wildcards.resource]


def get_local_sources(wildcards):
    """Local files a download reads (so rules that generate them run first, e.g. the demo)."""
    source = DOWNLOADS[wildcards.resource]
    urls = [source["url"], source.get("checksum_url")]
    return [path for path in map(_local_path, filter(None, urls)) if path]


def get_names_check_inputs(wildcards):
    """Downloaded interval files whose chromosome names must agree with the genome's."""
    return [
        f"resources/{path}"
        for path in DOWNLOADS
        if path.startswith(("annotation/", "blacklist/")) or path.endswith(".tss.bed")
    ]


def demo_outputs():
    """Files the demo generator writes (config 'demo' section)."""
    files = ["genome.fa.gz", "annotation.gtf.gz", "epdnew_tss.bed", "epdnew_tata.txt"]
    files += ["blacklist.bed", "metadata.tsv", "MD5SUMS", "truth.json"]
    n_tf = config["demo"]["n_tf_experiments"]
    files += [f"tf/DEMOTF{i:02d}.bed.gz" for i in range(1, n_tf + 1)]
    return [f"{DEMO_SOURCE}/{name}" for name in files]


def dataset_tasks():
    """Configured non-TF tasks (TF tasks come from the checkpoint in tfbs.smk)."""
    return [task for task in config["datasets"]["tasks"] if not task.startswith("tf")]


def is_tf_requested():
    return any(task.startswith("tf") for task in config["datasets"]["tasks"])


def get_tf_targets(wildcards):
    """summary.json of the TF tasks: 'tf' means all selected experiments, tf_X just X.

    Kept apart from get_final_targets: until the selection checkpoint has run, this input
    function stands for the checkpoint alone, while the rest of the DAG stays visible.
    """
    if not is_tf_requested():
        return []
    named = [t for t in config["datasets"]["tasks"] if t.startswith("tf_")]
    if "tf" in config["datasets"]["tasks"]:
        return get_tf_dataset_summaries()
    return [f"results/datasets/{task}/summary.json" for task in named]


def get_final_targets(wildcards):
    """The final targets, stage by stage as configured (the TF tasks come from get_tf_targets)."""
    # Fine-tuning custom tasks from a given model (finetune.init_from) needs no genome at all.
    own_model = bool(config["finetune"]["init_from"])
    targets = []
    if config["datasets"]["tasks"] or not own_model:
        targets += [f"{GENOME_FA}.fai", CHROM_SIZES, CANONICAL]
        if len(DOWNLOADS) > 1:
            targets.append(f"results/qc/{GENOME}.chromosome_names.json")
    targets += expand("results/datasets/{task}/summary.json", task=dataset_tasks())
    targets += expand("results/datasets/{task}/summary.json", task=list(CUSTOM_TASKS))
    if not own_model:
        targets += expand("results/models/dnabert{k}", k=config["tokenize"]["k"])
    return targets


# --- splice task ---


def get_splice_hard_negatives(wildcards):
    """The hard-negative BED named in config, or nothing."""
    path = config["datasets"]["splice"]["hard_negatives"]
    return [path] if path else []


# --- TF tasks (see tfbs.smk for why selection is a checkpoint) ---


TF_TABLE = "results/datasets/tf_experiments.tsv"
TF_INDEX = {
    "ucsc_files.txt": config["tf"]["ucsc_files_url"],
    "ucsc_md5sum.txt": config["tf"]["ucsc_md5_url"],
    "encode_metadata.tsv": config["tf"]["metadata"],
}


def _is_remote(url):
    return bool(url) and urlparse(url).scheme in ("http", "https", "ftp")


def _local(url):
    return urlparse(url).path if url.startswith("file:") else url


def get_tf_selection_inputs(wildcards):
    """What select_tf_experiments reads: the metadata, the UCSC lists, or nothing (local)."""
    tf = config["tf"]
    if tf["source"] == "encode":
        url = tf["metadata"]
        if not url:
            raise WorkflowError("tf.source is 'encode' but tf.metadata is not set")
        return {
            "metadata": (
                "resources/peaks/encode_metadata.tsv"
                if _is_remote(url)
                else _local(url)
            )
        }
    if tf["source"] == "ucsc_uniform":
        inputs = {"files": "resources/peaks/ucsc_files.txt"}
        if tf["ucsc_md5_url"]:
            inputs["md5"] = "resources/peaks/ucsc_md5sum.txt"
        return inputs
    return {}


@functools.cache
def _read_tf_table(path, mtime):
    return read_experiment_table(path)


def get_tf_experiments():
    """{experiment: record} chosen by the checkpoint (read once per version of the table)."""
    table = checkpoints.select_tf_experiments.get().output.table
    return _read_tf_table(table, os.path.getmtime(table))


def get_tf_tasks():
    """Task names tf_{experiment} of every selected experiment (checkpoint-aware)."""
    return [f"tf_{experiment}" for experiment in get_tf_experiments()]


def get_tf_dataset_summaries(wildcards=None):
    """summary.json of every TF task: use as an input function of aggregating rules."""
    return [f"results/datasets/{task}/summary.json" for task in get_tf_tasks()]


def get_tf_index_source(wildcards):
    """Download source of a selection list (tf.metadata URL or the UCSC lists)."""
    return {"url": TF_INDEX[wildcards.index]}


def get_tf_blacklist(wildcards):
    return [f"resources/blacklist/{GENOME}.bed"] if "blacklist" in config else []


# --- pretraining ---


def get_corpus_dir(wildcards, input):
    """The corpus directory results/pretrain/k{k}, derived from the rule's input."""
    return os.path.dirname(input.train_bin)


# --- fine-tuning, custom tasks and the metrics table ---

from dnabert.datasets.custom import check_custom_task_names

try:
    check_custom_task_names(config)
except ValueError as exc:
    raise WorkflowError(str(exc)) from None

CUSTOM_TASKS = config["custom_tasks"]
# Matches only the configured custom task names ("(?!)" never matches: no custom tasks).
CUSTOM_TASK_PATTERN = "|".join(re.escape(name) for name in CUSTOM_TASKS) or "(?!)"
FINETUNE_RUN = "results/finetune/{task}/dnabert{k}/seed{seed}"


def get_custom_task_files(wildcards):
    """The user's train/dev/test files of custom task {task}."""
    spec = CUSTOM_TASKS[wildcards.task]
    return {split: spec[split] for split in ("train", "dev", "test")}


def get_custom_task_spec(wildcards):
    return CUSTOM_TASKS[wildcards.task]


def _is_tf_task(task):
    return task == "tf" or task.startswith("tf_")


def get_finetune_tasks(with_tf=False):
    """Tasks to fine-tune on: finetune.tasks, or every configured task plus the custom ones.

    With with_tf, 'tf' expands to every selected TF experiment (checkpoint-dependent).
    """
    requested = config["finetune"]["tasks"]
    if requested is None:
        requested = [*config["datasets"]["tasks"], *CUSTOM_TASKS]
    tasks = [task for task in requested if not _is_tf_task(task)]
    if with_tf:
        if "tf" in requested:
            tasks += get_tf_tasks()
        tasks += [t for t in requested if t.startswith("tf_") and t not in tasks]
    return tasks


def _finetune_metrics(tasks):
    return expand(
        f"{FINETUNE_RUN}/metrics.json",
        task=tasks,
        k=config["tokenize"]["k"],
        seed=config["seeds"],
    )


def get_finetune_targets(wildcards):
    """metrics.json of every non-TF fine-tuning run (TF runs: see get_finetune_metrics)."""
    return _finetune_metrics(get_finetune_tasks())


def get_finetune_metrics(wildcards):
    """metrics.json of every fine-tuning run, TF tasks included (checkpoint-aware)."""
    return _finetune_metrics(get_finetune_tasks(with_tf=True))


def get_all_metrics(wildcards):
    """Every metrics.json the metrics table collects: fine-tuning plus baselines."""
    # get_baseline_metrics comes with the baselines stage; without it there are no baseline runs.
    baseline_metrics = globals().get("get_baseline_metrics", lambda wildcards: [])
    return get_finetune_metrics(wildcards) + baseline_metrics(wildcards)


def get_pretrained_model(wildcards):
    """The model fine-tuning starts from: finetune.init_from, else results/models/dnabert{k}."""
    return config["finetune"]["init_from"] or f"results/models/dnabert{wildcards.k}"

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
    targets = [f"{GENOME_FA}.fai", CHROM_SIZES, CANONICAL]
    if len(DOWNLOADS) > 1:
        targets.append(f"results/qc/{GENOME}.chromosome_names.json")
    targets += expand("results/datasets/{task}/summary.json", task=dataset_tasks())
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


# --- report ---


FIGURE_NAMES = [
    "prom300_bars",
    "promcore_curves",
    "promscan_bars",
    "tf_violins",
    "splice_bars",
    "pretrain_curves",
]
VIZ_DIR = "results/viz/{task}/dnabert{k}/seed{seed}"


def get_pretrained_models(wildcards):
    """Pretrained model dirs (their train/eval logs feed the pretraining figure)."""
    return expand("results/models/dnabert{k}", k=config["tokenize"]["k"])


def get_results_dir(wildcards, input):
    """The results/ directory, derived from results/report/metrics.tsv."""
    return os.path.dirname(os.path.dirname(input.metrics))


def get_finetuned_model_dir(wildcards):
    """The fine-tuned classifier beside a run's metrics.json (output contract)."""
    return f"results/finetune/{wildcards.task}/dnabert{wildcards.k}/seed{wildcards.seed}/model"


def is_report_enabled():
    """The report reads the fine-tuning stage's metrics table: only with that stage present."""
    try:
        getattr(rules, "collect_metrics")
    except (AttributeError, WorkflowError):
        return False
    return True


def _viz_tasks(with_tf):
    tasks = [t for t in config["report"]["viz_tasks"] if not t.startswith("tf")]
    tasks = [t for t in tasks if t in config["datasets"]["tasks"]]
    if with_tf and is_tf_requested():
        tf = config["report"]["viz_tasks"]
        if "tf" in tf:
            tasks += get_tf_tasks()
        else:
            tasks += [t for t in tf if t.startswith("tf_")]
    return tasks


def _viz_files(tasks, names):
    return expand(
        f"{VIZ_DIR}/{{name}}",
        task=tasks,
        k=config["tokenize"]["k"],
        seed=config["seeds"],
        name=names,
    )


def get_viz_provenance(wildcards):
    """viz.json and ism.json of every viz run, TF tasks included (checkpoint-aware)."""
    if not is_report_enabled():
        return []
    return _viz_files(_viz_tasks(with_tf=True), ["viz.json", "ism.json"])


def get_report_targets(wildcards):
    """Figures, the provenance table and the viz outputs of the non-TF viz tasks."""
    if not is_report_enabled():
        return []
    targets = expand("results/report/figures/{name}.png", name=FIGURE_NAMES)
    targets.append("results/report/provenance.html")
    targets += _viz_files(
        _viz_tasks(with_tf=False), ["motif_logos.png", "ism_heatmap.png"]
    )
    return targets

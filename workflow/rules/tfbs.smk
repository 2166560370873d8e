# TF-binding tasks: one per selected ChIP-seq peak file, tf_{experiment}.
#
# Which experiments exist is decided by the checkpoint select_tf_experiments, which reads the
# source named by config tf.source (an ENCODE portal metadata.tsv, UCSC's uniform TFBS
# files.txt, or local narrowPeak paths) and writes results/datasets/tf_experiments.tsv. A
# checkpoint, not a parse-time read, because the metadata may itself be a product of the
# workflow (the demo generates resources/demo_source/metadata.tsv). Once the table exists and is
# up to date, get_tf_experiments() reads it once per (path, mtime) (functools.cache), so a dry
# run over all 690 paper experiments builds the DAG in seconds.
import functools
import os
from urllib.parse import urlparse

from dnabert.datasets.encode import read_experiment_table

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


rule download_tf_index:
    output:
        "resources/peaks/{index}",
    log:
        "logs/download/peaks_{index}.log",
    wildcard_constraints:
        index="ucsc_files.txt|ucsc_md5sum.txt|encode_metadata.tsv",
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        source=get_tf_index_source,
    script:
        "../scripts/download.py"


checkpoint select_tf_experiments:
    input:
        unpack(get_tf_selection_inputs),
    output:
        table=TF_TABLE,
    log:
        "logs/datasets/select_tf_experiments.log",
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tf=config["tf"],
    script:
        "../scripts/select_tf_experiments.py"


rule download_peaks:
    input:
        table=TF_TABLE,
    output:
        "resources/peaks/{experiment}.narrowPeak.gz",
    log:
        "logs/download/peaks_{experiment}.log",
    wildcard_constraints:
        experiment="[A-Za-z0-9_.-]+",
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    script:
        "../scripts/download_peaks.py"


rule build_tf_dataset:
    input:
        peaks="resources/peaks/{experiment}.narrowPeak.gz",
        table=TF_TABLE,
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        canonical=CANONICAL,
        blacklist=get_tf_blacklist,
    output:
        train="results/datasets/tf_{experiment}/train.tsv",
        dev="results/datasets/tf_{experiment}/dev.tsv",
        test="results/datasets/tf_{experiment}/test.tsv",
        summary="results/datasets/tf_{experiment}/summary.json",
    log:
        "logs/datasets/tf_{experiment}.log",
    benchmark:
        "benchmarks/datasets/tf_{experiment}.tsv"
    wildcard_constraints:
        experiment="[A-Za-z0-9_.-]+",
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        tf=config["datasets"]["tf"],
        seed=config["datasets"]["seed"],
    script:
        "../scripts/build_tf_dataset.py"

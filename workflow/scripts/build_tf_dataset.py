"""Snakemake adapter: build results/datasets/tf_{experiment} (dnabert.datasets.splicetf_tasks)."""

from pathlib import Path

from dnabert.datasets.encode import read_experiment_table
from dnabert.datasets.splicetf_tasks import run_tf_task
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
record = read_experiment_table(snakemake.input.table)[snakemake.wildcards.experiment]
blacklist = snakemake.input.blacklist
run_tf_task(
    snakemake.input.peaks,
    snakemake.input.fasta,
    Path(snakemake.output.summary).parent,
    experiment=record,
    canonical_txt=snakemake.input.canonical,
    blacklist_bed=blacklist[0] if blacklist else None,
    tf_cfg=snakemake.params.tf,
    split_cfg=snakemake.params.split,
    config=snakemake.config,  # provenance only: recorded in summary.json
    seed=snakemake.params.seed,
)

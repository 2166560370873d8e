"""Snakemake adapter for rules build_splice_dataset, build_splice_rc_dataset and
build_splice_round_dataset: one splice dataset, with the hard negatives of its input when given
(dnabert.datasets.splicetf_tasks.run_splice_task)."""

from pathlib import Path

from dnabert.datasets.splicetf_tasks import run_splice_task
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
hard_negatives = snakemake.input.hard_negatives  # a list: none or one BED
run_splice_task(
    snakemake.input.fasta,
    snakemake.input.gtf,
    Path(snakemake.output.summary).parent,
    canonical_txt=snakemake.input.canonical,
    splice_cfg={**snakemake.params.splice, "hard_negatives": next(iter(hard_negatives), None)},
    split_cfg=snakemake.params.split,
    config=snakemake.config,  # provenance only: recorded in summary.json
    seed=snakemake.params.seed,
    task=snakemake.params.task,
)

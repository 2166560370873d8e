"""Snakemake adapter: build one prom300/promcore task (dnabert.datasets.promoters)."""

from pathlib import Path

from dnabert.datasets.promoters import build_promoter_task
from dnabert.genome import read_canonical
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
sm = snakemake
canonical = read_canonical(sm.input.canonical)
build_promoter_task(
    sm.wildcards.task,
    sm.input.fasta,
    sm.input.tss,
    sm.input.tata,
    Path(sm.output.summary).parent,
    seed=sm.params.seed,
    split_cfg=sm.params.split,
    params=sm.params.promoters,
    canonical=canonical,
    config=sm.config,
)

"""Snakemake adapter: build the promscan task (dnabert.datasets.promscan)."""

from pathlib import Path

from dnabert.datasets.promscan import build_promscan_task
from dnabert.genome import read_canonical
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
sm = snakemake
canonical = read_canonical(sm.input.canonical)
build_promscan_task(
    sm.input.fasta,
    sm.input.tss,
    Path(sm.output.summary).parent,
    seed=sm.params.seed,
    split_cfg=sm.params.split,
    params=sm.params.promscan,
    canonical=canonical,
    config=sm.config,
)

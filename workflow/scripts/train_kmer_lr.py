"""Snakemake adapter: the k-mer yardstick on one task (dnabert.baselines.kmer_lr)."""

import logging
from pathlib import Path

from dnabert.baselines.kmer_lr import run_kmer_lr
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
run_kmer_lr(
    Path(snakemake.input.train).parent,
    Path(snakemake.output.metrics).parent,
    seed=int(snakemake.wildcards.seed),
    params=dict(snakemake.params.train),
    config=snakemake.config,
    task=snakemake.params.task,
    threads=snakemake.threads,
)

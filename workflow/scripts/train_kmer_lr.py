"""Snakemake adapter: the k-mer yardstick on one task (dnabert.baselines.kmer_lr)."""

from pathlib import Path

from dnabert.baselines.kmer_lr import run_kmer_lr
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
run_kmer_lr(
    Path(snakemake.input.train).parent,
    Path(snakemake.output.metrics).parent,
    seed=int(snakemake.wildcards.seed),
    params=dict(snakemake.params.train),
    config=snakemake.config,
    task=snakemake.params.task,
    threads=snakemake.threads,
)

"""Snakemake adapter: train one baseline on one task (dnabert.baselines.train_baseline)."""

from pathlib import Path

import torch

from dnabert.baselines.train_baseline import run_baseline
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
torch.set_num_threads(snakemake.threads)
wildcards = dict(snakemake.wildcards.items())
run_baseline(
    Path(snakemake.input.train).parent,
    wildcards.get("baseline", "splicefinder"),
    Path(snakemake.output.metrics).parent,
    seed=int(wildcards["seed"]) if "seed" in wildcards else snakemake.params.seed,
    params=dict(snakemake.params.train),
    config=snakemake.config,
    task=snakemake.params.task,
)

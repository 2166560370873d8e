"""Snakemake adapter: train one baseline on one task (dnabert.baselines.train_baseline)."""

import logging
from pathlib import Path

import torch

from dnabert.baselines.train_baseline import run_baseline
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
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

"""Snakemake adapter: one SpliceFinder reconstruction scan (dnabert.baselines.reconstruct)."""

import logging
from pathlib import Path

import torch

from dnabert.baselines.reconstruct import run_scan_round
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
torch.set_num_threads(snakemake.threads)
previous = snakemake.input.previous
run_scan_round(
    Path(snakemake.input.model).parent,
    snakemake.input.fasta,
    snakemake.input.gtf,
    snakemake.output.bed,
    previous=previous[0] if previous else None,
    splice_cfg=snakemake.params.splice,
    recon_cfg=snakemake.params.reconstruction,
    canonical_txt=snakemake.input.canonical,
)

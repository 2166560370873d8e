"""Snakemake adapter: one SpliceFinder reconstruction scan (dnabert.baselines.reconstruct)."""

from pathlib import Path

import torch

from dnabert.baselines.reconstruct import run_scan_round
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
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

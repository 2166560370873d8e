"""Snakemake adapter: fine-tune DNABERT-k on one task and seed (dnabert.finetune.finetune), or
its from-scratch control (params.from_scratch)."""

from pathlib import Path

import torch

from dnabert.finetune import finetune
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
torch.set_num_threads(snakemake.threads)
finetune(
    Path(snakemake.input.train).parent,
    snakemake.input.pretrained,
    Path(snakemake.output.metrics).parent,
    task=snakemake.wildcards.task,
    k=int(snakemake.wildcards.k),
    seed=int(snakemake.wildcards.seed),
    ft_cfg=dict(snakemake.params.finetune),
    config=snakemake.config,
    max_length=snakemake.params.max_length,
    from_scratch=bool(snakemake.params.from_scratch),
)

"""Snakemake adapter: fine-tune another DNA language model (config finetune.models) on one task
and seed (dnabert.finetune.finetune_hf_model)."""

from pathlib import Path

import torch

from dnabert.finetune import finetune_hf_model
from dnabert.hfmodels import HFModelSpec, quiet_third_party
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
quiet_third_party()
torch.set_num_threads(snakemake.threads)
spec = dict(snakemake.params.model)
finetune_hf_model(
    Path(snakemake.input.train).parent,
    HFModelSpec.from_config(spec.pop("name"), spec),
    Path(snakemake.output.metrics).parent,
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    ft_cfg=dict(snakemake.params.finetune),
    config=snakemake.config,
)

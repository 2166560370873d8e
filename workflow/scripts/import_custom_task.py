"""Snakemake adapter: import a user's task into results/datasets/{task} (dnabert.datasets.custom)."""

from pathlib import Path

from dnabert.datasets.custom import import_custom_task
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
import_custom_task(
    snakemake.wildcards.task,
    dict(snakemake.params.spec),
    Path(snakemake.output.summary).parent,
    config=snakemake.config,
)

"""Snakemake adapter: import a user's task into results/datasets/{task} (dnabert.datasets.custom)."""

import logging
from pathlib import Path

from dnabert.datasets.custom import import_custom_task
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
import_custom_task(
    snakemake.wildcards.task,
    dict(snakemake.params.spec),
    Path(snakemake.output.summary).parent,
    config=snakemake.config,
)

"""Snakemake adapter: the GUE table and the Wilcoxon tests per task group (dnabert.task_groups)."""

import logging

from dnabert.joblog import setup_job_log
from dnabert.task_groups import write_group_tables

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
gue, wilcoxon = write_group_tables(
    snakemake.input.metrics,
    dict(snakemake.params.groups),
    snakemake.output.gue,
    snakemake.output.wilcoxon,
)
logging.info("GUE table: %d rows; Wilcoxon tests: %d rows", len(gue), len(wilcoxon))

"""Snakemake adapter: the GUE table and the Wilcoxon tests per task group (dnabert.task_groups)."""

import logging

from dnabert.joblog import record_failures
from dnabert.task_groups import write_group_tables

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
gue, wilcoxon = write_group_tables(
    snakemake.input.metrics,
    dict(snakemake.params.groups),
    snakemake.output.gue,
    snakemake.output.wilcoxon,
)
logging.info("GUE table: %d rows; Wilcoxon tests: %d rows", len(gue), len(wilcoxon))

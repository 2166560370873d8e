"""Snakemake adapter: the metrics table over all runs (dnabert.metrics_table)."""

import logging

from dnabert.joblog import record_failures
from dnabert.metrics_table import write_metrics_tables
from dnabert.task_groups import task_groups

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
df = write_metrics_tables(
    list(snakemake.input),
    snakemake.output.table,
    snakemake.output.summary,
    snakemake.output.wilcoxon,
    wilcoxon_metrics=snakemake.params.wilcoxon_metrics,
    # users' tasks that declare family tf (custom_tasks, GUE's TF sets) join the TF test
    tf_tasks=[t for t, g in task_groups(snakemake.config).items() if g["family"] == "tf"],
)
logging.info("collected %d runs", len(df))

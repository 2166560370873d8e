"""Snakemake adapter: the metrics table over all runs (dnabert.metrics_table)."""

import logging

from dnabert.joblog import setup_job_log
from dnabert.metrics_table import write_metrics_tables

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
df = write_metrics_tables(
    list(snakemake.input),
    snakemake.output.table,
    snakemake.output.summary,
    snakemake.output.wilcoxon,
    wilcoxon_metrics=snakemake.params.wilcoxon_metrics,
    # users' tasks that declare family tf (custom_tasks, GUE's TF sets) join the TF test
    tf_tasks=[t for t, g in snakemake.params.groups.items() if g["family"] == "tf"],
)
logging.info("collected %d runs", len(df))

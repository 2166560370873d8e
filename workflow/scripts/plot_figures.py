"""Snakemake adapter for rule plot_figures: calls dnabert.figures.plot_figures."""

from pathlib import Path

from dnabert.figures import plot_figures
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
plot_figures(
    snakemake.params.results,
    Path(snakemake.output.table).parent,
    config=snakemake.config,  # provenance, and the users' tasks' groups (params.groups)
    dpi=snakemake.params.dpi,
    metrics_path=snakemake.input.metrics,
)

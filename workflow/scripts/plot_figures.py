"""Snakemake adapter for rule plot_figures: calls dnabert.figures.plot_figures."""

import logging
from pathlib import Path

from dnabert.figures import plot_figures
from dnabert.joblog import record_failures

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
record_failures()  # the traceback also ends the rule log
plot_figures(
    snakemake.params.results,
    Path(snakemake.output.table).parent,
    config=snakemake.config,
    dpi=snakemake.params.dpi,
    metrics_path=snakemake.input.metrics,
)

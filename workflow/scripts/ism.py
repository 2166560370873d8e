"""Snakemake adapter for rule ism: calls dnabert.viz.run_ism."""

import logging
from pathlib import Path

from dnabert.joblog import record_failures
from dnabert.viz import run_ism

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
record_failures()  # the traceback also ends the rule log
report = snakemake.params.report
run_ism(
    snakemake.input.model_dir,
    snakemake.input.test,
    Path(snakemake.output.tsv).parent,
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    config=snakemake.config,
    sequences=report["ism"]["sequences"],
    max_sequences=report["ism"]["max_sequences"],
    dpi=report["dpi"],
)

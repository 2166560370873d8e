"""Snakemake adapter for rule ism: calls dnabert.viz.run_ism."""

from pathlib import Path

from dnabert.joblog import setup_job_log
from dnabert.viz import run_ism

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
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

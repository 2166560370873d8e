"""Snakemake adapter: TSS calls of a promscan run (DNABERT or PromID) (dnabert.baselines.scan)."""

from dnabert.baselines.scan import score_tss
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
promid = snakemake.params.promid
score_tss(
    snakemake.input.predictions,
    snakemake.input.tss,
    snakemake.output.json,
    threshold=promid["tss_threshold"],
    tolerance=promid["tss_tolerance"],
    step=snakemake.params.step,  # the promscan dataset's window step
    config=snakemake.config,
    seed=int(snakemake.wildcards.seed),
)

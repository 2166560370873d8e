"""Snakemake adapter: TSS calls of a promscan run (DNABERT or PromID) (dnabert.baselines.scan)."""

import logging

from dnabert.baselines.scan import score_tss
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
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

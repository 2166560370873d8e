"""Snakemake adapter: TSS calls of a promscan run (DNABERT or PromID) (dnabert.baselines.scan)."""

import logging

from dnabert.baselines.scan import score_tss

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
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

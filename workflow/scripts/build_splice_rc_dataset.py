"""Snakemake adapter: rebuild the splice task with hard negatives (a reconstruction round or the
final task splice_rc) through the splice builder's hook (dnabert.datasets.splicetf_tasks)."""

import logging
from pathlib import Path

from dnabert.datasets.splicetf_tasks import run_splice_task
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
splice_cfg = dict(snakemake.params.splice)
splice_cfg["hard_negatives"] = snakemake.input.hard_negatives
run_splice_task(
    snakemake.input.fasta,
    snakemake.input.gtf,
    Path(snakemake.output.summary).parent,
    canonical_txt=snakemake.input.canonical,
    splice_cfg=splice_cfg,
    split_cfg=snakemake.params.split,
    config=snakemake.config,  # provenance only: recorded in summary.json
    seed=snakemake.params.seed,
    task=snakemake.params.task,
)

"""Snakemake adapter: build the promscan task (dnabert.datasets.promscan)."""

import logging
from pathlib import Path

from dnabert.datasets.promscan import build_promscan_task
from dnabert.genome import read_canonical
from dnabert.joblog import record_failures

logging.basicConfig(
    filename=snakemake.log[0],  # noqa: F821
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
record_failures()  # the traceback also ends the rule log
sm = snakemake  # noqa: F821
canonical = read_canonical(sm.input.canonical)
build_promscan_task(
    sm.input.fasta,
    sm.input.tss,
    Path(sm.output.summary).parent,
    seed=sm.params.seed,
    split_cfg=sm.params.split,
    params=sm.params.promscan,
    canonical=canonical,
    config=sm.config,
)

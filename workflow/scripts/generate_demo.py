"""Snakemake adapter: write the offline demo source data (see dnabert.demo.generate_demo)."""

import logging
from pathlib import Path

from dnabert.demo import generate_demo
from dnabert.joblog import record_failures

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
record_failures()  # the traceback also ends the rule log
# The outputs are the generator's files; the first one (genome.fa.gz) sits directly in its outdir.
generate_demo(Path(snakemake.output[0]).parent, **dict(snakemake.params.demo))

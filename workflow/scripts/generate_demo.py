"""Snakemake adapter: write the offline demo source data (see dnabert.demo.generate_demo)."""

from pathlib import Path

from dnabert.demo import generate_demo
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
# The outputs are the generator's files; the first one (genome.fa.gz) sits directly in its outdir.
generate_demo(Path(snakemake.output[0]).parent, **dict(snakemake.params.demo))

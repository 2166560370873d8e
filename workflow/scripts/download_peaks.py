"""Snakemake adapter: fetch one experiment's narrowPeak file, md5-verified (dnabert.download)."""

import logging

from dnabert.datasets.encode import read_experiment_table
from dnabert.download import fetch
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
record = read_experiment_table(snakemake.input.table)[snakemake.wildcards.experiment]
logging.info("%s <- %s (md5 %s)", snakemake.output[0], record["url"], record["md5"] or "none")
# gunzip=False: stored as served; the narrowPeak reader accepts gzip or plain bytes.
fetch(record["url"], snakemake.output[0], md5=record["md5"] or None, sha256=None, gunzip=False)

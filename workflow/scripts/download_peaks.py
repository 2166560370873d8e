"""Snakemake adapter: fetch one experiment's narrowPeak file, md5-verified (dnabert.download).

The copy is also read to its end (gzip to its end marker, every narrowPeak line parsed) before
it becomes the output, so a truncated or malformed file fails here and leaves nothing in
resources/, with or without a checksum (tf.source: local files often have none).
"""

import logging

from dnabert.datasets.encode import read_experiment_table
from dnabert.datasets.tfbs import read_narrowpeak
from dnabert.download import fetch
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
record = read_experiment_table(snakemake.input.table)[snakemake.wildcards.experiment]
logging.info("%s <- %s (md5 %s)", snakemake.output[0], record["url"], record["md5"] or "none")
# gunzip=False: stored as served; the narrowPeak reader accepts gzip or plain bytes.
fetch(
    record["url"],
    snakemake.output[0],
    md5=record["md5"] or None,
    sha256=None,
    gunzip=False,
    validate=read_narrowpeak,
)

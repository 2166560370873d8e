"""Snakemake adapter: verified, atomic download of one resource (see dnabert.download.fetch)."""

import logging

from dnabert.download import fetch
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
source = snakemake.params.source
fetch(
    source["url"],
    snakemake.output[0],
    md5=source.get("md5"),
    sha256=source.get("sha256"),
    checksum_url=source.get("checksum_url"),
)

"""Snakemake adapter: verified, atomic download of one resource (see dnabert.download.fetch)."""

import logging

from dnabert.download import fetch

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
source = snakemake.params.source
fetch(
    source["url"],
    snakemake.output[0],
    md5=source.get("md5"),
    sha256=source.get("sha256"),
    checksum_url=source.get("checksum_url"),
)

"""Snakemake adapter: verified, atomic download of one resource (see dnabert.download.fetch)."""

from dnabert.download import fetch
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
source = snakemake.params.source
fetch(
    source["url"],
    snakemake.output[0],
    md5=source.get("md5"),
    sha256=source.get("sha256"),
    checksum_url=source.get("checksum_url"),
)

"""Snakemake adapter: write the TF experiment table and the skipped-rows table
(see dnabert.datasets.encode)."""

import logging

from dnabert.datasets.splicetf_tasks import run_select_tf_experiments
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
tf_cfg = dict(snakemake.params.tf)
if hasattr(snakemake.input, "metadata"):
    tf_cfg["metadata"] = snakemake.input.metadata
records = run_select_tf_experiments(
    tf_cfg,
    snakemake.output.table,
    skipped_tsv=snakemake.output.skipped,
    summary_json=snakemake.output.summary,
    ucsc_files=snakemake.input.get("files"),
    ucsc_md5=snakemake.input.get("md5"),
    source_urls=snakemake.params.source_urls,
)
logging.info("%d TF peak files selected", len(records))

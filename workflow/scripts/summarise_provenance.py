"""Snakemake adapter for rule summarise_provenance: calls dnabert.figures.write_provenance_html."""

from dnabert.figures import write_provenance_html
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
write_provenance_html(
    [*snakemake.input.figures, *snakemake.input.viz, *snakemake.input.variants],
    snakemake.output[0],
)

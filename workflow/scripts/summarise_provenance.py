"""Snakemake adapter for rule summarise_provenance: calls dnabert.figures.write_provenance_html."""

import logging

from dnabert.figures import write_provenance_html
from dnabert.joblog import record_failures

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
record_failures()  # the traceback also ends the rule log
write_provenance_html(
    [*snakemake.input.figures, *snakemake.input.viz, *snakemake.input.variants],
    snakemake.output[0],
)

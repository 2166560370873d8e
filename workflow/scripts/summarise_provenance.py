"""Snakemake adapter for rule summarise_provenance: calls dnabert.figures.write_provenance_html."""

import logging

from dnabert.figures import write_provenance_html

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
write_provenance_html([*snakemake.input.figures, *snakemake.input.viz], snakemake.output[0])

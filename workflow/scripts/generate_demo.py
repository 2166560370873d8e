"""Snakemake adapter: write the offline demo source data (see dnabert.demo.generate_demo)."""

import logging

from dnabert.demo import generate_demo

snakemake = globals()["snakemake"]  # injected by Snakemake's script: directive

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
generate_demo(snakemake.output.dir, **dict(snakemake.params.demo))

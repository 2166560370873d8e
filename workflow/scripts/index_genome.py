"""Snakemake adapter: faidx + chrom.sizes + canonical list (see dnabert.genome.index_genome)."""

import logging

from dnabert.genome import index_genome
from dnabert.joblog import record_failures

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
record_failures()  # the traceback also ends the rule log
canonical = index_genome(
    snakemake.input.fasta,
    snakemake.output.sizes,
    snakemake.output.canonical,
    canonical_pattern=snakemake.params.canonical_pattern,
    chromosomes=snakemake.params.chromosomes,
)
logging.info("%d canonical chromosomes: %s", len(canonical), " ".join(canonical))

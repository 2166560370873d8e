"""Snakemake adapter: faidx + chrom.sizes + canonical list (see dnabert.genome.index_genome)."""

import logging

from dnabert.genome import index_genome

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")  # noqa: F821
canonical = index_genome(
    snakemake.input.fasta,  # noqa: F821
    snakemake.output.sizes,  # noqa: F821
    snakemake.output.canonical,  # noqa: F821
    canonical_pattern=snakemake.params.canonical_pattern,  # noqa: F821
    chromosomes=snakemake.params.chromosomes,  # noqa: F821
)
logging.info("%d canonical chromosomes: %s", len(canonical), " ".join(canonical))

"""Snakemake adapter: faidx + chrom.sizes + canonical list (see dnabert.genome.index_genome)."""

import logging

from dnabert.genome import index_genome
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
canonical = index_genome(
    snakemake.input.fasta,
    snakemake.output.sizes,
    snakemake.output.canonical,
    canonical_pattern=snakemake.params.canonical_pattern,
    chromosomes=snakemake.params.chromosomes,
)
logging.info("%d canonical chromosomes: %s", len(canonical), " ".join(canonical))

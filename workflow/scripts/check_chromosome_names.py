"""Snakemake adapter: check that every input names chromosomes as the genome does."""

import logging

from dnabert.datasets.promoter_io import read_tss_chrom_names
from dnabert.genome import (
    check_chromosome_names,
    read_chrom_names,
    read_chrom_sizes,
)
from dnabert.joblog import setup_job_log
from dnabert.provenance import provenance, write_json

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
# The TSS list is read as the promoter builders read it (EPDnew BED, SGA, TSV); others by column 1.
inputs = {
    path: read_tss_chrom_names(path) if path.endswith(".tss.bed") else read_chrom_names(path)
    for path in snakemake.input.others
}
report = check_chromosome_names(read_chrom_sizes(snakemake.input.sizes), inputs)
for source, entry in report.items():
    logging.info("%s: %d of %d names in the genome", source, entry["n_in_genome"], entry["n_names"])
write_json(snakemake.output[0], {"inputs": report, **provenance()})

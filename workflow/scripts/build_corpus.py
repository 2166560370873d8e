"""Snakemake adapter for rule build_pretrain_corpus: calls dnabert.corpus.build_corpus."""

from pathlib import Path

from dnabert.corpus import build_corpus
from dnabert.genome import read_canonical
from dnabert.joblog import setup_job_log

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
corpus = dict(snakemake.params.corpus)
# pretrain.corpus.chromosomes (the paper: chr1..chr22), else the genome's canonical chromosomes
chromosomes = corpus.pop("chromosomes") or read_canonical(snakemake.input.canonical)
build_corpus(
    snakemake.input.fasta,
    Path(snakemake.output.summary).parent,
    int(snakemake.wildcards.k),
    chromosomes=chromosomes,
    config=snakemake.config,
    progress=False,
    **corpus,
)

"""Snakemake adapter for rule build_pretrain_corpus: calls dnabert.corpus.build_corpus."""

import logging
from pathlib import Path

from dnabert.corpus import build_corpus

snakemake = globals()["snakemake"]  # injected by Snakemake's script directive

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
corpus = dict(snakemake.params.corpus)
chromosomes = corpus.pop("chromosomes") or snakemake.params.genome_chromosomes or None
try:
    build_corpus(
        snakemake.input.fasta,
        Path(snakemake.output.summary).parent,
        int(snakemake.wildcards.k),
        chromosomes=chromosomes,
        canonical_pattern=snakemake.params.canonical_pattern,
        config=snakemake.config,
        progress=False,
        **corpus,
    )
except Exception:
    logging.getLogger("dnabert").exception("build_pretrain_corpus failed")
    raise

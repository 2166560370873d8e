"""Snakemake adapter for rule score_variants: calls dnabert.variants.score_variants."""

from pathlib import Path

from dnabert.joblog import setup_job_log
from dnabert.variants import score_variants

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
v = snakemake.params.variants
score_variants(
    snakemake.input.vcf,
    snakemake.input.fasta,
    Path(snakemake.output.summary).parent,
    model_dir=snakemake.input.model_dir,
    window=v["window"],
    task_split=snakemake.input.test,
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    config=snakemake.config,
    info_fields=v["info_fields"],
    group_by=v["group_by"],
    max_ref_len=v["max_ref_len"],
    max_alt_len=v["max_alt_len"],
    target_class=v["target_class"],
    batch_size=v["batch_size"],
    device=v["device"],
    top_n=v["top_n"],
    dpi=snakemake.params.dpi,
)

"""Snakemake adapter for rule viz_attention_motifs: calls dnabert.viz.run_viz."""

from pathlib import Path

from dnabert.joblog import setup_job_log
from dnabert.viz import run_viz

setup_job_log(snakemake.log[0])  # log lines, and a failure's traceback, in the rule log
report = snakemake.params.report
run_viz(
    snakemake.input.model_dir,
    list(snakemake.input.splits),
    Path(snakemake.output.npz).parent,
    task=snakemake.wildcards.task,
    seed=int(snakemake.wildcards.seed),
    config=snakemake.config,
    max_sequences=report["viz_max_sequences"],
    n_heatmap_sequences=report["n_heatmap_sequences"],
    motif=report["motif"],
    attention=report["attention"],
    dpi=report["dpi"],
)

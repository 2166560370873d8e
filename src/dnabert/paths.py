"""The layout of ``resources/`` and ``results/``: the one place that spells a path.

Every function returns a path string. Called without arguments it returns the Snakemake
pattern, its parameters as ``{wildcards}`` (``finetune_run()`` is
``results/finetune/{task}/dnabert{k}/seed{seed}``); called with values it returns one path
(``finetune_run("splice", "dnabert6", 42)``). ``results`` moves a product path under another
results directory (the figures read a results tree wherever it is). The layout is the output
contract of DESIGN.md / README.md; a change here is a change of that contract.
"""

from __future__ import annotations

import os

RESOURCES = "resources"
RESULTS = "results"
Root = str | os.PathLike


# --- resources/: downloads and generated inputs ---


def genome_fasta(genome: str = "{genome}") -> str:
    """The reference FASTA (``.fai`` beside it)."""
    return f"{RESOURCES}/genome/{genome}.fa"


def chrom_sizes(genome: str = "{genome}") -> str:
    return f"{RESOURCES}/genome/{genome}.chrom.sizes"


def canonical_chromosomes(genome: str = "{genome}") -> str:
    """The canonical chromosome names, one per line."""
    return f"{RESOURCES}/genome/{genome}.canonical.txt"


def annotation_gtf(genome: str = "{genome}") -> str:
    return f"{RESOURCES}/annotation/{genome}.gtf"


def tss_bed(genome: str = "{genome}") -> str:
    """EPDnew TSSs."""
    return f"{RESOURCES}/promoters/{genome}.tss.bed"


def tata_table(genome: str = "{genome}") -> str:
    return f"{RESOURCES}/promoters/{genome}.tata.txt"


def blacklist_bed(genome: str = "{genome}") -> str:
    return f"{RESOURCES}/blacklist/{genome}.bed"


def variants_vcf(genome: str = "{genome}", compressed: bool = False) -> str:
    """The VCF; a gzip/bgzip download keeps its compression (``.vcf.gz``)."""
    return f"{RESOURCES}/variants/{genome}.vcf" + (".gz" if compressed else "")


def peak_file(experiment: str = "{experiment}") -> str:
    """One TF experiment's peaks."""
    return f"{RESOURCES}/peaks/{experiment}.narrowPeak.gz"


def tf_index(index: str = "{index}") -> str:
    """A downloaded TF selection list (ENCODE metadata, UCSC files/md5 lists)."""
    return f"{RESOURCES}/peaks/{index}"


DEMO_SOURCE = f"{RESOURCES}/demo_source"


# --- results/: products ---


def dataset_dir(task: str = "{task}", results: Root = RESULTS) -> str:
    """A task's dataset: ``train.tsv``, ``dev.tsv``, ``test.tsv``, ``summary.json``."""
    return f"{results}/datasets/{task}"


def dataset_file(task: str = "{task}", name: str = "summary.json", results: Root = RESULTS) -> str:
    """One file of a task's dataset (``{split}.tsv`` or ``summary.json``)."""
    return f"{dataset_dir(task, results)}/{name}"


# the TF selection checkpoint: chosen peak files, the metadata rows not chosen, a summary
TF_TABLE = f"{RESULTS}/datasets/tf_experiments.tsv"
TF_SKIPPED = f"{RESULTS}/datasets/tf_experiments.skipped.tsv"
TF_SELECTION_SUMMARY = f"{RESULTS}/datasets/tf_experiments.json"


def chromosome_names_check(genome: str = "{genome}") -> str:
    return f"{RESULTS}/qc/{genome}.chromosome_names.json"


def corpus_dir(k: int | str = "{k}") -> str:
    """The pretraining corpus of k-mer tokens (``{train,val}.bin`` + ``.idx``)."""
    return f"{RESULTS}/pretrain/k{k}"


def model_dir(k: int | str = "{k}", results: Root = RESULTS) -> str:
    """The pretrained DNABERT-k (Hugging Face directory)."""
    return f"{results}/models/dnabert{k}"


def dnabert_run(k: int | str = "{k}", scratch: bool = False) -> str:
    """The run name of DNABERT-k (``dnabert6``) or its from-scratch control (``dnabert6_scratch``)."""
    return f"dnabert{k}" + ("_scratch" if scratch else "")


def run_dir(
    stage: str = "{kind}",
    task: str = "{task}",
    run: str = "{model}",
    seed: int | str = "{seed}",
    results: Root = RESULTS,
) -> str:
    """A training run of ``stage`` (``finetune`` or ``baselines``): one task, model, seed."""
    return f"{results}/{stage}/{task}/{run}/seed{seed}"


def finetune_run(
    task: str = "{task}",
    run: str = "dnabert{k}",
    seed: int | str = "{seed}",
    results: Root = RESULTS,
) -> str:
    """A fine-tuning run: ``run`` is ``dnabert{k}``, ``dnabert{k}_scratch`` or the name of a
    ``finetune.models`` entry. Holds ``metrics.json``, ``predictions.tsv``, ``model/``."""
    return run_dir("finetune", task, run, seed, results)


def baseline_run(
    task: str = "{task}",
    baseline: str = "{baseline}",
    seed: int | str = "{seed}",
    results: Root = RESULTS,
) -> str:
    """A baseline run: ``metrics.json``, ``predictions.tsv``, the model."""
    return run_dir("baselines", task, baseline, seed, results)


def splice_round(round: int | str = "{round}") -> str:
    """Round ``round`` of SpliceFinder's reconstruction (hard negatives, dataset, model)."""
    return f"{RESULTS}/baselines/splice_reconstruction/round{round}"


def viz_run(task: str = "{task}", k: int | str = "{k}", seed: int | str = "{seed}") -> str:
    """DNABERT-viz and in-silico mutagenesis of one fine-tuned model."""
    return f"{RESULTS}/viz/{task}/dnabert{k}/seed{seed}"


def variant_run(task: str = "{task}", k: int | str = "{k}", seed: int | str = "{seed}") -> str:
    """Variant-effect scores of one fine-tuned model."""
    return f"{RESULTS}/variants/{task}/dnabert{k}/seed{seed}"


def report_file(name: str, results: Root = RESULTS) -> str:
    """A file of the report stage (``metrics.tsv``, ``tf_wilcoxon.tsv``, ``gue_table.tsv``...)."""
    return f"{results}/report/{name}"


def figures_dir(results: Root = RESULTS) -> str:
    return report_file("figures", results)


def figure(name: str = "{name}", ext: str = "png", results: Root = RESULTS) -> str:
    """One report figure (``png``, ``pdf``, or its provenance ``json``)."""
    return f"{figures_dir(results)}/{name}.{ext}"


METRICS_TABLE = report_file("metrics.tsv")
GROUP_TABLES = {"gue": report_file("gue_table.tsv"), "wilcoxon": report_file("group_wilcoxon.tsv")}
# the report's figures: results/report/figures/{name}.{png,pdf,json} (dnabert.figures draws them)
FIGURE_NAMES = (
    "task_mcc",
    "prom300_bars",
    "promcore_curves",
    "promscan_bars",
    "tf_violins",
    "splice_bars",
    "pretrain_curves",
)

"""The results/resources layout (dnabert.paths): the output contract, spelled out by hand."""

from __future__ import annotations

from pathlib import Path

from dnabert import paths


def test_patterns_without_arguments_are_the_snakemake_patterns():
    assert paths.genome_fasta() == "resources/genome/{genome}.fa"
    assert paths.chrom_sizes() == "resources/genome/{genome}.chrom.sizes"
    assert paths.canonical_chromosomes() == "resources/genome/{genome}.canonical.txt"
    assert paths.peak_file() == "resources/peaks/{experiment}.narrowPeak.gz"
    assert paths.tf_index() == "resources/peaks/{index}"
    assert paths.dataset_dir() == "results/datasets/{task}"
    assert paths.dataset_file() == "results/datasets/{task}/summary.json"
    assert paths.dataset_file(name="dev.tsv") == "results/datasets/{task}/dev.tsv"
    assert paths.corpus_dir() == "results/pretrain/k{k}"
    assert paths.model_dir() == "results/models/dnabert{k}"
    assert paths.finetune_run() == "results/finetune/{task}/dnabert{k}/seed{seed}"
    assert paths.baseline_run() == "results/baselines/{task}/{baseline}/seed{seed}"
    assert paths.run_dir() == "results/{kind}/{task}/{model}/seed{seed}"
    assert paths.splice_round() == "results/baselines/splice_reconstruction/round{round}"
    assert paths.viz_run() == "results/viz/{task}/dnabert{k}/seed{seed}"
    assert paths.variant_run() == "results/variants/{task}/dnabert{k}/seed{seed}"
    assert paths.figure() == "results/report/figures/{name}.png"
    assert paths.chromosome_names_check() == "results/qc/{genome}.chromosome_names.json"


def test_paths_with_values():
    assert paths.genome_fasta("hg38") == "resources/genome/hg38.fa"
    assert paths.annotation_gtf("hg38") == "resources/annotation/hg38.gtf"
    assert paths.tss_bed("mm10") == "resources/promoters/mm10.tss.bed"
    assert paths.tata_table("mm10") == "resources/promoters/mm10.tata.txt"
    assert paths.blacklist_bed("hg38") == "resources/blacklist/hg38.bed"
    assert paths.variants_vcf("hg38") == "resources/variants/hg38.vcf"
    assert paths.variants_vcf("hg38", compressed=True) == "resources/variants/hg38.vcf.gz"
    assert paths.dataset_file("splice_rc", "test.tsv") == "results/datasets/splice_rc/test.tsv"
    assert paths.dnabert_run(6) == "dnabert6"
    assert paths.dnabert_run(3, scratch=True) == "dnabert3_scratch"
    assert paths.dnabert_run(scratch=True) == "dnabert{k}_scratch"
    assert paths.finetune_run("splice", "dnabert6", 42) == "results/finetune/splice/dnabert6/seed42"
    assert paths.finetune_run(run="{hf_model}") == "results/finetune/{task}/{hf_model}/seed{seed}"
    assert paths.baseline_run("tf_X", "deepbind", 1) == "results/baselines/tf_X/deepbind/seed1"
    assert paths.splice_round(2) == "results/baselines/splice_reconstruction/round2"
    assert paths.figure("tf_violins", "pdf") == "results/report/figures/tf_violins.pdf"
    assert paths.figure("metrics", "html") == "results/report/figures/metrics.html"
    assert paths.report_file("tf_wilcoxon.tsv") == "results/report/tf_wilcoxon.tsv"
    assert paths.METRICS_TABLE == "results/report/metrics.tsv"
    assert paths.GROUP_TABLES == {
        "gue": "results/report/gue_table.tsv",
        "wilcoxon": "results/report/group_wilcoxon.tsv",
    }
    assert paths.TF_TABLE == "results/datasets/tf_experiments.tsv"
    assert paths.TF_SKIPPED == "results/datasets/tf_experiments.skipped.tsv"
    assert paths.TF_SELECTION_SUMMARY == "results/datasets/tf_experiments.json"
    assert paths.DEMO_SOURCE == "resources/demo_source"


def test_a_results_tree_elsewhere():
    root = Path("/data/run1/results")
    assert (
        paths.finetune_run("p", "dnabert6", 0, root)
        == "/data/run1/results/finetune/p/dnabert6/seed0"
    )
    assert (
        paths.baseline_run("p", "kmer_lr", 0, root)
        == "/data/run1/results/baselines/p/kmer_lr/seed0"
    )
    assert paths.model_dir(5, root) == "/data/run1/results/models/dnabert5"
    assert paths.report_file("metrics.tsv", "out") == "out/report/metrics.tsv"
    assert paths.dataset_dir("t", "r") == "r/datasets/t"


def test_figure_names_are_the_figures_module_s(repo):
    from dnabert.figures import FIGURES

    assert FIGURES == paths.FIGURE_NAMES == (
        "task_mcc", "prom300_bars", "promcore_curves", "promscan_bars", "tf_violins",
        "splice_bars", "pretrain_curves",
    )  # fmt: skip

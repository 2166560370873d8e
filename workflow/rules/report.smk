# Report: the paper's figures from results/ (no retraining), DNABERT-viz (attention maps,
# motifs from attention, in-silico mutagenesis) and a provenance table; everything the
# Snakemake HTML report shows (snakemake --report report.html) is wrapped in report().


rule plot_figures:
    input:
        metrics="results/report/metrics.tsv",
        predictions=get_curve_predictions,
        models=get_pretrained_models,
        gue_table=GROUP_TABLES["gue"],
    output:
        tasks=report(
            "results/report/figures/task_mcc.png",
            caption="../report/task_mcc.rst",
            category="Results table",
        ),
        prom300=report(
            "results/report/figures/prom300_bars.png",
            caption="../report/prom300_bars.rst",
            category="Promoters",
        ),
        promcore=report(
            "results/report/figures/promcore_curves.png",
            caption="../report/promcore_curves.rst",
            category="Promoters",
        ),
        promscan=report(
            "results/report/figures/promscan_bars.png",
            caption="../report/promscan_bars.rst",
            category="Promoters",
        ),
        tf=report(
            "results/report/figures/tf_violins.png",
            caption="../report/tf_violins.rst",
            category="TF binding",
        ),
        splice=report(
            "results/report/figures/splice_bars.png",
            caption="../report/splice_bars.rst",
            category="Splice sites",
        ),
        pretrain=report(
            "results/report/figures/pretrain_curves.png",
            caption="../report/pretrain_curves.rst",
            category="Pretraining",
        ),
        table=report(
            "results/report/figures/metrics.html",
            caption="../report/metrics_table.rst",
            category="Results table",
        ),
        pdfs=expand("results/report/figures/{name}.pdf", name=FIGURE_NAMES),
        provenance=expand("results/report/figures/{name}.json", name=FIGURE_NAMES),
    log:
        "logs/report/plot_figures.log",
    benchmark:
        "benchmarks/report/plot_figures.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        results=get_results_dir,
        dpi=config["report"]["dpi"],
    script:
        "../scripts/plot_figures.py"


# Tables over groups of tasks: the GUE table (DNABERT-2 paper's layout) and the Wilcoxon test
# of DNABERT against every other model over each family / suite group (dnabert.task_groups).
rule tabulate_task_groups:
    input:
        metrics="results/report/metrics.tsv",
    output:
        gue=report(
            GROUP_TABLES["gue"],
            caption="../report/gue_table.rst",
            category="Results table",
        ),
        wilcoxon=report(
            GROUP_TABLES["wilcoxon"],
            caption="../report/group_wilcoxon.rst",
            category="Results table",
        ),
    log:
        "logs/report/tabulate_task_groups.log",
    benchmark:
        "benchmarks/report/tabulate_task_groups.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        groups=canonical(TASK_GROUPS),
    script:
        "../scripts/tabulate_task_groups.py"


rule viz_attention_motifs:
    input:
        metrics="results/finetune/{task}/dnabert{k}/seed{seed}/metrics.json",
        model_dir=get_finetuned_model_dir,
        splits=expand(
            "results/datasets/{{task}}/{split}.tsv",
            split=config["report"]["viz_splits"],
        ),
    output:
        npz="results/viz/{task}/dnabert{k}/seed{seed}/attention.npz",
        tsv="results/viz/{task}/dnabert{k}/seed{seed}/attention.tsv",
        heatmap=report(
            "results/viz/{task}/dnabert{k}/seed{seed}/attention_heatmap.png",
            caption="../report/attention_heatmap.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        heatmap_pdf="results/viz/{task}/dnabert{k}/seed{seed}/attention_heatmap.pdf",
        motifs=report(
            "results/viz/{task}/dnabert{k}/seed{seed}/motifs.tsv",
            caption="../report/motifs.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        logos=report(
            "results/viz/{task}/dnabert{k}/seed{seed}/motif_logos.png",
            caption="../report/motif_logos.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        logos_pdf="results/viz/{task}/dnabert{k}/seed{seed}/motif_logos.pdf",
        provenance="results/viz/{task}/dnabert{k}/seed{seed}/viz.json",
    log:
        "logs/report/viz_{task}_dnabert{k}_seed{seed}.log",
    benchmark:
        "benchmarks/report/viz_{task}_dnabert{k}_seed{seed}.tsv"
    wildcard_constraints:
        k=r"\d+",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        report=canonical(config["report"]),
    script:
        "../scripts/viz_attention_motifs.py"


rule ism:
    input:
        metrics="results/finetune/{task}/dnabert{k}/seed{seed}/metrics.json",
        model_dir=get_finetuned_model_dir,
        test="results/datasets/{task}/test.tsv",
    output:
        tsv="results/viz/{task}/dnabert{k}/seed{seed}/ism.tsv",
        heatmap=report(
            "results/viz/{task}/dnabert{k}/seed{seed}/ism_heatmap.png",
            caption="../report/ism_heatmap.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        heatmap_pdf="results/viz/{task}/dnabert{k}/seed{seed}/ism_heatmap.pdf",
        provenance="results/viz/{task}/dnabert{k}/seed{seed}/ism.json",
    log:
        "logs/report/ism_{task}_dnabert{k}_seed{seed}.log",
    benchmark:
        "benchmarks/report/ism_{task}_dnabert{k}_seed{seed}.tsv"
    wildcard_constraints:
        k=r"\d+",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        report=canonical(config["report"]),
    script:
        "../scripts/ism.py"


rule summarise_provenance:
    input:
        figures=expand("results/report/figures/{name}.json", name=FIGURE_NAMES),
        viz=get_viz_provenance,
        variants=get_variant_summaries,
    output:
        report(
            "results/report/provenance.html",
            caption="../report/provenance.rst",
            category="Reproducibility",
        ),
    log:
        "logs/report/summarise_provenance.log",
    benchmark:
        "benchmarks/report/summarise_provenance.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/summarise_provenance.py"

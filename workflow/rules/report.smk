# Report: the paper's figures from results/ (no retraining), DNABERT-viz (attention maps,
# motifs from attention, in-silico mutagenesis) and a provenance table; everything the
# Snakemake HTML report shows (snakemake --report report.html) is wrapped in report().
VIZ_RUN = paths.viz_run()  # results/viz/{task}/dnabert{k}/seed{seed}


rule plot_figures:
    input:
        metrics=paths.METRICS_TABLE,
        wilcoxon=paths.report_file("tf_wilcoxon.tsv"),
        predictions=targets.curve_predictions(config, CUSTOM_TASKS),
        models=targets.pretrained_models(config),
        gue_table=paths.GROUP_TABLES["gue"],
    output:
        tasks=report(
            paths.figure("task_mcc"),
            caption="../report/task_mcc.rst",
            category="Results table",
        ),
        prom300=report(
            paths.figure("prom300_bars"),
            caption="../report/prom300_bars.rst",
            category="Promoters",
        ),
        promcore=report(
            paths.figure("promcore_curves"),
            caption="../report/promcore_curves.rst",
            category="Promoters",
        ),
        promscan=report(
            paths.figure("promscan_bars"),
            caption="../report/promscan_bars.rst",
            category="Promoters",
        ),
        tf=report(
            paths.figure("tf_violins"),
            caption="../report/tf_violins.rst",
            category="TF binding",
        ),
        splice=report(
            paths.figure("splice_bars"),
            caption="../report/splice_bars.rst",
            category="Splice sites",
        ),
        pretrain=report(
            paths.figure("pretrain_curves"),
            caption="../report/pretrain_curves.rst",
            category="Pretraining",
        ),
        table=report(
            paths.figure("metrics", "html"),
            caption="../report/metrics_table.rst",
            category="Results table",
        ),
        pdfs=expand(paths.figure(ext="pdf"), name=paths.FIGURE_NAMES),
        provenance=expand(paths.figure(ext="json"), name=paths.FIGURE_NAMES),
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
        groups=TASK_GROUPS,  # users' tasks join their family's panels
    script:
        "../scripts/plot_figures.py"


# Tables over groups of tasks: the GUE table (DNABERT-2 paper's layout) and the Wilcoxon test
# of DNABERT against every other model over each family / suite group (dnabert.task_groups).
rule tabulate_task_groups:
    input:
        metrics=paths.METRICS_TABLE,
    output:
        gue=report(
            paths.GROUP_TABLES["gue"],
            caption="../report/gue_table.rst",
            category="Results table",
        ),
        wilcoxon=report(
            paths.GROUP_TABLES["wilcoxon"],
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
        groups=TASK_GROUPS,
    script:
        "../scripts/tabulate_task_groups.py"


rule viz_attention_motifs:
    input:
        metrics=f"{paths.finetune_run()}/metrics.json",
        model_dir=f"{paths.finetune_run()}/model",
        splits=expand(
            paths.dataset_file("{{task}}", "{split}.tsv"),
            split=config["report"]["viz_splits"],
        ),
    output:
        npz=f"{VIZ_RUN}/attention.npz",
        tsv=f"{VIZ_RUN}/attention.tsv",
        heatmap=report(
            f"{VIZ_RUN}/attention_heatmap.png",
            caption="../report/attention_heatmap.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        heatmap_pdf=f"{VIZ_RUN}/attention_heatmap.pdf",
        motifs=report(
            f"{VIZ_RUN}/motifs.tsv",
            caption="../report/motifs.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        logos=report(
            f"{VIZ_RUN}/motif_logos.png",
            caption="../report/motif_logos.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        logos_pdf=f"{VIZ_RUN}/motif_logos.pdf",
        provenance=f"{VIZ_RUN}/viz.json",
    log:
        "logs/report/viz_{task}_dnabert{k}_seed{seed}.log",
    benchmark:
        "benchmarks/report/viz_{task}_dnabert{k}_seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        report=setup.step_settings(config, "viz"),
    script:
        "../scripts/viz_attention_motifs.py"


rule ism:
    input:
        metrics=f"{paths.finetune_run()}/metrics.json",
        model_dir=f"{paths.finetune_run()}/model",
        test=paths.dataset_file(name="test.tsv"),
    output:
        tsv=f"{VIZ_RUN}/ism.tsv",
        heatmap=report(
            f"{VIZ_RUN}/ism_heatmap.png",
            caption="../report/ism_heatmap.rst",
            category="DNABERT-viz",
            subcategory="{task}",
        ),
        heatmap_pdf=f"{VIZ_RUN}/ism_heatmap.pdf",
        provenance=f"{VIZ_RUN}/ism.json",
    log:
        "logs/report/ism_{task}_dnabert{k}_seed{seed}.log",
    benchmark:
        "benchmarks/report/ism_{task}_dnabert{k}_seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        report=setup.step_settings(config, "ism"),
    script:
        "../scripts/ism.py"


rule summarise_provenance:
    input:
        figures=expand(paths.figure(ext="json"), name=paths.FIGURE_NAMES),
        viz=get_viz_provenance,
        variants=targets.variant_files(config, "summary.json"),
    output:
        report(
            paths.report_file("provenance.html"),
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

# Variant effects from a VCF (dnabert.variants): each fine-tuned model of variants.tasks scores
# every ALT allele on windows of its task's length cut from the reference; a TSV, skipped.tsv,
# summary.json (counts by kind and skip reason) and a report figure. Only when configured.


if "variants" in config:

    rule score_variants:
        input:
            vcf=VARIANTS_VCF,
            fasta=GENOME_FA,
            fai=f"{GENOME_FA}.fai",
            metrics="results/finetune/{task}/dnabert{k}/seed{seed}/metrics.json",
            model_dir=get_finetuned_model_dir,
            test="results/datasets/{task}/test.tsv",
        output:
            tsv=report(
                "results/variants/{task}/dnabert{k}/seed{seed}/variants.tsv",
                caption="../report/variants_table.rst",
                category="Variant effects",
                subcategory="{task}",
            ),
            skipped="results/variants/{task}/dnabert{k}/seed{seed}/skipped.tsv",
            summary="results/variants/{task}/dnabert{k}/seed{seed}/summary.json",
            figure=report(
                "results/variants/{task}/dnabert{k}/seed{seed}/variant_effects.png",
                caption="../report/variant_effects.rst",
                category="Variant effects",
                subcategory="{task}",
            ),
            figure_pdf="results/variants/{task}/dnabert{k}/seed{seed}/variant_effects.pdf",
        log:
            "logs/variants/{task}_dnabert{k}_seed{seed}.log",
        benchmark:
            "benchmarks/variants/{task}_dnabert{k}_seed{seed}.tsv"
        wildcard_constraints:
            k=r"\d+",
            seed=r"\d+",
        conda:
            "../../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=8000,
            runtime=120,
        params:
            variants=canonical(config["variants"]),
            dpi=config["report"]["dpi"],
        script:
            "../scripts/score_variants.py"

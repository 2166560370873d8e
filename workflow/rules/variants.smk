# Variant effects from a VCF (dnabert.variants): each fine-tuned model of variants.tasks scores
# every ALT allele on windows of its task's length cut from the reference; a TSV, skipped.tsv,
# summary.json (counts by kind and skip reason) and a report figure. Only when configured.


VARIANT_RUN = paths.variant_run()


if "variants" in config:

    rule score_variants:
        input:
            vcf=VARIANTS_VCF,
            fasta=GENOME_FA,
            fai=f"{GENOME_FA}.fai",
            metrics=f"{paths.finetune_run()}/metrics.json",
            model_dir=f"{paths.finetune_run()}/model",
            test=paths.dataset_file(name="test.tsv"),
        output:
            tsv=report(
                f"{VARIANT_RUN}/variants.tsv",
                caption="../report/variants_table.rst",
                category="Variant effects",
                subcategory="{task}",
            ),
            skipped=f"{VARIANT_RUN}/skipped.tsv",
            summary=f"{VARIANT_RUN}/summary.json",
            figure=report(
                f"{VARIANT_RUN}/variant_effects.png",
                caption="../report/variant_effects.rst",
                category="Variant effects",
                subcategory="{task}",
            ),
            figure_pdf=f"{VARIANT_RUN}/variant_effects.pdf",
        log:
            "logs/variants/{task}_dnabert{k}_seed{seed}.log",
        benchmark:
            "benchmarks/variants/{task}_dnabert{k}_seed{seed}.tsv"
        conda:
            "../../envs/torch.yaml"
        threads: 1
        resources:
            mem_mb=8000,
            runtime=120,
        params:
            variants=setup.step_settings(config, "variants"),
            dpi=config["report"]["dpi"],
        script:
            "../scripts/score_variants.py"

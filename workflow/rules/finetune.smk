# Fine-tuning DNABERT per task, k and seed (GPU), other language models (finetune.models),
# users' own tasks, and the metrics table.
# Logic lives in dnabert.finetune, dnabert.datasets.custom and dnabert.metrics_table.
# Checkpoints live in results/finetune/{task}/dnabert{k}/seed{seed}.work/ (not an output, so
# Snakemake keeps it when the job fails); a rerun resumes there.
# Run directories (dnabert.paths): results/finetune/{task}/{run}/seed{seed}, where run is
# dnabert{k}, its from-scratch control dnabert{k}_scratch or a finetune.models name.
FINETUNE_RUN = paths.finetune_run()
SCRATCH_RUN = paths.finetune_run(run=paths.dnabert_run(scratch=True))
HF_RUN = paths.finetune_run(run="{hf_model}")


rule import_custom_task:
    input:
        unpack(get_custom_task_files),
    output:
        train=paths.dataset_file(name="train.tsv"),
        dev=paths.dataset_file(name="dev.tsv"),
        test=paths.dataset_file(name="test.tsv"),
        summary=paths.dataset_file(),
    log:
        "logs/datasets/{task}.log",
    benchmark:
        "benchmarks/datasets/{task}.tsv"
    wildcard_constraints:
        task=CUSTOM_TASK_PATTERN,
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        spec=get_custom_task_spec,
    script:
        "../scripts/import_custom_task.py"


rule finetune_dnabert:
    input:
        train=paths.dataset_file(name="train.tsv"),
        dev=paths.dataset_file(name="dev.tsv"),
        test=paths.dataset_file(name="test.tsv"),
        summary=paths.dataset_file(),
        pretrained=get_pretrained_model,
    output:
        metrics=f"{FINETUNE_RUN}/metrics.json",
        predictions=f"{FINETUNE_RUN}/predictions.tsv",
        model=directory(f"{FINETUNE_RUN}/model"),
    log:
        "logs/finetune/{task}/dnabert{k}/seed{seed}.log",
    benchmark:
        "benchmarks/finetune/{task}/dnabert{k}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=16000,
        runtime=720,
        gpu=1,
    params:
        finetune=get_finetune_settings,
        max_length=config["tokenize"]["max_length"],
        from_scratch=False,
    script:
        "../scripts/finetune_dnabert.py"


# The from-scratch control (finetune.scratch_control): the pretrained model's architecture
# (its config.json) from random weights, same splits, loop, budget and seed.
use rule finetune_dnabert as finetune_scratch with:
    output:
        metrics=f"{SCRATCH_RUN}/metrics.json",
        predictions=f"{SCRATCH_RUN}/predictions.tsv",
        model=directory(f"{SCRATCH_RUN}/model"),
    log:
        "logs/finetune/{task}/dnabert{k}_scratch/seed{seed}.log",
    benchmark:
        "benchmarks/finetune/{task}/dnabert{k}_scratch/seed{seed}.tsv"
    params:
        finetune=get_finetune_settings,
        max_length=config["tokenize"]["max_length"],
        from_scratch=True,


# Another DNA language model (finetune.models.{hf_model}: a local Hugging Face directory with
# its own tokenizer), with the same splits, loop, settings, selection and seeds as DNABERT.
rule finetune_hf_model:
    input:
        unpack(get_hf_model_files),
        train=paths.dataset_file(name="train.tsv"),
        dev=paths.dataset_file(name="dev.tsv"),
        test=paths.dataset_file(name="test.tsv"),
        summary=paths.dataset_file(),
    output:
        metrics=f"{HF_RUN}/metrics.json",
        predictions=f"{HF_RUN}/predictions.tsv",
        model=directory(f"{HF_RUN}/model"),
    log:
        "logs/finetune/{task}/{hf_model}/seed{seed}.log",
    benchmark:
        "benchmarks/finetune/{task}/{hf_model}/seed{seed}.tsv"
    wildcard_constraints:
        hf_model=HF_MODEL_PATTERN,
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=32000,
        runtime=720,
        gpu=1,
    params:
        finetune=get_finetune_settings,
        model=get_hf_model_spec,
    script:
        "../scripts/finetune_hf_model.py"


rule collect_metrics:
    input:
        get_all_metrics,
    output:
        table=paths.METRICS_TABLE,
        summary=paths.report_file("metrics_summary.tsv"),
        wilcoxon=paths.report_file("tf_wilcoxon.tsv"),
    log:
        "logs/report/collect_metrics.log",
    benchmark:
        "benchmarks/report/collect_metrics.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        wilcoxon_metrics=["accuracy", "f1"],
        groups=TASK_GROUPS,
    script:
        "../scripts/collect_metrics.py"

# TF-binding tasks: one per selected ChIP-seq peak file, tf_{experiment}.
#
# Which experiments exist is decided by the checkpoint select_tf_experiments, which reads the
# source named by config tf.source (an ENCODE portal metadata.tsv, UCSC's uniform TFBS
# files.txt, or local narrowPeak paths) and writes results/datasets/tf_experiments.tsv (one peak
# file per experiment) plus tf_experiments.skipped.tsv (each metadata row not chosen, and why). A
# checkpoint, not a parse-time read, because the metadata may itself be a product of the
# workflow (the demo generates resources/demo_source/metadata.tsv). Once the table exists and is
# up to date, selected_tasks() (common.smk) reads it once per (path, mtime), so a dry
# run over all 690 paper experiments builds the DAG in seconds.


rule download_tf_index:
    output:
        paths.tf_index(),
    log:
        "logs/download/peaks_{index}.log",
    benchmark:
        "benchmarks/download/peaks_{index}.tsv"
    wildcard_constraints:
        index=TF_INDEX_PATTERN,
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        source=get_tf_index_source,
    script:
        "../scripts/download.py"


checkpoint select_tf_experiments:
    input:
        unpack(get_tf_selection_inputs),
    output:
        table=paths.TF_TABLE,
        skipped=paths.TF_SKIPPED,
        summary=paths.TF_SELECTION_SUMMARY,
    log:
        "logs/datasets/select_tf_experiments.log",
    benchmark:
        "benchmarks/datasets/select_tf_experiments.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        tf=canonical(config["tf"]),
        source_urls=canonical(targets.tf_index_urls(config)),
    script:
        "../scripts/select_tf_experiments.py"


rule download_peaks:
    input:
        table=paths.TF_TABLE,
        source=get_tf_peak_source,  # a local file (tf.source local, file: URLs), else none
    output:
        paths.peak_file(),
    log:
        "logs/download/peaks_{experiment}.log",
    benchmark:
        "benchmarks/download/peaks_{experiment}.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    script:
        "../scripts/download_peaks.py"


rule build_tf_dataset:
    input:
        peaks=paths.peak_file(),
        table=paths.TF_TABLE,
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        canonical=CANONICAL,
        blacklist=targets.tf_blacklist(config, GENOME),
    output:
        train=paths.dataset_file(TF_TASK, "train.tsv"),
        dev=paths.dataset_file(TF_TASK, "dev.tsv"),
        test=paths.dataset_file(TF_TASK, "test.tsv"),
        summary=paths.dataset_file(TF_TASK),
    log:
        f"logs/datasets/{TF_TASK}.log",
    benchmark:
        f"benchmarks/datasets/{TF_TASK}.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        # measured ~150 MB at 10% of hg38 (one chromosome at a time)
        mem_mb=2000,
        runtime=60,
    params:
        tf=canonical(config["datasets"]["tf"]),
        split=canonical(config["datasets"]["split"]),
        seed=config["datasets"]["seed"],
    script:
        "../scripts/build_tf_dataset.py"

# Splice-site datasets: 400 bp donor / acceptor / non-splice windows from the GTF annotation
# (dnabert.datasets.splicetf_tasks.run_splice_task), with hard negatives (sites to add to the
# non-splice class) when given. One rule and one script build them all: the task splice (hard
# negatives: datasets.splice.hard_negatives, a BED, when set), and with those of SpliceFinder's
# reconstruction (baselines.smk) each round's dataset and the final task splice_rc (the last
# round's hard negatives).
SPLICE_INPUTS = {
    "fasta": GENOME_FA,
    "fai": f"{GENOME_FA}.fai",
    "gtf": paths.annotation_gtf(GENOME),
    "canonical": CANONICAL,
}
SPLICE_ROUND_DATASET = f"{paths.splice_round()}/dataset"


rule build_splice_dataset:
    input:
        **SPLICE_INPUTS,
        hard_negatives=targets.splice_hard_negatives(config),
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
        task=wildcard_pattern("splice"),
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        # measured ~155 MB at 1% and 10% of hg38 (GTF + one chromosome)
        mem_mb=2000,
        runtime=60,
    params:
        splice=canonical(config["datasets"]["splice"]),
        split=canonical(config["datasets"]["split"]),
        seed=config["datasets"]["seed"],
        task=get_task_name,
    script:
        "../scripts/build_splice_dataset.py"


use rule build_splice_dataset as build_splice_rc_dataset with:
    input:
        **SPLICE_INPUTS,
        hard_negatives=[targets.splice_rc_hard_negatives(config)],
    wildcard_constraints:
        task=wildcard_pattern("splice_rc"),
    resources:
        mem_mb=4000,
        runtime=60,


use rule build_splice_dataset as build_splice_round_dataset with:
    input:
        **SPLICE_INPUTS,
        hard_negatives=[f"{paths.splice_round()}/hard_negatives.bed"],
    output:
        train=f"{SPLICE_ROUND_DATASET}/train.tsv",
        dev=f"{SPLICE_ROUND_DATASET}/dev.tsv",
        test=f"{SPLICE_ROUND_DATASET}/test.tsv",
        summary=f"{SPLICE_ROUND_DATASET}/summary.json",
    log:
        "logs/baselines/splice_reconstruction/round{round}_dataset.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_dataset.tsv"
    resources:
        mem_mb=4000,
        runtime=60,

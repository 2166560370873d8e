# Splice-site task: 400 bp donor / acceptor / non-splice windows from the GTF annotation.
# Hard negatives (SpliceFinder's reconstruction): the baselines stage writes a BED of the
# baseline's false positives and sets datasets.splice.hard_negatives to it; the file is then an
# input here, so the splice task is rebuilt with those sites in the non-splice class.


rule build_splice_dataset:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        gtf=paths.annotation_gtf(GENOME),
        canonical=CANONICAL,
        hard_negatives=targets.splice_hard_negatives(config),
    output:
        train=paths.dataset_file("splice", "train.tsv"),
        dev=paths.dataset_file("splice", "dev.tsv"),
        test=paths.dataset_file("splice", "test.tsv"),
        summary=paths.dataset_file("splice"),
    log:
        "logs/datasets/splice.log",
    benchmark:
        "benchmarks/datasets/splice.tsv"
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
    script:
        "../scripts/build_splice_dataset.py"

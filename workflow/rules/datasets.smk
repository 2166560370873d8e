# Promoter datasets: prom300 / promcore (TATA, non-TATA, all) and promscan from EPDnew TSSs.
# Logic lives in dnabert.datasets.promoters / dnabert.datasets.promscan.


rule build_promoter_dataset:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        tss=paths.tss_bed(GENOME),
        tata=paths.tata_table(GENOME),
        canonical=CANONICAL,
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
        task=wildcard_pattern("prom300", "promcore"),
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        # measured 166 MB at 10% and 844 MB at 100% of hg38 (one chromosome at a time)
        mem_mb=2000,
        runtime=60,
    params:
        seed=config["datasets"]["seed"],
        split=canonical(config["datasets"]["split"]),
        promoters=canonical(config["datasets"]["promoters"]),
    script:
        "../scripts/build_promoter_dataset.py"


rule build_promscan_dataset:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        tss=paths.tss_bed(GENOME),
        canonical=CANONICAL,
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
        task=wildcard_pattern("promscan"),
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        # streamed a chromosome at a time: measured 302 MB at 10% and 997 MB at 100% of
        # hg38 (was 8.67 GB in memory); ~34 bytes per window remain, so headroom for more windows
        mem_mb=3000,
        runtime=240,
    params:
        seed=config["datasets"]["seed"],
        split=canonical(config["datasets"]["split"]),
        promscan=canonical(config["datasets"]["promscan"]),
    script:
        "../scripts/build_promscan_dataset.py"

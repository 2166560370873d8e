# Downloads (verified, atomic), genome index, chromosome naming check, and the demo generator.


rule download_resource:
    input:
        get_local_sources,
    output:
        f"{paths.RESOURCES}/{{resource}}",
    log:
        "logs/download/{resource}.log",
    benchmark:
        "benchmarks/download/{resource}.tsv"
    wildcard_constraints:
        resource=DOWNLOAD_PATTERN,
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        source=get_download_source,
    script:
        "../scripts/download.py"


rule index_genome:
    input:
        fasta=paths.genome_fasta(),
    output:
        fai=f"{paths.genome_fasta()}.fai",
        sizes=paths.chrom_sizes(),
        canonical=paths.canonical_chromosomes(),
    log:
        "logs/genome/index_{genome}.log",
    benchmark:
        "benchmarks/genome/index_{genome}.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        # measured ~150 MB at 1% and 10% of hg38 (benchmarks/README.md)
        mem_mb=1000,
        runtime=60,
    params:
        canonical_pattern=GENOME_SETTINGS["canonical_pattern"],
        chromosomes=canonical(GENOME_SETTINGS["chromosomes"]),
    script:
        "../scripts/index_genome.py"


rule check_chromosome_names:
    input:
        sizes=paths.chrom_sizes(),
        others=targets.names_check_inputs(DOWNLOADS),
    output:
        paths.chromosome_names_check(),
    log:
        "logs/genome/check_names_{genome}.log",
    benchmark:
        "benchmarks/genome/check_names_{genome}.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/check_chromosome_names.py"


if "demo" in config:

    rule generate_demo_data:
        output:
            targets.demo_outputs(config),
        log:
            "logs/demo/generate_demo_data.log",
        benchmark:
            "benchmarks/demo/generate_demo_data.tsv"
        conda:
            "../../envs/genome.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            demo=canonical(config["demo"]),
        script:
            "../scripts/generate_demo.py"

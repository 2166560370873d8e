# Pretraining corpus: k-mer token memmaps cut from the genome (dnabert.corpus).


rule build_pretrain_corpus:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        canonical=CANONICAL,
    output:
        train_bin=f"{paths.corpus_dir()}/train.bin",
        train_idx=f"{paths.corpus_dir()}/train.idx",
        val_bin=f"{paths.corpus_dir()}/val.bin",
        val_idx=f"{paths.corpus_dir()}/val.idx",
        summary=f"{paths.corpus_dir()}/summary.json",
    log:
        "logs/pretrain/corpus_k{k}.log",
    benchmark:
        "benchmarks/pretrain/corpus_k{k}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        # measured 357 MB at 10% and 1.30 GB at 100% of hg38 (~5 bytes per base of chr1)
        mem_mb=4000,
        runtime=60,
    params:
        corpus=canonical(config["pretrain"]["corpus"]),
    script:
        "../scripts/build_corpus.py"

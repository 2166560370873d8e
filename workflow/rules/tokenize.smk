# Pretraining corpus: k-mer token memmaps cut from the genome (dnabert.corpus).


rule build_pretrain_corpus:
    input:
        fasta=f"resources/genome/{config['genome']['name']}.fa",
        fai=f"resources/genome/{config['genome']['name']}.fa.fai",
    output:
        train_bin="results/pretrain/k{k}/train.bin",
        train_idx="results/pretrain/k{k}/train.idx",
        val_bin="results/pretrain/k{k}/val.bin",
        val_idx="results/pretrain/k{k}/val.idx",
        summary="results/pretrain/k{k}/summary.json",
    log:
        "logs/pretrain/corpus_k{k}.log",
    benchmark:
        "benchmarks/pretrain/corpus_k{k}.tsv"
    params:
        corpus=config["pretrain"]["corpus"],
        genome_chromosomes=config["genome"]["chromosomes"],
        canonical_pattern=config["genome"]["canonical_pattern"],
    wildcard_constraints:
        k="[3-6]",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/build_corpus.py"

# MLM pretraining of DNABERT-k (GPU). launch_torchrun.sh starts one worker per GPU (resources
# gpu=N) on each node of the job, DDP over NCCL; the same command runs without SLURM.
# Checkpoints live in results/models/dnabert{k}.work/ (not an output, so Snakemake keeps it when
# the job fails); a rerun or requeued job (exit code 75 after SIGTERM/SIGUSR1) resumes there.


rule pretrain_mlm:
    input:
        train_bin=f"{paths.corpus_dir()}/train.bin",
        train_idx=f"{paths.corpus_dir()}/train.idx",
        val_bin=f"{paths.corpus_dir()}/val.bin",
        val_idx=f"{paths.corpus_dir()}/val.idx",
    output:
        directory(paths.model_dir()),
    log:
        "logs/pretrain/mlm_k{k}.log",
    benchmark:
        "benchmarks/pretrain/mlm_k{k}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 4
    resources:
        mem_mb=32000,
        runtime=2880,
        gpu=1,
    params:
        pretrain=json.dumps(canonical(config["pretrain"])),
        corpus_dir=get_corpus_dir,
        scripts=SCRIPTS,
    shell:
        """
        params=$(mktemp) && trap 'rm -f "$params"' EXIT
        printf '%s' {params.pretrain:q} >"$params"
        bash {params.scripts}/launch_torchrun.sh {resources.gpu} {params.scripts}/pretrain_mlm.py {params.corpus_dir} {output} {wildcards.k} "$params" >{log} 2>&1
        """

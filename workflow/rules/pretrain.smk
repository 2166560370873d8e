# MLM pretraining of DNABERT-k (GPU). One process: a plain python call; more than one GPU per
# node (resources gpu=N, or env GPUS) or several SLURM nodes: torchrun, which starts one process per GPU (DDP over NCCL).
# Checkpoints live in results/models/dnabert{k}.work/ (not an output, so Snakemake keeps it when
# the job fails); a rerun or requeued job (exit code 75 after SIGTERM/SIGUSR1) resumes there.


rule pretrain_mlm:
    input:
        train_bin="results/pretrain/k{k}/train.bin",
        train_idx="results/pretrain/k{k}/train.idx",
        val_bin="results/pretrain/k{k}/val.bin",
        val_idx="results/pretrain/k{k}/val.idx",
    output:
        directory("results/models/dnabert{k}"),
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
        pretrain=json.dumps(config["pretrain"], sort_keys=True),
        corpus_dir=get_corpus_dir,
        script=workflow.source_path("../scripts/pretrain_mlm.py"),
    shell:
        """
        params=$(mktemp) && trap 'rm -f "$params"' EXIT
        printf '%s' {params.pretrain:q} >"$params"
        nproc=${{GPUS:-{resources.gpu}}}
        nnodes=${{SLURM_NNODES:-1}}
        if [ "$nproc" -gt 1 ] || [ "$nnodes" -gt 1 ]; then
            launch="torchrun --nnodes $nnodes --nproc-per-node $nproc"
            if [ "$nnodes" -gt 1 ]; then
                head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
                launch="srun $launch --rdzv-backend c10d --rdzv-endpoint $head:29500 --rdzv-id ${{SLURM_JOB_ID}}"
            fi
        else
            launch=python
        fi
        $launch {params.script} {params.corpus_dir} {output} {wildcards.k} "$params" >{log} 2>&1
        """

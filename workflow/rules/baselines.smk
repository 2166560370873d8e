# The paper's baselines on the same splits as DNABERT (logic: dnabert.baselines).
# DeePromoter (prom300_*, promcore_*), PromID-style ResNet (promscan), SpliceFinder (splice,
# splice_rc), DeepBind-style CNN (tf_*), and on every task the k-mer yardstick kmer_lr
# (logistic regression on 4-6-mer frequencies; scikit-learn, no torch, seconds per task). The CNNs are small: CPU jobs (device auto uses a GPU
# when the job sees one). Checkpoints live in the run dir's sibling {run}.work (a rerun resumes).
# SpliceFinder's reconstruction: round r scans genic regions with the SpliceFinder trained on
# round r-1's dataset (round 0 = the splice task) and adds its false positives to the
# non-splice class; the last round's dataset is the task splice_rc.


rule train_baseline:
    input:
        train="results/datasets/{task}/train.tsv",
        dev="results/datasets/{task}/dev.tsv",
        test="results/datasets/{task}/test.tsv",
    output:
        metrics="results/baselines/{task}/{baseline}/seed{seed}/metrics.json",
        predictions="results/baselines/{task}/{baseline}/seed{seed}/predictions.tsv",
        model="results/baselines/{task}/{baseline}/seed{seed}/model.pt",
    log:
        "logs/baselines/{task}/{baseline}/seed{seed}.log",
    benchmark:
        "benchmarks/baselines/{task}/{baseline}/seed{seed}.tsv"
    wildcard_constraints:
        baseline="deepromoter|promid|splicefinder|deepbind",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=480,
    params:
        train=get_baseline_params,
        task=get_baseline_task_name,
    script:
        "../scripts/train_baseline.py"


rule train_kmer_lr:
    input:
        train="results/datasets/{task}/train.tsv",
        dev="results/datasets/{task}/dev.tsv",
        test="results/datasets/{task}/test.tsv",
    output:
        metrics="results/baselines/{task}/kmer_lr/seed{seed}/metrics.json",
        predictions="results/baselines/{task}/kmer_lr/seed{seed}/predictions.tsv",
        model="results/baselines/{task}/kmer_lr/seed{seed}/model.npz",
    log:
        "logs/baselines/{task}/kmer_lr/seed{seed}.log",
    benchmark:
        "benchmarks/baselines/{task}/kmer_lr/seed{seed}.tsv"
    wildcard_constraints:
        seed=r"\d+",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        # sparse features; at most max_train_examples fitted, the test split in chunks
        mem_mb=8000,
        runtime=120,
    params:
        train=canonical(config["baselines"]["kmer_lr"]),
        task=get_baseline_task_name,
    script:
        "../scripts/train_kmer_lr.py"


rule train_splice_round_model:
    input:
        train="results/baselines/splice_reconstruction/round{round}/dataset/train.tsv",
        dev="results/baselines/splice_reconstruction/round{round}/dataset/dev.tsv",
        test="results/baselines/splice_reconstruction/round{round}/dataset/test.tsv",
    output:
        metrics="results/baselines/splice_reconstruction/round{round}/splicefinder/metrics.json",
        predictions="results/baselines/splice_reconstruction/round{round}/splicefinder/predictions.tsv",
        model="results/baselines/splice_reconstruction/round{round}/splicefinder/model.pt",
    log:
        "logs/baselines/splice_reconstruction/round{round}_splicefinder.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_splicefinder.tsv"
    wildcard_constraints:
        round=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=480,
    params:
        train=canonical(config["baselines"]["splicefinder"]),
        task=get_baseline_task_name,
        seed=RECONSTRUCTION_SEED,
    script:
        "../scripts/train_baseline.py"


rule scan_splice_hard_negatives:
    input:
        model=get_splice_scan_model,
        previous=get_previous_hard_negatives,
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        gtf=f"resources/annotation/{GENOME}.gtf",
        canonical=CANONICAL,
    output:
        bed="results/baselines/splice_reconstruction/round{round}/hard_negatives.bed",
    log:
        "logs/baselines/splice_reconstruction/round{round}_scan.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_scan.tsv"
    wildcard_constraints:
        round=r"\d+",
    conda:
        "../../envs/torch.yaml"
    # CPU-bound on the CNN (~2-4k windows/s per thread): the paper's scan (step 10) of hg38's
    # genic regions is ~47M windows, ~10,000 CPU s (benchmarks/README.md); torch uses them all
    threads: 8
    resources:
        # 1.26 GB at 10% of hg38 (step 100); <= ~8 GB projected for hg38
        mem_mb=8000,
        runtime=240,
    params:
        splice=canonical(config["datasets"]["splice"]),
        reconstruction=canonical(config["baselines"]["splicefinder"]),
    script:
        "../scripts/scan_splice_hard_negatives.py"


rule build_splice_round_dataset:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        gtf=f"resources/annotation/{GENOME}.gtf",
        canonical=CANONICAL,
        hard_negatives="results/baselines/splice_reconstruction/round{round}/hard_negatives.bed",
    output:
        train="results/baselines/splice_reconstruction/round{round}/dataset/train.tsv",
        dev="results/baselines/splice_reconstruction/round{round}/dataset/dev.tsv",
        test="results/baselines/splice_reconstruction/round{round}/dataset/test.tsv",
        summary="results/baselines/splice_reconstruction/round{round}/dataset/summary.json",
    log:
        "logs/baselines/splice_reconstruction/round{round}_dataset.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_dataset.tsv"
    wildcard_constraints:
        round=r"\d+",
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        splice=canonical(config["datasets"]["splice"]),
        split=canonical(config["datasets"]["split"]),
        seed=config["datasets"]["seed"],
        task=get_baseline_task_name,
    script:
        "../scripts/build_splice_rc_dataset.py"


rule build_splice_rc_dataset:
    input:
        fasta=GENOME_FA,
        fai=f"{GENOME_FA}.fai",
        gtf=f"resources/annotation/{GENOME}.gtf",
        canonical=CANONICAL,
        hard_negatives=SPLICE_RC_HARD_NEGATIVES,
    output:
        train="results/datasets/splice_rc/train.tsv",
        dev="results/datasets/splice_rc/dev.tsv",
        test="results/datasets/splice_rc/test.tsv",
        summary="results/datasets/splice_rc/summary.json",
    log:
        "logs/datasets/splice_rc.log",
    benchmark:
        "benchmarks/datasets/splice_rc.tsv"
    conda:
        "../../envs/genome.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        splice=canonical(config["datasets"]["splice"]),
        split=canonical(config["datasets"]["split"]),
        seed=config["datasets"]["seed"],
        task="splice_rc",
    script:
        "../scripts/build_splice_rc_dataset.py"


rule score_promscan_tss:
    input:
        predictions="results/{kind}/promscan/{model}/seed{seed}/predictions.tsv",
        tss=f"resources/promoters/{GENOME}.tss.bed",
    output:
        json="results/{kind}/promscan/{model}/seed{seed}/tss_calls.json",
    log:
        "logs/{kind}/promscan/{model}/seed{seed}_tss_calls.log",
    benchmark:
        "benchmarks/{kind}/promscan/{model}/seed{seed}_tss_calls.tsv"
    wildcard_constraints:
        kind="finetune|baselines",
        seed=r"\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        promid=canonical(config["baselines"]["promid"]),
        step=config["datasets"]["promscan"]["step"],
    script:
        "../scripts/score_promscan_tss.py"

# The paper's baselines on the same splits as DNABERT (logic: dnabert.baselines).
# DeePromoter (prom300_*, promcore_*), PromID-style ResNet (promscan), SpliceFinder (splice,
# splice_rc), DeepBind-style CNN (tf_*): which family gets which is dnabert.tasks'. On every task
# also the k-mer yardstick kmer_lr (logistic regression on 4-6-mer frequencies; scikit-learn, no
# torch, seconds per task). The CNNs are small: CPU jobs (device auto uses a GPU when the job
# sees one). Checkpoints live in the run dir's sibling {run}.work (a rerun resumes).
# SpliceFinder's reconstruction: round r scans genic regions with the SpliceFinder trained on
# round r-1's dataset (round 0 = the splice task) and adds its false positives to the
# non-splice class; the last round's dataset is the task splice_rc (datasets: splice.smk).


rule train_baseline:
    input:
        train=paths.dataset_file(name="train.tsv"),
        dev=paths.dataset_file(name="dev.tsv"),
        test=paths.dataset_file(name="test.tsv"),
    output:
        metrics=f"{paths.baseline_run()}/metrics.json",
        predictions=f"{paths.baseline_run()}/predictions.tsv",
        model=f"{paths.baseline_run()}/model.pt",
    log:
        "logs/baselines/{task}/{baseline}/seed{seed}.log",
    benchmark:
        "benchmarks/baselines/{task}/{baseline}/seed{seed}.tsv"
    wildcard_constraints:
        baseline=TRAINED_BASELINE_PATTERN,
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=10000,  # PromID on hg38's promscan: 7.4 GB measured (benchmarks/README.md)
        runtime=480,
    params:
        train=get_baseline_params,
        task=get_task_name,
    script:
        "../scripts/train_baseline.py"


rule train_kmer_lr:
    input:
        train=paths.dataset_file(name="train.tsv"),
        dev=paths.dataset_file(name="dev.tsv"),
        test=paths.dataset_file(name="test.tsv"),
    output:
        metrics=f"{paths.baseline_run(baseline='kmer_lr')}/metrics.json",
        predictions=f"{paths.baseline_run(baseline='kmer_lr')}/predictions.tsv",
        model=f"{paths.baseline_run(baseline='kmer_lr')}/model.npz",
    log:
        "logs/baselines/{task}/kmer_lr/seed{seed}.log",
    benchmark:
        "benchmarks/baselines/{task}/kmer_lr/seed{seed}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        # sparse features; at most max_train_examples fitted, the test split in chunks
        mem_mb=8000,
        runtime=120,
    params:
        train=canonical(config["baselines"]["kmer_lr"]),
        task=get_task_name,
    script:
        "../scripts/train_kmer_lr.py"


rule train_splice_round_model:
    input:
        train=f"{SPLICE_ROUND_DATASET}/train.tsv",
        dev=f"{SPLICE_ROUND_DATASET}/dev.tsv",
        test=f"{SPLICE_ROUND_DATASET}/test.tsv",
    output:
        metrics=f"{paths.splice_round()}/splicefinder/metrics.json",
        predictions=f"{paths.splice_round()}/splicefinder/predictions.tsv",
        model=f"{paths.splice_round()}/splicefinder/model.pt",
    log:
        "logs/baselines/splice_reconstruction/round{round}_splicefinder.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_splicefinder.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=480,
    params:
        train=canonical(config["baselines"]["splicefinder"]),
        task=get_task_name,
        seed=RECONSTRUCTION_SEED,
    script:
        "../scripts/train_baseline.py"


rule scan_splice_hard_negatives:
    input:
        **SPLICE_INPUTS,
        model=get_splice_scan_model,
        previous=get_previous_hard_negatives,
    output:
        bed=f"{paths.splice_round()}/hard_negatives.bed",
    log:
        "logs/baselines/splice_reconstruction/round{round}_scan.log",
    benchmark:
        "benchmarks/baselines/splice_reconstruction/round{round}_scan.tsv"
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


rule score_promscan_tss:
    input:
        predictions=f"{paths.run_dir()}/predictions.tsv",
        tss=paths.tss_bed(GENOME),
    output:
        json=f"{paths.run_dir()}/tss_calls.json",
    log:
        "logs/{kind}/{task}/{model}/seed{seed}_tss_calls.log",
    benchmark:
        "benchmarks/{kind}/{task}/{model}/seed{seed}_tss_calls.tsv"
    wildcard_constraints:
        kind="finetune|baselines",
        task=wildcard_pattern("promscan"),
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        promid=setup.step_settings(config, "tss_calls"),
        step=config["datasets"]["promscan"]["step"],
    script:
        "../scripts/score_promscan_tss.py"

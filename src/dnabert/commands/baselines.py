"""Baseline commands: train-baseline, score-tss, scan-hard-negatives.

Settings come from ``--config`` (validated, defaults filled in; the ``baselines`` section) with a
few command-line overrides; every command runs without Snakemake.
"""

from __future__ import annotations

import json

from dnabert.config import config_or_defaults


def _train(args) -> int:
    from dnabert.baselines.train_baseline import baseline_params, run_baseline

    config = config_or_defaults(args.config)
    params = baseline_params(args.baseline, config)
    if args.baseline == "kmer_lr" and (args.max_steps is not None or args.device is not None):
        raise SystemExit("kmer_lr is fitted on the CPU to convergence: no --max-steps, --device")
    if args.max_steps is not None:
        params["max_steps"] = args.max_steps
    if args.device is not None:
        params["device"] = args.device
    record = run_baseline(
        args.task_dir, args.baseline, args.out_dir, seed=args.seed, params=params,
        config=config, task=args.task,
    )  # fmt: skip
    print(json.dumps({k: record[k] for k in ("task", "model", "accuracy", "mcc", "auroc")}))
    return 0


def _score_tss(args) -> int:
    from dnabert.baselines.scan import score_tss

    config = config_or_defaults(args.config)
    promid = config["baselines"]["promid"]
    record = score_tss(
        args.predictions,
        args.tss,
        args.out,
        threshold=args.threshold if args.threshold is not None else promid["tss_threshold"],
        tolerance=args.tolerance if args.tolerance is not None else promid["tss_tolerance"],
        step=config["datasets"]["promscan"]["step"],
        config=config,
    )
    print(json.dumps({k: record[k] for k in ("n_calls", "n_true_tss", "precision", "recall")}))
    return 0


def _scan(args) -> int:
    from dnabert.baselines.reconstruct import run_scan_round

    config = config_or_defaults(args.config)
    stats = run_scan_round(
        args.model_dir, args.fasta, args.gtf, args.out, previous=args.previous,
        splice_cfg=config["datasets"]["splice"], recon_cfg=config["baselines"]["splicefinder"],
        canonical_txt=args.canonical,
    )  # fmt: skip
    print(json.dumps(stats))
    return 0


def add_parser(subparsers) -> None:
    from dnabert.baselines.models import BASELINE_NAMES

    p = subparsers.add_parser(
        "train-baseline",
        help="train a baseline on a task dir; write metrics.json, predictions.tsv, model.pt",
    )
    p.add_argument("--task-dir", required=True, help="results/datasets/{task}")
    p.add_argument("--baseline", required=True, choices=BASELINE_NAMES)
    p.add_argument("--out-dir", required=True, help="run dir, e.g. results/baselines/{task}/...")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--task", help="task name (default: the task dir's name)")
    p.add_argument("--config", help="pipeline config YAML (baselines section)")
    p.add_argument("--max-steps", type=int, help="override baselines.<baseline>.max_steps")
    p.add_argument("--device", help="override the device (auto, cpu, cuda)")
    p.set_defaults(func=_train)

    p = subparsers.add_parser(
        "score-tss", help="call TSSs from a promscan predictions.tsv and score them"
    )
    p.add_argument("--predictions", required=True, help="a promscan run's predictions.tsv")
    p.add_argument("--tss", required=True, help="true TSSs (EPDnew BED)")
    p.add_argument("--out", required=True, help="output JSON (tss_calls.json)")
    p.add_argument("--threshold", type=float, help="override baselines.promid.tss_threshold")
    p.add_argument("--tolerance", type=int, help="override baselines.promid.tss_tolerance")
    p.add_argument("--config", help="pipeline config YAML")
    p.set_defaults(func=_score_tss)

    p = subparsers.add_parser(
        "scan-hard-negatives",
        help="scan genic regions with a SpliceFinder run; write its false positives as BED6",
    )
    p.add_argument("--model-dir", required=True, help="a splicefinder run dir (model.pt)")
    p.add_argument("--fasta", required=True)
    p.add_argument("--gtf", required=True)
    p.add_argument("--out", required=True, help="output BED6")
    p.add_argument("--previous", help="previous round's BED (sites accumulate)")
    p.add_argument("--canonical", help="chromosome list, one per line")
    p.add_argument("--config", help="pipeline config YAML")
    p.set_defaults(func=_scan)

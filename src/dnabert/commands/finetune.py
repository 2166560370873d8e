"""Commands: ``dnabert finetune``, ``dnabert import-task``, ``dnabert collect-metrics`` and
``dnabert bench-inference``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dnabert.commands import benchmark_script


def add_parser(sub) -> None:
    p = sub.add_parser(
        "finetune",
        help="fine-tune DNABERT-k (or another Hugging Face model) on one task directory and seed",
        description=(
            "Fine-tune a BertForSequenceClassification from a pretrained DNABERT directory "
            "(--pretrained and --k), or any Hugging Face model directory with its own tokenizer "
            "(--hf-model), on TASK_DIR/{train,dev,test}.tsv; writes OUT_DIR/metrics.json, "
            "predictions.tsv and model/. Resumes from OUT_DIR.work when present."
        ),
    )
    p.add_argument("--task-dir", required=True, help="results/datasets/{task}")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--pretrained", help="Hugging Face DNABERT directory (with --k)")
    which.add_argument(
        "--hf-model",
        metavar="DIR",
        help="another language model: a Hugging Face directory with its own tokenizer "
        "(e.g. a Nucleotide Transformer or DNABERT-2 checkpoint), as finetune.models does",
    )
    p.add_argument("--k", type=int, choices=[3, 4, 5, 6], help="DNABERT's k (--pretrained)")
    p.add_argument(
        "--name",
        help="--hf-model: the model's name in metrics.json (default: the directory's name)",
    )
    p.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="--hf-model: load the directory's own model code (DNABERT-2); runs that code",
    )
    p.add_argument(
        "--max-length",
        type=int,
        help="--hf-model: tokens per piece, special tokens included (default: the model's limit)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out-dir", required=True, help="run directory to write")
    p.add_argument("--task", help="task name recorded in metrics.json (default: TASK_DIR name)")
    p.add_argument("--config", help="YAML config; its finetune section and max_length are used")
    p.add_argument("--max-steps", type=int, help="override finetune.max_steps")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda (default auto)")
    p.add_argument(
        "--from-scratch",
        action="store_true",
        help="the from-scratch control: --pretrained's architecture from random weights "
        "(recorded as model dnabert_scratch)",
    )
    p.set_defaults(func=run_finetune)

    i = sub.add_parser(
        "import-task",
        help="import a user's GUE or DNABERT-format task into the project's layout",
        description=(
            "Validate TRAIN/DEV/TEST (GUE 'sequence,label' CSV or DNABERT k-mer TSV, with "
            "header) and write OUT_DIR/{train,dev,test}.tsv + summary.json, keeping the splits."
        ),
    )
    i.add_argument("--name", required=True, help="task name (not a built-in task name)")
    i.add_argument("--train", required=True)
    i.add_argument("--dev", required=True)
    i.add_argument("--test", required=True)
    i.add_argument("--format", default="auto", choices=["auto", "gue", "dnabert"])
    i.add_argument("--out-dir", required=True, help="results/datasets/{name}")
    i.set_defaults(func=run_import)

    c = sub.add_parser(
        "collect-metrics",
        help="build metrics.tsv, metrics_summary.tsv and tf_wilcoxon.tsv from metrics.json files",
    )
    c.add_argument("metrics", nargs="+", help="metrics.json files")
    c.add_argument("--out-dir", required=True, help="directory for the three tables")
    c.set_defaults(func=run_collect)

    b = sub.add_parser(
        "bench-inference",
        help="inference throughput (sequences/s) of the demo model and BERT-base, 101/300 bp",
    )
    b.add_argument("--device", default="auto")
    b.add_argument("--n", type=int, default=256, help="sequences per measurement")
    b.add_argument("--presets", default="demo,base", help="comma-separated: demo, base")
    b.set_defaults(func=run_bench)


def run_finetune(args) -> int:
    from dnabert.config import load_config, task_settings
    from dnabert.finetune import finetune
    from dnabert.procguard import preempted_exit
    from dnabert.train import Preempted

    config = load_config(args.config) if args.config else None
    task = args.task or Path(args.task_dir).name
    ft_cfg = task_settings(config["finetune"], task) if config else {}
    if args.max_steps is not None:  # the command line wins over the config's task_overrides
        ft_cfg["max_steps"] = args.max_steps
    max_length = config["tokenize"]["max_length"] if config else 512
    if args.hf_model:
        return _run_hf_model(args, task, ft_cfg, config)
    if args.k is None:
        raise ValueError("--pretrained needs --k (DNABERT's k-mer size)")
    try:
        finetune(
            args.task_dir,
            args.pretrained,
            args.out_dir,
            task=task,
            k=args.k,
            seed=args.seed,
            ft_cfg=ft_cfg,
            config=config,
            max_length=max_length,
            device=args.device,
            from_scratch=args.from_scratch,
        )
    except Preempted as exc:
        return preempted_exit(exc)
    return 0


def _run_hf_model(args, task: str, ft_cfg: dict, config: dict | None) -> int:
    from dnabert.finetune import finetune_hf_model
    from dnabert.hfmodels import HFModelSpec
    from dnabert.procguard import preempted_exit
    from dnabert.train import Preempted

    if args.from_scratch or args.k is not None:
        raise ValueError("--from-scratch and --k are DNABERT's (--pretrained), not --hf-model's")
    spec = HFModelSpec(
        name=args.name or Path(args.hf_model).resolve().name,
        path=args.hf_model,
        trust_remote_code=args.trust_remote_code,
        max_length=args.max_length,
    )
    try:
        finetune_hf_model(
            args.task_dir,
            spec,
            args.out_dir,
            task=task,
            seed=args.seed,
            ft_cfg=ft_cfg,
            config=config,
            device=args.device,
        )
    except Preempted as exc:
        return preempted_exit(exc)
    return 0


def run_import(args) -> int:
    from dnabert.datasets.custom import import_custom_task

    spec = {"train": args.train, "dev": args.dev, "test": args.test, "format": args.format}
    summary = import_custom_task(args.name, spec, args.out_dir, config={"custom_tasks": spec})
    counts = {name: block["n"] for name, block in summary["splits"].items()}
    print(f"{args.name}: {counts}; shared between splits: {summary['shared_between_splits']}")
    return 0


def run_collect(args) -> int:
    from dnabert.metrics_table import write_metrics_tables

    out = Path(args.out_dir)
    df = write_metrics_tables(
        args.metrics,
        out / "metrics.tsv",
        out / "metrics_summary.tsv",
        out / "tf_wilcoxon.tsv",
    )
    print(f"{len(df)} runs -> {out}")
    return 0


def run_bench(args) -> int:
    bench = benchmark_script("bench_inference.py")
    cmd = [sys.executable, str(bench), "--device", args.device, "--n", str(args.n)]
    return subprocess.call([*cmd, "--presets", args.presets])

"""Commands for MLM pretraining: ``dnabert pretrain`` and ``dnabert bench-pretrain``."""

from __future__ import annotations

import sys

from dnabert.commands import benchmark_script


def add_parser(sub) -> None:
    p = sub.add_parser(
        "pretrain",
        help="pretrain DNABERT-k with masked language modelling",
        description=(
            "Pretrain a BertForMaskedLM on a k-mer token corpus ({train,val}.bin/.idx) and write "
            "a Hugging Face directory. Resumes from OUT_DIR.work/checkpoints when present. "
            "Run under torchrun for several GPUs/nodes. Exit code 75 means: stopped on "
            "SIGTERM/SIGUSR1 after a checkpoint; run again to resume."
        ),
    )
    p.add_argument("--corpus-dir", required=True, help="directory with train/val .bin + .idx")
    p.add_argument("--out-dir", required=True, help="model directory to write")
    p.add_argument("--k", type=int, required=True, choices=[3, 4, 5, 6])
    p.add_argument("--config", help="YAML config; its pretrain.model / pretrain.train are used")
    p.add_argument("--work-dir", help="checkpoints and logs (default OUT_DIR.work)")
    p.add_argument("--max-steps", type=int, help="override pretrain.train.max_steps")
    p.add_argument("--batch-size", type=int, help="override pretrain.train.batch_size")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda (default auto)")
    p.set_defaults(func=run_pretrain)

    b = sub.add_parser(
        "bench-pretrain",
        help="compare a plain HF MLM step with this project's step (tokens/s, MFU)",
    )
    b.add_argument("--preset", choices=["tiny", "base"], default="tiny")
    b.add_argument("--device", default="auto")
    b.add_argument("--steps", type=int, default=10)
    b.add_argument("--compile", action="store_true")
    b.set_defaults(func=run_bench)


def run_pretrain(args) -> int:
    from dnabert.config import config_or_defaults
    from dnabert.pretrain import pretrain
    from dnabert.procguard import preempted_exit
    from dnabert.train import Preempted

    config = config_or_defaults(args.config)
    block = config["pretrain"]
    train_cfg = dict(block["train"], device=args.device)
    if args.max_steps is not None:
        train_cfg["max_steps"] = args.max_steps
    if args.batch_size is not None:
        train_cfg["batch_size"] = args.batch_size
    try:
        pretrain(
            args.corpus_dir,
            args.out_dir,
            args.k,
            block["model"],
            train_cfg,
            config,
            work_dir=args.work_dir,
        )
    except Preempted as exc:
        return preempted_exit(exc)
    return 0


def run_bench(args) -> int:
    bench = benchmark_script("bench_pretrain.py")
    import runpy

    sys.argv = [
        str(bench),
        "--preset",
        args.preset,
        "--device",
        args.device,
        "--steps",
        str(args.steps),
    ] + (["--compile"] if args.compile else [])
    runpy.run_path(str(bench), run_name="__main__")
    return 0

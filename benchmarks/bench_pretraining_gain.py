"""Does pretraining pay off? Pretrained DNABERT vs its from-scratch control, per task and seed.

For every task and seed, the same architecture is fine-tuned twice with the run's ``finetune``
settings, splits, loop and budget: once from the pretrained model, once from random weights
(:func:`dnabert.finetune.finetune` with ``from_scratch=True``). Prints one table: test MCC of each,
their difference per seed, the mean difference and its spread (standard deviation over seeds),
then the mean over tasks. Needs a finished run directory (the demo: ``snakemake --cores 2
--configfile config/demo.yaml``, or at least its datasets and ``results/models/dnabert{k}``)::

    PYTHONPATH=src python benchmarks/bench_pretraining_gain.py --run-dir . \\
        --config config/demo.yaml --seeds 1 2 3

``--model`` compares another pretrained directory (e.g. one pretrained with other settings);
``--lr`` overrides the fine-tuning learning rate (a sensitivity scan: give several).
``--set warmup_ratio=0.3`` changes a ``finetune`` setting for both. ``--out`` also writes the
per-run rows as TSV.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--run-dir", type=Path, default=Path("."), help="holds results/")
    p.add_argument("--config", type=Path, default=Path("config/demo.yaml"))
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--model", type=Path, help="pretrained dir (default results/models/dnabert{k})")
    p.add_argument("--tasks", nargs="+", help="default: every task dir with a train.tsv")
    p.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    p.add_argument("--lr", nargs="+", type=float, help="fine-tuning learning rates to scan")
    p.add_argument("--inits", nargs="+", default=["pretrained", "scratch"])
    p.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="finetune settings for every task, e.g. warmup_ratio=0.3 (YAML values)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, help="also write one row per run here (TSV)")
    args = p.parse_args(argv)

    import torch

    from dnabert.config import validate_config
    from dnabert.finetune import finetune

    torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.WARNING)
    config = validate_config(yaml.safe_load(args.config.read_text()), str(args.config))
    results = args.run_dir / "results"
    model_dir = args.model or results / "models" / f"dnabert{args.k}"
    tasks = args.tasks or sorted(
        d.name for d in (results / "datasets").iterdir() if (d / "train.tsv").exists()
    )
    lrs = args.lr or [None]
    settings = {}
    for item in args.set:
        key, _, value = item.partition("=")
        settings[key] = yaml.safe_load(value)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in tasks:
            for lr in lrs:
                for seed in args.seeds:
                    for init in args.inits:
                        ft = with_settings(config["finetune"], settings, lr)
                        out = Path(tmp) / f"{task}_{init}_{lr}_{seed}"
                        t0 = time.perf_counter()
                        rec = finetune(
                            results / "datasets" / task,
                            model_dir,
                            out,
                            task=task,
                            k=args.k,
                            seed=seed,
                            ft_cfg=ft,
                            max_length=config["tokenize"]["max_length"],
                            device="cpu",
                            from_scratch=init == "scratch",
                        )
                        row = {
                            "task": task,
                            "lr": lr if lr is not None else rec["config"]["finetune"]["lr"],
                            "seed": seed,
                            "init": init,
                            "mcc": rec["mcc"],
                            "auroc": rec.get("auroc"),
                            "n_test": rec.get("n_test"),
                            "best_dev": rec.get("best_dev"),
                            "best_step": rec.get("best_step"),
                            "seconds": round(time.perf_counter() - t0, 1),
                        }
                        rows.append(row)
                        print(json.dumps(row), file=sys.stderr, flush=True)
    if args.out:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.out, sep="\t", index=False)
    print_table(rows, args.inits)
    return 0


def with_settings(section: dict, settings: dict, lr: float | None) -> dict:
    """The ``finetune`` section with ``settings`` (and ``lr`` when given) for every task: they
    replace the section's keys and win over its ``task_overrides``."""
    settings = {**settings, **({"lr": lr} if lr is not None else {})}
    overrides = {
        task: {key: v for key, v in values.items() if key not in settings}
        for task, values in (section.get("task_overrides") or {}).items()
    }
    return {**section, **settings, "task_overrides": overrides}


def print_table(rows: list[dict], inits: list[str]) -> None:
    """Per (task, lr): mean MCC of each init and, with both inits, the mean difference
    (pretrained - scratch) over seeds with its standard deviation."""
    keys = sorted({(r["task"], r["lr"]) for r in rows})
    both = {"pretrained", "scratch"} <= set(inits)
    head = ["task", "lr", *(f"{i} MCC" for i in inits)]
    if both:
        head += ["difference", "sd", "seeds ahead", "AUROC difference", "n test"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    diffs_all = []
    for task, lr in keys:
        sel = [r for r in rows if r["task"] == task and r["lr"] == lr]
        by = {i: {r["seed"]: r["mcc"] for r in sel if r["init"] == i} for i in inits}
        cells = [task, f"{lr:g}"]
        cells += [f"{statistics.mean(by[i].values()):.3f}" for i in inits]
        if both:
            seeds = sorted(set(by["pretrained"]) & set(by["scratch"]))
            d = [by["pretrained"][s] - by["scratch"][s] for s in seeds]
            diffs_all.append(statistics.mean(d))
            sd = statistics.stdev(d) if len(d) > 1 else float("nan")
            auc = {i: {r["seed"]: r["auroc"] for r in sel if r["init"] == i} for i in inits}
            d_auc = [auc["pretrained"][s] - auc["scratch"][s] for s in seeds]
            cells += [
                f"{statistics.mean(d):+.3f}",
                f"{sd:.3f}",
                f"{sum(x > 0 for x in d)}/{len(d)}",
                f"{statistics.mean(d_auc):+.3f}",
                str(sel[0]["n_test"]),
            ]
        print("| " + " | ".join(cells) + " |")
    if both and diffs_all:
        worst = min(diffs_all)
        behind = [f"{t} ({x:+.3f})" for (t, _), x in zip(keys, diffs_all, strict=True) if x < -0.02]
        print(
            f"\nmean difference over {len(diffs_all)} task/lr rows: "
            f"{statistics.mean(diffs_all):+.3f} (worst {worst:+.3f}); "
            f"pretrained ahead on {sum(x > 0 for x in diffs_all)}/{len(diffs_all)}; "
            f"behind by more than 0.02 MCC: {', '.join(behind) or 'none'}"
        )


if __name__ == "__main__":
    sys.exit(main())

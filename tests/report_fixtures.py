"""Hand-made results trees (the output contract) for the report tests."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.evaluate import write_run
from dnabert.metrics_table import collect_metrics, tf_wilcoxon

PROMOTER_TASKS = [f"{p}_{s}" for p in ("prom300", "promcore") for s in ("tata", "notata", "all")]


def _probs(rng, labels: np.ndarray, skill: float, n_classes: int) -> np.ndarray:
    """Probabilities that favour the true class by ``skill`` (0: random, 1: perfect)."""
    logits = rng.normal(size=(labels.size, n_classes))
    logits[np.arange(labels.size), labels] += 4 * skill
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def write_fake_run(results: Path, task: str, model: str, seed: int, skill: float, n=60, k=6):
    rng = np.random.default_rng([seed, zlib.crc32(f"{task}/{model}".encode())])
    n_classes = 3 if task.startswith("splice") else 2
    labels = np.arange(n) % n_classes
    probs = _probs(rng, labels, skill, n_classes)
    if model == "dnabert":
        out = results / "finetune" / task / f"dnabert{k}" / f"seed{seed}"
    else:
        out = results / "baselines" / task / model / f"seed{seed}"
        k = None
    coords = pd.DataFrame(
        {"chrom": "chr1", "start": np.arange(n) * 10, "end": np.arange(n) * 10 + 5, "strand": "+"}
    )
    return write_run(
        out,
        task=task,
        model=model,
        k=k,
        seed=seed,
        labels=labels,
        probs=probs,
        config={"seeds": [seed]},
        extra={"throughput": 100.0},
        predictions_extra=coords,
    )


def write_pretrain_logs(results: Path, k: int = 6, steps: int = 50) -> None:
    d = results / "models" / f"dnabert{k}"
    d.mkdir(parents=True, exist_ok=True)
    step = np.arange(10, steps + 1, 10)
    pd.DataFrame(
        {
            "step": step,
            "epoch": 0,
            "loss": 7 - step / 50,
            "lr": 1e-3,
            "tokens_per_s": 1000.0 + step,
            "mlm_acc": step / 500,
        }
    ).to_csv(d / "train_log.csv", index=False)
    pd.DataFrame(
        {"step": step[::2], "loss": 7 - step[::2] / 60, "mlm_acc": step[::2] / 600}
    ).to_csv(d / "eval_log.csv", index=False)


def make_results_tree(
    results: Path,
    seeds=(1, 2),
    tf_tasks=("tf_A", "tf_B", "tf_C"),
    with_curves=True,
    yardstick=False,
) -> Path:
    """A results tree with every task, DNABERT-6 and the baselines (with ``yardstick`` also
    kmer_lr on every task, as the workflow runs it by default); returns metrics.tsv."""
    records = []
    plan = [(t, "deepromoter") for t in PROMOTER_TASKS] + [("promscan", "promid")]
    plan += [("splice", "splicefinder"), ("splice_rc", "splicefinder")]
    plan += [(t, "deepbind") for t in tf_tasks]
    for task, baseline in plan:
        if not with_curves and task.startswith("promcore"):
            continue
        for seed in seeds:
            records.append(write_fake_run(results, task, "dnabert", seed, skill=0.9))
            records.append(write_fake_run(results, task, baseline, seed, skill=0.4))
            if yardstick:
                records.append(write_fake_run(results, task, "kmer_lr", seed, skill=0.3))
    write_pretrain_logs(results)
    table = pd.DataFrame(records).drop(columns=["config", "packages"])
    path = results / "report" / "metrics.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep="\t", index=False)
    # collect_metrics writes the TF Wilcoxon table beside it (plot_figures reads both)
    runs = collect_metrics(sorted(results.glob("*/*/*/seed*/metrics.json")))
    tf_wilcoxon(runs).to_csv(path.parent / "tf_wilcoxon.tsv", sep="\t", index=False)
    return path

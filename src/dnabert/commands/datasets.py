"""Commands for promoter datasets: ``dnabert build-promoters`` and ``dnabert build-promscan``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dnabert.tasks import family_tasks

PROMOTER_TASKS = family_tasks("prom300") + family_tasks("promcore")


def _settings(args) -> tuple[dict, int, dict, dict | None]:
    """(datasets config section, seed, split config, full config) from --config and overrides."""
    from dnabert.config import load_config, schema_defaults

    config = load_config(args.config) if args.config else None
    datasets = config["datasets"] if config else schema_defaults("datasets")
    seed = args.seed if args.seed is not None else datasets["seed"]
    return datasets, seed, datasets["split"], config


def _canonical(path: str | None) -> list[str] | None:
    if not path:
        return None
    return [ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip()]


def run_build_promoters(args) -> int:
    from dnabert.datasets.promoters import build_promoter_task

    datasets, seed, split, config = _settings(args)
    summary = build_promoter_task(
        args.task,
        args.fasta,
        args.tss,
        args.tata,
        args.out_dir,
        seed=seed,
        split_cfg=split,
        params=datasets.get("promoters"),
        canonical=_canonical(args.canonical),
        config=config,
    )
    print(json.dumps({k: summary[k] for k in ("task", "n_written", "shared_between_splits")}))
    return 0


def run_build_promscan(args) -> int:
    from dnabert.datasets.promscan import build_promscan_task

    datasets, seed, split, config = _settings(args)
    params = dict(datasets.get("promscan", {}))
    if args.max_tss is not None:
        params["max_tss"] = args.max_tss
    summary = build_promscan_task(
        args.fasta,
        args.tss,
        args.out_dir,
        seed=seed,
        split_cfg=split,
        params=params,
        canonical=_canonical(args.canonical),
        config=config,
    )
    print(json.dumps({k: summary[k] for k in ("task", "n_written", "shared_between_splits")}))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fasta", required=True, help="indexed genome FASTA (.fai made if missing)")
    p.add_argument("--tss", required=True, help="EPDnew TSS list: BED8/BED6, SGA or TSV")
    p.add_argument("--out-dir", required=True, help="output directory results/datasets/{task}")
    p.add_argument("--canonical", help="file of canonical chromosome names, one per line")
    p.add_argument("--config", help="config YAML; its datasets section sets seed, split, params")
    p.add_argument("--seed", type=int, help="seed (overrides datasets.seed)")


def add_parser(sub) -> None:
    p = sub.add_parser("build-promoters", help="build a prom300/promcore dataset from EPDnew")
    p.add_argument("--task", required=True, choices=PROMOTER_TASKS)
    p.add_argument("--tata", required=True, help="TATA promoter names: list, EPD FASTA, table")
    _common(p)
    p.set_defaults(func=run_build_promoters)
    p = sub.add_parser("build-promscan", help="build the promscan dataset (1001 bp scan windows)")
    p.add_argument("--max-tss", type=int, help="scan around this many TSSs (overrides config)")
    _common(p)
    p.set_defaults(func=run_build_promscan)

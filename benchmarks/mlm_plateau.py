"""The MLM plateau of docs/pretraining.md, reproduced: held-out MLM accuracy along training.

``corpus``: pretrains on a corpus directory (``results/pretrain/k6`` of a demo run) with the
demo's ``pretrain`` settings plus overrides, and prints the eval log (step, loss, accuracy) and
the reference accuracies (``frequency_acc``, ``copy_neighbours_acc``)::

    PYTHONPATH=src python benchmarks/mlm_plateau.py corpus --corpus-dir results/pretrain/k6 \\
        --out-dir /tmp/plateau --set lr=3e-3 max_steps=6000 warmup_steps=200 eval_every=500

``random``: the same tiny BERT on uniform random sequences (k=3 by default), where copying the
unmasked neighbours' bases is the best a model can do; prints training loss and masked accuracy
every ``--every`` steps (the k=3 run of the doc: ``--steps 3000 --batch 64 --length 22``)::

    PYTHONPATH=src python benchmarks/mlm_plateau.py random --steps 3000 --batch 64 --length 22
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

DEMO_MODEL = dict(hidden_size=64, num_layers=2, num_heads=2, intermediate_size=256, dropout=0.0)


def _settings(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


def run_corpus(args) -> None:
    from dnabert.pretrain import pretrain

    cfg = yaml.safe_load(Path(args.config).read_text())["pretrain"]
    train_cfg = {**cfg["train"], **_settings(args.set), "device": "cpu"}
    metrics = pretrain(args.corpus_dir, args.out_dir, args.k, cfg["model"], train_cfg)
    print((Path(args.out_dir) / "eval_log.csv").read_text())
    for key in ("val_mlm_acc", "frequency_acc", "copy_neighbours_acc", "steps"):
        print(f"{key}: {metrics[key]}")


def run_random(args) -> None:
    from dnabert.masking import KmerSpanMaskCollator
    from dnabert.pretrain import build_mlm_model, mlm_loss
    from dnabert.tokenizer import encode

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    seqs = [encode("".join(rng.choice(list("ACGT"), args.length)), args.k) for _ in range(2000)]
    model = build_mlm_model(args.k, DEMO_MODEL)
    collator = KmerSpanMaskCollator(args.k, mlm_probability=0.15, max_length=512, seed=1)
    optimizer = torch.optim.AdamW(model.parameters(), args.lr)
    print("step\tloss\tmasked_accuracy")
    for step in range(args.steps + 1):
        batch = collator([seqs[i] for i in rng.integers(0, len(seqs), args.batch)])
        loss, metrics = mlm_loss(model, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % args.every == 0:
            print(f"{step}\t{loss.item():.3f}\t{metrics['mlm_acc'].item():.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--corpus-dir", required=True)
    c.add_argument("--out-dir", required=True)
    c.add_argument("--config", default="config/demo.yaml")
    c.add_argument("--k", type=int, default=6)
    c.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    c.set_defaults(func=run_corpus)
    r = sub.add_parser("random")
    r.add_argument("--k", type=int, default=3)
    r.add_argument("--steps", type=int, default=3000)
    r.add_argument("--batch", type=int, default=64)
    r.add_argument("--length", type=int, default=22, help="bases per sequence")
    r.add_argument("--lr", type=float, default=3e-3)
    r.add_argument("--every", type=int, default=250)
    r.set_defaults(func=run_random)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

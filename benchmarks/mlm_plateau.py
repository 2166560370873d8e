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

``easier``: the demo's tiny BERT on the demo corpus with the MLM made easier, to see which
difficulty holds it on the plateau: ``--span`` tokens per masked span (1: every masked k-mer is
spelled out by its two neighbours; default k, DNABERT's), ``--crop`` trains and evaluates on
windows of that many tokens (the demo's are 254), ``--init compositional`` starts each k-mer's
embedding as a sum of per-position base vectors (its bases readable from the start). A plain
AdamW loop; prints loss and masked accuracy on held-out windows every ``--every`` steps::

    PYTHONPATH=src python benchmarks/mlm_plateau.py easier --corpus-dir results/pretrain/k6 \\
        --span 1 --crop 32 --init compositional --steps 600
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


def compositional_embeddings(model, k: int, seed: int = 0) -> None:
    """``pretrain.model.kmer_embedding_init: compositional`` with its draws seeded by ``seed``."""
    from dnabert.pretrain import compositional_kmer_embeddings

    torch.manual_seed(seed)
    compositional_kmer_embeddings(model.get_input_embeddings(), k, model.config.initializer_range)


def _windows(corpus, n: int, crop: int, rng) -> list[np.ndarray]:
    out = []
    for i in rng.integers(0, len(corpus), n):
        seq = corpus[int(i)]
        start = int(rng.integers(0, max(1, len(seq) - crop + 1)))
        out.append(np.asarray(seq[start : start + crop]))
    return out


def run_easier(args) -> None:
    from dnabert.corpus import TokenCorpus
    from dnabert.masking import KmerSpanMaskCollator
    from dnabert.pretrain import build_mlm_model, mlm_loss

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    train = TokenCorpus(Path(args.corpus_dir) / "train")
    val = _windows(TokenCorpus(Path(args.corpus_dir) / "val"), 128, args.crop, rng)
    model = build_mlm_model(train.k, DEMO_MODEL)
    if args.init == "compositional":
        compositional_embeddings(model, train.k)
    masks = dict(mlm_probability=0.15, max_length=512, span=args.span)
    collator = KmerSpanMaskCollator(train.k, seed=1, **masks)
    optimizer = torch.optim.AdamW(model.parameters(), args.lr)
    n_batch = args.batch or max(1, 16 * 254 // args.crop)  # the demo's tokens per step
    print("step\ttrain_loss\tval_masked_accuracy")
    for step in range(args.steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / 30)
        loss, _ = mlm_loss(model, collator(_windows(train, n_batch, args.crop, rng)))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % args.every == 0:
            model.eval()
            with torch.no_grad():
                batch = KmerSpanMaskCollator(train.k, seed=2, **masks)(val)
                _, metrics = mlm_loss(model, batch)
            model.train()
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
    e = sub.add_parser("easier")
    e.add_argument("--corpus-dir", required=True)
    e.add_argument("--span", type=int, help="tokens per masked span (default k)")
    e.add_argument("--crop", type=int, default=254, help="tokens per training window")
    e.add_argument("--init", choices=["random", "compositional"], default="random")
    e.add_argument("--steps", type=int, default=600)
    e.add_argument("--batch", type=int, help="windows per step (default: 16 x 254 tokens / crop)")
    e.add_argument("--lr", type=float, default=3e-3)
    e.add_argument("--every", type=int, default=100)
    e.set_defaults(func=run_easier)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a plain Hugging Face MLM training step vs this project's step, on the same sequences.

(a) plain: BertForMaskedLM, fp32, eager attention, every batch padded to max length, torch AdamW
    (default implementation), no compile;
(b) project: dnabert.pretrain.build_mlm_model (SDPA attention), autocast bf16 on GPUs, fused AdamW
    on CUDA, optional torch.compile, length-bucketed batches (sequences sorted by length, padded
    to the longest in the batch, rounded up to a multiple of 8).

Both count real (non-padding) tokens, so tokens/s compare work done on the same data. Sequence
lengths follow the paper's corpus (510 tokens with p=0.5, else uniform 5..510), random k-mer ids.

    python benchmarks/bench_pretrain.py --preset tiny --device cpu
    python benchmarks/bench_pretrain.py --preset base --device cuda --compile
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from dnabert.pretrain import build_mlm_model, mlm_loss, vocab_size
from dnabert.train import (
    TrainConfig,
    autocast_context,
    configure_optimizer,
    model_flops_per_token,
    peak_flops,
    resolve_precision,
)

PRESETS = {
    "tiny": dict(
        model=dict(hidden_size=64, num_layers=2, num_heads=2, intermediate_size=256),
        k=3,
        batch=16,
        max_len=128,
    ),
    "demo": dict(  # config/demo.yaml's model: k=6, so the 4101-way head dominates its step
        model=dict(hidden_size=64, num_layers=2, num_heads=2, intermediate_size=256),
        k=6,
        batch=16,
        max_len=256,
    ),
    "base": dict(
        model=dict(hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072),
        k=6,
        batch=32,
        max_len=512,
    ),
}


def make_sequences(n: int, k: int, max_len: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    body = max_len - 2
    lengths = np.where(rng.random(n) < 0.5, body, rng.integers(5, body + 1, n))
    return [rng.integers(5, vocab_size(k), size=int(n_), dtype=np.uint16) for n_ in lengths]


def collate(seqs, pad_to: int | None, seed: int) -> dict:
    """[CLS] seq [SEP], padded to ``pad_to`` (or the longest, rounded up to 8); 15% masked."""
    longest = max(len(s) for s in seqs) + 2
    T = pad_to or -(-longest // 8) * 8
    ids = torch.zeros(len(seqs), T, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s) + 2] = torch.tensor([2, *s.tolist(), 3])
    att = (ids != 0).long()
    g = torch.Generator().manual_seed(seed)
    mask = (torch.rand(ids.shape, generator=g) < 0.15) & (ids >= 5)
    labels = torch.where(mask, ids, -100)
    return {"input_ids": torch.where(mask, 4, ids), "attention_mask": att, "labels": labels}


def run(model, batches, optimizer, device, ctx, steps: int) -> float:
    """Tokens/s over ``steps`` steps after 3 warm-up steps."""

    def step(b):
        b = {k: v.to(device, non_blocking=True) for k, v in b.items()}
        with ctx:
            loss, _ = mlm_loss(model, b)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for b in batches[:3]:
        step(b)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0, tokens = time.perf_counter(), 0
    for i in range(steps):
        b = batches[3 + i % (len(batches) - 3)]
        tokens += int(b["attention_mask"].sum())
        step(b)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return tokens / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    p = PRESETS[args.preset]
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    n_batches = args.steps + 3
    seqs = make_sequences(n_batches * p["batch"], p["k"], p["max_len"])
    model_cfg = dict(p["model"], max_position_embeddings=512, dropout=0.1, init_from=None)

    # (a) plain: random order, padded to max length, fp32, eager attention.
    padded = [
        collate(seqs[i : i + p["batch"]], p["max_len"], i) for i in range(0, len(seqs), p["batch"])
    ]
    torch.manual_seed(0)
    from transformers import BertForMaskedLM

    plain = BertForMaskedLM(build_mlm_model(p["k"], model_cfg).config)  # stock head: every token
    plain.config._attn_implementation = "eager"
    plain.set_attn_implementation("eager")
    plain.to(device).train()
    opt = torch.optim.AdamW(plain.parameters(), lr=1e-4)
    tps_plain = run(plain, padded, opt, device, contextlib.nullcontext(), args.steps)
    del plain, opt

    # (b) project: sorted into length buckets, SDPA, autocast, fused AdamW, optional compile.
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    bucketed = [
        collate([seqs[j] for j in order[i : i + p["batch"]]], None, i)
        for i in range(0, len(seqs), p["batch"])
    ]
    np.random.default_rng(0).shuffle(bucketed)
    torch.manual_seed(0)
    ours = build_mlm_model(p["k"], model_cfg).to(device).train()
    cfg = TrainConfig(lr=1e-4, device=str(device))
    opt = configure_optimizer(ours, cfg, device)
    dtype = resolve_precision("auto", device)
    model = torch.compile(ours) if args.compile else ours
    tps_ours = run(model, bucketed, opt, device, autocast_context(device, dtype), args.steps)

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"device {device} ({name})"
        f", preset {args.preset}, k={p['k']}, batch {p['batch']}, max_len {p['max_len']}, "
        f"steps {args.steps}, precision {dtype}, compile {args.compile}"
    )
    print(f"(a) plain HF fp32 eager padded : {tps_plain:12.0f} tokens/s")
    print(f"(b) this project's step        : {tps_ours:12.0f} tokens/s")
    print(f"ratio (b)/(a)                  : {tps_ours / tps_plain:12.2f}x")
    peak = peak_flops(device)
    if peak:
        n = sum(q.numel() for q in ours.parameters())
        c = ours.config
        mean_t = float(np.mean([b["input_ids"].shape[1] for b in bucketed]))
        fpt = model_flops_per_token(n, c.num_hidden_layers, c.hidden_size, int(mean_t))
        print(f"MFU (b)                        : {tps_ours * fpt / peak:12.1%}")
        print(f"MFU (a), real tokens only       : {tps_plain * fpt / peak:12.1%}")


if __name__ == "__main__":
    main()

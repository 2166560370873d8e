"""Benchmark the baseline networks: training steps/s and inference sequences/s.

Each model runs on random one-hot input of its task's length (DeePromoter 300 bp, PromID 1001 bp,
SpliceFinder 400 bp, DeepBind 101 bp), in one process, after a warm-up, and prints a table:

    PYTHONPATH=src python benchmarks/bench_baselines.py [--device cpu|cuda] [--batch 64]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from dnabert.baselines.models import build_model

CASES = [("deepromoter", 300, 2), ("promid", 1001, 2), ("splicefinder", 400, 3),
         ("deepbind", 101, 2)]  # fmt: skip


def _time(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - t0) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"device {device}, batch {args.batch}, threads {torch.get_num_threads()}")
    print(f"{'model':<14}{'L':>6}{'params':>10}{'train step/s':>14}{'infer seq/s':>14}")
    for name, length, n_classes in CASES:
        model = build_model(name, seq_len=length, n_classes=n_classes).to(device)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        idx = torch.randint(0, 4, (args.batch, length), device=device)
        x = F.one_hot(idx, 4).float().transpose(1, 2).contiguous()  # (B, 4, L)
        y = torch.randint(0, n_classes, (args.batch,), device=device)

        def step(model=model, opt=opt, x=x, y=y):
            model.train()
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

        @torch.no_grad()
        def infer(model=model, x=x):
            model.eval()
            model(x)

        t_step = _time(step, args.repeats, device)
        t_inf = _time(infer, args.repeats, device)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{name:<14}{length:>6}{n_params:>10,}{1 / t_step:>14.1f}{args.batch / t_inf:>14.0f}")


if __name__ == "__main__":
    main()

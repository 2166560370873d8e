"""The training loop's settings (:class:`TrainConfig`) and what follows from them alone: the
learning-rate schedule, the optimizer and the default data order (:mod:`dnabert.train` is the
loop)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class TrainConfig:
    """Hyper-parameters of the loop. ``batch_size`` is per process and micro-step: one optimizer
    step sees ``batch_size * grad_accum * world_size`` examples."""

    max_steps: int = 1000
    batch_size: int = 32
    grad_accum: int = 1
    lr: float = 4e-4
    warmup_steps: int | None = None  # when None, warmup_ratio * max_steps
    warmup_ratio: float = 0.0
    decay_steps: int | None = None  # when None, decay over all steps after the warmup
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-6
    clip: float = 1.0  # max gradient norm; 0 disables clipping
    precision: str = "auto"  # auto | bf16 | fp16 | fp32
    compile: bool = False
    log_every: int = 10
    eval_every: int = 0  # 0: evaluate only at the end
    ckpt_every: int = 1000  # 0: checkpoint only at the end and on preemption
    keep_checkpoints: int = 2
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    # Model selection (fine-tuning): keep the weights with the best value of this eval metric
    # (higher is better, e.g. "mcc" or "auroc") and restore them at the end; None keeps the last.
    select_metric: str | None = None
    patience: int = 0  # stop after this many evals without improvement; 0 never stops early

    def __post_init__(self):
        if self.precision not in ("auto", "bf16", "fp16", "fp32"):
            raise ValueError(f"precision must be auto, bf16, fp16 or fp32, got {self.precision!r}")
        for name in ("max_steps", "batch_size", "grad_accum", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        self.betas = tuple(self.betas)

    @property
    def warmup(self) -> int:
        if self.warmup_steps is not None:
            return int(self.warmup_steps)
        return int(round(self.warmup_ratio * self.max_steps))


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate of optimizer update ``step`` (1-based): ``lr * step / warmup`` up to
    ``warmup``, then linear decay reaching 0 at ``max_steps`` (the paper's schedule). With
    ``decay_steps``, ``lr`` holds until the last ``decay_steps`` steps and decays over those."""
    warmup = cfg.warmup
    if step <= warmup:
        return cfg.lr * step / warmup
    decay = cfg.max_steps - warmup if cfg.decay_steps is None else cfg.decay_steps
    return cfg.lr * min(1.0, max(0.0, (cfg.max_steps - step) / max(1, decay)))


def random_batches(n: int, batch_size: int, seed: int) -> Callable[[int], Iterator[list[int]]]:
    """Default batch sampler: a permutation of ``range(n)`` per epoch (seeded by seed and epoch)
    cut into lists of ``batch_size`` indices; the last one may be shorter."""

    def sample(epoch: int) -> Iterator[list[int]]:
        order = np.random.default_rng([seed, epoch]).permutation(n)
        for i in range(0, n, batch_size):
            yield order[i : i + batch_size].tolist()

    return sample


def configure_optimizer(
    model: torch.nn.Module, cfg: TrainConfig, device: torch.device
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not biases, LayerNorm or other 1-D tensors)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(
        groups, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, fused=device.type == "cuda"
    )

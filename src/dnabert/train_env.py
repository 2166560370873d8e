"""Where and how the training loop runs: the process's place in a DDP job, the device, the
autocast precision, moving batches there, and the FLOP counts behind MFU
(:mod:`dnabert.train` is the loop)."""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from typing import Any

import torch

# Peak dense tensor throughput (FLOP/s) for MFU, at the precision the loop uses on that GPU
# (bf16, or fp16 where bf16 is unsupported). Matched as substrings of the CUDA device name.
PEAK_FLOPS = {
    "H200": 989e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,  # SXM
    "GH200": 989e12,
    "A100": 312e12,
    "A10G": 125e12,  # fp16/bf16 dense, tensor cores
    "L40S": 362e12,
    "L4": 121e12,
    "V100": 125e12,  # fp16
    "RTX 4090": 165e12,
    "RTX 3090": 71e12,
    "RTX 2080 Ti": 54e12,  # fp16 tensor cores (the paper's GPU)
    "T4": 65e12,
}


def model_flops_per_token(n_params: int, n_layers: int, d_model: int, seq_len: int) -> float:
    """Training FLOPs per token of a transformer: ``6N`` for the weights (forward + backward)
    plus ``12 * L * d * T`` for attention scores and values (PaLM appendix B, nanoGPT)."""
    return 6.0 * n_params + 12.0 * n_layers * d_model * seq_len


def peak_flops(device: torch.device) -> float | None:
    """Peak FLOP/s of the GPU from :data:`PEAK_FLOPS`, or None (CPU, unknown GPU)."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_FLOPS.items():  # ordered: specific names before generic ones
        if key in name:
            return value
    return None


@dataclass
class DistEnv:
    """Where this process sits in a (possibly single-process) job."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_ddp(self) -> bool:
        return self.world_size > 1

    @property
    def master(self) -> bool:
        return self.rank == 0


def dist_env() -> DistEnv:
    """Read RANK / LOCAL_RANK / WORLD_SIZE as set by ``torchrun`` (defaults: one process)."""
    return DistEnv(
        rank=int(os.environ.get("RANK", 0)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
    )


def pick_device(requested: str, env: DistEnv) -> torch.device:
    """The device of ``requested`` (``auto``: this rank's GPU when CUDA is available, else the
    CPU; ``cuda`` without an index: this rank's GPU)."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", env.local_rank)
        return torch.device("cpu")
    device = torch.device(requested)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", env.local_rank)
    return device


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The autocast dtype: ``auto`` is bf16 on GPUs that support it, fp16 on older GPUs, fp32 on
    CPU (CPU bf16 autocast is slower than fp32 on most CPUs; ask for ``bf16`` explicitly)."""
    if precision == "auto":
        if device.type != "cuda":
            return torch.float32
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def autocast_context(device: torch.device, dtype: torch.dtype):
    """One context object for mixed precision (a no-op in fp32)."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def count_tokens(batch: Any) -> int:
    """Real (non-padding) tokens in a CPU batch: ``attention_mask.sum()`` when present, else the
    number of elements of the first tensor's first two dimensions."""
    if isinstance(batch, dict):
        if "attention_mask" in batch:
            return int(batch["attention_mask"].sum())
        first = next(iter(batch.values()))
    elif isinstance(batch, (tuple, list)):
        first = batch[0]
    else:
        first = batch
    return int(math.prod(first.shape[:2])) if first.dim() >= 2 else int(first.shape[0])


def _seq_len(batch: Any) -> int:
    if isinstance(batch, dict) and "input_ids" in batch:
        return int(batch["input_ids"].shape[1])
    first = next(iter(batch.values())) if isinstance(batch, dict) else batch
    first = first[0] if isinstance(first, (tuple, list)) else first
    return int(first.shape[-1])


def to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(v, device) for v in batch)
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    return batch

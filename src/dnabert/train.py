"""One small training loop for pretraining, fine-tuning and baselines (after nanoGPT's train.py).

The loop knows nothing about the model, the data or the loss: it takes a ``torch.nn.Module``, an
indexable dataset, a collate function and (optionally) a ``loss_fn(model, batch)``. What it does:

- device: CUDA when available, else CPU; precision ``auto`` = bf16 autocast where the GPU
  supports it, fp16 autocast with a gradient scaler on older GPUs (e.g. the paper's RTX 2080 Ti),
  fp32 on CPU;
- optional ``torch.compile``; fused AdamW on CUDA; gradient accumulation; gradient clipping;
- the paper's schedule: linear warmup to ``lr`` at ``warmup_steps``, then linear decay to 0 at
  ``max_steps`` (the learning rate is a pure function of the step, so it needs no state of its own);
- DDP detected from the environment (``torchrun`` sets RANK / WORLD_SIZE / LOCAL_RANK): ``nccl`` on
  GPUs, ``gloo`` on CPU; only rank 0 (``master``) logs and writes;
- checkpoints ``out_dir/checkpoints/step{N}.pt`` (+ ``latest`` pointer) every ``ckpt_every`` steps,
  written atomically, holding model, optimizer, grad scaler, RNG states (python, numpy, torch, CUDA,
  the collator's own generator, per rank), the data position, the config and the seconds spent
  so far (summed over resumed parts); a new call with the same ``out_dir`` resumes from
  ``latest``;
- SIGTERM / SIGUSR1 (what SLURM sends before preemption or the time limit): the current step is
  finished, a checkpoint written, and :class:`Preempted` raised; command-line entry points turn it
  into exit code :data:`EXIT_PREEMPTED` (75, ``EX_TEMPFAIL``) so a requeued job resumes;
- logs: ``train_log.csv`` (one row per ``log_every`` steps: step, epoch, loss, lr, tokens/s, MFU on
  GPUs, the loss function's metrics), ``eval_log.csv``, TensorBoard events under ``tensorboard/``,
  and a tqdm progress bar (on a terminal; elsewhere, e.g. in a job's log, one log line each
  ``log_every`` steps).

Data order is deterministic: a batch sampler ``batch_sampler(epoch) -> iterable of index lists``
gives the micro-batches of an epoch; with W processes, each consecutive group of W micro-batches
is split one per rank (an incomplete last group is dropped). The data position is (epoch, number
of micro-batches consumed in the epoch), so a resumed run skips exactly the batches already used.
Collation runs in the main process so that the masking generator's state can be checkpointed.

The settings and schedule are in :mod:`dnabert.train_config`, the device, precision and DDP
placement in :mod:`dnabert.train_env`, what a run keeps between its parts (RNG states, logs,
stop flag, checkpoint pointer) in :mod:`dnabert.train_state`; their public names are
importable from here too. The loop itself (:class:`_Trainer`, a little over 300 lines) stays in
one module: its steps, checkpoints, evaluation and early stopping share one state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dnabert.procguard import EXIT_PREEMPTED  # noqa: F401 -- re-exported: callers import it here
from dnabert.provenance import atomic_path
from dnabert.train_config import (  # noqa: F401 -- re-exported: callers import them here
    TrainConfig,
    configure_optimizer,
    lr_at,
    random_batches,
)
from dnabert.train_env import (  # noqa: F401 -- re-exported: callers import them here
    PEAK_FLOPS,
    DistEnv,
    _seq_len,
    autocast_context,
    count_tokens,
    dist_env,
    model_flops_per_token,
    peak_flops,
    pick_device,
    resolve_precision,
    to_device,
)
from dnabert.train_state import (  # noqa: F401 -- re-exported: callers import them here
    Preempted,
    _Log,
    _rng_state,
    _set_rng_state,
    _StopFlag,
    latest_checkpoint,
)

log = logging.getLogger(__name__)


def default_loss(model: torch.nn.Module, batch: dict) -> tuple[torch.Tensor, dict]:
    """``model(**batch).loss`` (Hugging Face models given ``labels``), no extra metrics."""
    return model(**batch).loss, {}


def train(
    model: torch.nn.Module,
    train_data: Any,
    collate_fn: Callable[[list], Any],
    cfg: TrainConfig,
    out_dir: str | os.PathLike,
    *,
    batch_sampler: Callable[[int], Iterable[list[int]]] | None = None,
    loss_fn: Callable[[torch.nn.Module, Any], tuple[torch.Tensor, dict]] | None = None,
    eval_fn: Callable[[torch.nn.Module], dict] | None = None,
    flops_per_token: Callable[[int], float] | None = None,
    run_config: dict | None = None,
) -> dict:
    """Train ``model`` in place for ``cfg.max_steps`` optimizer steps, resuming from
    ``out_dir/checkpoints/latest`` when it exists.

    ``train_data[i]`` gives one example and ``collate_fn(list_of_examples)`` a batch (a dict of
    CPU tensors, or a tuple); ``loss_fn(model, batch) -> (scalar loss, {name: scalar tensor})``
    (default ``model(**batch).loss``). ``eval_fn(model) -> {name: float}`` runs on rank 0 only,
    in eval mode under ``no_grad`` and autocast, every ``eval_every`` steps and at the end.
    ``flops_per_token(seq_len)`` enables MFU on GPUs. ``run_config`` is stored in checkpoints.

    Returns ``{"step", "history" (logged rows), "eval" (last eval metrics), "best", "device",
    "seconds" (training seconds of every part: the ones before the checkpoint this call resumed
    from, plus this call's), "resumed_seconds" (those of the earlier parts alone)}``; raises
    :class:`Preempted` after checkpointing when SIGTERM/SIGUSR1 arrived.
    """
    out_dir = Path(out_dir)
    env = dist_env()
    device = pick_device(cfg.device, env)
    own_group = False
    if env.is_ddp and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)
        own_group = True
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True  # fp32 parts (optimizer, softmax) on TF32
        torch.backends.cudnn.allow_tf32 = True
    try:
        return _Trainer(
            model,
            train_data,
            collate_fn,
            cfg,
            out_dir,
            env,
            device,
            batch_sampler=batch_sampler
            or random_batches(len(train_data), cfg.batch_size, cfg.seed),
            loss_fn=loss_fn or default_loss,
            eval_fn=eval_fn,
            flops_per_token=flops_per_token,
            run_config=run_config,
        ).run()
    finally:
        if own_group:
            torch.distributed.destroy_process_group()


class _Trainer:
    def __init__(self, model, data, collate_fn, cfg, out_dir, env, device, **kw):
        self.cfg, self.out_dir, self.env, self.device = cfg, out_dir, env, device
        self.data, self.collate_fn = data, collate_fn
        self.batch_sampler, self.loss_fn, self.eval_fn = (
            kw["batch_sampler"],
            kw["loss_fn"],
            kw["eval_fn"],
        )
        self.flops_per_token, self.run_config = kw["flops_per_token"], kw["run_config"]
        # seconds of earlier parts (from the checkpoint resumed) and when this part started
        self.resumed_seconds, self.started = 0.0, time.perf_counter()
        self.ckpt_dir = out_dir / "checkpoints"
        self.dtype = resolve_precision(cfg.precision, device)
        self.autocast = autocast_context(device, self.dtype)
        self.raw_model = model.to(device)
        self.optimizer = configure_optimizer(self.raw_model, cfg, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)
        self.step, self.epoch, self.pos = 0, 0, 0  # pos: micro-batches consumed in this epoch
        # model selection: best eval value so far, its step, a CPU copy of its weights
        self.best: dict[str, Any] = {"value": None, "step": None, "state": None, "stale": 0}
        # Different dropout streams per rank; parameters are broadcast from rank 0 by DDP.
        seed = cfg.seed + env.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        self._resume()
        self.model = torch.compile(self.raw_model) if cfg.compile else self.raw_model
        if env.is_ddp:
            ids = [device.index] if device.type == "cuda" else None
            self.model = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

    # ---------------------------------------------------------------- data
    def _batches(self) -> Iterator[Any]:
        """Endless micro-batches for this rank; keeps ``epoch``/``pos`` current."""
        world, rank = self.env.world_size, self.env.rank
        while True:
            used = 0
            group: list[list[int]] = []
            for i, idx in enumerate(self.batch_sampler(self.epoch)):
                if i < self.pos:  # consumed before the checkpoint we resumed from
                    continue
                group.append(idx)
                if len(group) < world:
                    continue
                self.pos = i + 1
                used += 1
                yield self.collate_fn([self.data[j] for j in group[rank]])
                group = []
            if used == 0 and self.pos == 0:
                raise ValueError(
                    f"the training data gives fewer than {world} batches per epoch "
                    f"(n={len(self.data)}, batch_size={self.cfg.batch_size})"
                )
            self.epoch, self.pos = self.epoch + 1, 0

    # ---------------------------------------------------------- checkpoints
    def _resume(self) -> None:
        path = latest_checkpoint(self.out_dir)
        if path is None:
            return
        ckpt = torch.load(path, map_location=self.device, weights_only=False)
        self.raw_model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scaler.load_state_dict(ckpt["scaler"])
        self.step, self.epoch, self.pos = ckpt["step"], ckpt["epoch"], ckpt["pos"]
        self.best = ckpt.get("best", self.best)
        self.resumed_seconds = float(ckpt.get("seconds", 0.0))
        rng = ckpt["rng"]
        if len(rng) == self.env.world_size:
            _set_rng_state(rng[self.env.rank], self.collate_fn)
        else:  # a different number of processes: RNG streams restart from the seed
            log.warning(
                "checkpoint has %d RNG states for %d processes", len(rng), self.env.world_size
            )
        if self.env.master:
            log.info("resumed from %s (step %d)", path, self.step)

    def _save_checkpoint(self) -> Path | None:
        rng = [_rng_state(self.collate_fn)]
        if self.env.is_ddp:
            rng = [None] * self.env.world_size
            torch.distributed.all_gather_object(rng, _rng_state(self.collate_fn))
        path = None
        if self.env.master:
            self.ckpt_dir.mkdir(parents=True, exist_ok=True)
            state = {
                "model": self.raw_model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict(),
                "step": self.step,
                "epoch": self.epoch,
                "pos": self.pos,
                "rng": rng,
                "best": self.best,
                "seconds": self.seconds(),
                "train_config": dataclasses.asdict(self.cfg),
                "config": self.run_config,
            }
            path = self.ckpt_dir / f"step{self.step}.pt"
            with atomic_path(path) as tmp:
                torch.save(state, tmp)
            with atomic_path(self.ckpt_dir / "latest") as tmp:
                tmp.write_text(path.name + "\n")
            old = sorted(self.ckpt_dir.glob("step*.pt"), key=lambda p: int(p.stem[4:]))
            for stale in old[: -max(1, self.cfg.keep_checkpoints)]:
                stale.unlink()
        if self.env.is_ddp:
            torch.distributed.barrier()
        return path

    # ------------------------------------------------------------------ eval
    def _evaluate(self) -> dict:
        if not (self.env.master and self.eval_fn):
            return {}
        self.raw_model.eval()
        with torch.no_grad(), self.autocast:
            metrics = {k: float(v) for k, v in self.eval_fn(self.raw_model).items()}
        self.raw_model.train()
        return metrics

    # ------------------------------------------------------------------ loop
    def run(self) -> dict:
        from tqdm.auto import tqdm

        cfg, env = self.cfg, self.env
        master = env.master
        history: list[dict] = []
        last_eval: dict = {}
        writer = train_log = eval_log = None
        if master:
            from torch.utils.tensorboard import SummaryWriter

            self.out_dir.mkdir(parents=True, exist_ok=True)
            train_log = _Log(self.out_dir / "train_log.csv", self.step)
            eval_log = _Log(self.out_dir / "eval_log.csv", self.step)
            writer = SummaryWriter(str(self.out_dir / "tensorboard"), purge_step=self.step + 1)
        peak = peak_flops(self.device)
        batches = self._batches()
        bar = tqdm(
            total=cfg.max_steps,
            initial=self.step,
            disable=None if master else True,
            desc="train",
            unit="step",
        )
        window_tokens, window_flops, t0 = 0, 0.0, time.perf_counter()
        early_stop = False
        self.raw_model.train()
        with _StopFlag() as stop:
            while self.step < cfg.max_steps:
                lr = lr_at(self.step + 1, cfg)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                loss_sum = torch.zeros((), device=self.device)
                metric_sums: dict[str, torch.Tensor] = {}
                for micro in range(cfg.grad_accum):
                    batch = next(batches)
                    n_tok = count_tokens(batch)
                    window_tokens += n_tok
                    if self.flops_per_token is not None:
                        window_flops += n_tok * self.flops_per_token(_seq_len(batch))
                    batch = to_device(batch, self.device)
                    # DDP: all-reduce gradients only on the last micro-step (as nanoGPT does).
                    sync = micro == cfg.grad_accum - 1
                    ctx = (
                        self.model.no_sync()
                        if env.is_ddp and not sync
                        else contextlib.nullcontext()
                    )
                    with ctx:
                        with self.autocast:
                            loss, metrics = self.loss_fn(self.model, batch)
                        self.scaler.scale(loss / cfg.grad_accum).backward()
                    loss_sum += loss.detach().float()
                    for k, v in metrics.items():
                        metric_sums[k] = metric_sums.get(k, 0) + torch.as_tensor(v).detach().float()
                if cfg.clip > 0:
                    self.scaler.unscale_(self.optimizer)
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                self.step += 1
                bar.update(1)

                if master and (self.step % cfg.log_every == 0 or self.step == cfg.max_steps):
                    if self.device.type == "cuda":
                        torch.cuda.synchronize(self.device)
                    dt = time.perf_counter() - t0
                    # tokens/s across all processes (each processes the same number of batches).
                    tps = window_tokens * env.world_size / dt
                    mfu = (window_flops / dt / peak) if (peak and window_flops) else float("nan")
                    row = {
                        "step": self.step,
                        "epoch": self.epoch,
                        "loss": loss_sum.item() / cfg.grad_accum,
                        "lr": lr,
                        "tokens_per_s": tps,
                        "mfu": mfu,
                    }
                    row.update({k: v.item() / cfg.grad_accum for k, v in metric_sums.items()})
                    history.append(row)
                    train_log.write(row)
                    for k, v in row.items():
                        if k != "step" and not (isinstance(v, float) and math.isnan(v)):
                            writer.add_scalar(f"train/{k}", v, self.step)
                    bar.set_postfix(loss=f"{row['loss']:.4f}", lr=f"{lr:.2e}", tok_s=f"{tps:.0f}")
                    if bar.disable:  # no terminal (a job's log): the same progress as a log line
                        log.info(
                            "step %d/%d: loss %.4f, lr %.2e, %.0f tokens/s",
                            self.step, cfg.max_steps, row["loss"], lr, tps,
                        )  # fmt: skip
                    window_tokens, window_flops, t0 = 0, 0.0, time.perf_counter()

                if cfg.eval_every and self.step % cfg.eval_every == 0 and self.step < cfg.max_steps:
                    last_eval = self._log_eval(eval_log, writer)
                    early_stop = self._agree(self._select(last_eval))

                stop_now = self._agree(stop.requested)
                if stop_now or (cfg.ckpt_every and self.step % cfg.ckpt_every == 0):
                    path = self._save_checkpoint()
                    if stop_now:
                        bar.close()
                        if writer:
                            writer.close()
                        raise Preempted(self.step, path)
                if early_stop:
                    log.info(
                        "early stop at step %d (best at step %s)", self.step, self.best["step"]
                    )
                    break
            bar.close()
            if not early_stop:
                last_eval = self._log_eval(eval_log, writer) or last_eval
                self._select(last_eval)
            self._save_checkpoint()
        if writer:
            writer.close()
        best = None
        if self.best["state"] is not None:
            self.raw_model.load_state_dict(self.best["state"])
            best = {"step": self.best["step"], cfg.select_metric: self.best["value"]}
        return {
            "step": self.step,
            "history": history,
            "eval": last_eval,
            "best": best,
            "device": str(self.device),
            "seconds": self.seconds(),
            "resumed_seconds": self.resumed_seconds,
        }

    def seconds(self) -> float:
        """Training seconds so far: earlier parts' plus this part's (since the trainer started)."""
        return self.resumed_seconds + time.perf_counter() - self.started

    def _select(self, metrics: dict) -> bool:
        """Track the best weights by ``cfg.select_metric``; True when patience has run out."""
        name = self.cfg.select_metric
        if not (name and metrics):
            return False
        if name not in metrics:
            raise KeyError(
                f"select_metric {name!r} is not among the eval metrics {sorted(metrics)}"
            )
        value = metrics[name]
        if self.best["value"] is None or value > self.best["value"]:
            state = {
                k: v.detach().to("cpu", copy=True) for k, v in self.raw_model.state_dict().items()
            }
            self.best = {"value": value, "step": self.step, "state": state, "stale": 0}
            return False
        self.best["stale"] += 1
        return bool(self.cfg.patience) and self.best["stale"] >= self.cfg.patience

    def _log_eval(self, eval_log, writer) -> dict:
        metrics = self._evaluate()
        if metrics:
            eval_log.write({"step": self.step, **metrics})
            for k, v in metrics.items():
                writer.add_scalar(f"eval/{k}", v, self.step)
        return metrics

    def _agree(self, flag: bool) -> bool:
        """True on every rank when any rank received a stop signal."""
        if not self.env.is_ddp:
            return flag
        t = torch.tensor([int(flag)], device=self.device)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return bool(t.item())

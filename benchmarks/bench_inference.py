"""Benchmark: fine-tuned DNABERT inference throughput (sequences/s) on 101 bp and 300 bp inputs.

Models (freshly initialised BertForSequenceClassification, 2 classes; throughput does not depend
on the weights): ``demo`` (the demo's tiny BERT: hidden 64, 2 layers) and ``base`` (BERT-base:
hidden 768, 12 layers, the paper's model), both k=6. Inputs: random sequences of 101 bp (TF tasks,
96 tokens) and 300 bp (prom300, 295 tokens) + [CLS]/[SEP], through :func:`dnabert.finetune.predict`
(the path the pipeline uses: SDPA attention, batches padded to a multiple of 8, bf16 autocast on
GPUs, fp32 on CPU). A warm-up batch runs first; the time covers tokenized input to probabilities.

    PYTHONPATH=src python benchmarks/bench_inference.py --device cpu
    PYTHONPATH=src python benchmarks/bench_inference.py --device cuda --n 4096
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from dnabert.finetune import predict
from dnabert.tokenizer import encode_batch

PRESETS = {
    "demo": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=256),
    "base": dict(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072
    ),
}


def build(preset: str, k: int = 6):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=4**k + 5,
        max_position_embeddings=512,
        num_labels=2,
        pad_token_id=0,
        attn_implementation="sdpa",
        **PRESETS[preset],
    )
    return BertForSequenceClassification(config)


def measure(model, ids, device, batch_size: int) -> float:
    predict(model, ids[:batch_size], max_length=512, batch_size=batch_size, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    predict(model, ids, max_length=512, batch_size=batch_size, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return len(ids) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n", type=int, default=256, help="sequences per measurement")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--presets", default="demo,base")
    args = ap.parse_args()
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    rng = np.random.default_rng(0)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}, torch threads: {torch.get_num_threads()}, n = {args.n}")
    print(f"{'model':<6} {'input':>6} {'tokens':>6} {'seq/s':>10}")
    for preset in args.presets.split(","):
        model = build(preset).to(device)
        for length in (101, 300):
            seqs = ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(args.n)]
            ids = encode_batch(seqs, 6)
            rate = measure(model, ids, device, args.batch_size)
            print(f"{preset:<6} {length:>4}bp {ids[0].size + 2:>6} {rate:>10.1f}")


if __name__ == "__main__":
    main()

"""Where does [CLS] look before fine-tuning? The pretrained model against a random initialisation.

A classifier head on ``[CLS]`` can only use what ``[CLS]`` gathers by attention. MLM trains the
k-mer tokens' outputs and never ``[CLS]``'s, so nothing in pretraining asks ``[CLS]`` to read the
whole sequence; a random initialisation attends about uniformly. For each layer this prints the
entropy of the ``[CLS]`` row of attention (mean over heads and sequences; uniform over T tokens is
ln T), its largest weight, its share on [CLS] and [SEP], and the spread of the ``[CLS]`` output and of the k-mer mean across
sequences, for the pretrained model and for the same architecture from random weights (seeded,
as the from-scratch control starts)::

    PYTHONPATH=src python benchmarks/cls_attention.py --run-dir <demo run> --task prom300_tata
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--run-dir", type=Path, default=Path("."), help="holds results/")
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--model", type=Path, help="pretrained dir (default results/models/dnabert{k})")
    p.add_argument("--task", default="prom300_tata", help="its test split's sequences are read")
    p.add_argument("--n", type=int, default=32, help="sequences (the first n of the test split)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random initialisation")
    args = p.parse_args(argv)

    import pandas as pd
    import torch

    from dnabert.attention import batch_ids
    from dnabert.finetune import load_classifier
    from dnabert.pooling import kmer_mask

    torch.set_num_threads(1)
    results = args.run_dir / "results"
    model_dir = args.model or results / "models" / f"dnabert{args.k}"
    test = pd.read_csv(results / "datasets" / args.task / "test.tsv", sep="\t")
    ids, mask = batch_ids(list(test["sequence"][: args.n]), args.k)
    print(f"{args.task}: {ids.shape[0]} test sequences, {ids.shape[1]} tokens each at most")
    print(
        "| init | layer | [CLS] entropy | uniform (ln T) | largest weight | on specials "
        "| sd [CLS] out | sd k-mer mean |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for init in ("pretrained", "scratch"):
        torch.manual_seed(args.seed)
        model = load_classifier(model_dir, args.k, 2, 0.0, from_scratch=init == "scratch")
        model.set_attn_implementation("eager")
        model.eval()
        with torch.no_grad():
            out = model.bert(ids, attention_mask=mask, output_attentions=True)
        hidden = out.last_hidden_state
        w = kmer_mask(ids, mask).unsqueeze(-1)
        sd_cls = hidden[:, 0].std(dim=0).mean().item()
        sd_mean = ((hidden * w).sum(1) / w.sum(1)).std(dim=0).mean().item()
        n_tokens = mask.sum(dim=1).float()
        for layer, att in enumerate(out.attentions):
            row = att[:, :, 0, :].float()  # (B, heads, T): [CLS] as the query
            entropy = -(row * torch.log(row.clamp_min(1e-12))).sum(-1).mean().item()
            uniform = torch.log(n_tokens).mean().item()
            largest = row.max(dim=-1).values.mean().item()
            specials = (row * (1 - w.squeeze(-1)).unsqueeze(1) * mask.unsqueeze(1)).sum(-1)
            print(
                f"| {init} | {layer} | {entropy:.2f} | {uniform:.2f} | {largest:.3f} | "
                f"{specials.mean().item():.3f} | {sd_cls:.3f} | {sd_mean:.3f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Commands for tokenization: ``dnabert build-corpus`` and ``dnabert tokenize``."""

from __future__ import annotations

import contextlib
import json
import sys

from dnabert.corpus import CANONICAL_PATTERN, build_corpus
from dnabert.tokenizer import add_special_tokens, encode


def add_parser(sub) -> None:
    p = sub.add_parser(
        "build-corpus",
        help="build the pretraining corpus (uint16 token memmaps) from an indexed FASTA",
        description="Write OUT_DIR/{train,val}.{bin,idx} and summary.json (see dnabert.corpus).",
    )
    p.add_argument("--fasta", required=True, help="indexed FASTA (.fai beside it)")
    p.add_argument("--out-dir", required=True, help="output directory, e.g. results/pretrain/k6")
    p.add_argument("--k", type=int, required=True, choices=(3, 4, 5, 6))
    p.add_argument("--chromosomes", nargs="*", default=None, help="default: canonical ones")
    # the defaults below are the schema's pretrain.corpus (tests/test_schema_defaults.py)
    p.add_argument("--canonical-pattern", default=CANONICAL_PATTERN)
    p.add_argument("--n-policy", choices=("split", "delete"), default="split")
    p.add_argument("--coverage", type=float, default=5.0)
    p.add_argument("--cut-passes", type=int, default=1)
    p.add_argument("--full-length-probability", type=float, default=0.5)
    p.add_argument("--min-tokens", type=int, default=5)
    p.add_argument("--max-tokens", type=int, default=510)
    p.add_argument("--val-fraction", type=float, default=0.01)
    p.add_argument("--val-region-bp", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=run_build_corpus)

    t = sub.add_parser(
        "tokenize",
        help="DNA in, k-mer token ids out (one line per input line or FASTA record)",
        description="Read raw DNA (one sequence per line, or FASTA) and print token ids.",
    )
    t.add_argument("input", nargs="?", default="-", help="file, or - for stdin")
    t.add_argument("--k", type=int, required=True, choices=(3, 4, 5, 6))
    t.add_argument(
        "--max-length", type=int, default=512, help="the schema's tokenize.max_length by default"
    )
    t.add_argument("--long-policy", choices=("truncate", "chunk"), default="truncate")
    t.add_argument("--no-special", action="store_true", help="omit [CLS]/[SEP]; no truncation")
    t.set_defaults(func=run_tokenize)


def run_build_corpus(args) -> int:
    settings = {
        "chromosomes": args.chromosomes,
        "canonical_pattern": args.canonical_pattern,
        "n_policy": args.n_policy,
        "coverage": args.coverage,
        "cut_passes": args.cut_passes,
        "full_length_probability": args.full_length_probability,
        "min_tokens": args.min_tokens,
        "max_tokens": args.max_tokens,
        "val_fraction": args.val_fraction,
        "val_region_bp": args.val_region_bp,
        "seed": args.seed,
    }
    summary = build_corpus(args.fasta, args.out_dir, args.k, config=settings, **settings)
    print(json.dumps(summary["splits"], indent=2))
    return 0


def _records(fh):
    name, parts, lineno = None, [], 0
    for lineno, line in enumerate(fh, start=1):
        line = line.strip()
        if line.startswith(">"):
            if name is not None:
                yield name, "".join(parts)
            name, parts = line[1:].split()[0] if line[1:].split() else f"line {lineno}", []
        elif name is None:
            if line:
                yield f"line {lineno}", line
        else:
            parts.append(line)
    if name is not None:
        yield name, "".join(parts)


def run_tokenize(args) -> int:
    stdin = args.input == "-"
    opened = contextlib.nullcontext(sys.stdin) if stdin else open(args.input)  # noqa: SIM115
    with opened as fh:
        for record, seq in _records(fh):
            ids = encode(seq, args.k, record=f"{args.input}: {record}")
            pieces = (
                [ids]
                if args.no_special
                else add_special_tokens(ids, args.max_length, args.long_policy)
            )
            for piece in pieces:
                print(" ".join(map(str, piece.tolist())))
    return 0

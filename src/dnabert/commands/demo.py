"""``dnabert make-demo``: write the offline demo data (synthetic genome, annotation, peaks)."""

from __future__ import annotations

import argparse
import logging

from dnabert.demo import generate_demo
from dnabert.demo_scale import generate_scale

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "make-demo",
        help="generate the offline demo genome, annotation, promoters, blacklist and TF peaks",
        description=generate_demo.__doc__.splitlines()[0],
    )
    p.add_argument("--outdir", required=True, help="output directory (replaced atomically)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    p.add_argument("--n-chromosomes", type=int, default=6, help="canonical chromosomes (6)")
    p.add_argument(
        "--chromosome-length", type=int, default=1_000_000, help="bp per chromosome (1000000)"
    )
    p.add_argument("--genes-per-mb", type=int, default=120, help="genes per Mbp (120)")
    p.add_argument("--n-tf-experiments", type=int, default=3, help="TF ChIP-seq experiments (3)")
    p.add_argument("--peaks-per-experiment", type=int, default=500, help="peaks each (500)")
    p.add_argument(
        "--preset",
        choices=("demo", "hg38-scale"),
        default="demo",
        help="demo (default): the small genome with planted signals; hg38-scale: hg38's "
        "24 chromosomes, ~30k TSSs, a GENCODE-scale GTF and ENCODE-scale peak files, scaled by "
        "--fraction, for measuring time and memory (dnabert.demo_scale; --n-tf-experiments "
        "applies, the other size options do not)",
    )
    p.add_argument(
        "--fraction", type=float, default=0.01, help="hg38-scale: share of hg38's size (0.01)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.preset == "hg38-scale":
        paths = generate_scale(
            args.outdir,
            fraction=args.fraction,
            seed=args.seed,
            n_tf_experiments=args.n_tf_experiments,
        )
    else:
        paths = generate_demo(
            args.outdir,
            seed=args.seed,
            n_chromosomes=args.n_chromosomes,
            chromosome_length=args.chromosome_length,
            genes_per_mb=args.genes_per_mb,
            n_tf_experiments=args.n_tf_experiments,
            peaks_per_experiment=args.peaks_per_experiment,
        )
    for key, path in paths.items():
        log.info("%s: %s", key, path)
    return 0

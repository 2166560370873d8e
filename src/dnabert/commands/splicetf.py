"""Commands for the splice and TF-binding datasets: build-splice, build-tf, list-tf-experiments.

Settings come from ``--config`` (validated, defaults filled in) with a few command-line
overrides; every command runs without Snakemake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dnabert import paths
from dnabert.config import config_or_defaults


def _build_splice(args) -> int:
    from dnabert.datasets.splicetf_tasks import run_splice_task

    config = config_or_defaults(args.config)
    cfg = dict(config["datasets"]["splice"])
    if args.hard_negatives:
        cfg["hard_negatives"] = args.hard_negatives
    if args.transcript_types is not None:
        cfg["transcript_types"] = args.transcript_types
    seed = args.seed if args.seed is not None else config["datasets"]["seed"]
    summary = run_splice_task(
        args.fasta, args.gtf, args.out, canonical_txt=args.canonical, splice_cfg=cfg,
        config=config, seed=seed,
    )  # fmt: skip
    print(json.dumps({k: summary.get(k) for k in ("donor_GT_share", "acceptor_AG_share")}))
    return 0


def _build_tf(args) -> int:
    from dnabert.datasets.encode import read_local_files
    from dnabert.datasets.splicetf_tasks import run_tf_task

    config = config_or_defaults(args.config)
    cfg = dict(config["datasets"]["tf"])
    if args.negatives:
        cfg["negatives"] = args.negatives
    if args.top_n is not None:
        cfg["top_n"] = args.top_n
    record = read_local_files([args.peaks])[0]
    if args.name:
        record["experiment"] = args.name
    seed = args.seed if args.seed is not None else config["datasets"]["seed"]
    out = args.out or paths.dataset_dir(f"tf_{record['experiment']}")
    run_tf_task(
        args.peaks, args.fasta, out, experiment=record, canonical_txt=args.canonical,
        blacklist_bed=args.blacklist, tf_cfg=cfg, config=config, seed=seed,
    )  # fmt: skip
    return 0


def _list_tf(args) -> int:
    from dnabert.datasets.encode import (
        RECORD_FIELDS,
        select_experiments_with_skipped,
        write_skipped_table,
    )

    config = config_or_defaults(args.config)
    tf_cfg = config["tf"]
    records, skipped = select_experiments_with_skipped(
        tf_cfg, ucsc_files=args.ucsc_files, ucsc_md5=args.ucsc_md5
    )
    sys.stdout.write("\t".join(RECORD_FIELDS) + "\n")
    for r in records:
        sys.stdout.write("\t".join(str(r.get(f, "")) for f in RECORD_FIELDS) + "\n")
    if args.skipped:
        write_skipped_table(skipped, args.skipped)
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "build-splice",
        help="splice-site task (donor / acceptor / non-splice windows) from FASTA + GTF",
    )
    p.add_argument("--fasta", required=True, help="reference FASTA (pysam-indexable)")
    p.add_argument("--gtf", required=True, help="GENCODE/Ensembl GTF (plain or gzip)")
    p.add_argument("--out", default=paths.dataset_dir("splice"), help="output directory")
    p.add_argument("--canonical", help="file of canonical chromosome names (default: all)")
    p.add_argument("--config", help="pipeline config YAML (datasets.splice, datasets.split)")
    p.add_argument(
        "--transcript-types", nargs="*", help="override datasets.splice.transcript_types"
    )
    p.add_argument("--hard-negatives", help="BED of extra non-splice sites")
    p.add_argument("--seed", type=int, help="override datasets.seed")
    p.set_defaults(func=_build_splice)

    p = sub.add_parser("build-tf", help="one TF-binding task from a narrowPeak file")
    p.add_argument("--peaks", required=True, help="narrowPeak file (plain or gzip)")
    p.add_argument("--fasta", required=True, help="reference FASTA the peaks refer to")
    p.add_argument("--out", help="output directory (default results/datasets/tf_<name>)")
    p.add_argument("--name", help="experiment id (default: sanitized file stem)")
    p.add_argument("--canonical", help="file of canonical chromosome names (default: all)")
    p.add_argument("--blacklist", help="BED of regions whose peaks are dropped")
    p.add_argument("--negatives", choices=["shuffle", "gc_matched"], help="override negatives")
    p.add_argument("--top-n", type=int, help="keep the N strongest peaks")
    p.add_argument("--config", help="pipeline config YAML (datasets.tf, datasets.split)")
    p.add_argument("--seed", type=int, help="override datasets.seed")
    p.set_defaults(func=_build_tf)

    p = sub.add_parser(
        "list-tf-experiments", help="print the TF peak files the config's tf section selects"
    )
    p.add_argument("--config", required=True, help="pipeline config YAML (tf section)")
    p.add_argument("--ucsc-files", type=Path, help="local files.txt for tf.source ucsc_uniform")
    p.add_argument("--ucsc-md5", type=Path, help="local md5sum.txt for tf.source ucsc_uniform")
    p.add_argument(
        "--skipped",
        type=Path,
        help="also write the metadata rows not chosen, and why, to this TSV "
        "(file_accession, experiment_accession, reason)",
    )
    p.set_defaults(func=_list_tf)

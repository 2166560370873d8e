"""Variant command: ``dnabert score-variants``."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "score-variants",
        help="score the alleles of a VCF with a fine-tuned DNABERT model (delta log-odds)",
        description=(
            "Every ALT allele of --vcf (plain, gzip or bgzip) on a window of the task's length "
            "centred on it, cut from --fasta (indexed); writes variants.tsv, skipped.tsv, "
            "summary.json and variant_effects.png/.pdf into --out-dir. Settings default to the "
            "variants section of --config."
        ),
    )
    p.add_argument(
        "--vcf", required=True, help="VCF file (ClinVar-style names like '1' are mapped)"
    )
    p.add_argument("--fasta", required=True, help="reference FASTA with a .fai index")
    p.add_argument("--model-dir", required=True, help="fine-tuned model (HF dir with vocab.txt)")
    p.add_argument("--out-dir", required=True, help="output directory")
    length = p.add_mutually_exclusive_group(required=True)
    length.add_argument("--window", type=int, help="window length in bp")
    length.add_argument("--task-split", help="a split TSV of the task: its length is the window")
    p.add_argument("--task", default="", help="task name (titles and provenance)")
    p.add_argument("--seed", type=int, default=None, help="the model's training seed (provenance)")
    p.add_argument("--info-field", action="append", help="INFO field to copy (repeatable)")
    p.add_argument("--group-by", help="INFO field grouping the figure (default: variant kind)")
    p.add_argument("--max-ref-len", type=int, help="skip longer REF alleles")
    p.add_argument("--max-alt-len", type=int, help="skip longer ALT alleles")
    p.add_argument("--target-class", type=int, help="class whose probability is compared")
    p.add_argument("--device", help="auto, cpu or cuda[:N]")
    p.add_argument("--config", help="YAML config (its variants and report sections are used)")
    p.set_defaults(func=run_score_variants)


def run_score_variants(args) -> int:
    from dnabert.config import config_or_defaults, load_schema
    from dnabert.variants import score_variants

    config = config_or_defaults(args.config)
    schema = load_schema()["properties"]["variants"]["properties"]
    defaults = {key: spec.get("default") for key, spec in schema.items()}
    v = {**defaults, **config.get("variants", {})}
    info_fields = args.info_field if args.info_field is not None else v["info_fields"]
    group_by = (
        args.group_by if args.group_by is not None else (v["group_by"] if args.config else None)
    )
    score_variants(
        args.vcf,
        args.fasta,
        args.out_dir,
        model_dir=args.model_dir,
        window=args.window,
        task_split=args.task_split,
        task=args.task,
        seed=args.seed,
        config=config if args.config else None,
        info_fields=info_fields,
        group_by=group_by,
        max_ref_len=args.max_ref_len or v["max_ref_len"],
        max_alt_len=args.max_alt_len or v["max_alt_len"],
        target_class=v["target_class"] if args.target_class is None else args.target_class,
        batch_size=v["batch_size"],
        device=args.device or v["device"],
        top_n=v["top_n"],
        dpi=config["report"]["dpi"],
    )
    return 0

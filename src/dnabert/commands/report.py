"""Report commands: ``dnabert plot-figures``, ``dnabert viz`` and ``dnabert ism``."""

from __future__ import annotations

from dnabert import paths


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plot-figures",
        help="draw the paper's figures from results/ (no retraining)",
        description=(
            "Read results/report/metrics.tsv, the runs' predictions.tsv and the pretraining logs; "
            "write {name}.png/.pdf/.json for every figure and metrics.html into --out."
        ),
    )
    p.add_argument("--results", default=paths.RESULTS, help="results directory (default results)")
    p.add_argument("--out", default=paths.figures_dir(), help="output directory")
    p.add_argument("--metrics", help="metrics table (default RESULTS/report/metrics.tsv)")
    p.add_argument("--config", help="YAML config recorded as provenance (report.dpi is used)")
    p.add_argument("--dpi", type=int, help="PNG resolution (default report.dpi or 150)")
    p.set_defaults(func=run_plot_figures)

    v = sub.add_parser(
        "viz",
        help="attention maps and motifs of a fine-tuned DNABERT model (DNABERT-viz)",
        description="Per-base [CLS] attention, heatmap, motif discovery and logos on a test split "
        "(--test) or on several split files (--split, repeatable).",
    )
    _common(v)
    v.add_argument("--split", action="append", help="a split TSV to score (repeatable)")
    v.add_argument("--max-sequences", type=int, help="override report.viz_max_sequences")
    v.add_argument(
        "--attention", choices=["last", "rollout"], help="override report.attention (token score)"
    )
    v.set_defaults(func=run_viz)

    m = sub.add_parser(
        "ism",
        help="in-silico mutagenesis: effect of every single-base substitution",
        description="Delta P(positive) per substitution; TSV + heatmap. Sequences from "
        "--sequence, else config report.ism.sequences, else the test split's positives.",
    )
    _common(m)
    m.add_argument("--sequence", action="append", help="sequence to mutate (repeatable)")
    m.set_defaults(func=run_ism)


def _common(p) -> None:
    p.add_argument("--model-dir", required=True, help="fine-tuned model (HF dir with vocab.txt)")
    p.add_argument("--test", help="test split TSV (sequence, label, ...)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--task", default="", help="task name (titles and provenance)")
    p.add_argument("--seed", type=int, default=None, help="the run's training seed")
    p.add_argument("--config", help="YAML config (its report section is used)")


def _report_config(path):
    from dnabert.config import config_or_defaults

    config = config_or_defaults(path)
    return (config if path else None), config["report"]


def run_plot_figures(args) -> int:
    from dnabert.figures import plot_figures

    config, report = _report_config(args.config)
    plot_figures(
        args.results,
        args.out,
        config=config,
        dpi=args.dpi or report["dpi"],
        metrics_path=args.metrics,
    )
    return 0


def run_viz(args) -> int:
    from dnabert.viz import run_viz as viz

    files = (args.split or []) + ([args.test] if args.test else [])
    if not files:
        raise ValueError("dnabert viz needs --test or --split (split files of the task)")
    config, report = _report_config(args.config)
    viz(
        args.model_dir,
        files,
        args.out,
        task=args.task,
        seed=args.seed,
        config=config,
        max_sequences=args.max_sequences or report["viz_max_sequences"],
        n_heatmap_sequences=report["n_heatmap_sequences"],
        motif=report["motif"],
        attention=args.attention or report["attention"],
        dpi=report["dpi"],
    )
    return 0


def run_ism(args) -> int:
    from dnabert.viz import run_ism as ism

    config, report = _report_config(args.config)
    sequences = args.sequence or report["ism"]["sequences"]
    if not sequences and not args.test:
        raise ValueError("dnabert ism needs --sequence, report.ism.sequences or --test")
    ism(
        args.model_dir,
        args.test,
        args.out,
        task=args.task,
        seed=args.seed,
        config=config,
        sequences=sequences,
        max_sequences=report["ism"]["max_sequences"],
        dpi=report["dpi"],
    )
    return 0

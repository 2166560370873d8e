"""The variant-effect figure of the report (:func:`dnabert.variants.score_variants`).

Two panels: the distribution of ``delta_log_odds`` per class (an INFO field such as ClinVar's
``CLNSIG``, or the variant kind), one box and its points per class; and the ``top_n`` alleles by
``|delta_log_odds|`` with their sequence context (10 bases either side, ``[REF>ALT]``).
Deterministic: the points' vertical jitter comes from a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dnabert.plotting import model_colour, note

MAX_CLASSES = 8


def effect_classes(values: pd.Series, max_classes: int = MAX_CLASSES) -> pd.Series:
    """Class label per row: the value itself for the ``max_classes - 1`` most frequent values
    (ties by name), ``other`` for the rest, ``(none)`` for empty values."""
    values = values.fillna("").astype(str).replace("", "(none)")
    counts = values.value_counts()
    if len(counts) <= max_classes:
        return values
    order = sorted(counts.index, key=lambda v: (-counts[v], v))
    keep = set(order[: max_classes - 1])
    return values.where(values.isin(keep), "other")


def plot_variant_effects(scored: pd.DataFrame, group: str, title: str, *, top_n: int = 20):
    """Figure with the delta distribution by ``group`` (a column of ``scored``) and the top
    ``top_n`` alleles; ``scored`` has the columns of :data:`dnabert.variants.SCORE_COLUMNS`."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 0.3 * max(top_n, 8) + 1.5), gridspec_kw={"width_ratios": [1, 1.5]}
    )
    fig.suptitle(title)
    if scored.empty:
        note(left, "no variant was scored (see summary.json for the skip reasons)")
        right.set_axis_off()
        return fig
    classes = effect_classes(scored[group] if group in scored else scored["kind"])
    delta = scored["delta_log_odds"].to_numpy()
    names = sorted(classes.unique(), key=lambda c: (c == "other", c))
    data = [delta[(classes == name).to_numpy()] for name in names]
    left.boxplot(data, orientation="horizontal", widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0)
    for i, values in enumerate(data, start=1):
        y = i + jitter.uniform(-0.2, 0.2, len(values))
        left.scatter(values, y, s=6, alpha=0.6, color=model_colour("dnabert"), lw=0)
    labels = [f"{_short(n, 28)} (n={len(d)})" for n, d in zip(names, data, strict=True)]
    left.set_yticks(range(1, len(names) + 1), labels)
    left.axvline(0, color="#999999", lw=0.8)
    left.set_xlabel("Δ log-odds (alt − ref)")
    left.set_title(f"effect by {group}")

    top = scored.sort_values("rank").head(top_n)
    right.set_axis_off()
    right.set_title(f"top {len(top)} by |Δ log-odds|", loc="left")
    lines = [f"{'rank':>4}  {'variant':<24} {'Δ':>7}  context"]
    for row in top.itertuples():
        variant = f"{row.chrom}:{row.pos} {_short(row.ref)}>{_short(row.alt)}"
        lines.append(f"{row.rank:>4}  {variant:<24} {row.delta_log_odds:>7.2f}  {row.context}")
    right.text(
        0, 1, "\n".join(lines), family="DejaVu Sans Mono", fontsize=7, va="top", ha="left",
        transform=right.transAxes,
    )  # fmt: skip
    fig.tight_layout()
    return fig


def _short(allele: str, n: int = 6) -> str:
    return allele if len(allele) <= n else allele[:n] + "…"

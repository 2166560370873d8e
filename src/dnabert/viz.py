"""DNABERT-viz outputs for one fine-tuned run: attention maps, motifs + logos, mutagenesis.

:func:`run_viz` writes into ``out_dir`` (``results/viz/{task}/dnabert{k}/seed{seed}/``):

- ``attention.npz``: ``scores`` float32 ``(N, L)`` per-base attention (``nan`` past a shorter
  sequence's end), ``labels`` int64 ``(N,)``, ``probs`` float32 ``(N, C)``, ``splits`` (unicode
  ``(N,)``: the split file's stem, e.g. ``test``), ``rows`` int64 (0-based row of that split),
  ``sequences`` (unicode ``(N,)``);
- ``attention.tsv``: one line per sequence (split, row, label, prob of the positive class,
  sequence, comma-separated per-base scores);
- ``attention_heatmap.{png,pdf}``: the most confident positives, one row each;
- ``motifs.tsv`` (motif, consensus, seed, members, n_pos, n_neg, pvalue, qvalue, n_instances) and
  ``motif_logos.{png,pdf}``;
- ``viz.json``: provenance (config, seed, code and package versions, parameters).

:func:`run_ism` writes ``ism.tsv`` (sequence id, pos, ref, alt, p_ref, p_alt, delta),
``ism_heatmap.{png,pdf}`` and ``ism.json``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dnabert.attention import attention_scores, load_classifier, stack_scores
from dnabert.config import schema_defaults
from dnabert.datasets.common import read_task_split
from dnabert.ism import classifier_predictor, delta_matrix, ism
from dnabert.motifs import Motif, find_motifs
from dnabert.plotting import draw_and_save, draw_logo, note
from dnabert.provenance import atomic_path, stable_provenance, write_json
from dnabert.seq import clean_sequence

log = logging.getLogger(__name__)


def _sample_rows(n: int, limit: int, seed: int) -> np.ndarray:
    """Up to ``limit`` row indices of ``n``, a seeded sample kept in file order."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def plot_attention_heatmap(scores: np.ndarray, names: list[str], title: str):
    """Heatmap figure: one row per sequence, columns = bases (0-based positions)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(names), 1) + 1.2))
    if scores.size == 0:
        note(ax, "no positive test sequences to show")
        return fig
    im = ax.imshow(scores, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(np.arange(len(names)), names)
    ax.set_xlabel("position (0-based)")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="attention (L2-normalised)", fraction=0.03)
    fig.tight_layout()
    return fig


def plot_logos(motifs: list[Motif], title: str):
    """One logo per motif (rows), with consensus and enrichment in the title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        max(len(motifs), 1), 1, figsize=(5, 1.6 * max(len(motifs), 1)), squeeze=False
    )
    if not motifs:
        note(axes[0, 0], f"{title}: no motif passed the enrichment cutoff")
        return fig
    for ax, (i, m) in zip(axes[:, 0], enumerate(motifs), strict=True):
        draw_logo(
            ax,
            m.counts,
            title=f"motif {i + 1}: {m.consensus}  (pos {m.n_pos}, neg {m.n_neg}, q={m.qvalue:.2g})",
        )
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def write_motifs(motifs: list[Motif], path: Path) -> None:
    table = pd.DataFrame(
        [
            {
                "motif": i + 1,
                "consensus": m.consensus,
                "seed": m.seed,
                "members": ",".join(m.members),
                "n_pos": m.n_pos,
                "n_neg": m.n_neg,
                "pvalue": m.pvalue,
                "qvalue": m.qvalue,
                "n_instances": len(m.instances),
            }
            for i, m in enumerate(motifs)
        ],
        columns=[
            "motif",
            "consensus",
            "seed",
            "members",
            "n_pos",
            "n_neg",
            "pvalue",
            "qvalue",
            "n_instances",
        ],
    )
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")


def _read_splits(split_tsvs) -> tuple[pd.DataFrame, list[Path]]:
    """The rows of one or several split files, with ``_split`` (file stem), ``_file`` (index into
    the returned paths) and ``_row`` (0-based row of that file)."""
    if isinstance(split_tsvs, (str, os.PathLike)):
        split_tsvs = [split_tsvs]
    paths = [Path(p) for p in split_tsvs]
    if not paths:
        raise ValueError("run_viz needs at least one split file")
    frames = [
        read_task_split(p).assign(_split=p.stem, _file=i, _row=lambda d: np.arange(len(d)))
        for i, p in enumerate(paths)
    ]
    return pd.concat(frames, ignore_index=True), paths


def run_viz(
    model_dir: str | os.PathLike,
    split_tsvs: str | os.PathLike | list,
    out_dir: str | os.PathLike,
    *,
    task: str = "",
    seed: int | None = None,
    config=None,
    max_sequences: int = 2000,
    n_heatmap_sequences: int = 10,
    positive_label: int = 1,
    motif: dict | None = None,
    attention: str = "last",
    batch_size: int = 32,
    dpi: int = 150,
) -> list[Motif]:
    """Attention, heatmap and motifs of one fine-tuned model on (a seeded sample of) the rows of
    ``split_tsvs`` (one split file or several, e.g. the test split alone or every split).

    ``attention`` is the token score of :func:`dnabert.attention.attention_scores` (``last``: the
    last layer's ``[CLS]`` row as DNABERT-viz; ``rollout``: attention rollout over all layers).
    """
    out_dir = Path(out_dir)
    params = {**schema_defaults("report", "motif"), **(motif or {})}
    model, k = load_classifier(model_dir)
    split, paths = _read_splits(split_tsvs)
    rows = _sample_rows(len(split), max_sequences, 0 if seed is None else seed)
    picked = split.iloc[rows]
    seqs = [
        clean_sequence(s, f"{paths[f]}: row {r + 1}")
        for s, f, r in zip(picked["sequence"], picked["_file"], picked["_row"], strict=True)
    ]
    labels = picked["label"].to_numpy().astype(np.int64)
    scores, probs = attention_scores(model, k, seqs, batch_size=batch_size, method=attention)
    stacked = stack_scores(scores)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "attention.npz") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            scores=stacked,
            labels=labels,
            probs=probs.astype(np.float32),
            splits=picked["_split"].to_numpy().astype(str),
            rows=picked["_row"].to_numpy().astype(np.int64),
            sequences=np.array(seqs),
        )
    pcol = min(positive_label, probs.shape[1] - 1)
    table = pd.DataFrame(
        {
            "split": picked["_split"].to_numpy(),
            "row": picked["_row"].to_numpy(),
            "label": labels,
            "prob_positive": probs[:, pcol],
            "sequence": seqs,
            "scores": [",".join(f"{v:.4g}" for v in s) for s in scores],
        }
    )
    with atomic_path(out_dir / "attention.tsv") as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")

    pos = np.flatnonzero(labels == positive_label)
    top = pos[np.argsort(-probs[pos, pcol], kind="stable")][:n_heatmap_sequences]
    names = [
        f"{picked['_split'].iloc[i]} row {picked['_row'].iloc[i]} (p={probs[i, pcol]:.2f})"
        for i in top
    ]
    how = "last layer" if attention == "last" else "attention rollout"
    title = f"{task} DNABERT-{k}: [CLS] attention, {how}"
    found = find_motifs(seqs, scores, labels, positive_label=positive_label, **params)
    write_motifs(found, out_dir / "motifs.tsv")
    draw_and_save(
        out_dir / "attention_heatmap", dpi, plot_attention_heatmap, stacked[top], names, title
    )
    logos_title = f"{task} DNABERT-{k}: motifs from attention"
    draw_and_save(out_dir / "motif_logos", dpi, plot_logos, found, logos_title)
    _write_sidecar(
        out_dir / "viz.json",
        config,
        seed,
        task,
        k,
        model_dir,
        splits=[str(p) for p in paths],
        n_sequences=len(seqs),
        attention=attention,
        motif=params,
    )
    log.info("%s: %d sequences, %d motifs -> %s", task, len(seqs), len(found), out_dir)
    return found


def _write_sidecar(path: Path, config, seed, task, k, model_dir, **extra) -> None:
    """The provenance sidecar of a viz or ISM output (no timestamp: same inputs, same bytes)."""
    record = stable_provenance(config, seed, task=task, k=k, model_dir=str(model_dir), **extra)
    write_json(path, record)


def plot_ism(tables: list[tuple[str, str, pd.DataFrame]], title: str):
    """One ``(4, L)`` delta heatmap per sequence (rows ACGT, blue = lower probability)."""
    import matplotlib.pyplot as plt

    n = max(len(tables), 1)
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.3 * n + 0.8), squeeze=False, layout="constrained")
    if not tables:
        note(axes[0, 0], "no sequences for mutagenesis")
        return fig
    vmax = max(float(t["delta"].abs().max() or 0) for _, _, t in tables) or 1e-6
    for ax, (name, seq, t) in zip(axes[:, 0], tables, strict=True):
        im = ax.imshow(
            delta_matrix(t, len(seq)),
            aspect="auto",
            cmap="RdBu_r",
            vmin=-vmax,
            vmax=vmax,
            interpolation="nearest",
        )
        ax.set_yticks(range(4), list("ACGT"))
        ax.set_title(f"{name}: P(ref)={t['p_ref'].iloc[0]:.3f}" if len(t) else name, fontsize=8)
    axes[-1, 0].set_xlabel("position (0-based)")
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="Δ P(positive)", fraction=0.03)
    fig.suptitle(title)
    return fig


def run_ism(
    model_dir: str | os.PathLike,
    test_tsv: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    *,
    task: str = "",
    seed: int | None = None,
    config=None,
    sequences: list[str] | None = None,
    max_sequences: int = 5,
    target_class: int = 1,
    batch_size: int = 64,
    dpi: int = 150,
) -> pd.DataFrame:
    """ISM of ``sequences`` (or the test split's positives, up to ``max_sequences``)."""
    out_dir = Path(out_dir)
    model, k = load_classifier(model_dir)
    if sequences:
        named = [
            (f"config{i + 1}", clean_sequence(s, f"report.ism.sequences[{i}]"))
            for i, s in enumerate(sequences[:max_sequences])
        ]
    elif test_tsv is None:
        raise ValueError("run_ism needs sequences or a test split (test_tsv)")
    else:
        split = read_task_split(test_tsv)
        pos = np.flatnonzero(split["label"].to_numpy() == target_class)[:max_sequences]
        named = [
            (f"row{r}", clean_sequence(split["sequence"].iloc[r], f"{test_tsv}: row {r + 1}"))
            for r in pos
        ]
    predict = classifier_predictor(model, k, target_class, batch_size=batch_size)
    tables = []
    for name, seq in named:
        t = ism(seq, predict, batch_size=batch_size)
        tables.append((name, seq, t))
    full = (
        pd.concat([t.assign(sequence_id=name) for name, _, t in tables], ignore_index=True)
        if tables
        else pd.DataFrame(columns=["pos", "ref", "alt", "p_ref", "p_alt", "delta", "sequence_id"])
    )
    full = full[["sequence_id", "pos", "ref", "alt", "p_ref", "p_alt", "delta"]]
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "ism.tsv") as tmp:
        full.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    ism_title = f"{task} DNABERT-{k}: in-silico mutagenesis"
    draw_and_save(out_dir / "ism_heatmap", dpi, plot_ism, tables, ism_title)
    _write_sidecar(
        out_dir / "ism.json",
        config,
        seed,
        task,
        k,
        model_dir,
        sequences={name: seq for name, seq in named},
        target_class=target_class,
    )
    return full

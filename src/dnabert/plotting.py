"""Deterministic matplotlib output: one style, byte-identical PNG/PDF files, sequence logos.

Every figure of the report goes through :func:`save_figure`, which writes ``{name}.png`` and
``{name}.pdf`` with fixed metadata (no software string, no creation date, a fixed PDF producer),
a fixed font (DejaVu Sans, shipped with matplotlib) and the Agg backend, so drawing the same data
twice gives the same bytes. :func:`draw_logo` draws a sequence logo from a position frequency
matrix with letters as scaled text paths (no extra dependency).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402
from matplotlib.transforms import Affine2D  # noqa: E402

from dnabert.provenance import atomic_path  # noqa: E402

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "svg.hashsalt": "dnabert",
    "path.simplify": True,
}
# Colour per model family (colour-blind safe, Okabe-Ito); DNABERT-k variants get shades.
MODEL_COLOURS = {
    "dnabert": "#0072B2",
    "dnabert_scratch": "#56B4E9",  # lighter blue: the same architecture without pretraining
    "deepromoter": "#E69F00",
    "promid": "#009E73",
    "splicefinder": "#D55E00",
    "deepbind": "#CC79A7",
    "kmer_lr": "#999999",  # the k-mer yardstick: grey, drawn dashed / hatched (YARDSTICK_STYLE)
}
# How figures draw the yardstick baseline (kmer_lr): a reference, not a competitor.
YARDSTICK_MODELS = frozenset({"kmer_lr"})
YARDSTICK_STYLE = {"linestyle": "--", "hatch": "///", "edgecolor": "#555555"}
OTHER_COLOURS = ["#F0E442", "#999999", "#000000", "#882255"]
PNG_METADATA = {"Software": None}
PDF_METADATA = {"Creator": None, "Producer": "dnabert", "CreationDate": None}
BASE_COLOURS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The report's matplotlib style as a context (rcParams restored afterwards)."""
    with matplotlib.rc_context(STYLE):
        yield


def model_colour(model: str, index: int = 0) -> str:
    """A stable colour for a model name (``dnabert``, a baseline, or anything else)."""
    return MODEL_COLOURS.get(model, OTHER_COLOURS[index % len(OTHER_COLOURS)])


def save_figure(fig, out_base: str | os.PathLike, dpi: int = 150) -> list[Path]:
    """Write ``{out_base}.png`` and ``{out_base}.pdf`` deterministically, close ``fig``.

    Same figure content -> same bytes: PNG without Software/time chunks, PDF without creation
    date and with a fixed producer. Files are written atomically. Returns the two paths.
    """
    out_base = Path(out_base)
    paths = []
    for ext, meta in (("png", PNG_METADATA), ("pdf", PDF_METADATA)):
        path = out_base.with_name(out_base.name + "." + ext)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=dpi, metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def draw_and_save(out_base: str | os.PathLike, dpi: int, plot, *args, **kwargs) -> list[Path]:
    """``plot(*args, **kwargs)`` drawn in the report's :func:`style`, saved with
    :func:`save_figure` as ``{out_base}.png`` and ``.pdf``; returns the two paths."""
    with style():
        return save_figure(plot(*args, **kwargs), out_base, dpi=dpi)


def note(ax, text: str) -> None:
    """Replace an axis by a centred note (a skipped panel says why instead of crashing)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9, color="#555555")


def information_matrix(counts: np.ndarray, pseudocount: float = 0.0) -> np.ndarray:
    """Letter heights of a logo: frequency x information content (bits), shape ``(L, 4)``.

    ``counts`` is a position count (or frequency) matrix ``(L, 4)`` in ``ACGT`` column order.
    Information per position is ``2 - H`` with ``H`` the Shannon entropy in bits; a row of zeros
    gives zero height.
    """
    counts = np.asarray(counts, dtype=np.float64) + pseudocount
    total = counts.sum(axis=1, keepdims=True)
    freq = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.nansum(np.where(freq > 0, freq * np.log2(freq), 0.0), axis=1)
    info = np.where(total[:, 0] > 0, 2.0 - ent, 0.0)
    return freq * info[:, None]


def draw_logo(ax, counts: np.ndarray, title: str | None = None) -> None:
    """Draw an information-content sequence logo of ``counts`` ``(L, 4)`` (ACGT) on ``ax``.

    Letters are stacked smallest at the bottom, each a text path scaled to width 1 and to its
    height in bits; the y axis spans 0..2 bits.
    """
    heights = information_matrix(counts)
    for pos, row in enumerate(heights):
        bottom = 0.0
        for idx in np.argsort(row, kind="stable"):
            h = float(row[idx])
            if h <= 1e-6:
                continue
            letter = "ACGT"[idx]
            path = TextPath(
                (0, 0), letter, size=1, prop={"family": "DejaVu Sans", "weight": "bold"}
            )
            ext = path.get_extents()
            tr = (
                Affine2D()
                .translate(-ext.x0, -ext.y0)
                .scale(0.9 / ext.width, h / ext.height)
                .translate(pos + 0.05, bottom)
            )
            ax.add_patch(PathPatch(tr.transform_path(path), color=BASE_COLOURS[letter], lw=0))
            bottom += h
    ax.set_xlim(0, max(len(heights), 1))
    ax.set_ylim(0, 2)
    ax.set_xticks(np.arange(len(heights)) + 0.5, [str(i + 1) for i in range(len(heights))])
    ax.set_ylabel("bits")
    if title:
        ax.set_title(title)

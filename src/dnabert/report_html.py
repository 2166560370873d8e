"""The report's two HTML pages: the results table (``metrics.html``) and what produced each
figure (``provenance.html``, from the figures' ``.json`` sidecars)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from dnabert.provenance import atomic_path
from dnabert.task_figures import gue_table_html


def write_metrics_html(
    df: pd.DataFrame, path: str | os.PathLike, gue: pd.DataFrame | None = None
) -> Path:
    """The results table as a standalone HTML page (mean +- sd over seeds per task and model),
    then the GUE table (:func:`dnabert.task_figures.gue_table_html`) when ``gue`` has rows."""
    path = Path(path)
    cols = [
        c
        for c in ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc")
        if c in df.columns
    ]
    body = "<p>No results.</p>"
    if len(df):
        g = df.groupby(["task", "label"], sort=True)
        rows = []
        for (task, label), grp in g:
            cells = "".join(
                f"<td>{grp[c].mean():.3f}"
                + (f" ± {grp[c].std():.3f}" if len(grp) > 1 else "")
                + "</td>"
                for c in cols
            )
            rows.append(
                f"<tr><td>{html.escape(str(task))}</td><td>{html.escape(label)}</td>"
                f"<td>{len(grp)}</td>{cells}</tr>"
            )
        head = "".join(f"<th>{c}</th>" for c in ["task", "model", "seeds", *cols])
        body = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DNABERT results</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "td:first-child,td:nth-child(2){text-align:left}</style></head><body>"
        "<h1>DNABERT results (mean ± sd over seeds)</h1>"
        + body
        + gue_table_html(gue)
        + "</body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)
    return path


def write_provenance_html(sidecars: list[str | os.PathLike], path: str | os.PathLike) -> Path:
    """One HTML table of what produced each figure and viz output (from their ``.json`` sidecars).

    Columns: output, seeds, code version(s), config digest (sha256 of the key-sorted JSON, first
    12 hex digits; equal digests mean equal configs) and package versions. The full config is in
    each sidecar named in the first column.
    """
    import hashlib
    import json

    rows = []
    for side in sidecars:
        rec = json.loads(Path(side).read_text())
        seeds = rec.get("seeds") if rec.get("seeds") is not None else rec.get("seed")
        codes = sorted({rec.get("code_version", ""), *rec.get("run_code_versions", [])} - {""})
        digest = hashlib.sha256(
            json.dumps(rec.get("config"), sort_keys=True, default=str).encode()
        ).hexdigest()[:12]
        pkgs = ", ".join(f"{k} {v}" for k, v in sorted(rec.get("packages", {}).items()))
        cells = [str(side), str(seeds), "<br>".join(codes), digest, pkgs]
        rows.append(
            "<tr>"
            + "".join(f"<td>{html.escape(c).replace('&lt;br&gt;', '<br>')}</td>" for c in cells)
            + "</tr>"
        )
    head = "".join(
        f"<th>{c}</th>"
        for c in ("provenance file", "seeds", "code version", "config sha256", "packages")
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Provenance</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}</style></head><body>"
        "<h1>What produced each figure</h1><table><thead><tr>"
        + head
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)
    return Path(path)

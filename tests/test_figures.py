"""The paper's figures from a hand-made results tree: files, determinism, missing panels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert import figures
from dnabert.plotting import information_matrix

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_results_tree  # noqa: E402


@pytest.fixture(scope="module")
def full_tree(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("full") / "results"
    make_results_tree(results)
    return results


@pytest.fixture(scope="module")
def full_figures(full_tree, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figs")
    figures.plot_figures(full_tree, out, config={"seeds": [1, 2]}, dpi=60)
    return out


def test_every_figure_written_with_provenance(full_figures):
    for name in figures.FIGURES:
        for ext in ("png", "pdf", "json"):
            assert (full_figures / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        prov = json.loads((full_figures / f"{name}.json").read_text())
        assert prov["figure"] == name
        assert prov["config"] == {"seeds": [1, 2]}
        assert "matplotlib" in prov["packages"] and prov["code_version"]
        assert "created" not in prov  # a timestamp would break byte-identical reruns
    prom = json.loads((full_figures / "prom300_bars.json").read_text())
    assert prom["seeds"] == [1, 2]
    assert "prom300_tata/DNABERT-6/seed1" in prom["runs"]
    assert not any(r.startswith("splice") for r in prom["runs"])
    html = (full_figures / "metrics.html").read_text()
    assert "prom300_tata" in html and "DeePromoter" in html and "±" in html


def test_figures_are_byte_identical_when_redrawn(full_tree, full_figures, tmp_path):
    figures.plot_figures(full_tree, tmp_path, config={"seeds": [1, 2]}, dpi=60)
    for path in sorted(full_figures.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_png_has_no_timestamp_or_software(full_figures):
    data = (full_figures / "prom300_bars.png").read_bytes()
    assert b"tIME" not in data and b"Software" not in data
    pdf = (full_figures / "prom300_bars.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"dnabert" in pdf


def test_bars_show_the_better_model_higher(full_tree):
    df = figures.read_metrics(full_tree / "report" / "metrics.tsv")
    s = figures.summarise(df[df["task"] == "prom300_tata"], "mcc").set_index("label")
    assert s.loc["DNABERT-6", "mean"] > s.loc["DeePromoter", "mean"]
    assert s.loc["DNABERT-6", "n"] == 2 and s.loc["DNABERT-6", "sd"] >= 0


def test_missing_panels_degrade_to_notes(tmp_path):
    """One seed, no TF tasks, no promcore predictions, no pretraining logs: no crash."""
    results = tmp_path / "results"
    make_results_tree(results, seeds=(3,), tf_tasks=(), with_curves=False)
    for d in (results / "models").iterdir():
        for f in d.iterdir():
            f.unlink()
    out = tmp_path / "figs"
    figures.plot_figures(results, out, dpi=50)
    assert all((out / f"{n}.png").exists() for n in figures.FIGURES)
    tf = json.loads((out / "tf_violins.json").read_text())
    assert tf["runs"] == [] and tf["seeds"] == []


def test_no_metrics_at_all_through_the_cli(tmp_path):
    from dnabert.cli import main

    out = tmp_path / "figs"
    assert (
        main(
            [
                "plot-figures",
                "--results",
                str(tmp_path / "results"),
                "--out",
                str(out),
                "--dpi",
                "40",
            ]
        )
        == 0
    )
    assert all((out / f"{n}.pdf").exists() for n in figures.FIGURES)
    assert "No results" in (out / "metrics.html").read_text()


def test_bad_metrics_table_names_file(tmp_path):
    path = tmp_path / "metrics.tsv"
    pd.DataFrame({"task": ["x"], "model": ["dnabert"]}).to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"metrics.tsv: missing column"):
        figures.read_metrics(path)


def test_wilcoxon_by_hand():
    """Without tf_wilcoxon.tsv the figure runs the metrics table's one-sided test (the p-value
    on the figure never depends on which of two tests ran)."""
    from scipy import stats

    rows = []
    pairs = [(0.9, 0.8), (0.95, 0.7), (0.85, 0.86), (0.92, 0.6), (0.99, 0.9)]
    for i, (a, b) in enumerate(pairs):
        for model, k, acc in (("dnabert", 6, a), ("deepbind", None, b)):
            rows.append({"task": f"tf_{i}", "model": model, "k": k, "accuracy": acc, "f1": acc})
    df = pd.DataFrame(rows)
    table = figures.tf_tests(df)
    row = table[(table["baseline"] == "deepbind") & (table["metric"] == "accuracy")].iloc[0]
    a, b = np.array(pairs).T
    assert row["dnabert"] == "dnabert6" and row["n_experiments"] == 5
    assert row["p_value"] == pytest.approx(stats.wilcoxon(a, b, alternative="greater").pvalue)
    assert row["p_value"] == pytest.approx(0.0625)  # 4 of 5 ranks positive, the 1 smallest not
    # the from-scratch control is a comparison, never the "best DNABERT" it is compared with
    scratch = df[df["model"] == "deepbind"].assign(model="dnabert_scratch", k=6, accuracy=b + 0.5)
    table = figures.tf_tests(pd.concat([df, scratch]))
    assert set(table["dnabert"]) == {"dnabert6"}
    assert set(table["baseline"]) == {"deepbind", "dnabert6_scratch"}
    assert figures.model_label("dnabert_scratch", 6) == "DNABERT-6 scratch"
    assert figures.model_label("dnabert6_scratch", None) == "DNABERT-6 scratch"


def test_information_matrix():
    counts = np.array([[10, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    h = information_matrix(counts)
    np.testing.assert_allclose(h[0], [2, 0, 0, 0])  # a certain base: 2 bits
    np.testing.assert_allclose(h[1], 0, atol=1e-12)  # uniform: no information
    np.testing.assert_allclose(h[2], 0)  # no data: no letters

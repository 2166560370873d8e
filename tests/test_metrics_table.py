"""The metrics table: one row per run, mean/sd over seeds, TF Wilcoxon direction."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from dnabert.evaluate import METRIC_NAMES
from dnabert.metrics_table import (
    collect_metrics,
    summarize_seeds,
    tf_wilcoxon,
    write_metrics_tables,
)


def write_metrics(root, task, model, k, seed, acc, f1=None):
    name = f"dnabert{k}" if model == "dnabert" else model
    path = root / task / name / f"seed{seed}" / "metrics.json"
    path.parent.mkdir(parents=True)
    record = {m: acc for m in METRIC_NAMES}
    record.update(f1=acc if f1 is None else f1, n_test=100, task=task, model=model, k=k)
    record.update(seed=seed, config={}, code_version="abc123")
    path.write_text(json.dumps(record))
    return path


def test_one_row_per_run_with_k_and_code_version(tmp_path):
    paths = [
        write_metrics(tmp_path, "splice", "dnabert", 6, 1, 0.9),
        write_metrics(tmp_path, "splice", "dnabert", 6, 2, 0.8),
        write_metrics(tmp_path, "splice", "splicefinder", None, 1, 0.7),
    ]
    df = collect_metrics(paths)
    assert len(df) == 3
    assert df["run"].tolist() == ["dnabert6", "dnabert6", "splicefinder"]
    assert df["k"].tolist()[:2] == [6, 6] and pd.isna(df["k"].iloc[2])
    assert (df["code_version"] == "abc123").all()
    assert df["accuracy"].tolist() == [0.9, 0.8, 0.7]


def test_duplicate_runs_are_an_error(tmp_path):
    a = write_metrics(tmp_path / "a", "splice", "dnabert", 6, 1, 0.9)
    b = write_metrics(tmp_path / "b", "splice", "dnabert", 6, 1, 0.8)
    with pytest.raises(ValueError, match="several metrics.json"):
        collect_metrics([a, b])


def test_mean_and_sd_over_seeds(tmp_path):
    paths = [
        write_metrics(tmp_path, "splice", "dnabert", 6, s, acc)
        for s, acc in ((1, 0.8), (2, 0.9), (3, 1.0))
    ]
    paths.append(write_metrics(tmp_path, "splice", "splicefinder", None, 1, 0.7))
    summary = summarize_seeds(collect_metrics(paths)).set_index("run")
    assert summary.loc["dnabert6", "n_seeds"] == 3
    assert summary.loc["dnabert6", "seeds"] == "1,2,3"
    assert summary.loc["dnabert6", "accuracy_mean"] == pytest.approx(0.9)
    assert summary.loc["dnabert6", "accuracy_sd"] == pytest.approx(0.1)  # sample sd
    assert math.isnan(summary.loc["splicefinder", "accuracy_sd"])


def test_wilcoxon_small_p_when_dnabert_is_better(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(8):
        base = 0.7 + 0.02 * rng.random()
        paths.append(write_metrics(tmp_path, f"tf_E{i}", "dnabert", 6, 1, base + 0.1))
        paths.append(write_metrics(tmp_path, f"tf_E{i}", "deepbind", None, 1, base))
    paths.append(write_metrics(tmp_path, "splice", "deepbind", None, 1, 0.99))  # not a TF task
    table = tf_wilcoxon(collect_metrics(paths))
    assert set(table["metric"]) == {"accuracy", "f1"}
    row = table[table["metric"] == "accuracy"].iloc[0]
    assert (row["dnabert"], row["baseline"], row["n_experiments"]) == ("dnabert6", "deepbind", 8)
    assert row["p_value"] < 0.01  # 8 of 8 better: exact one-sided p = 1/256
    assert row["median_difference"] == pytest.approx(0.1)
    # reversed: the baseline better -> p close to 1
    rev = [write_metrics(tmp_path / "r", f"tf_E{i}", "dnabert", 6, 1, 0.5) for i in range(8)]
    rev += [write_metrics(tmp_path / "r", f"tf_E{i}", "deepbind", None, 1, 0.6) for i in range(8)]
    assert tf_wilcoxon(collect_metrics(rev))["p_value"].min() > 0.9


def test_wilcoxon_with_one_experiment_says_why(tmp_path):
    paths = [
        write_metrics(tmp_path, "tf_E1", "dnabert", 6, 1, 0.9),
        write_metrics(tmp_path, "tf_E1", "deepbind", None, 1, 0.8),
    ]
    table = tf_wilcoxon(collect_metrics(paths))
    assert len(table) == 2 and table["p_value"].isna().all()
    assert "needs >= 2" in table["note"].iloc[0]
    assert tf_wilcoxon(collect_metrics(paths[:1])).empty  # no baseline: no rows


def test_write_tables(tmp_path):
    paths = [write_metrics(tmp_path / "runs", "prom300_tata", "dnabert", 6, 1, 0.9)]
    out = tmp_path / "report"
    write_metrics_tables(
        paths, out / "metrics.tsv", out / "metrics_summary.tsv", out / "tf_wilcoxon.tsv"
    )
    table = pd.read_csv(out / "metrics.tsv", sep="\t")
    assert table["task"].tolist() == ["prom300_tata"]
    assert (out / "metrics_summary.tsv").is_file()
    assert pd.read_csv(out / "tf_wilcoxon.tsv", sep="\t").empty


def test_scratch_controls_are_their_own_run_and_compared_with_dnabert(tmp_path):
    root = tmp_path / "runs"
    paths = []
    for i, (ours, scratch) in enumerate([(0.9, 0.8), (0.85, 0.7), (0.8, 0.75)]):
        paths.append(write_metrics(root, f"tf_E{i}", "dnabert", 6, 1, ours))
        paths.append(write_metrics(root, f"tf_E{i}", "dnabert_scratch", 6, 1, scratch))
    record = json.loads(paths[1].read_text())
    paths[1].write_text(
        json.dumps({**record, "warnings": ["all 100 test predictions are class 0"]})
    )
    df = collect_metrics(paths)
    assert sorted(set(df["run"])) == ["dnabert6", "dnabert6_scratch"]
    flagged = df.loc[df["warnings"] != "", ["task", "run"]].values.tolist()
    assert flagged == [["tf_E0", "dnabert6_scratch"]]
    table = tf_wilcoxon(df, ["accuracy"])
    assert table[["dnabert", "baseline"]].values.tolist() == [["dnabert6", "dnabert6_scratch"]]
    row = table.iloc[0]
    assert row["n_experiments"] == 3
    assert row["dnabert_mean"] == pytest.approx(0.85)
    assert row["baseline_mean"] == pytest.approx(0.75)

"""Benchmark suites (GUE), users' tasks in every figure and table, runs without a genome."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.collections import PathCollection
from snakemake_runs import SNAKEMAKE

from dnabert import figures
from dnabert.config import ConfigError, validate_config
from dnabert.datasets.custom import import_custom_task
from dnabert.datasets.suites import GUE_FOLDERS, check_suite_files, expand_suites
from dnabert.evaluate import compute_metrics
from dnabert.metrics_table import tf_wilcoxon
from dnabert.plotting import style
from dnabert.task_groups import group_wilcoxon, gue_table, task_groups, wilcoxon_groups


def make_gue(root: Path, rows: str = "ACGTACGTAC,0\nTTTTACGTAC,1\n") -> Path:
    """Every GUE task folder with tiny train/dev/test CSVs (the real layout, not real data)."""
    for _, folder, names, _ in GUE_FOLDERS:
        for name in names:
            d = root / folder / name
            d.mkdir(parents=True, exist_ok=True)
            for split in ("train", "dev", "test"):
                (d / f"{split}.csv").write_text("sequence,label\n" + rows)
    return root


def test_gue_expands_into_28_named_tasks_in_paper_groups(tmp_path):
    tasks = expand_suites({"suites": {"gue": str(tmp_path / "GUE")}})
    assert len(tasks) == 28
    assert list(tasks)[:3] == ["gue_emp_h3", "gue_emp_h3k14ac", "gue_emp_h3k36me3"]
    for name in ("gue_emp_h3k4me1", "gue_prom_300_tata", "gue_prom_core_all", "gue_tf_0",
                 "gue_mouse_4", "gue_splice_reconstructed", "gue_virus_covid"):  # fmt: skip
        assert name in tasks, name
    assert all(re.fullmatch(r"gue_[a-z0-9_]+", name) for name in tasks)  # wildcard-safe
    spec = tasks["gue_emp_h3k4me1"]
    assert spec["train"] == str(tmp_path / "GUE/EMP/H3K4me1/train.csv")
    assert spec["test"] == str(tmp_path / "GUE/EMP/H3K4me1/test.csv")
    assert (spec["format"], spec["suite"], spec["group"], spec["family"]) == (
        "gue", "gue", "emp", None,
    )  # fmt: skip
    groups = pd.Series([s["group"] for s in tasks.values()]).value_counts().to_dict()
    assert groups == {"emp": 10, "tf_human": 5, "tf_mouse": 5, "prom_300": 3, "prom_core": 3,
                      "splice": 1, "virus": 1}  # fmt: skip
    assert tasks["gue_prom_core_tata"]["family"] == "promoter"
    assert tasks["gue_mouse_0"]["family"] == "tf"
    assert tasks["gue_splice_reconstructed"]["family"] == "splice"
    # like custom tasks, suite tasks get the k-mer yardstick unless told otherwise ([] for none)
    assert {tuple(s["baselines"]) for s in tasks.values()} == {("kmer_lr",)}
    none = expand_suites({"suites": {"gue": {"path": "G", "include": ["tf"], "baselines": []}}})
    assert {tuple(s["baselines"]) for s in none.values()} == {()}


def test_include_picks_groups_and_baselines_apply_to_each(tmp_path):
    config = {
        "suites": {"gue": {"path": "G", "include": ["prom", "virus"], "baselines": ["deepbind"]}}
    }
    tasks = expand_suites(config)
    assert list(tasks) == [
        "gue_prom_300_all", "gue_prom_300_notata", "gue_prom_300_tata",
        "gue_prom_core_all", "gue_prom_core_notata", "gue_prom_core_tata", "gue_virus_covid",
    ]  # fmt: skip
    assert {tuple(s["baselines"]) for s in tasks.values()} == {("deepbind",)}


def test_schema_validates_suites():
    base = {"genome": {"name": "g", "fasta": {"url": "x.fa"}}}
    cfg = validate_config({**base, "suites": {"gue": {"path": "GUE"}}})
    assert cfg["suites"]["gue"]["include"] == ["emp", "prom", "tf", "mouse", "splice", "virus"]
    assert validate_config({**base, "suites": {"gue": "GUE"}})["suites"]["gue"] == "GUE"
    assert validate_config(dict(base))["suites"] == {"gue": None}
    with pytest.raises(ConfigError, match="suites.gue"):
        validate_config({**base, "suites": {"gue": {"path": "GUE", "include": ["EMP"]}}})
    with pytest.raises(ConfigError, match="unknown config key 'suites.nt'"):
        validate_config({**base, "suites": {"nt": "x"}})
    with pytest.raises(ConfigError, match="custom_tasks.t.family"):
        validate_config({**base, "custom_tasks": {"t": {"train": "a", "dev": "b", "test": "c",
                                                         "family": "enhancer"}}})  # fmt: skip


def test_missing_gue_folder_or_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=rf"suites.gue.path: {tmp_path}/nope: no such folder"):
        check_suite_files({"suites": {"gue": str(tmp_path / "nope")}})
    root = make_gue(tmp_path / "GUE")
    check_suite_files({"suites": {"gue": str(root)}})  # complete: no error
    (root / "tf/3/dev.csv").unlink()
    shutil.rmtree(root / "virus/covid")
    (root / "EMP/H4/test.csv").write_text("seq,lab\nACGT,0\n")
    with pytest.raises(ValueError) as err:
        check_suite_files({"suites": {"gue": str(root)}})
    message = str(err.value)
    assert "3 problem(s)" in message
    assert f"{root}/tf/3/dev.csv: no such file" in message
    assert f"{root}/virus/covid: no such folder" in message
    assert f"{root}/EMP/H4/test.csv: line 1 is 'seq,lab', not 'sequence,label'" in message
    # a subset that leaves the broken groups out is fine
    check_suite_files({"suites": {"gue": {"path": str(root), "include": ["prom", "mouse"]}}})


def test_genome_is_optional_only_for_users_tasks_from_a_given_model():
    users = {"suites": {"gue": "GUE"}, "finetune": {"init_from": "models/dnabert{k}"}}
    cfg = validate_config(json.loads(json.dumps(users)))
    assert "genome" not in cfg and cfg["datasets"]["tasks"] == []  # no built-in task by default
    with pytest.raises(ConfigError, match=r"'genome' is a required property for pretraining"):
        validate_config({"suites": {"gue": "GUE"}})
    with pytest.raises(ConfigError, match=r"required property for the built-in tasks .*splice"):
        validate_config({**json.loads(json.dumps(users)), "datasets": {"tasks": ["splice"]}})
    with pytest.raises(ConfigError, match="no custom_tasks or suites"):
        validate_config({"finetune": {"init_from": "m"}})


def _dry_run(repo, config: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1", "-n",
         "--configfile", str(cfg), "--directory", str(tmp_path / "work")],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _job_counts(text: str) -> dict[str, int]:
    table = text[text.index("Job stats:") :]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_gue_only_run_without_genome_dry_runs_to_the_report(repo, tmp_path):
    """suites + finetune.init_from and no genome block: the default target imports, fine-tunes
    and reports the GUE tasks; nothing is downloaded, no genome or pretraining job."""
    root = make_gue(tmp_path / "GUE")
    model = tmp_path / "my_dnabert6"
    model.mkdir()
    (model / "config.json").write_text("{}")
    config = {
        "suites": {
            "gue": {"path": str(root), "include": ["prom", "virus"], "baselines": ["deepbind"]}
        },
        "tokenize": {"k": [6]},
        "seeds": [1, 2],
        "finetune": {
            "init_from": str(tmp_path / "my_dnabert{k}"),
            "task_overrides": {"gue_virus_covid": {"epochs": 1}},  # a suite task's name
        },
    }
    result = _dry_run(repo, config, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    jobs = _job_counts(out)
    assert jobs == {
        "import_custom_task": 7,  # 6 promoter sets + covid
        "finetune_dnabert": 14,  # x 2 seeds
        "train_baseline": 14,  # the suite's baselines, on each task and seed
        "collect_metrics": 1,
        "tabulate_task_groups": 1,
        "plot_figures": 1,
        "summarise_provenance": 1,
        "all": 1,
        "total": 40,
    }, jobs
    for path in ("results/report/gue_table.tsv", "results/report/group_wilcoxon.tsv",
                 "results/report/figures/task_mcc.png", "results/report/figures/prom300_bars.png",
                 "results/datasets/gue_virus_covid/summary.json",
                 "results/finetune/gue_prom_core_tata/dnabert6/seed2/metrics.json"):  # fmt: skip
        assert path in out, path
    assert "resources/" not in out and "download" not in out


def test_broken_gue_tree_stops_before_any_job(repo, tmp_path):
    root = make_gue(tmp_path / "GUE")
    (root / "prom/prom_300_all/train.csv").unlink()
    config = {"suites": {"gue": str(root)}, "finetune": {"init_from": str(tmp_path)}}
    result = _dry_run(repo, config, tmp_path)
    assert result.returncode != 0
    assert f"{root}/prom/prom_300_all/train.csv: no such file" in result.stdout + result.stderr
    assert "Job stats" not in result.stdout + result.stderr


def test_covid_nine_classes_import_and_score(tmp_path):
    rng = np.random.default_rng(0)
    rows = "".join(f"{''.join(rng.choice(list('ACGT'), 30))},{i % 9}\n" for i in range(36))
    root = make_gue(tmp_path / "GUE", rows)
    spec = expand_suites({"suites": {"gue": {"path": str(root), "include": ["virus"]}}})
    summary = import_custom_task("gue_virus_covid", spec["gue_virus_covid"], tmp_path / "out")
    assert sorted(summary["splits"]["test"]["classes"], key=int) == [str(c) for c in range(9)]
    test = pd.read_csv(tmp_path / "out/test.tsv", sep="\t")
    assert sorted(test["label"].unique()) == list(range(9))
    labels = test["label"].to_numpy()
    probs = np.eye(9)[labels] * 0.9 + 0.1 / 9  # a perfect 9-class predictor
    metrics = compute_metrics(labels, probs)
    assert metrics["mcc"] == pytest.approx(1.0) and metrics["accuracy"] == 1.0


def _metrics(rows) -> pd.DataFrame:
    """metrics.tsv-shaped rows from (task, run, seed, mcc)."""
    out = []
    for task, run, seed, mcc in rows:
        model = "dnabert" if run.startswith("dnabert") and "scratch" not in run else run
        k = 6 if run.startswith("dnabert") else None
        out.append({"task": task, "model": model, "k": k, "seed": seed, "run": run,
                    "accuracy": (1 + mcc) / 2, "f1": (1 + mcc) / 2, "mcc": mcc})  # fmt: skip
    return pd.DataFrame(out)


GROUPS = task_groups({"suites": {"gue": {"path": "G", "include": ["emp", "prom"]}}})


def test_gue_table_groups_tasks_as_the_paper_with_averages():
    df = _metrics([
        ("gue_emp_h3", "dnabert6", 1, 0.70), ("gue_emp_h3", "dnabert6", 2, 0.80),
        ("gue_emp_h4", "dnabert6", 1, 0.60), ("gue_emp_h3", "deepbind", 1, 0.50),
        ("gue_prom_300_all", "dnabert6", 1, 0.90), ("gue_prom_300_all", "deepbind", 1, 0.85),
        ("gue_prom_core_tata", "dnabert6", 1, 0.40),
        ("splice", "dnabert6", 1, 0.99),  # not a GUE task: not in the table
    ])  # fmt: skip
    table = gue_table(df, GROUPS)
    assert list(table.columns) == ["group", "title", "task", "dnabert6", "deepbind"]
    assert list(zip(table["group"], table["task"], strict=True)) == [
        ("emp", "gue_emp_h3"), ("emp", "gue_emp_h4"), ("emp", "average"),
        ("prom_300", "gue_prom_300_all"), ("prom_300", "average"),
        ("prom_core", "gue_prom_core_tata"), ("prom_core", "average"),
        ("all", "average"),
    ]  # fmt: skip
    dnabert = table["dnabert6"].round(6).tolist()
    assert dnabert == [75.0, 60.0, 67.5, 90.0, 90.0, 40.0, 40.0, 66.25]  # mean of 4 tasks
    deepbind = table["deepbind"].tolist()
    assert deepbind[:3] == [50.0, pytest.approx(np.nan, nan_ok=True), 50.0]
    assert deepbind[-1] == pytest.approx(67.5)
    assert gue_table(df[df["task"] == "splice"], GROUPS).empty


def test_wilcoxon_over_any_group_of_tasks():
    groups = {**GROUPS, "mine": {"family": "promoter", "suite": None, "group": None}}
    tasks = ["gue_emp_h3", "gue_emp_h4", "gue_emp_h4ac", "mine", "prom300_tata", "tf_X"]
    assert wilcoxon_groups(tasks, groups) == {
        "family:promoter": ["mine", "prom300_tata"],
        "family:tf": ["tf_X"],
        "gue:all": ["gue_emp_h3", "gue_emp_h4", "gue_emp_h4ac"],
        "gue:emp": ["gue_emp_h3", "gue_emp_h4", "gue_emp_h4ac"],
    }
    rows = [(t, "dnabert6", 1, 0.8 + 0.01 * i) for i, t in enumerate(tasks)]
    rows += [(t, "deepbind", 1, 0.5) for t in tasks]
    table = group_wilcoxon(_metrics(rows), groups)
    mcc = table[table["metric"] == "mcc"].set_index("group")
    # three tasks, DNABERT ahead on each: the exact one-sided p is 1/2**3
    assert mcc.loc["gue:emp", "p_value"] == pytest.approx(0.125)
    assert mcc.loc["gue:emp", "n_tasks"] == 3
    assert mcc.loc["family:promoter", "p_value"] == pytest.approx(0.25)
    assert mcc.loc["family:tf", "note"] == "1 task(s) with both models; the test needs >= 2"
    assert set(table["metric"]) == {"mcc", "accuracy", "f1"}


def test_tf_wilcoxon_takes_users_tf_tasks():
    rows = [(t, r, 1, v) for t in ("gue_tf_0", "gue_tf_1", "gue_mouse_0")
            for r, v in (("dnabert6", 0.8), ("deepbind", 0.6))]  # fmt: skip
    df = _metrics(rows)
    assert tf_wilcoxon(df).empty
    table = tf_wilcoxon(df, tasks=["gue_tf_0", "gue_tf_1", "gue_mouse_0"])
    assert table["n_experiments"].tolist() == [3, 3]
    assert table["p_value"].tolist() == pytest.approx([0.125, 0.125])


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["label"] = [figures.model_label(m, k) for m, k in zip(df["model"], df["k"], strict=True)]
    return df


def _texts(fig) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title])


def test_users_tasks_get_real_figures_not_placeholders(tmp_path):
    config = {
        "custom_tasks": {
            "my_prom": {"train": "a", "dev": "b", "test": "c", "family": "promoter"},
            "my_other": {"train": "a", "dev": "b", "test": "c"},
        },
        "suites": {"gue": {"path": "G", "include": ["tf"]}},
    }
    rows = [(t, r, s, 0.3 + 0.1 * s) for t in ("my_prom", "my_other", "gue_tf_0", "gue_tf_1")
            for r in ("dnabert6", "deepbind") for s in (1, 2)]  # fmt: skip
    df = _labelled(_metrics(rows))
    with style():
        tasks = figures.FIGURE_FUNCS["task_mcc"](df, tmp_path, config)
        labels = [t.get_text() for t in tasks.axes[0].get_yticklabels()]
        assert labels == ["my_prom  [promoter]", "gue_tf_0  [gue:tf_human]",
                          "gue_tf_1  [gue:tf_human]", "my_other  [other]"]  # fmt: skip
        prom = figures.figure_prom300(df, tmp_path, config)
        assert [ax.get_title() for ax in prom.axes] == ["my_prom"]  # no empty built-in panels
        assert "no results" not in _texts(prom)
        tf = figures.figure_tf_violins(df, tmp_path, config)
        assert "over 2 experiments" in tf.axes[0].get_title()
        splice = figures.figure_splice(df, tmp_path, config)
        assert "no results for splice, splice_rc; no custom or suite task of family 'splice'" in (
            _texts(splice)
        )
        empty = figures.FIGURE_FUNCS["task_mcc"](df.iloc[:0], tmp_path, config)
        assert "no runs in results/report/metrics.tsv" in _texts(empty)


def test_tf_violins_span_every_point_and_violin(tmp_path):
    """Values from -0.4 to 1.0 (violin tails run past both): all inside the y-axis."""
    values = [-0.4, 0.2, 0.5, 0.9, 1.0, 1.0]
    rows = [(f"tf_E{i}", run, 1, v if run == "dnabert6" else v / 2)
            for i, v in enumerate(values) for run in ("dnabert6", "deepbind")]  # fmt: skip
    df = _labelled(_metrics(rows))
    df["accuracy"] = df["mcc"]  # plot the signed values
    with style():
        fig = figures.figure_tf_violins(df, tmp_path)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    bodies = [c for c in ax.collections if not isinstance(c, PathCollection)]
    assert len(points) == 2 and len(bodies) >= 2  # two scatters, two violins (+ medians)
    ys = [np.asarray(c.get_offsets())[:, 1] for c in points]
    ys += [p.vertices[:, 1] for c in bodies for p in c.get_paths()]
    ys = np.concatenate(ys)
    assert lo < -0.4 and hi > 1.0
    assert ys.min() >= lo and ys.max() <= hi


def test_metrics_html_ends_with_the_gue_table(tmp_path):
    df = _metrics([("gue_emp_h3", "dnabert6", 1, 0.7), ("gue_emp_h4", "dnabert6", 1, 0.6)])
    page = figures.write_metrics_html(_labelled(df), tmp_path / "m.html", gue_table(df, GROUPS))
    text = page.read_text()
    assert "GUE benchmark (DNABERT-2 paper): test MCC x 100" in text
    assert "<td>gue_emp_h3</td><td>70.00</td>" in text
    assert (
        "<tr style='font-weight:bold'><td>Epigenetic marks (yeast)</td><td>average</td><td>65.00"
        in text
    )
    plain = figures.write_metrics_html(_labelled(df), tmp_path / "p.html").read_text()
    assert "GUE" not in plain

"""The k-mer yardstick (kmer_lr): exact counts, C picked on dev, learns what is learnable only."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from dnabert.baselines.kmer_lr import (
    kmer_counts,
    kmer_features,
    load_kmer_lr,
    predict_proba,
    run_kmer_lr,
)
from dnabert.baselines.registry import baselines_for_task
from dnabert.config import ConfigError, validate_config
from dnabert.seq import SequenceError

BASES = np.array(list("ACGT"))


def _dense(seqs, k):
    return kmer_counts(seqs, k).toarray()


def test_kmer_counts_match_hand_counted_kmers():
    # Column = the k-mer read as base-4 digits, A=0 C=1 G=2 T=3 (AC = 0*4+1 = 1, ...).
    # "ACGTA" holds the 2-mers AC, CG, GT, TA -> columns 1, 6, 11, 12.
    expected = np.zeros(16)
    expected[[1, 6, 11, 12]] = 1
    assert _dense(["ACGTA"], 2)[0].tolist() == expected.tolist()
    # ... and the 3-mers ACG (0*16+1*4+2 = 6), CGT (1*16+2*4+3 = 27), GTA (2*16+3*4+0 = 44).
    expected = np.zeros(64)
    expected[[6, 27, 44]] = 1
    assert _dense(["ACGTA"], 3)[0].tolist() == expected.tolist()
    # "AAANAA": AA, AA, (AN), (NA), AA -> AA (column 0) three times, nothing with N.
    # "TTTT": TT (column 15) three times. "G": shorter than k, an empty row.
    counts = _dense(["AAANAA", "TTTT", "G"], 2)
    assert counts.shape == (3, 16)
    assert counts[0].tolist() == [3] + [0] * 15
    assert counts[1].tolist() == [0] * 15 + [3]
    assert counts[2].tolist() == [0] * 16
    # k-mers never span two sequences: "AC" + "GT" has no CG (column 6).
    counts = _dense(["AC", "GT"], 2)
    assert counts[0].nonzero()[0].tolist() == [1] and counts[1].nonzero()[0].tolist() == [11]
    # k = 1 is the base composition: "GATTACA" has A 3, C 1, G 1, T 2.
    assert _dense(["GATTACA"], 1)[0].tolist() == [3, 1, 1, 2]


def test_kmer_counts_across_row_blocks():
    # k = 6 counts 2,048 rows per block: rows on both sides of the boundary keep their counts.
    # "AAAAAAA" holds AAAAAA (column 0) twice; "ACGTAC" is 0*1024+1*256+2*64+3*16+0*4+1 = 433.
    counts = kmer_counts(["AAAAAAA"] * 2050 + ["ACGTAC"], 6)
    assert counts.shape == (2051, 4096) and counts.nnz == 2051
    assert counts[:2050, 0].toarray().ravel().tolist() == [2] * 2050
    assert counts[2050].nonzero()[1].tolist() == [433]


def test_kmer_counts_reject_other_letters():
    with pytest.raises(SequenceError, match="sequence 1: invalid letter at position 2"):
        kmer_counts(["ACGT", "ACRT"], 2)


def test_features_are_per_k_frequencies_in_percent():
    x = kmer_features(["ACGTA", "AAAAAAAAAA", "NNNNN"], [1, 2]).toarray()
    assert x.shape == (3, 4 + 16)
    assert np.allclose(x[:2, :4].sum(1), 100) and np.allclose(x[:2, 4:].sum(1), 100)
    # "ACGTA": A 2/5, C, G, T 1/5 each
    assert np.allclose(x[0, :4], [40, 20, 20, 20])
    assert x[1, 4] == 100 and not x[2].any()  # all AA; an all-N sequence has no k-mers


def _write_task(tmp_path, splits: dict[str, pd.DataFrame], name="toy"):
    task_dir = tmp_path / name
    task_dir.mkdir()
    for split, df in splits.items():
        df.to_csv(task_dir / f"{split}.tsv", sep="\t", index=False)
    return task_dir


def _motif_rows(n, length, rng, *, motif="GATAAGATAA", positive_fraction=0.5, flip=False):
    """Random sequences; label 1 ones carry ``motif`` somewhere (``flip``: labels swapped)."""
    rows = []
    for i in range(n):
        label = int(rng.random() < positive_fraction)
        seq = list(rng.choice(BASES, length))
        if label:
            at = int(rng.integers(0, length - len(motif)))
            seq[at : at + len(motif)] = motif
        rows.append(("".join(seq), 1 - label if flip else label, "chrT", i * 1000, "+"))
    return pd.DataFrame(rows, columns=["sequence", "label", "chrom", "start", "strand"])


def test_learns_a_planted_motif_but_not_shuffled_labels(tmp_path):
    rng = np.random.default_rng(0)
    data = {s: _motif_rows(n, 101, rng) for s, n in (("train", 500), ("dev", 150), ("test", 200))}
    good = run_kmer_lr(_write_task(tmp_path, data), tmp_path / "good", seed=1)
    assert good["mcc"] > 0.8, good["mcc"]
    shuffled = {**data, "train": data["train"].assign(label=rng.permutation(data["train"].label))}
    bad = run_kmer_lr(_write_task(tmp_path, shuffled, "shuffled"), tmp_path / "bad", seed=1)
    assert abs(bad["mcc"]) < 0.3, bad["mcc"]


def test_c_is_chosen_on_dev_not_test(tmp_path):
    """Dev and test disagree: a 30%-positive task without class weights, where the tiny C
    predicts the majority class (MCC 0) and C = 10 learns the motif. Dev labels follow the
    motif (C = 10 wins); test labels are swapped (C = 10 scores below 0, the tiny C would win)."""
    rng = np.random.default_rng(1)
    kw = {"positive_fraction": 0.3}
    splits = {
        "train": _motif_rows(500, 101, rng, **kw),
        "dev": _motif_rows(150, 101, rng, **kw),
        "test": _motif_rows(150, 101, rng, flip=True, **kw),
    }
    params = {"c_grid": [1e-6, 10.0], "class_weights": None}
    out = tmp_path / "run"
    record = run_kmer_lr(_write_task(tmp_path, splits), out, seed=0, params=params)
    assert record["details"]["C"] == 10.0
    scores = {row["C"]: row["mcc"] for row in record["details"]["dev_scores"]}
    assert scores[10.0] > 0.8 and scores[1e-6] == 0
    assert record["mcc"] < -0.5  # the test split, scored once with dev's choice
    log = pd.read_csv(out / "eval_log.csv")
    assert log["C"].tolist() == [1e-6, 10.0]


def test_run_dir_keeps_the_baselines_contract(tmp_path):
    rng = np.random.default_rng(2)
    data = {s: _motif_rows(n, 80, rng) for s, n in (("train", 300), ("dev", 60), ("test", 70))}
    task_dir = _write_task(tmp_path, data)
    out = tmp_path / "results" / "seed5"
    record = run_kmer_lr(task_dir, out, seed=5, params={"ks": [3, 4]}, config={"x": 1})
    assert sorted(p.name for p in out.iterdir()) == [
        "eval_log.csv", "metrics.json", "model.npz", "predictions.tsv"
    ]  # fmt: skip
    assert not (tmp_path / "results" / "seed5.work").exists()
    meta = json.loads((out / "metrics.json").read_text())
    for key in ("accuracy", "precision", "recall", "f1", "mcc", "auroc", "auprc", "n_test",
                "task", "model", "k", "seed", "config", "code_version", "packages"):  # fmt: skip
        assert key in meta, key
    assert (meta["model"], meta["k"], meta["seed"], meta["task"]) == ("kmer_lr", None, 5, "toy")
    assert meta["config"] == {"x": 1} and meta["details"]["ks"] == [3, 4]
    assert meta["details"]["n_features"] == 64 + 256
    pred = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert list(pred.columns) == ["label", "pred", "prob_0", "prob_1", "chrom", "start", "strand"]
    assert (pred["start"].to_numpy() == data["test"]["start"].to_numpy()).all()
    # model.npz alone reproduces the written probabilities (no pickle)
    again = predict_proba(load_kmer_lr(out), data["test"]["sequence"].tolist(), chunk_size=7)
    assert np.allclose(again[:, 1], pred["prob_1"], atol=1e-5)
    assert record["mcc"] == meta["mcc"]


def test_three_classes(tmp_path):
    rng = np.random.default_rng(3)

    def rows(n):
        out = []
        for i in range(n):
            label = i % 3
            seq = list(rng.choice(BASES, 60))
            if label:
                seq[20:30] = ("TATAAAAGGC", "GGCGCGCCAT")[label - 1]
            out.append(("".join(seq), label))
        return pd.DataFrame(out, columns=["sequence", "label"])

    splits = {"train": rows(300), "dev": rows(90), "test": rows(90)}
    record = run_kmer_lr(_write_task(tmp_path, splits), tmp_path / "run", seed=0)
    assert record["accuracy"] > 0.8
    assert load_kmer_lr(tmp_path / "run")["coef"].shape == (3, 4**4 + 4**5 + 4**6)


@pytest.mark.parametrize(
    ("task", "paper_baseline"),
    [("prom300_tata", "deepromoter"), ("promcore_all", "deepromoter"), ("promscan", "promid"),
     ("splice", "splicefinder"), ("splice_rc", "splicefinder"), ("tf_ENCSR000BGZ", "deepbind")],
)  # fmt: skip
def test_every_family_gets_the_yardstick(task, paper_baseline):
    assert baselines_for_task(task) == [paper_baseline, "kmer_lr"]
    only_paper = {"baselines": {"enabled": [paper_baseline]}}
    assert baselines_for_task(task, only_paper) == [paper_baseline]


def test_custom_tasks_get_the_yardstick_unless_they_list_baselines():
    cfg = validate_config(
        {
            "genome": {"name": "g", "fasta": {"url": "file:g.fa"}},
            "custom_tasks": {
                "plain": {"train": "a", "dev": "b", "test": "c"},
                "none": {"train": "a", "dev": "b", "test": "c", "baselines": []},
                "cnn": {"train": "a", "dev": "b", "test": "c", "baselines": ["deepbind"]},
            },
        }
    )
    assert baselines_for_task("plain", cfg) == ["kmer_lr"]
    assert baselines_for_task("none", cfg) == []
    assert baselines_for_task("cnn", cfg) == ["deepbind"]
    assert baselines_for_task("unknown_task", cfg) == []


def test_schema_fills_and_checks_the_kmer_lr_block():
    minimal = {"genome": {"name": "g", "fasta": {"url": "file:g.fa"}}}
    cfg = validate_config(json.loads(json.dumps(minimal)))
    assert "kmer_lr" in cfg["baselines"]["enabled"]
    block = cfg["baselines"]["kmer_lr"]
    assert block["ks"] == [4, 5, 6] and block["select_metric"] == "mcc"
    assert block["c_grid"] == sorted(block["c_grid"]) and len(block["c_grid"]) > 2
    ok = {**minimal, "baselines": {"kmer_lr": {"ks": [3], "c_grid": [1.0]}}}
    assert validate_config(ok)["baselines"]["kmer_lr"]["ks"] == [3]
    for bad, key in (({"ks": [0]}, "ks[0]"), ({"c_grid": []}, "c_grid"),
                     ({"c_grid": [0]}, "c_grid[0]"), ({"kk": [4]}, "kk")):  # fmt: skip
        with pytest.raises(ConfigError, match=re.escape(f"baselines.kmer_lr.{key}")):
            validate_config({**minimal, "baselines": {"kmer_lr": bad}})


def test_the_rule_env_has_scikit_learn(repo):
    rules = (repo / "workflow/rules/baselines.smk").read_text()
    rule = rules.split("rule train_kmer_lr:")[1].split("\nrule ")[0]
    env_path = re.search(r'conda:\s*"\.\./\.\./(envs/[\w.]+)"', rule)[1]
    deps = yaml.safe_load((repo / env_path).read_text())["dependencies"]
    names = {d.split("=")[0] for d in deps if isinstance(d, str)}
    assert {"scikit-learn", "scipy", "numpy", "pandas"} <= names
    assert "model.npz" in rule and "kmer_lr" in rule


def test_every_family_figure_draws_the_yardstick_dashed_and_grey(tmp_path):
    import matplotlib.pyplot as plt

    from dnabert import figures

    rows, results = [], tmp_path / "results"
    families = {"prom300_tata": "deepromoter", "promcore_tata": "deepromoter",
                "promscan": "promid", "splice": "splicefinder", "tf_A": "deepbind",
                "tf_B": "deepbind"}  # fmt: skip
    rng = np.random.default_rng(0)
    for task, paper in families.items():
        for model, k in (("dnabert", 6), (paper, None), ("kmer_lr", None)):
            rows.append({"task": task, "model": model, "k": k, "seed": 1, "accuracy": 0.8,
                         "f1": 0.8, "mcc": 0.6, "auroc": 0.9, "auprc": 0.9})  # fmt: skip
            if task == "promcore_tata":
                run = figures.run_dir(results, pd.Series(rows[-1]))
                run.mkdir(parents=True)
                y = np.arange(40) % 2
                pd.DataFrame({"label": y, "prob_1": np.clip(y * 0.6 + rng.random(40) * 0.5, 0, 1)}
                             ).to_csv(run / "predictions.tsv", sep="\t", index=False)  # fmt: skip
    path = tmp_path / "metrics.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    df = figures.read_metrics(path)
    for draw in (figures.figure_prom300, figures.figure_promscan, figures.figure_splice):
        fig = draw(df, results)
        bars = [b for ax in fig.axes for c in ax.containers for b in c
                if c.get_label().startswith("k-mer LR")]  # fmt: skip
        assert bars, draw.__name__
        assert all(b.get_hatch() == "///" and b.get_linestyle() == "--" for b in bars)
        plt.close(fig)
    fig = figures.figure_promcore_curves(df, results)
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label().startswith("k-mer")]
    assert len(lines) == 2 and all(ln.get_linestyle() == "--" for ln in lines)
    assert all(ln.get_color() == "#999999" for ln in lines)
    plt.close(fig)
    fig = figures.figure_tf_violins(df, results)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[-1] == "k-mer\nLR"  # the yardstick is drawn last
    plt.close(fig)

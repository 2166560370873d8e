"""Users' own tasks: GUE / DNABERT readers, validation errors, import, and a Snakemake run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake_runs import SNAKEMAKE

from dnabert.datasets.common import read_task_split
from dnabert.datasets.custom import (
    check_custom_task_names,
    detect_format,
    import_custom_task,
    read_custom_file,
)


def kmer_text(seq, k=3):
    return " ".join(seq[i : i + k] for i in range(len(seq) - k + 1))


def test_gue_csv_loads(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("sequence,label\nACGTAC,0\nacgtnn,1\n\nTTTTTT,1\n")
    df = read_custom_file(path)
    assert detect_format(path) == "gue"
    assert df["sequence"].tolist() == ["ACGTAC", "ACGTNN", "TTTTTT"]
    assert df["label"].tolist() == [0, 1, 1] and df["label"].dtype == np.int64
    assert df["line"].tolist() == [2, 3, 5]  # the blank line 4 is skipped


def test_dnabert_kmer_tsv_loads(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text(f"sequence\tlabel\n{kmer_text('ACGTACGT')}\t1\n{kmer_text('GGGCCC')}\t0\n")
    df = read_custom_file(path)
    assert detect_format(path) == "dnabert"
    assert df["sequence"].tolist() == ["ACGTACGT", "GGGCCC"]
    assert df["label"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad_header.csv", "seq,lab\nACGT,0\n", r"bad_header.csv: line 1: header"),
        ("bad_label.csv", "sequence,label\nACGT,0\nACGT,yes\n", r"bad_label.csv: line 3: label 'yes'"),
        ("neg_label.csv", "sequence,label\nACGT,-1\n", r"neg_label.csv: line 2: label -1"),
        ("bad_letter.csv", "sequence,label\nACGT,0\nACXT,1\n", r"bad_letter.csv: line 3: invalid letter 'X' at position 2"),
        ("short.csv", "sequence,label\nACGT\n", r"short.csv: line 2: 1 field"),
        ("empty.csv", "sequence,label\n", r"empty.csv: no sequences"),
        ("overlap.tsv", "sequence\tlabel\nACG CGT GTA\t0\nACG GTA TAC\t1\n", r"overlap.tsv: line 3: k-mer 2"),
        ("kmer_len.tsv", "sequence\tlabel\nACG CG\t0\n", r"kmer_len.tsv: line 2: k-mer 2"),
    ],
)  # fmt: skip
def test_bad_files_name_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_custom_file(path)


def _gue_files(root: Path, n=(200, 40, 40), length=40, seed=0):
    """A GUE-format task: label 1 sequences carry GGGGCCCC; lengths vary by a few bases."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    spec = {}
    for split, count in zip(("train", "dev", "test"), n, strict=True):
        lines = ["sequence,label"]
        for i in range(count):
            seq = "".join(rng.choice(list("ACGT"), size=length + i % 3))
            if i % 2:
                pos = int(rng.integers(0, length - 8))
                seq = seq[:pos] + "GGGGCCCC" + seq[pos + 8 :]
            lines.append(f"{seq},{i % 2}")
        (root / f"{split}.csv").write_text("\n".join(lines) + "\n")
        spec[split] = str(root / f"{split}.csv")
    return spec


def test_import_keeps_splits_and_writes_summary(tmp_path):
    spec = _gue_files(tmp_path / "user", n=(20, 6, 6))
    out = tmp_path / "results/datasets/mytask"
    summary = import_custom_task("mytask", {**spec, "format": "gue"}, out, config={"a": 1})
    for split, n in (("train", 20), ("dev", 6), ("test", 6)):
        df = read_task_split(out / f"{split}.tsv")
        user = pd.read_csv(spec[split])
        assert df["sequence"].tolist() == user["sequence"].tolist()  # same rows, same order
        assert df["label"].tolist() == user["label"].tolist()
        assert len(df) == n
        assert df["source"].iloc[0] == f"{spec[split]}:2"
        assert (df["end"] == df["sequence"].str.len()).all()
    saved = json.loads((out / "summary.json").read_text())
    assert saved == json.loads(json.dumps(summary))
    assert saved["splits"]["train"]["length"] == {
        "min": 40,
        "max": 42,
        "mean": pytest.approx(41.0, abs=0.1),
    }
    assert saved["lengths_consistent"] is False
    assert saved["shared_between_splits"] == 0
    assert saved["provenance"]["code_version"]


def test_labels_must_start_at_zero_and_dev_labels_occur_in_train(tmp_path):
    for name, text in (("train.csv", "sequence,label\nACGT,1\nACGA,2\n"),
                       ("dev.csv", "sequence,label\nACGT,1\n"),
                       ("test.csv", "sequence,label\nACGT,1\n")):  # fmt: skip
        (tmp_path / name).write_text(text)
    spec = {s: str(tmp_path / f"{s}.csv") for s in ("train", "dev", "test")}
    with pytest.raises(ValueError, match="labels start at 1"):
        import_custom_task("t", spec, tmp_path / "out")
    (tmp_path / "train.csv").write_text("sequence,label\nACGT,0\nACGA,1\n")
    (tmp_path / "test.csv").write_text("sequence,label\nACGT,1\nACGT,2\n")
    with pytest.raises(ValueError, match=r"test.csv: line 3: label 2 does not occur"):
        import_custom_task("t", spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_custom_names_must_not_be_builtin():
    check_custom_task_names({"custom_tasks": {"my_promoters": {}}})
    for bad in ("splice", "prom300_tata", "tf_ENCFF1", "tf"):
        with pytest.raises(ValueError, match=f"custom_tasks.{bad}"):
            check_custom_task_names({"custom_tasks": {bad: {}}})


def test_custom_gue_task_runs_end_to_end_through_snakemake(repo, tmp_path):
    """A config with only a custom GUE task and a tiny model via finetune.init_from: no genome
    block, no pretraining; import -> fine-tune -> metrics table -> figures (real ones)."""
    from toy_models import make_pretrained

    pretrained = make_pretrained(tmp_path / "my_dnabert3", k=3)
    spec = _gue_files(tmp_path / "user", n=(384, 48, 48))
    config = {
        "tokenize": {"k": [3], "max_length": 64},
        "seeds": [1, 2],
        "custom_tasks": {
            "motif": {**spec, "format": "gue", "baselines": ["deepbind"], "family": "tf"}
        },
        "finetune": {
            "init_from": str(pretrained),
            "lr": 2e-3,
            "epochs": 5,
            "dropout": 0.0,
            "patience": 0,
            "ckpt_every": 0,
        },
    }
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    # the package under test (this checkout's src/) also in the jobs' Python processes
    pythonpath = os.pathsep.join(filter(None, [str(repo / "src"), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1",
         "--configfile", str(cfg_path), "--directory", str(work)],
        cwd=repo, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": pythonpath, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert not (work / "resources").exists()  # nothing downloaded
    assert (work / "results/datasets/motif/summary.json").is_file()
    table = pd.read_csv(work / "results/report/metrics.tsv", sep="\t")
    assert set(table["task"]) == {"motif"} and set(table["run"]) == {"dnabert3", "deepbind"}
    dnabert = table[table["model"] == "dnabert"]
    assert sorted(dnabert["seed"]) == [1, 2]
    assert (dnabert["accuracy"] > 0.8).all(), table
    # the baseline named in custom_tasks ran on the same splits (variable lengths padded with N)
    assert sorted(table.loc[table["model"] == "deepbind", "seed"]) == [1, 2]
    run = work / "results/finetune/motif/dnabert3/seed1"
    assert (run / "model/vocab.txt").is_file() and (run / "predictions.tsv").is_file()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["details"]["pretrained"] == str(pretrained)
    summary = pd.read_csv(work / "results/report/metrics_summary.tsv", sep="\t")
    assert summary["n_seeds"].tolist() == [2, 2]  # one row per model
    # the task is in the per-task figure and, as family tf, in the TF violins and TF test
    figs = work / "results/report/figures"
    for name in ("task_mcc", "tf_violins"):
        runs = json.loads((figs / f"{name}.json").read_text())["runs"]
        assert sorted(runs) == [f"motif/{m}/seed{s}" for m in ("DNABERT-3", "DeepBind-style")
                                for s in (1, 2)], (name, runs)  # fmt: skip
    tf_test = pd.read_csv(work / "results/report/tf_wilcoxon.tsv", sep="\t")
    assert tf_test["n_experiments"].tolist() == [1, 1]  # one experiment: noted, not tested
    assert (work / "results/report/group_wilcoxon.tsv").is_file()


def test_config_schema_fills_custom_task_defaults():
    from dnabert.config import ConfigError, validate_config

    base = {"genome": {"name": "g", "fasta": {"url": "x.fa"}}}
    cfg = validate_config({**base, "custom_tasks": {"t1": {"train": "a", "dev": "b", "test": "c"}}})
    assert cfg["custom_tasks"]["t1"]["format"] == "auto"
    assert cfg["custom_tasks"]["t1"]["baselines"] == ["kmer_lr"]  # the yardstick
    assert cfg["finetune"]["lr"] == 2e-4 and cfg["finetune"]["init_from"] is None
    with pytest.raises(ConfigError, match="custom_tasks.t1.*'test' is a required property"):
        validate_config({**base, "custom_tasks": {"t1": {"train": "a", "dev": "b"}}})


def test_one_task_name_rule_for_import_task_and_the_config(repo):
    import yaml

    from dnabert.datasets.custom import TASK_NAME_PATTERN, check_task_name

    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    custom = schema["properties"]["custom_tasks"]["propertyNames"]["pattern"]
    overrides = schema["properties"]["finetune"]["properties"]["task_overrides"]
    assert custom == overrides["propertyNames"]["pattern"] == TASK_NAME_PATTERN
    for bad in ("my/task", "../x", "-x", "a b", ""):
        with pytest.raises(ValueError, match="not a valid task name"):
            check_task_name(bad)
    check_task_name("my_task.v2-b")

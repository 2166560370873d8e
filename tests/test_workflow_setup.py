"""The workflow's parse-time setup (dnabert.workflow_setup): config check, job environment,
wildcard constraints and the settings each step is given."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from dnabert.config import ConfigError, default_config
from dnabert.workflow_setup import (
    alternatives,
    check_run_config,
    custom_import_settings,
    export_job_environment,
    finetune_settings,
    genome_settings,
    step_settings,
    trained_baselines,
)


def _config_file(tmp_path, text: str):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_check_run_config_fills_defaults_and_returns_the_users_tasks(tmp_path):
    for split in ("train", "dev", "test"):
        (tmp_path / f"{split}.csv").write_text("sequence,label\nACGT,0\nACGA,1\n")
    cfg = {
        "datasets": {"tasks": []},
        "finetune": {"init_from": "models/dnabert{k}"},
        "custom_tasks": {"mine": {s: str(tmp_path / f"{s}.csv") for s in ("train", "dev", "test")}},
    }
    path = _config_file(tmp_path, yaml.safe_dump(cfg))
    tasks = check_run_config(cfg, [path], {})
    assert list(tasks) == ["mine"]
    assert tasks["mine"]["baselines"] == ["kmer_lr"]  # the schema's default, filled in
    assert cfg["seeds"] == [42] and cfg["tokenize"]["k"] == [6]


def test_check_run_config_names_the_file_and_the_cli_keys(tmp_path):
    repeated = _config_file(tmp_path, "seeds: [1]\nseeds: [2]\n")
    with pytest.raises(ConfigError, match=r"run\.yaml:2.*seeds"):
        check_run_config({"seeds": [2]}, [repeated], {})
    valid = _config_file(tmp_path, "datasets: {tasks: [splice]}\n")
    cli = {"tokenize": {"k": ["9"]}}  # --config 'tokenize={k: [9]}': a string until retyped
    with pytest.raises(ConfigError, match=r"run\.yaml with --config tokenize") as err:
        check_run_config(
            {"datasets": {"tasks": ["splice"]}, "tokenize": {"k": ["9"]}}, [valid], cli
        )
    assert "9" in str(err.value)


def test_export_job_environment_prepends_src_once_and_keeps_users_values():
    env = {"PYTHONPATH": "/other", "TRANSFORMERS_VERBOSITY": "info"}
    export_job_environment("/repo/src", env)
    export_job_environment("/repo/src", env)
    assert env == {
        "PYTHONPATH": "/repo/src:/other",
        "TRANSFORMERS_VERBOSITY": "info",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    empty = {}
    export_job_environment("/repo/src", empty)
    assert empty["PYTHONPATH"] == "/repo/src"


def test_wildcard_constraints():
    pattern = alternatives(["genome/hg38.fa", "a+b"])
    assert pattern == r"genome/hg38\.fa|a\+b"
    assert re.fullmatch(pattern, "genome/hg38.fa") and not re.fullmatch(pattern, "genome/hg38xfa")
    assert re.fullmatch(pattern, "a+b") and not re.fullmatch(pattern, "aab")
    assert alternatives([]) == "(?!)" and not re.fullmatch("(?!)", "")
    assert trained_baselines() == ["deepromoter", "promid", "splicefinder", "deepbind"]


def test_genome_settings():
    assert genome_settings({"genome": {"name": "g"}}) == {"name": "g"}
    assert genome_settings({}) == {"name": "none", "canonical_pattern": "", "chromosomes": []}


def test_step_settings_hold_the_keys_the_step_reads_and_no_others():
    cfg = default_config()
    cfg["report"]["viz_tasks"] = ["splice"]
    cfg["variants"] = {
        "vcf": {"url": "v.vcf"}, "tasks": ["splice"], "window": 101, "info_fields": [],
        "group_by": None, "max_ref_len": 1, "max_alt_len": 1, "target_class": 1, "top_n": 5,
        "batch_size": 8, "device": "cpu",
    }  # fmt: skip
    assert step_settings(cfg, "ism") == {"dpi": 150, "ism": {"max_sequences": 5, "sequences": None}}
    viz = step_settings(cfg, "viz")
    assert list(viz) == ["attention", "dpi", "motif", "n_heatmap_sequences", "viz_max_sequences"]
    assert list(viz["motif"])[:2] == ["both_strands", "flank"]  # key-sorted all the way down
    assert step_settings(cfg, "variants") == {
        "batch_size": 8, "device": "cpu", "group_by": None, "info_fields": [], "max_alt_len": 1,
        "max_ref_len": 1, "target_class": 1, "top_n": 5, "window": 101,
    }  # fmt: skip


def test_finetune_settings_apply_the_tasks_overrides_without_models():
    cfg = copy.deepcopy(default_config())
    cfg["finetune"]["models"] = {"NT": {"path": "nt"}}
    cfg["finetune"]["task_overrides"] = {"splice": {"lr": 0.5}}
    splice, other = finetune_settings(cfg, "splice"), finetune_settings(cfg, "promscan")
    assert splice["lr"] == 0.5 and other["lr"] == cfg["finetune"]["lr"]
    assert "models" not in splice and list(splice) == sorted(splice)


def test_tss_calls_and_custom_import_settings():
    cfg = default_config()
    cfg["baselines"]["promid"].update(tss_threshold=0.7, lr=0.5)
    assert step_settings(cfg, "tss_calls") == {"tss_threshold": 0.7, "tss_tolerance": 500}
    spec = {"train": "t", "dev": "d", "test": "e", "format": "csv", "family": "tf",
            "group": "g", "suite": "s", "baselines": ["kmer_lr"]}  # fmt: skip
    assert custom_import_settings(spec) == {"dev": "d", "format": "csv", "test": "e", "train": "t"}
    assert custom_import_settings({"train": "t", "dev": "d", "test": "e"}) == {
        "dev": "d", "test": "e", "train": "t"
    }  # fmt: skip

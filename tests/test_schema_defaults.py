"""Defaults have one source, the config schema: the CLI, Snakemake and library calls agree."""

from __future__ import annotations

import pytest

import dnabert.baselines.train_baseline as train_baseline
from dnabert.cli import main
from dnabert.config import default_config, schema_defaults

# The schema's max_steps of each baseline, written out (docs/baselines.md; the paper's budgets).
SCHEMA_MAX_STEPS = {"deepromoter": 3000, "promid": 5000, "splicefinder": 3000, "deepbind": 3000}


def test_expected_budgets_are_the_schemas():
    baselines = default_config()["baselines"]
    assert {name: baselines[name]["max_steps"] for name in SCHEMA_MAX_STEPS} == SCHEMA_MAX_STEPS


@pytest.mark.parametrize("baseline", sorted(SCHEMA_MAX_STEPS))
def test_cli_baseline_budget_is_the_schemas(baseline, monkeypatch, tmp_path):
    """`dnabert train-baseline` without --config trains for the schema's max_steps."""
    seen = {}

    def fake_run(task_dir, name, out_dir, *, seed, params, config, task):
        seen.update(params)
        return {"task": "t", "model": name, "accuracy": 0, "mcc": 0, "auroc": 0}

    monkeypatch.setattr(train_baseline, "run_baseline", fake_run)
    argv = ["train-baseline", "--task-dir", str(tmp_path), "--baseline", baseline]
    assert main([*argv, "--out-dir", str(tmp_path / "out")]) == 0
    assert seen["max_steps"] == SCHEMA_MAX_STEPS[baseline]


@pytest.mark.parametrize("baseline", sorted(SCHEMA_MAX_STEPS))
def test_library_baseline_budget_is_the_schemas(baseline):
    """A library call without a config (run_baseline(params=None)) gets the same budget."""
    assert train_baseline.baseline_params(baseline)["max_steps"] == SCHEMA_MAX_STEPS[baseline]
    partial = {"baselines": {baseline: {"lr": 0.5}}}
    params = train_baseline.baseline_params(baseline, partial)
    assert params["lr"] == 0.5 and params["max_steps"] == SCHEMA_MAX_STEPS[baseline]


def test_no_module_level_default_dicts():
    import dnabert.datasets.promoters as promoters
    import dnabert.datasets.promscan as promscan
    import dnabert.viz as viz

    assert not hasattr(train_baseline, "DEFAULT_PARAMS")
    assert not hasattr(promoters, "PROMOTER_DEFAULTS")
    assert not hasattr(promscan, "PROMSCAN_DEFAULTS")
    assert not hasattr(viz, "MOTIF_DEFAULTS")


def test_schema_defaults_are_fresh_copies():
    a = schema_defaults("datasets", "promoters")
    a["tata_regex"] = "X"
    assert schema_defaults("datasets", "promoters")["tata_regex"] == "TATA[AT]A[AT]"
    assert schema_defaults("report", "motif")["width"] == 6
    assert schema_defaults("datasets", "promscan")["window"] == 1001

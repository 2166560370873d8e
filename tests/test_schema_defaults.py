"""Defaults have one source, the config schema: the CLI, Snakemake and library calls agree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import dnabert.baselines.train_baseline as train_baseline
from dnabert.cli import main
from dnabert.config import SCHEMA_PATH, default_config, schema_defaults

# The schema's max_steps of each baseline, written out (docs/baselines.md; the paper's budgets).
# DeepBind-style's is null: its budget is baselines.deepbind.epochs, with early stopping on dev.
SCHEMA_MAX_STEPS = {"deepromoter": 3000, "promid": 5000, "splicefinder": 3000, "deepbind": None}


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


def test_packaged_schema_is_the_workflow_schema(repo):
    """The package's schema (package data) is the one file; workflow/schemas/ holds a relative
    symlink to it (git stores the link, so every checkout has it)."""
    packaged = repo / "src" / "dnabert" / "schemas" / "config.schema.yaml"
    assert packaged.resolve() == SCHEMA_PATH and not packaged.is_symlink()
    link = repo / "workflow" / "schemas" / "config.schema.yaml"
    assert link.is_symlink()
    assert os.readlink(link) == "../../src/dnabert/schemas/config.schema.yaml"
    assert link.resolve() == SCHEMA_PATH


@pytest.mark.slow
def test_non_editable_install_loads_defaults_outside_the_checkout(repo, tmp_path):
    """`pip install .` (not editable): default_config() and the CLI work without the checkout."""
    source = tmp_path / "source"  # build from a copy: the build leaves build/ and egg-info behind
    shutil.copytree(repo / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo / name, source / name)
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "--target", str(site), str(source)], check=True, timeout=300)
    shutil.rmtree(source)
    code = (
        "import dnabert, sys\n"
        "from dnabert.config import default_config\n"
        f"assert dnabert.__file__.startswith({str(site)!r}), dnabert.__file__\n"
        "assert default_config()['baselines']['promid']['max_steps'] == 5000\n"
        "from dnabert.cli import main\n"
        "sys.exit(main(['--help']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "train-baseline" in result.stdout


def test_benchmark_scripts_are_found_from_a_checkout_working_directory(tmp_path, monkeypatch):
    from dnabert.commands import benchmark_script

    assert benchmark_script("bench_pretrain.py").is_file()  # beside src/ (this checkout)
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "bench_x.py").write_text("")
    assert benchmark_script("bench_x.py", cwd=tmp_path) == tmp_path / "benchmarks" / "bench_x.py"
    with pytest.raises(FileNotFoundError, match="benchmarks/bench_missing.py"):
        benchmark_script("bench_missing.py", cwd=tmp_path)

"""Defaults have one source, the config schema: the CLI, Snakemake and library calls agree."""

from __future__ import annotations

import inspect
import json
import os
import random
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
    assert not hasattr(promoters, "DEFAULT_CANONICAL")  # the schema's genome.canonical_pattern


# Library and command-line defaults that mirror the schema (their docstrings say so), written out.
CANONICAL_PATTERN = r"^(chr)?([0-9]+|X|Y)$"
CORPUS = {
    "n_policy": "split", "coverage": 5.0, "cut_passes": 1, "full_length_probability": 0.5,
    "min_tokens": 5, "max_tokens": 510, "val_fraction": 0.01, "val_region_bp": 100_000, "seed": 42,
}  # fmt: skip
UCSC = "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/encodeDCC/wgEncodeAwgTfbsUniform/"
ENCODE = {
    "assembly": "GRCh38",
    "output_types": [
        "conservative IDR thresholded peaks", "optimal IDR thresholded peaks",
        "IDR thresholded peaks",
    ],
    "status": "released", "assay": ["TF ChIP-seq"], "allow_audit_error": False,
    "task_name": "experiment", "max_experiments": None,
}  # fmt: skip


def _keyword_defaults(function) -> dict:
    params = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def test_canonical_pattern_defaults_are_the_schemas():
    from dnabert import corpus, genome

    assert schema_defaults("genome", "canonical_pattern") == CANONICAL_PATTERN
    assert corpus.CANONICAL_PATTERN == CANONICAL_PATTERN
    assert _keyword_defaults(genome.index_genome)["canonical_pattern"] == CANONICAL_PATTERN
    assert _keyword_defaults(corpus.build_corpus)["canonical_pattern"] == CANONICAL_PATTERN


def test_classifier_head_default_is_the_schemas():
    """The paper's [CLS] head, in the schema and in the library call without a config."""
    from dnabert.finetune import load_classifier

    assert schema_defaults("finetune", "pooling") == "cls"
    assert _keyword_defaults(load_classifier)["pooling"] == "cls"


def test_corpus_defaults_are_the_schemas():
    """build_corpus's keyword defaults and `dnabert build-corpus`'s option defaults."""
    from dnabert import corpus
    from dnabert.cli import build_parser

    schema = schema_defaults("pretrain", "corpus")
    assert {key: schema[key] for key in CORPUS} == CORPUS
    signature = _keyword_defaults(corpus.build_corpus)
    assert {key: signature[key] for key in CORPUS} == CORPUS
    args = build_parser().parse_args(
        ["build-corpus", "--fasta", "g.fa", "--out-dir", "o", "--k", "6"]
    )
    assert {key: getattr(args, key) for key in CORPUS} == CORPUS
    assert args.canonical_pattern == CANONICAL_PATTERN
    tokenize = build_parser().parse_args(["tokenize", "--k", "6"])
    assert tokenize.max_length == schema_defaults("tokenize", "max_length") == 512


def test_encode_selection_defaults_are_the_schemas():
    from dnabert.datasets import encode

    schema = schema_defaults("tf")
    assert {key: schema[key] for key in ENCODE} == ENCODE
    signature = _keyword_defaults(encode.select_encode)
    assert {key: signature[key] for key in ENCODE} == {
        **ENCODE, "output_types": tuple(ENCODE["output_types"]), "assay": ("TF ChIP-seq",)
    }  # fmt: skip
    assert schema["ucsc_base_url"] == UCSC
    assert _keyword_defaults(encode.read_ucsc_uniform)["base_url"] == UCSC


def test_custom_task_yardstick_is_the_schemas():
    """custom_tasks and suite entries read without 'baselines' get the schema's [kmer_lr]."""
    from dnabert.baselines.registry import YARDSTICK, baselines_for_task
    from dnabert.config import load_schema

    entry = load_schema()["$defs"]["custom_task"]["properties"]["baselines"]
    assert entry["default"] == [YARDSTICK] == ["kmer_lr"]
    custom = {"custom_tasks": {"mine": {"train": "a", "dev": "b", "test": "c"}}}
    assert baselines_for_task("mine", custom) == ["kmer_lr"]
    assert schema_defaults("baselines", "enabled") == [
        "deepromoter", "promid", "splicefinder", "deepbind", "kmer_lr"
    ]  # fmt: skip
    assert baselines_for_task("splice_rc") == ["splicefinder", "kmer_lr"]


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
    """`pip install .` (not editable): default_config(), the CLI and a dataset command with the
    schema's default settings work without the checkout."""
    source = tmp_path / "source"  # build from a copy: the build leaves build/ and egg-info behind
    shutil.copytree(repo / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo / name, source / name)
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "--target", str(site), str(source)], check=True, timeout=300)
    shutil.rmtree(source)
    # a dataset command with the schema's default settings (no --config): promscan around one
    # TSS of a 30 kb chromosome, 1001 bp windows every 100 bp within 5 kb
    rng = random.Random(5)
    (tmp_path / "g.fa").write_text(
        ">chr1\n" + "".join(rng.choice("ACGT") for _ in range(30_000)) + "\n"
    )
    (tmp_path / "tss.bed").write_text("chr1 14999 15000 GENE1_1 900 +\n")  # EPD: spaces
    code = (
        "import dnabert, sys\n"
        "from dnabert.config import default_config\n"
        f"assert dnabert.__file__.startswith({str(site)!r}), dnabert.__file__\n"
        "assert default_config()['baselines']['promid']['max_steps'] == 5000\n"
        "from dnabert.cli import main\n"
        "assert main(['build-promscan', '--fasta', 'g.fa', '--tss', 'tss.bed',"
        " '--out-dir', 'promscan']) == 0\n"
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
    summary = json.loads((tmp_path / "promscan" / "summary.json").read_text())
    assert summary["promscan"]["params"] == {
        "flank": 5000, "max_tss": None, "min_overlap": 0.5, "step": 100, "tss_region": 500,
        "window": 1001,
    }  # fmt: skip
    assert summary["split"]["fractions"] == [0.8, 0.1, 0.1] and summary["provenance"]["seed"] == 42
    # windows centred on the TSS (0-based 14,999) +-5 kb every 100 bp: 101 on each strand; those
    # on its strand within 500 bp of it overlap its 1001 bp region by half: 11 positives
    assert summary["n_written"] == 202
    assert summary["overall"]["classes"]["1"]["n"] == 11


def test_benchmark_scripts_are_found_from_a_checkout_working_directory(tmp_path, monkeypatch):
    from dnabert.commands import benchmark_script

    assert benchmark_script("bench_pretrain.py").is_file()  # beside src/ (this checkout)
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "bench_x.py").write_text("")
    assert benchmark_script("bench_x.py", cwd=tmp_path) == tmp_path / "benchmarks" / "bench_x.py"
    with pytest.raises(FileNotFoundError, match="benchmarks/bench_missing.py"):
        benchmark_script("bench_missing.py", cwd=tmp_path)


def test_a_split_config_without_keys_takes_the_schemas():
    """assign_splits fills missing keys from datasets.split: random, 0.8/0.1/0.1."""
    import numpy as np
    import pandas as pd

    from dnabert.datasets.common import assign_splits

    df = pd.DataFrame({"label": [0, 1] * 100, "chrom": ["chr1"] * 200})
    split = assign_splits(df, {}, seed=3)
    assert {name: int((split == name).sum()) for name in ("train", "dev", "test")} == {
        "train": 160, "dev": 20, "test": 20
    }  # fmt: skip
    given = {"method": "random", "fractions": [0.8, 0.1, 0.1]}
    assert np.array_equal(split, assign_splits(df, given, seed=3))

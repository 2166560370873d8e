"""Config schema: defaults fill in, and each kind of bad value is rejected naming its key."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from dnabert.config import ConfigError, load_config, task_settings, validate_config

MINIMAL = {"genome": {"name": "g", "fasta": {"url": "file:g.fa"}}}


def _cfg(**sections):
    cfg = copy.deepcopy(MINIMAL)
    cfg.update(sections)
    return cfg


def test_defaults_are_filled_in():
    cfg = validate_config(_cfg())
    assert cfg["tokenize"]["k"] == [6]
    assert cfg["datasets"]["split"]["fractions"] == [0.8, 0.1, 0.1]
    assert cfg["genome"]["fasta"]["md5"] is None


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"datasets": {"tasks": ["prom300_tata", "enhancers"]}}, "datasets.tasks[1]"),
        ({"tokenize": {"k": [2]}}, "tokenize.k[0]"),
        ({"tokenize": {"k": [7]}}, "tokenize.k[0]"),
        ({"demo": {"chromosome_length": -5}}, "demo.chromosome_length"),
        ({"demo": {"n_tf_experiments": -1}}, "demo.n_tf_experiments"),
        ({"genome": {"name": "g", "fasta": {"url": "x", "md5": "abc"}}}, "genome.fasta.md5"),
        ({"datasets": {"split": {"fractions": [0.5, 0.3, 0.1]}}}, "datasets.split.fractions"),
    ],
)
def test_bad_values_name_the_key(sections, key):
    with pytest.raises(ConfigError) as err:
        validate_config(_cfg(**sections))
    assert f"'{key}'" in str(err.value)


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"pretraining": {}}, "pretraining"),
        ({"datasets": {"taks": []}}, "datasets.taks"),
        ({"genome": {"name": "g", "fasta": {"url": "x", "md6": None}}}, "genome.fasta.md6"),
    ],
)
def test_unknown_keys_are_rejected(sections, key):
    with pytest.raises(ConfigError, match=f"unknown config key '{key}'"):
        validate_config(_cfg(**sections))


def test_missing_required_key():
    with pytest.raises(ConfigError, match="genome"):
        validate_config({})


def test_chromosome_split_needs_test_chromosomes():
    with pytest.raises(ConfigError, match="datasets.split.test_chromosomes"):
        validate_config(_cfg(datasets={"split": {"method": "chromosome"}}))


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "paper_hg19.yaml"])
def test_shipped_configs_validate(repo, name):
    cfg = load_config(repo / "config" / name)
    assert cfg["genome"]["name"] in {"hg38", "demo", "hg19"}


def _resolve(node, schema):
    """``node``'s properties, those of the ``$defs`` block its ``$ref`` names first, each
    property's keywords updated by the node's own (a use narrows or adds to the shared block)."""
    ref = node.get("$ref", "")
    if not ref.startswith("#/$defs/"):
        return node.get("properties", {})
    shared = schema["$defs"][ref.removeprefix("#/$defs/")]
    merged = {name: dict(sub) for name, sub in _resolve(shared, schema).items()}
    for name, sub in node.get("properties", {}).items():
        merged[name] = {**merged.get(name, {}), **sub}
    return merged


def test_every_schema_field_has_description_and_default(repo):
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    missing = []

    def walk(node, path):
        for name, sub in _resolve(node, schema).items():
            here = f"{path}.{name}" if path else name
            if "description" not in sub:
                missing.append(f"{here}: description")
            shared = schema["$defs"].get(node.get("$ref", "").removeprefix("#/$defs/"), {})
            required = name in node.get("required", []) + shared.get("required", [])
            is_leaf = "properties" not in sub and "$ref" not in sub
            deprecated = sub.get("deprecated", False)  # no default: its presence is warned of
            if is_leaf and not required and not deprecated and "default" not in sub:
                missing.append(f"{here}: default")
            walk(sub, here)

    walk(schema, "")
    for name, definition in schema.get("$defs", {}).items():
        if name != "baseline_training":  # its uses give the defaults that differ
            walk(definition, "$defs")
    assert not missing, missing


def test_shared_blocks_are_used_with_one_default_per_key(repo):
    """A key of a shared block has its default there or at each use, never both: both would
    leave the filled-in value to the order the validator meets them. Every use refuses keys
    neither declares (unevaluatedProperties, as additionalProperties elsewhere)."""
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    uses = []

    def walk(node, path):
        if isinstance(node, dict):
            if str(node.get("$ref", "")).startswith("#/$defs/baseline_training"):
                uses.append((path, node))
            for key, value in node.items():
                walk(value, f"{path}.{key}")

    walk(schema["properties"], "")
    assert sorted(path for path, _ in uses) == [
        ".baselines.properties.deepbind",
        ".baselines.properties.deepromoter",
        ".baselines.properties.promid",
        ".baselines.properties.splicefinder",
    ]
    shared = schema["$defs"]["baseline_training"]["properties"]
    for path, node in uses:
        assert node["unevaluatedProperties"] is False, path
        for name, sub in node["properties"].items():
            assert not ("default" in sub and "default" in shared.get(name, {})), (path, name)
            if name not in shared:
                assert "default" in sub, (path, name)
        for name, sub in shared.items():
            assert "default" in sub or "default" in node["properties"].get(name, {}), (path, name)


# The schema's defaults of the four CNN baselines, written out (docs/baselines.md): they share
# $defs/baseline_training by $ref and differ in max_steps, eval_every, patience, class_weights,
# arch and their own keys.
DEEPROMOTER = {
    "lr": 1e-3, "max_steps": 3000, "batch_size": 64, "weight_decay": 0.0, "eval_every": 200,
    "patience": 5, "select_metric": "mcc", "class_weights": None, "eval_batch_size": 256,
    "eval_max_examples": None, "device": "auto", "arch": {},
}  # fmt: skip
BASELINE_DEFAULTS = {
    "deepromoter": DEEPROMOTER,
    "promid": {
        **DEEPROMOTER, "max_steps": 5000, "eval_every": 500, "class_weights": "balanced",
        "tss_threshold": 0.5, "tss_tolerance": 500,
    },
    "splicefinder": {
        **DEEPROMOTER, "rounds": 1, "scan_step": 10, "threshold": 0.5, "max_hard_negatives": None,
    },
    "deepbind": {
        **DEEPROMOTER, "max_steps": None, "epochs": 50, "eval_every": None, "patience": 10,
        "arch": {"both_strands": True},
    },
}  # fmt: skip


@pytest.mark.parametrize("given", [None, {}, {"batch_size": 7}, {"patience": 0, "arch": {"a": 1}}])
@pytest.mark.parametrize("baseline", sorted(BASELINE_DEFAULTS))
def test_baseline_defaults_fill_through_the_shared_block(baseline, given):
    """Defaults of the shared block ($ref) and of the use both fill a missing key; given keys
    stay as given."""
    baselines = {} if given is None else {baseline: dict(given)}
    got = validate_config(_cfg(baselines=baselines))["baselines"][baseline]
    assert got == {**BASELINE_DEFAULTS[baseline], **(given or {})}


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"promid": {"rounds": 1}}, "baselines.promid.rounds"),  # splicefinder's, not promid's
        ({"deepromoter": {"epochs": 3}}, "baselines.deepromoter.epochs"),  # deepbind's
        ({"deepbind": {"lr": 0.1, "tss_tolerance": 5}}, "baselines.deepbind.tss_tolerance"),
        (
            {"splicefinder": {"zz": 1, "aa": 2}},
            "baselines.splicefinder.aa, baselines.splicefinder.zz",
        ),
    ],
)
def test_unknown_keys_of_a_baseline_are_rejected(section, key):
    with pytest.raises(ConfigError, match=f"^my.yaml: unknown config key '{re.escape(key)}'$"):
        validate_config(_cfg(baselines=section), source="my.yaml")


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ({"deepromoter": {"max_steps": None}}, "deepromoter.max_steps", "None is not of type 'integer'"),
        ({"splicefinder": {"eval_every": None}}, "splicefinder.eval_every", "None is not of type 'integer'"),
        ({"promid": {"max_steps": 0}}, "promid.max_steps", "0 is less than the minimum of 1"),
        ({"deepbind": {"max_steps": 0}}, "deepbind.max_steps", "0 is less than the minimum of 1"),
        ({"promid": {"lr": 0}}, "promid.lr", "0 is less than or equal to the minimum of 0"),
        ({"deepbind": {"class_weights": "x"}}, "deepbind.class_weights", "'x' is not one of"),
        ({"splicefinder": {"arch": 3}}, "splicefinder.arch", "3 is not of type 'object'"),
        ({"deepbind": {"epochs": 0}}, "deepbind.epochs", "0 is less than the minimum of 1"),
    ],
)  # fmt: skip
def test_bad_baseline_values_are_rejected(section, key, message):
    """The shared block's constraints hold at every use, and a use's narrower type too
    (max_steps and eval_every may be null for deepbind alone)."""
    with pytest.raises(ConfigError, match=re.escape(f"'baselines.{key}': {message}")):
        validate_config(_cfg(baselines=section))


def test_deepbind_alone_takes_null_budgets():
    got = validate_config(_cfg(baselines={"deepbind": {"max_steps": None, "eval_every": None}}))
    assert got["baselines"]["deepbind"]["max_steps"] is None


def test_load_config_reports_bad_yaml(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("genome: [unclosed\n")
    with pytest.raises(ConfigError, match=re.escape(str(bad)) + r":2: not valid YAML"):
        load_config(bad)
    bad.write_text("genome:\n  name: a\n  fasta: {url: x}\nseeds: [1]\ngenome:\n  name: b\n")
    with pytest.raises(
        ConfigError, match=r"c\.yaml:5: .*key 'genome' repeated \(first on line 1\)"
    ):
        load_config(bad)
    bad.write_text("genome:\n  name: a\n  name: b\n  fasta: {url: x}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:3: .*key 'name' repeated \(first on line 2\)"):
        load_config(bad)


@pytest.mark.parametrize(
    "sections, message",
    [
        ({"seeds": [-1]}, r"'seeds\[0\]': -1 is less than the minimum of 0"),
        ({"genome": {"name": "g", "fasta": {"url": "x"}, "canonical_pattern": "^(chr"}},
         r"'genome\.canonical_pattern': '\^\(chr' is not a valid regular expression \(missing \)"),
        ({"datasets": {"promoters": {"tata_regex": "TATA["}}},
         r"'datasets\.promoters\.tata_regex': 'TATA\[' is not a valid regular expression"),
    ],
)  # fmt: skip
def test_values_that_fail_only_at_run_time_are_caught_by_validation(sections, message):
    config = {"genome": {"name": "g", "fasta": {"url": "x"}}, **sections}
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_task_overrides_apply_to_their_task_only():
    overrides = {"promcore_all": {"max_steps": 300, "lr": 1e-3}, "tf": {"epochs": 5},
                 "tf_X": {"epochs": 7}, "mine": {"patience": 1}}  # fmt: skip
    cfg = validate_config(
        _cfg(
            finetune={"max_steps": 100, "task_overrides": overrides},
            custom_tasks={"mine": {"train": "a.csv", "dev": "b.csv", "test": "c.csv"}},
        )
    )
    ft = cfg["finetune"]
    core = task_settings(ft, "promcore_all")
    assert (core["max_steps"], core["lr"], core["epochs"]) == (300, 1e-3, 3)
    assert "task_overrides" not in core
    other = task_settings(ft, "prom300_all")
    assert (other["max_steps"], other["lr"]) == (100, ft["lr"])
    assert task_settings(ft, "tf_Y")["epochs"] == 5  # 'tf' covers every TF experiment ...
    assert task_settings(ft, "tf_X")["epochs"] == 7  # ... unless the experiment has its own
    assert task_settings(ft, "mine")["patience"] == 1


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"promcore_al": {"max_steps": 3}}, "'finetune.task_overrides.promcore_al'.*not a task"),
        ({"promcore_all": {"max_steps": 0}}, "'finetune.task_overrides.promcore_all.max_steps'"),
        ({"splice": {"lr": "fast"}}, "'finetune.task_overrides.splice.lr'"),
        (
            {"splice": {"max_stpes": 3}},
            "unknown config key 'finetune.task_overrides.splice.max_stpes'",
        ),
        ({"splice": {"init_from": "m"}}, "'finetune.task_overrides.splice'"),
    ],
)
def test_bad_task_overrides_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(_cfg(finetune={"task_overrides": override}))


def test_assemblies_of_inputs_must_agree():
    from dnabert.assembly import assembly_from_url, normalize_assembly

    assert assembly_from_url("https://x/goldenPath/hg38/bigZips/hg38.fa.gz") == "GRCh38"
    assert assembly_from_url("lists/hg38-blacklist.v2.bed.gz") == "GRCh38"
    assert assembly_from_url("epdnew/H_sapiens/006/Hs_EPDnew_006_hg38.bed") == "GRCh38"
    assert assembly_from_url("gencode.v44lift37/GRCh37_mapping/x.gtf.gz") == "GRCh37"
    assert assembly_from_url("https://x/ENCFF356LFX.bed.gz") is None
    assert assembly_from_url("liftover/hg19/to/hg38/x.bed") is None  # names two: unknown
    assert assembly_from_url("mm10.fa.gz") == "GRCm38" and normalize_assembly("MM39") == "GRCm39"
    hg38 = {"url": "https://hgdownload.soe.ucsc.edu/goldenPath/hg38/bigZips/hg38.fa.gz"}
    config = {
        "genome": {"name": "hg38", "fasta": hg38},
        "blacklist": {"url": "https://x/hg19-blacklist.v2.bed.gz"},
    }
    with pytest.raises(ConfigError, match=r"blacklist is for GRCh37/hg19 \(named by blacklist\.url"
                       r" https://x/hg19-blacklist.v2.bed.gz\) but genome is for GRCh38/hg38"):  # fmt: skip
        validate_config(copy.deepcopy(config))
    config["blacklist"]["assembly"] = "hg38"  # an explicit assembly wins over the URL
    validate_config(copy.deepcopy(config))
    # the paper's uniform TFBS sets are hg19: not with an hg38 genome
    config = {"genome": {"name": "hg38", "fasta": hg38}, "datasets": {"tasks": ["tf"]},
              "tf": {"source": "ucsc_uniform"}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"tf is for GRCh37/hg19 .*ucsc_uniform.* genome is for"):
        validate_config(copy.deepcopy(config))
    config["tf"] = {"source": "encode", "metadata": "m.tsv", "assembly": "hg19"}
    with pytest.raises(ConfigError, match=r"tf is for GRCh37/hg19 \(tf.assembly 'hg19'\)"):
        validate_config(copy.deepcopy(config))
    config["tf"]["assembly"] = "GRCh38"
    assert validate_config(copy.deepcopy(config))["tf"]["assembly"] == "GRCh38"


def test_deprecated_long_policy_is_accepted_with_a_warning(caplog):
    # read by nothing since fine-tuning cuts long inputs into sub-windows: accepted, warned of,
    # and no longer filled in by default
    config = validate_config(_cfg(tokenize={"long_policy": "chunk"}), source="my.yaml")
    assert config["tokenize"]["long_policy"] == "chunk"
    assert "my.yaml: tokenize.long_policy is deprecated and ignored" in caplog.text
    caplog.clear()
    assert "long_policy" not in validate_config(_cfg(), source="my.yaml")["tokenize"]
    assert "long_policy" not in caplog.text

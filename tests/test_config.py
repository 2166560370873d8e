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


def test_every_schema_field_has_description_and_default(repo):
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    missing = []

    def walk(node, path):
        for name, sub in node.get("properties", {}).items():
            here = f"{path}.{name}" if path else name
            if "description" not in sub:
                missing.append(f"{here}: description")
            required = name in node.get("required", [])
            is_leaf = "properties" not in sub and "$ref" not in sub
            deprecated = sub.get("deprecated", False)  # no default: its presence is warned of
            if is_leaf and not required and not deprecated and "default" not in sub:
                missing.append(f"{here}: default")
            walk(sub, here)

    walk(schema, "")
    for definition in schema.get("$defs", {}).values():
        walk(definition, "$defs")
    assert not missing, missing


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

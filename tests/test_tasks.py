"""The task registry (dnabert.tasks): one place says what a built-in task is."""

from __future__ import annotations

import pytest
import yaml

from dnabert import tasks
from dnabert.baselines.registry import baselines_for_task
from dnabert.config import ConfigError, task_settings, validate_config
from dnabert.datasets.custom import check_task_name
from dnabert.figures import is_drawn_in
from dnabert.task_groups import task_family


def test_the_paper_families_and_their_facts():
    assert list(tasks.FAMILIES) == ["prom300", "promcore", "promscan", "splice", "splice_rc", "tf"]
    assert tasks.family_tasks("prom300") == ["prom300_tata", "prom300_notata", "prom300_all"]
    assert tasks.family_tasks("promcore") == ["promcore_tata", "promcore_notata", "promcore_all"]
    assert tasks.family_tasks("tf") == []  # open: members come from the TF selection
    assert tasks.family_of("tf_ENCFF1").name == "tf"
    assert tasks.family_of("tf").name == "tf"  # the selector
    assert tasks.family_of("splice_rc").derived and not tasks.family_of("splice").derived
    assert tasks.family_of("splice").n_classes == 3 and tasks.family_of("promscan").n_classes == 2
    assert tasks.family_of("mine") is None and tasks.family_of("prom300_x") is None


def test_figures_ask_the_registry_for_their_panels_groups_and_baselines(tmp_path):
    import pandas as pd

    from dnabert.figure_bars import compared_models, figure_panels

    assert tasks.figure_group("prom300_bars") == "promoter"
    assert tasks.figure_group("splice_bars") == "splice"
    assert tasks.figure_group("tf_violins") == "tf"
    assert tasks.figure_group("promscan_bars") is None  # promscan joins no group
    assert tasks.figure_group("task_mcc") is None  # no family is drawn there
    assert tasks.builtin_group("tf_ENCFF1") == "tf"
    assert tasks.builtin_group("tf") is None  # the selector is no task
    assert tasks.builtin_group("promscan") is None and tasks.builtin_group("mine") is None
    assert figure_panels("prom300_bars") == [
        ("prom300_tata", "TATA"),
        ("prom300_notata", "non-TATA"),
        ("prom300_all", "all"),
    ]
    assert figure_panels("splice_bars") == [
        ("splice", "before reconstruction"),
        ("splice_rc", "after reconstruction"),
    ]
    no_runs = pd.DataFrame(columns=["task", "model"])
    assert compared_models(no_runs, tmp_path, "splice_bars") == [
        "dnabert",
        "dnabert_scratch",
        "splicefinder",
        "kmer_lr",
    ]


def test_builders_resolve_to_functions():
    from dnabert.datasets.promoters import build_promoter_task
    from dnabert.datasets.splicetf_tasks import run_splice_task, run_tf_task

    assert tasks.load_builder(tasks.FAMILIES["promcore"]) is build_promoter_task
    assert tasks.load_builder(tasks.FAMILIES["splice_rc"]) is run_splice_task
    assert tasks.load_builder(tasks.FAMILIES["tf"]) is run_tf_task
    for family in tasks.FAMILIES.values():
        assert callable(tasks.load_builder(family)), family.name


def test_schema_pattern_is_the_registrys(repo):
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    items = schema["properties"]["datasets"]["properties"]["tasks"]["items"]
    assert (
        items["pattern"]
        == tasks.configurable_task_pattern()
        == (
            "^(prom300_tata|prom300_notata|prom300_all|promcore_tata|promcore_notata|promcore_all"
            "|promscan|splice|tf|tf_[A-Za-z0-9_.-]+)$"
        )
    )
    groups = schema["properties"]["custom_tasks"]["additionalProperties"]["$ref"]
    assert groups == "#/$defs/custom_task"
    family_enum = schema["$defs"]["custom_task"]["properties"]["family"]["enum"]
    assert family_enum == ["promoter", "splice", "tf", None]
    assert [f.group for f in tasks.FAMILIES.values()] == [
        "promoter", "promoter", None, "splice", "splice", "tf"
    ]  # fmt: skip


def test_known_and_reserved_names():
    for name in ("prom300_tata", "promscan", "splice", "splice_rc", "tf", "tf_ENCFF1"):
        assert tasks.is_known_task(name) and tasks.is_builtin_task(name), name
    assert not tasks.is_known_task("promcore_al") and not tasks.is_known_task("tf_")
    assert tasks.is_builtin_task("tf_")  # the whole tf_ namespace is reserved
    assert not tasks.is_builtin_task("mine")
    assert tasks.reserved_names() == (
        "prom300_tata, prom300_notata, prom300_all, promcore_tata, promcore_notata, "
        "promcore_all, promscan, splice, splice_rc, tf, tf_*"
    )
    with pytest.raises(ValueError, match=r"custom task splice_rc: the name is a built-in"):
        check_task_name("splice_rc")


def test_wildcard_pattern_lists_the_fixed_names():
    assert tasks.wildcard_pattern("prom300", "promcore") == (
        "prom300_tata|prom300_notata|prom300_all|promcore_tata|promcore_notata|promcore_all"
    )
    assert tasks.wildcard_pattern("splice_rc") == "splice_rc"


def test_tf_means_every_selected_experiment_and_tf_x_one():
    calls = []

    def selected(family):
        calls.append(family.name)
        return ["tf_A", "tf_B", "tf_C"]

    requested = ["prom300_tata", "tf_B", "tf_Z", "splice"]
    assert tasks.fixed_tasks(requested) == ["prom300_tata", "splice"]
    assert tasks.open_tasks(requested, selected) == ["tf_B", "tf_Z"]
    assert calls == []  # no selector: the selection (a checkpoint) is never asked for
    assert tasks.open_tasks(["tf", "tf_Z", "tf_B"], selected) == ["tf_A", "tf_B", "tf_C", "tf_Z"]
    assert tasks.open_tasks(["tf_C", "tf"], selected, limit=1) == ["tf_A", "tf_C"]
    assert calls == ["tf", "tf"]
    assert tasks.has_open_tasks(["splice", "tf"]) and tasks.has_open_tasks(["tf_X"])
    assert not tasks.has_open_tasks(["splice", "promscan"])


def test_readers_take_the_registrys_facts():
    assert baselines_for_task("promcore_tata") == ["deepromoter", "kmer_lr"]
    assert baselines_for_task("tf") == []  # the selector is no task
    assert task_family("promcore_all") == "promoter" and task_family("splice_rc") == "splice"
    assert task_family("promscan") is None and task_family("tf") is None
    assert is_drawn_in("splice_bars", "splice_rc") and is_drawn_in("tf_violins", "tf_X")
    assert not is_drawn_in("prom300_bars", "promcore_all")
    assert is_drawn_in("promcore_curves", "promcore_all") and is_drawn_in("task_mcc", "x")
    section = {"epochs": 3, "task_overrides": {"tf": {"epochs": 5}}}
    assert task_settings(section, "tf_X")["epochs"] == 5
    assert task_settings(section, "splice")["epochs"] == 3


@pytest.fixture
def toy_family():
    """A toy family registered for one test (then removed again)."""
    family = tasks.register(
        tasks.TaskFamily(
            "toy",
            "dnabert.datasets.custom:import_custom_task",
            names=("toy_a", "toy_b"),
            baselines=("deepbind",),
            group="tf",
            figure="tf_violins",
            n_classes=4,
        )
    )
    yield family
    tasks.unregister("toy")


def test_a_registered_family_is_known_everywhere(toy_family):
    """Adding a built-in family: one register() call (plus its builder module)."""
    assert tasks.family_of("toy_b") is toy_family
    cfg = validate_config(
        {"genome": {"name": "g", "fasta": {"url": "none"}}, "datasets": {"tasks": ["toy_a"]}},
        source="t",
    )
    assert cfg["datasets"]["tasks"] == ["toy_a"]
    validate_config(
        {
            "genome": {"name": "g", "fasta": {"url": "none"}},
            "finetune": {"task_overrides": {"toy_b": {"epochs": 2}}},
        }
    )
    with pytest.raises(ValueError, match="custom task toy_a: the name is a built-in"):
        check_task_name("toy_a")
    assert baselines_for_task("toy_a") == ["deepbind", "kmer_lr"]
    assert task_family("toy_b") == "tf" and is_drawn_in("tf_violins", "toy_a")
    assert tasks.fixed_tasks(["toy_a", "tf"]) == ["toy_a"]
    assert tasks.wildcard_pattern("toy") == "toy_a|toy_b"
    assert "toy_a, toy_b" in tasks.reserved_names()
    assert tasks.load_builder(toy_family).__name__ == "import_custom_task"


def test_toy_family_is_gone_again():
    assert "toy" not in tasks.FAMILIES
    with pytest.raises(ConfigError, match="datasets.tasks"):
        validate_config(
            {"genome": {"name": "g", "fasta": {"url": "none"}}, "datasets": {"tasks": ["toy_a"]}}
        )


def test_clashing_family_is_refused():
    with pytest.raises(ValueError, match=r"\['splice'\] already belong to family 'splice'"):
        tasks.register(tasks.TaskFamily("again", "x:y", names=("splice",)))
    with pytest.raises(ValueError, match=r"\['tf_x'\] already belong to family 'tf'"):
        tasks.register(tasks.TaskFamily("tfx", "x:y", names=("tf_x",)))
    with pytest.raises(ValueError, match="already registered"):
        tasks.register(tasks.TaskFamily("tf", "x:y"))

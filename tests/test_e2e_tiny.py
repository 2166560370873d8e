"""The whole workflow on a tiny config (tests/data/tiny.yaml): every rule of the demo's DAG runs,
the datasets keep their splits apart, and a second invocation has nothing to do.

The demo itself (config/demo.yaml) and what its models learn are checked by
``tests/test_workflow.py::test_demo_runs_end_to_end`` (marker ``demo``, ``make test-demo``); this
run checks the wiring in a few CPU minutes instead, inside ``make test``.
"""

from __future__ import annotations

import json
import re

import pytest
from snakemake_runs import job_counts as _job_counts
from snakemake_runs import run_snakemake as _snakemake

pytestmark = pytest.mark.slow

TINY = "tests/data/tiny.yaml"
# what tests/data/tiny.yaml asks for: one task per family, splice's reverse-complement twin and
# the generator's one TF experiment (demo.n_tf_experiments: 1)
TINY_DATASETS = {"promcore_tata", "promscan", "splice", "splice_rc", "tf_DEMOTF01"}


@pytest.fixture(scope="module")
def tiny_run(repo, tmp_path_factory):
    """(directory, Snakemake's output) of one complete run of the tiny config."""
    out = tmp_path_factory.mktemp("tiny")
    result = _snakemake(
        repo, "--cores", "2", "--configfile", str(repo / TINY), "--directory", str(out),
        timeout=1800,
    )  # fmt: skip
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-5000:]
    return out, text


def _finished_rules(text: str) -> set[str]:
    """Rules of the jobs Snakemake reported as finished ('Finished jobid: 3 (Rule: x)')."""
    return set(re.findall(r"^Finished jobid: \d+ \(Rule: (\w+)\)$", text, re.M))


def test_tiny_run_runs_every_rule_of_the_demo_dag(repo, tiny_run, tmp_path):
    _, text = tiny_run
    ran = _finished_rules(text)
    # the demo's rules as its dry run lists them (up to the TF selection checkpoint)
    dry = _snakemake(
        repo, "-n", "--quiet", "rules", "--configfile", str(repo / "config/demo.yaml"),
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr[-3000:]
    demo_rules = set(_job_counts(dry.stdout + dry.stderr)) - {"total"}  # the table's last row
    # a parse that found nothing would make the comparison below pass vacuously
    assert {"generate_demo_data", "pretrain_mlm", "all"} <= demo_rules, demo_rules
    assert not demo_rules - ran, f"demo rules the tiny run never ran: {sorted(demo_rules - ran)}"
    # and past the checkpoint: the TF dataset, its models and the variants scored by one of them
    assert {"build_tf_dataset", "score_variants"} <= ran


def test_tiny_datasets_share_nothing_between_splits(tiny_run):
    out, _ = tiny_run
    summaries = {p.parent.name: p for p in (out / "results/datasets").glob("*/summary.json")}
    assert set(summaries) == TINY_DATASETS
    for task, path in summaries.items():
        summary = json.loads(path.read_text())
        assert summary["shared_between_splits"] == 0, f"{path}: sequences shared between splits"
        for split in ("train", "dev", "test"):
            rows = (path.parent / f"{split}.tsv").read_text().splitlines()
            assert len(rows) > 1, f"{task}: empty {split} split"


def test_tiny_rerun_has_nothing_to_do(repo, tiny_run):
    out, _ = tiny_run
    again = _snakemake(repo, "-n", "--configfile", str(repo / TINY), "--directory", str(out))
    text = again.stdout + again.stderr
    assert again.returncode == 0 and "Nothing to be done" in text, text[-3000:]

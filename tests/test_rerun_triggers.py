"""What reruns after a config edit: Snakemake's own decisions on a finished (touched) demo DAG.

A real demo run takes minutes. Here the demo data and the TF selection checkpoint run for real
(seconds), then ``snakemake --touch --forceall`` on empty outputs records the same metadata
(params, inputs, code) as a run of every other job. Each test dry-runs with an edited copy of
config/demo.yaml and reads which rules Snakemake would rerun, and why.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from snakemake_runs import SNAKEMAKE

from dnabert.config import canonical

pytestmark = pytest.mark.slow  # ~1 min of Snakemake DAG builds


def _snakemake(repo: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _base_config(repo: Path) -> dict:
    """config/demo.yaml as a dict, in the file's key order."""
    return yaml.safe_load((repo / "config" / "demo.yaml").read_text())


def _write(path: Path, cfg: dict, sort_keys: bool = False) -> str:
    path.write_text(yaml.safe_dump(cfg, sort_keys=sort_keys))
    return str(path)


@pytest.fixture(scope="module")
def finished(repo, tmp_path_factory):
    """A working directory whose every output exists and is recorded as made with demo.yaml."""
    workdir = tmp_path_factory.mktemp("finished")
    base = str(shutil.copy(repo / "config" / "demo.yaml", workdir / "base.yaml"))
    # the checkpoint for real: the TF jobs behind it need a real experiment table
    _snakemake(repo, workdir, "results/datasets/tf_experiments.tsv", "--configfile", base)
    summary = _snakemake(repo, workdir, "--summary", "--configfile", base).stdout
    for line in summary.splitlines()[1:]:
        path = workdir / line.split("\t")[0]
        if path.name == "model" or re.fullmatch(r"dnabert\d", path.name):
            path.mkdir(parents=True, exist_ok=True)  # directory() outputs: the models
        elif not path.exists():  # keep what the real jobs wrote
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    _snakemake(repo, workdir, "--touch", "--forceall", "--configfile", base)
    return workdir


def _dry_run(repo: Path, workdir: Path, cfg: dict, sort_keys: bool = False) -> str:
    edited = _write(workdir / "edited.yaml", cfg, sort_keys=sort_keys)
    return _snakemake(repo, workdir, "-n", "--configfile", edited).stdout


def _rules_with(reason: str, out: str) -> set[str]:
    """Rules that the dry run's 'Reasons' section lists under ``reason``."""
    match = re.search(rf"{re.escape(reason)}:\n\s+(.+)\n", out)
    return set(match.group(1).split(", ")) if match else set()


def _jobs(out: str) -> dict[str, int]:
    """{rule: number of jobs} from the dry run's job stats."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.M)}


def test_canonical_sorts_keys_recursively_and_keeps_list_order():
    a = {"b": 1, "a": {"y": [3, {"q": 1, "p": 2}], "x": None}}
    b = {"a": {"x": None, "y": [3, {"p": 2, "q": 1}]}, "b": 1}
    assert repr(a) != repr(b)
    assert repr(canonical(a)) == repr(canonical(b))
    assert repr(canonical(a)) == "{'a': {'x': None, 'y': [3, {'p': 2, 'q': 1}]}, 'b': 1}"
    assert canonical([2, 1]) == [2, 1]  # list order is a setting (e.g. split fractions)


def test_config_with_reordered_keys_reruns_nothing(repo, finished):
    out = _dry_run(repo, finished, _base_config(repo), sort_keys=True)
    assert "Nothing to be done" in out, out[-3000:]


def test_changed_split_reruns_every_dataset_job(repo, finished):
    cfg = copy.deepcopy(_base_config(repo))
    cfg["datasets"]["split"]["fractions"] = [0.7, 0.15, 0.15]
    out = _dry_run(repo, finished, cfg)
    changed = _rules_with("params have changed since last execution", out)
    builders = {"build_promoter_dataset", "build_promscan_dataset", "build_splice_dataset"}
    assert builders | {"build_tf_dataset"} <= changed, out[-3000:]
    jobs = _jobs(out)
    assert jobs["build_promoter_dataset"] == 6 and jobs["build_splice_rc_dataset"] == 1
    assert jobs["build_tf_dataset"] == 3


def test_changed_splice_setting_reruns_no_promoter_job(repo, finished):
    cfg = copy.deepcopy(_base_config(repo))
    cfg["datasets"]["splice"]["window"] = 100
    out = _dry_run(repo, finished, cfg)
    changed = _rules_with("params have changed since last execution", out)
    assert "build_splice_dataset" in changed, out[-3000:]
    assert _jobs(out)["build_splice_rc_dataset"] == 1  # splice_rc: splice with hard negatives
    jobs = _jobs(out)
    for rule in ("build_promoter_dataset", "build_promscan_dataset", "build_tf_dataset"):
        assert rule not in jobs and rule not in changed, out[-3000:]


def test_figures_and_viz_rerun_when_predictions_or_model_change(repo, finished):
    run = finished / "results" / "finetune" / "promcore_all" / "dnabert6" / "seed42"
    viz_run = finished / "results" / "finetune" / "prom300_tata" / "dnabert6" / "seed42"
    later = os.stat(run / "metrics.json").st_mtime + 3600
    # new content: Snakemake skips a newer input whose recorded checksum is unchanged
    (run / "predictions.tsv").write_text("label\tprob_1\n")
    os.utime(run / "predictions.tsv", (later, later))
    for path in [viz_run / "model", *(viz_run / "model").iterdir()]:
        os.utime(path, (later, later))
    out = _dry_run(repo, finished, _base_config(repo))
    jobs = _jobs(out)
    # plot_figures reads predictions.tsv (curves); viz and ISM load the model directory
    assert jobs.get("plot_figures") == 1, out[-3000:]
    assert jobs.get("viz_attention_motifs") == 1 and jobs.get("ism") == 1, out[-3000:]
    assert "collect_metrics" not in jobs


def test_viz_and_ism_rerun_only_for_the_report_keys_they_read(repo, finished):
    # what reruns unedited (earlier tests of this module touch some runs' files)
    before = _jobs(_dry_run(repo, finished, _base_config(repo)))
    cfg = copy.deepcopy(_base_config(repo))
    cfg["report"]["ism"]["max_sequences"] = 3
    out = _dry_run(repo, finished, cfg)
    changed = _rules_with("params have changed since last execution", out)
    assert "ism" in changed and "viz_attention_motifs" not in changed, out[-3000:]
    jobs = _jobs(out)
    assert jobs["ism"] == 5, out[-3000:]  # prom300_tata, promcore_tata, the 3 TF tasks
    for rule in ("viz_attention_motifs", "plot_figures"):
        assert jobs.get(rule) == before.get(rule), out[-3000:]
    # a new viz task adds its own runs and reruns no other
    cfg = copy.deepcopy(_base_config(repo))
    cfg["report"]["viz_tasks"].append("splice")
    out = _dry_run(repo, finished, cfg)
    jobs = _jobs(out)
    for rule in ("viz_attention_motifs", "ism"):
        assert jobs.get(rule) == before.get(rule, 0) + 1, out[-3000:]
    assert not _rules_with("params have changed since last execution", out), out[-3000:]


def test_a_new_variant_task_reruns_no_other_variant_run(repo, finished):
    assert "score_variants" not in _jobs(_dry_run(repo, finished, _base_config(repo)))
    cfg = copy.deepcopy(_base_config(repo))
    cfg["variants"]["tasks"].append("tf_DEMOTF01")
    out = _dry_run(repo, finished, cfg)
    assert _jobs(out).get("score_variants") == 1, out[-3000:]
    assert not _rules_with("params have changed since last execution", out), out[-3000:]
    cfg["variants"]["top_n"] = 5  # a setting the scoring reads reruns every variant run
    out = _dry_run(repo, finished, cfg)
    assert _jobs(out).get("score_variants") == 2, out[-3000:]


def test_promids_training_settings_rerun_no_dnabert_tss_calls(repo, finished):
    cfg = copy.deepcopy(_base_config(repo))
    cfg["baselines"]["promid"]["lr"] = 2.5e-3  # the default: 1e-3
    out = _dry_run(repo, finished, cfg)
    changed = _rules_with("params have changed since last execution", out)
    assert "train_baseline" in changed and "score_promscan_tss" not in changed, out[-3000:]
    # PromID's own TSS calls follow its new predictions; DNABERT's stay
    assert _jobs(out)["score_promscan_tss"] == 1, out[-3000:]
    cfg["baselines"]["promid"]["tss_tolerance"] = 50  # read by the scoring: both rerun
    out = _dry_run(repo, finished, cfg)
    assert _jobs(out)["score_promscan_tss"] == 2, out[-3000:]

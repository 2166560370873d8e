"""What the workflow makes for a config (dnabert.targets): expected lists written out by hand."""

from __future__ import annotations

import copy
import os

import pytest

from dnabert import targets
from dnabert.config import default_config


@pytest.fixture(scope="module")
def defaults():
    return default_config()


def _cfg(defaults, **sections):
    """The defaults (the paper's 9 tasks, k 6, seed 42) with sections updated key by key
    (a section the defaults lack is set)."""
    cfg = copy.deepcopy(defaults)
    for name, values in sections.items():
        if isinstance(values, dict) and name in cfg:
            cfg[name].update(values)
        else:
            cfg[name] = values
    return cfg


def _selected(calls):
    def selected(family):
        calls.append(family.name)
        return ["tf_A", "tf_B", "tf_C", "tf_D"]

    return selected


SMALL = {"tasks": ["promcore_tata", "splice", "tf"]}
MINE = {
    "mine": {
        "train": "m/train.csv",
        "dev": "m/dev.csv",
        "test": "m/test.csv",
        "baselines": ["kmer_lr"],
    }
}


def test_tasks_and_the_tf_rule(defaults):
    cfg = _cfg(defaults, datasets=SMALL)
    calls = []
    assert targets.dataset_tasks(cfg) == ["promcore_tata", "splice"]
    assert targets.derived_tasks(cfg) == ["splice_rc"]
    assert targets.tf_tasks(cfg, _selected(calls)) == ["tf_A", "tf_B", "tf_C", "tf_D"]
    named = _cfg(defaults, datasets={"tasks": ["splice", "tf_B", "tf_Z"]})
    assert targets.tf_tasks(named, _selected(calls)) == ["tf_B", "tf_Z"]
    assert calls == ["tf"]  # only 'tf' asks for the selection
    no_rc = _cfg(defaults, datasets=SMALL, baselines={"enabled": ["kmer_lr"]})
    assert targets.derived_tasks(no_rc) == []
    assert targets.derived_tasks(_cfg(defaults, datasets={"tasks": ["promscan"]})) == []


def test_finetune_tasks(defaults):
    cfg = _cfg(defaults, datasets=SMALL)
    calls = []
    assert targets.finetune_tasks(cfg, ["mine"]) == ["promcore_tata", "splice", "splice_rc", "mine"]
    assert targets.finetune_tasks(cfg, ["mine"], _selected(calls)) == [
        "promcore_tata", "splice", "splice_rc", "mine", "tf_A", "tf_B", "tf_C", "tf_D"
    ]  # fmt: skip
    chosen = _cfg(defaults, datasets=SMALL, finetune={"tasks": ["tf_Z", "splice", "tf"]})
    assert targets.finetune_tasks(chosen, ["mine"]) == ["splice"]
    assert targets.finetune_tasks(chosen, [], _selected(calls)) == [
        "splice", "tf_A", "tf_B", "tf_C", "tf_D", "tf_Z"
    ]  # fmt: skip


def test_viz_tasks(defaults):
    calls = []
    cfg = _cfg(
        defaults, datasets=SMALL, report={"viz_tasks": ["prom300_tata", "splice", "tf", "tf_Q"]}
    )
    assert targets.viz_tasks(cfg) == ["splice"]  # prom300_tata is not built
    assert targets.viz_tasks(cfg, _selected(calls)) == ["splice", "tf_A", "tf_B", "tf_C", "tf_Q"]
    no_tf = _cfg(defaults, datasets={"tasks": ["splice"]}, report={"viz_tasks": ["tf_Q"]})
    assert targets.viz_tasks(no_tf, _selected(calls)) == []
    assert calls == ["tf"]


def test_run_files(defaults):
    cfg = _cfg(defaults, tokenize={"k": [3, 6]}, seeds=[1, 2])
    assert targets.finetune_metrics(cfg, ["splice"]) == [
        "results/finetune/splice/dnabert3/seed1/metrics.json",
        "results/finetune/splice/dnabert3/seed2/metrics.json",
        "results/finetune/splice/dnabert6/seed1/metrics.json",
        "results/finetune/splice/dnabert6/seed2/metrics.json",
    ]
    more = _cfg(
        defaults,
        seeds=[1],
        finetune={"scratch_control": True, "models": {"NT": {"path": "nt"}}},
    )
    assert targets.finetune_metrics(more, ["a", "b"]) == [
        "results/finetune/a/dnabert6/seed1/metrics.json",
        "results/finetune/b/dnabert6/seed1/metrics.json",
        "results/finetune/a/dnabert6_scratch/seed1/metrics.json",
        "results/finetune/b/dnabert6_scratch/seed1/metrics.json",
        "results/finetune/a/NT/seed1/metrics.json",
        "results/finetune/b/NT/seed1/metrics.json",
    ]
    assert targets.baseline_metrics(cfg, MINE, ["promscan", "mine"]) == [
        "results/baselines/promscan/promid/seed1/metrics.json",
        "results/baselines/promscan/promid/seed2/metrics.json",
        "results/baselines/promscan/kmer_lr/seed1/metrics.json",
        "results/baselines/promscan/kmer_lr/seed2/metrics.json",
        "results/baselines/mine/kmer_lr/seed1/metrics.json",
        "results/baselines/mine/kmer_lr/seed2/metrics.json",
    ]
    assert targets.promscan_tss_calls(cfg, "finetune", ["dnabert6"]) == [
        "results/finetune/promscan/dnabert6/seed1/tss_calls.json",
        "results/finetune/promscan/dnabert6/seed2/tss_calls.json",
    ]
    assert targets.pretrained_models(cfg) == ["results/models/dnabert3", "results/models/dnabert6"]
    assert targets.pretrained_models(_cfg(defaults, finetune={"init_from": "m{k}"})) == []
    assert targets.viz_files(cfg, ["t"], ["viz.json"]) == [
        "results/viz/t/dnabert3/seed1/viz.json",
        "results/viz/t/dnabert3/seed2/viz.json",
        "results/viz/t/dnabert6/seed1/viz.json",
        "results/viz/t/dnabert6/seed2/viz.json",
    ]
    assert targets.variant_files(cfg, "summary.json") == []
    variants = _cfg(defaults, variants={"tasks": ["tf_A"], "vcf": {"url": "v.vcf.bgz"}})
    assert targets.variant_files(variants, "summary.json") == [
        "results/variants/tf_A/dnabert6/seed42/summary.json"
    ]


def test_downloads_and_demo(defaults):
    cfg = _cfg(
        defaults,
        genome={"name": "g", "fasta": {"url": "g.fa.gz"}},
        promoters={"tss": {"url": "tss.bed"}},
        blacklist={"url": "bl.bed"},
        variants={"tasks": [], "vcf": {"url": "v.vcf.gz"}},
    )
    assert targets.download_sources(cfg, "g") == {
        "genome/g.fa": {"url": "g.fa.gz"},
        "promoters/g.tss.bed": {"url": "tss.bed"},
        "blacklist/g.bed": {"url": "bl.bed"},
        "variants/g.vcf.gz": {"url": "v.vcf.gz"},
    }
    assert targets.variants_vcf(cfg, "g") == "resources/variants/g.vcf.gz"
    cfg["variants"]["vcf"]["url"] = "v.vcf"
    assert targets.variants_vcf(cfg, "g") == "resources/variants/g.vcf"
    assert targets.demo_outputs({"demo": {"n_tf_experiments": 2}}) == [
        "resources/demo_source/genome.fa.gz",
        "resources/demo_source/annotation.gtf.gz",
        "resources/demo_source/epdnew_tss.bed",
        "resources/demo_source/epdnew_tata.txt",
        "resources/demo_source/blacklist.bed",
        "resources/demo_source/metadata.tsv",
        "resources/demo_source/MD5SUMS",
        "resources/demo_source/truth.json",
        "resources/demo_source/variants.vcf",
        "resources/demo_source/tf/DEMOTF01.bed.gz",
        "resources/demo_source/tf/DEMOTF02.bed.gz",
    ]
    tf = _cfg(defaults, tf={"metadata": "m.tsv", "ucsc_files_url": "f", "ucsc_md5_url": None})
    assert targets.tf_index_urls(tf) == {"metadata": "m.tsv", "ucsc_files": "f", "ucsc_md5": None}
    assert targets.tf_index_sources(tf) == {
        "ucsc_files.txt": "f",
        "ucsc_md5sum.txt": None,
        "encode_metadata.tsv": "m.tsv",
    }
    rounds = _cfg(defaults, baselines={"splicefinder": {"rounds": 3}})
    assert targets.splice_rc_hard_negatives(rounds) == (
        "results/baselines/splice_reconstruction/round3/hard_negatives.bed"
    )
    rounds["baselines"]["splicefinder"]["rounds"] = 0
    assert targets.splice_rc_hard_negatives(rounds) == (
        "results/baselines/splice_reconstruction/round1/hard_negatives.bed"
    )


def test_stage_targets(defaults):
    cfg = _cfg(defaults, datasets={"tasks": ["promcore_all", "promscan", "tf"]})
    assert targets.final_targets(cfg, ["mine"], "g", n_downloads=3) == [
        "resources/genome/g.fa.fai",
        "resources/genome/g.chrom.sizes",
        "resources/genome/g.canonical.txt",
        "results/qc/g.chromosome_names.json",
        "results/datasets/promcore_all/summary.json",
        "results/datasets/promscan/summary.json",
        "results/datasets/mine/summary.json",
        "results/models/dnabert6",
    ]
    own = _cfg(defaults, datasets={"tasks": []}, finetune={"init_from": "m"})
    assert targets.final_targets(own, ["mine"], "none", n_downloads=0) == [
        "results/datasets/mine/summary.json"
    ]
    assert targets.baseline_targets(cfg, MINE) == [
        "results/baselines/promcore_all/deepromoter/seed42/metrics.json",
        "results/baselines/promcore_all/kmer_lr/seed42/metrics.json",
        "results/baselines/promscan/promid/seed42/metrics.json",
        "results/baselines/promscan/kmer_lr/seed42/metrics.json",
        "results/baselines/mine/kmer_lr/seed42/metrics.json",
        "results/baselines/promscan/promid/seed42/tss_calls.json",
    ]
    calls = []
    assert targets.all_baseline_metrics(cfg, {}, _selected(calls))[-2:] == [
        "results/baselines/tf_D/deepbind/seed42/metrics.json",
        "results/baselines/tf_D/kmer_lr/seed42/metrics.json",
    ]
    assert targets.finetune_targets(cfg, []) == [
        "results/finetune/promcore_all/dnabert6/seed42/metrics.json",
        "results/finetune/promscan/dnabert6/seed42/metrics.json",
        "results/finetune/promscan/dnabert6/seed42/tss_calls.json",
    ]
    assert targets.curve_predictions(cfg, {}) == [
        "results/finetune/promcore_all/dnabert6/seed42/predictions.tsv",
        "results/baselines/promcore_all/deepromoter/seed42/predictions.tsv",
        "results/baselines/promcore_all/kmer_lr/seed42/predictions.tsv",
    ]
    report = _cfg(defaults, datasets={"tasks": ["prom300_tata"]})
    assert targets.report_targets(report) == [
        "results/report/figures/task_mcc.png",
        "results/report/figures/prom300_bars.png",
        "results/report/figures/promcore_curves.png",
        "results/report/figures/promscan_bars.png",
        "results/report/figures/tf_violins.png",
        "results/report/figures/splice_bars.png",
        "results/report/figures/pretrain_curves.png",
        "results/report/provenance.html",
        "results/report/gue_table.tsv",
        "results/report/group_wilcoxon.tsv",
        "results/viz/prom300_tata/dnabert6/seed42/motif_logos.png",
        "results/viz/prom300_tata/dnabert6/seed42/ism_heatmap.png",
    ]
    assert calls == ["tf"]


def test_inputs_of_single_rules(defaults, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    assert targets.local_path("demo/genome.fa.gz") == "demo/genome.fa.gz"
    assert targets.local_path(f"file://{tmp_path}/demo/x.bed") == "demo/x.bed"
    assert targets.local_path("/elsewhere/x.bed") == "/elsewhere/x.bed"  # outside: absolute
    assert targets.local_path("https://example.org/x.bed") is None
    source = {"url": "demo/g.fa.gz", "checksum_url": "https://example.org/MD5SUMS"}
    assert targets.local_sources(source) == ["demo/g.fa.gz"]
    assert targets.local_sources({"url": "demo/a", "checksum_url": "demo/MD5SUMS"}) == [
        "demo/a",
        "demo/MD5SUMS",
    ]
    downloads = {"genome/g.fa": {}, "annotation/g.gtf": {}, "promoters/g.tss.bed": {},
                 "promoters/g.tata.txt": {}, "blacklist/g.bed": {}}  # fmt: skip
    assert targets.names_check_inputs(downloads) == [
        "resources/annotation/g.gtf",
        "resources/promoters/g.tss.bed",
        "resources/blacklist/g.bed",
    ]
    encode = _cfg(defaults, tf={"source": "encode", "metadata": "https://x/metadata.tsv"})
    assert targets.tf_selection_inputs(encode) == {
        "metadata": "resources/peaks/encode_metadata.tsv"
    }
    encode["tf"]["metadata"] = "demo/metadata.tsv"
    assert targets.tf_selection_inputs(encode) == {"metadata": "demo/metadata.tsv"}
    encode["tf"]["metadata"] = None
    with pytest.raises(ValueError, match="tf.source is 'encode' but tf.metadata is not set"):
        targets.tf_selection_inputs(encode)
    ucsc = _cfg(defaults, tf={"source": "ucsc_uniform"})
    assert targets.tf_selection_inputs(ucsc) == {
        "files": "resources/peaks/ucsc_files.txt",
        "md5": "resources/peaks/ucsc_md5sum.txt",
    }
    assert targets.tf_selection_inputs(_cfg(defaults, tf={"source": "local"})) == {}
    assert targets.tf_blacklist(defaults, "g") == []
    assert targets.tf_blacklist({"blacklist": {}}, "g") == ["resources/blacklist/g.bed"]
    assert targets.splice_hard_negatives(defaults) == []
    hard = _cfg(defaults)
    hard["datasets"]["splice"]["hard_negatives"] = "fp.bed"
    assert targets.splice_hard_negatives(hard) == ["fp.bed"]
    assert (
        targets.splice_scan_model("1", 7) == "results/baselines/splice/splicefinder/seed7/model.pt"
    )
    assert targets.splice_scan_model("3", 7) == (
        "results/baselines/splice_reconstruction/round2/splicefinder/model.pt"
    )
    assert targets.previous_hard_negatives("1") == []
    assert targets.previous_hard_negatives("2") == [
        "results/baselines/splice_reconstruction/round1/hard_negatives.bed"
    ]
    assert targets.pretrained_model(defaults, "6") == "results/models/dnabert6"
    other = _cfg(defaults, finetune={"init_from": "../hg38/results/models/dnabert{k}"})
    assert targets.pretrained_model(other, 4) == "../hg38/results/models/dnabert4"


def test_users_tasks_are_custom_and_suite_tasks(defaults, monkeypatch):
    monkeypatch.setattr(targets, "expand_suites", lambda config: {"gue_x": {"train": "t"}})
    cfg = _cfg(defaults, custom_tasks=MINE)
    assert list(targets.users_tasks(cfg)) == ["mine", "gue_x"]
    clash = _cfg(defaults, custom_tasks={"gue_x": MINE["mine"]})
    with pytest.raises(ValueError, match=r"custom_tasks \['gue_x'\]: names of suite tasks"):
        targets.users_tasks(clash)


def test_rule_all_targets(defaults):
    cfg = _cfg(defaults, datasets={"tasks": ["splice", "tf"]}, baselines={"enabled": ["kmer_lr"]})
    cfg["report"]["viz_tasks"] = ["splice"]
    cfg["variants"] = {"tasks": ["splice"], "vcf": {"url": "v.vcf"}}
    calls = []
    everything = targets.fixed_targets(cfg, {}, "g", n_downloads=1)
    assert everything[:7] + everything[-1:] == [
        "resources/genome/g.fa.fai",
        "resources/genome/g.chrom.sizes",
        "resources/genome/g.canonical.txt",
        "results/datasets/splice/summary.json",
        "results/models/dnabert6",
        "results/baselines/splice/kmer_lr/seed42/metrics.json",
        "results/finetune/splice/dnabert6/seed42/metrics.json",
        "results/variants/splice/dnabert6/seed42/variant_effects.png",
    ]
    assert everything[7:-1] == [
        "results/report/figures/task_mcc.png",
        "results/report/figures/prom300_bars.png",
        "results/report/figures/promcore_curves.png",
        "results/report/figures/promscan_bars.png",
        "results/report/figures/tf_violins.png",
        "results/report/figures/splice_bars.png",
        "results/report/figures/pretrain_curves.png",
        "results/report/provenance.html",
        "results/report/gue_table.tsv",
        "results/report/group_wilcoxon.tsv",
        "results/viz/splice/dnabert6/seed42/motif_logos.png",
        "results/viz/splice/dnabert6/seed42/ism_heatmap.png",
    ]
    assert calls == []  # nothing known before the TF selection waits for it
    assert targets.tf_targets(cfg, MINE, _selected(calls)) == [
        "results/datasets/tf_A/summary.json",
        "results/datasets/tf_B/summary.json",
        "results/datasets/tf_C/summary.json",
        "results/datasets/tf_D/summary.json",
        "results/baselines/tf_A/kmer_lr/seed42/metrics.json",
        "results/baselines/tf_B/kmer_lr/seed42/metrics.json",
        "results/baselines/tf_C/kmer_lr/seed42/metrics.json",
        "results/baselines/tf_D/kmer_lr/seed42/metrics.json",
    ]
    assert calls == ["tf"]
    no_tf = _cfg(defaults, datasets={"tasks": ["splice"]})
    assert targets.tf_targets(no_tf, {}, _selected(calls)) == []
    assert calls == ["tf"]  # no tf task: the selection is not asked for


def test_tf_selection_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "tf_experiments.tsv"
    table.write_text(
        "experiment\turl\tmd5\n"
        "A\tpeaks/A.narrowPeak.gz\t\n"
        "B\thttps://example.org/B.bed.gz\tab12\n"
        f"C\tfile://{tmp_path}/peaks/C.bed.gz\t\n"
    )
    assert targets.selected_tf_tasks(table) == ["tf_A", "tf_B", "tf_C"]
    assert targets.tf_peak_sources(table, "A") == ["peaks/A.narrowPeak.gz"]
    assert targets.tf_peak_sources(table, "B") == []  # downloaded: no input
    assert targets.tf_peak_sources(table, "C") == ["peaks/C.bed.gz"]
    # a new version of the table (a rerun of the selection) is read again
    table.write_text("experiment\turl\tmd5\nZ\t/data/Z.bed.gz\t\n")
    os.utime(table, (1, 1))
    assert targets.selected_tf_tasks(table) == ["tf_Z"]
    assert targets.tf_peak_sources(table, "Z") == ["/data/Z.bed.gz"]

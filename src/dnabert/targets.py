"""What the workflow makes for a config: its tasks and the files of every stage.

Pure functions of the validated config, read by the input functions of
``workflow/rules/common.smk`` (no Snakemake import). ``custom`` is ``{name: spec}`` of the
users' tasks (``custom_tasks`` plus the suites' tasks, :func:`dnabert.datasets.suites.expand_suites`).
``selected(family)`` returns the selected tasks of an open family (``tf``: every chosen
experiment); it may wait on the TF selection checkpoint, so functions call it only when the
config asks for a selector (``tf``) and only where their docstring says "with TF".
Lists keep the order Snakemake's ``expand`` gives (the first keyword varies slowest).

It stays one module (about 400 lines): one function per stage's file list, composed by the
few that rule ``all`` and the report ask for; split, each stage's list would sit apart from
the composition that reads it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from itertools import product

from dnabert import paths
from dnabert.baselines.registry import baselines_for_task
from dnabert.datasets.encode import read_experiment_table
from dnabert.datasets.suites import expand_suites
from dnabert.download import resolve_url
from dnabert.tasks import (
    FAMILIES,
    TaskFamily,
    fixed_tasks,
    has_open_tasks,
    open_tasks,
    tasks_with_figure,
)

Selected = Callable[[TaskFamily], list[str]]


# --- downloads ---


def variants_vcf(config: dict, genome: str) -> str:
    """The VCF's local path: a gzip/bgzip download is kept compressed (pysam reads both)."""
    url = config.get("variants", {}).get("vcf", {}).get("url", "")
    return paths.variants_vcf(genome, compressed=url.endswith((".gz", ".bgz")))


def download_sources(config: dict, genome: str) -> dict[str, dict]:
    """``{path under resources/: config source (url + checksums)}`` of every download."""
    sources = {}

    def add(path: str, source: dict) -> None:
        sources[path.removeprefix(f"{paths.RESOURCES}/")] = source

    if "genome" in config:
        add(paths.genome_fasta(genome), config["genome"]["fasta"])
    if "annotation" in config:
        add(paths.annotation_gtf(genome), config["annotation"]["gtf"])
    if "promoters" in config:
        add(paths.tss_bed(genome), config["promoters"]["tss"])
        if "tata" in config["promoters"]:
            add(paths.tata_table(genome), config["promoters"]["tata"])
    if "blacklist" in config:
        add(paths.blacklist_bed(genome), config["blacklist"])
    if "variants" in config:
        add(variants_vcf(config, genome), config["variants"]["vcf"])
    return sources


def local_path(url: str) -> str | None:
    """The local file behind a ``file:`` URL or path (relative to the working directory when
    inside it), None for a remote URL."""
    kind, path = resolve_url(url)
    if kind != "local":
        return None
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def local_sources(source: dict) -> list[str]:
    """Local files a download of ``source`` reads (its URL, its checksum list): inputs, so
    that rules that generate them (the demo) run first."""
    urls = [source["url"], source.get("checksum_url")]
    return [path for path in map(local_path, filter(None, urls)) if path]


def names_check_inputs(downloads: dict) -> list[str]:
    """The downloaded interval files whose chromosome names must agree with the genome's."""
    return [
        f"{paths.RESOURCES}/{path}"
        for path in downloads
        if path.startswith(("annotation/", "blacklist/")) or path.endswith(".tss.bed")
    ]


def demo_outputs(config: dict) -> list[str]:
    """Files the demo generator writes (config ``demo``)."""
    files = ["genome.fa.gz", "annotation.gtf.gz", "epdnew_tss.bed", "epdnew_tata.txt"]
    files += ["blacklist.bed", "metadata.tsv", "MD5SUMS", "truth.json", "variants.vcf"]
    n_tf = config["demo"]["n_tf_experiments"]
    files += [f"tf/DEMOTF{i:02d}.bed.gz" for i in range(1, n_tf + 1)]
    return [f"{paths.DEMO_SOURCE}/{name}" for name in files]


def tf_index_urls(config: dict) -> dict[str, str | None]:
    """``{list name: URL}`` of the TF selection lists (recorded in tf_experiments.json)."""
    tf = config["tf"]
    return {
        "metadata": tf["metadata"],
        "ucsc_files": tf["ucsc_files_url"],
        "ucsc_md5": tf["ucsc_md5_url"],
    }


def tf_index_sources(config: dict) -> dict[str, str | None]:
    """``{file under resources/peaks/: URL}`` of the TF selection lists the workflow downloads."""
    tf = config["tf"]
    return {
        "ucsc_files.txt": tf["ucsc_files_url"],
        "ucsc_md5sum.txt": tf["ucsc_md5_url"],
        "encode_metadata.tsv": tf["metadata"],
    }


def tf_selection_inputs(config: dict) -> dict[str, str]:
    """What the TF selection reads, by ``tf.source``: the ENCODE metadata (a local file or
    its download), the UCSC lists (md5 list when configured), or nothing (local peak files).
    Raises ValueError for source ``encode`` without ``tf.metadata``."""
    tf = config["tf"]
    if tf["source"] == "encode":
        if not tf["metadata"]:
            raise ValueError("tf.source is 'encode' but tf.metadata is not set")
        return {"metadata": local_path(tf["metadata"]) or paths.tf_index("encode_metadata.tsv")}
    if tf["source"] == "ucsc_uniform":
        inputs = {"files": paths.tf_index("ucsc_files.txt")}
        if tf["ucsc_md5_url"]:
            inputs["md5"] = paths.tf_index("ucsc_md5sum.txt")
        return inputs
    return {}


def tf_blacklist(config: dict, genome: str) -> list[str]:
    """The blacklist TF peaks are filtered with, when configured."""
    return [paths.blacklist_bed(genome)] if "blacklist" in config else []


def splice_hard_negatives(config: dict) -> list[str]:
    """The hard-negative BED ``datasets.splice.hard_negatives`` names, or nothing."""
    path = config["datasets"]["splice"]["hard_negatives"]
    return [path] if path else []


def splice_scan_model(round: int | str, seed: int) -> str:
    """The SpliceFinder that scans in reconstruction round ``round``: trained on the splice
    task (seed ``seed``) in round 1, else on round ``round`` - 1's dataset."""
    r = int(round)
    if r <= 1:
        return f"{paths.baseline_run('splice', 'splicefinder', seed)}/model.pt"
    return f"{paths.splice_round(r - 1)}/splicefinder/model.pt"


def previous_hard_negatives(round: int | str) -> list[str]:
    """Round ``round`` - 1's hard negatives (sites accumulate over rounds); none in round 1."""
    r = int(round)
    return [f"{paths.splice_round(r - 1)}/hard_negatives.bed"] if r > 1 else []


def splice_rc_hard_negatives(config: dict) -> str:
    """The hard negatives splice_rc is built with: those of the last reconstruction round."""
    rounds = config["baselines"]["splicefinder"]["rounds"]
    return f"{paths.splice_round(max(1, rounds))}/hard_negatives.bed"


# --- tasks ---


def selected_tf_tasks(table: str | os.PathLike) -> list[str]:
    """``tf_{experiment}`` of every experiment in the TF selection's table, in its order."""
    return [f"{FAMILIES['tf'].prefix}{e}" for e in _tf_table(table)]


def tf_peak_sources(table: str | os.PathLike, experiment: str) -> list[str]:
    """The local file the peaks of ``experiment`` are copied from (its URL in the selection's
    table is a path or ``file:`` URL, e.g. ``tf.source: local``), else none: an input of
    ``download_peaks``, so that a changed file is fetched again."""
    return local_sources({"url": _tf_table(table)[experiment]["url"]})


def _tf_table(table: str | os.PathLike) -> dict[str, dict]:
    # read once per modification time: a dry run asks for it at every TF job (690 in the paper)
    return _read_tf_table(str(table), os.path.getmtime(table))


@functools.cache
def _read_tf_table(table: str, mtime: float) -> dict[str, dict]:
    return read_experiment_table(table)


def dataset_tasks(config: dict) -> list[str]:
    """``datasets.tasks`` known before the TF selection: all but ``tf``/``tf_*``."""
    return fixed_tasks(config["datasets"]["tasks"])


def derived_tasks(config: dict) -> list[str]:
    """Tasks another stage derives: ``splice_rc`` (SpliceFinder's reconstruction) when
    ``baselines.splicefinder.rounds`` > 0, splicefinder is enabled and ``splice`` is a task."""
    enabled = "splicefinder" in config["baselines"]["enabled"]
    rounds = config["baselines"]["splicefinder"]["rounds"]
    if rounds > 0 and enabled and "splice" in config["datasets"]["tasks"]:
        return ["splice_rc"]
    return []


def tf_tasks(config: dict, selected: Selected) -> list[str]:
    """The TF tasks of ``datasets.tasks`` (with TF): every selected one for ``tf``, plus
    those named ``tf_X``."""
    return open_tasks(config["datasets"]["tasks"], selected)


def finetune_tasks(
    config: dict, custom: Iterable[str], selected: Selected | None = None
) -> list[str]:
    """``finetune.tasks``, or (null) every dataset task, the derived ones and the users'; with
    ``selected`` (with TF) also the TF tasks, else none of them."""
    requested = config["finetune"]["tasks"]
    if requested is None:
        requested = [*config["datasets"]["tasks"], *derived_tasks(config), *custom]
    tasks = fixed_tasks(requested)
    return tasks + open_tasks(requested, selected) if selected else tasks


def viz_tasks(config: dict, selected: Selected | None = None) -> list[str]:
    """``report.viz_tasks`` that are dataset tasks; with ``selected`` (with TF, and only when
    ``datasets.tasks`` has TF tasks) also its TF tasks: for ``tf`` the first
    ``report.viz_max_tf_tasks`` selected ones, plus those named ``tf_X``."""
    requested = config["report"]["viz_tasks"]
    tasks = [t for t in fixed_tasks(requested) if t in config["datasets"]["tasks"]]
    if selected and has_open_tasks(config["datasets"]["tasks"]):
        limit = config["report"]["viz_max_tf_tasks"]
        tasks += [t for t in open_tasks(requested, selected, limit) if t not in tasks]
    return tasks


# --- files of runs ---


def dataset_summaries(tasks: Iterable[str]) -> list[str]:
    return [paths.dataset_file(task, "summary.json") for task in tasks]


def baseline_metrics(config: dict, custom: dict, tasks: Iterable[str]) -> list[str]:
    """``metrics.json`` of every baseline run of ``tasks`` (per task: its baselines, seeds)."""
    task_config = {**config, "custom_tasks": custom}
    return [
        f"{paths.baseline_run(task, baseline, seed)}/metrics.json"
        for task in tasks
        for baseline in baselines_for_task(task, task_config)
        for seed in config["seeds"]
    ]


def finetune_metrics(config: dict, tasks: Iterable[str]) -> list[str]:
    """``metrics.json`` of the DNABERT runs of ``tasks`` (task, k, seed), then of their
    from-scratch controls (``finetune.scratch_control``), then of every ``finetune.models``
    run (task, model, seed)."""
    tasks = list(tasks)
    ks, seeds = config["tokenize"]["k"], config["seeds"]
    controls = [False, True] if config["finetune"]["scratch_control"] else [False]
    dnabert = [
        f"{paths.finetune_run(task, paths.dnabert_run(k, scratch), seed)}/metrics.json"
        for scratch in controls
        for task, k, seed in product(tasks, ks, seeds)
    ]
    others = [
        f"{paths.finetune_run(task, model, seed)}/metrics.json"
        for task, model, seed in product(tasks, config["finetune"]["models"], seeds)
    ]
    return dnabert + others


def promscan_tss_calls(config: dict, kind: str, models: Iterable[str]) -> list[str]:
    """``tss_calls.json`` of the promscan runs of ``models`` under ``results/{kind}/``."""
    return [
        f"{paths.run_dir(kind, 'promscan', model, seed)}/tss_calls.json"
        for model, seed in product(models, config["seeds"])
    ]


def pretrained_model(config: dict, k: int | str) -> str:
    """The model fine-tuning starts from: ``finetune.init_from`` with ``{k}`` replaced by the
    run's k (one setting names another run's models for every k: cross-species), else
    the pretrained DNABERT-k."""
    init_from = config["finetune"]["init_from"]
    return init_from.replace("{k}", str(k)) if init_from else paths.model_dir(k)


def users_tasks(config: dict) -> dict[str, dict]:
    """``{name: spec}`` of the users' tasks: ``custom_tasks`` plus the tasks of the benchmark
    suites (``suites``, e.g. GUE). Raises ValueError when a custom task takes a suite task's
    name."""
    suite_tasks = expand_suites(config)
    clash = sorted(set(suite_tasks) & set(config["custom_tasks"]))
    if clash:
        raise ValueError(f"custom_tasks {clash}: names of suite tasks (suites); rename them")
    return {**config["custom_tasks"], **suite_tasks}


def pretrained_models(config: dict) -> list[str]:
    """The pretrained models; none when fine-tuning starts from ``finetune.init_from``."""
    if config["finetune"]["init_from"]:
        return []
    return [paths.model_dir(k) for k in config["tokenize"]["k"]]


def viz_files(config: dict, tasks: Iterable[str], names: Iterable[str]) -> list[str]:
    """Files ``names`` of the viz runs of ``tasks`` (task, k, seed, name)."""
    grid = product(tasks, config["tokenize"]["k"], config["seeds"], names)
    return [f"{paths.viz_run(task, k, seed)}/{name}" for task, k, seed, name in grid]


def variant_files(config: dict, name: str) -> list[str]:
    """File ``name`` of every variant-scoring run (``variants.tasks``); none without
    ``variants``."""
    if "variants" not in config:
        return []
    grid = product(config["variants"]["tasks"], config["tokenize"]["k"], config["seeds"])
    return [f"{paths.variant_run(task, k, seed)}/{name}" for task, k, seed in grid]


# --- the targets of rule all ---


def fixed_targets(config: dict, custom: dict, genome: str, n_downloads: int) -> list[str]:
    """Everything rule all asks for that is known before the TF selection: the stages' targets
    below, the report's and the variant figures."""
    out = final_targets(config, custom, genome, n_downloads) + baseline_targets(config, custom)
    out += finetune_targets(config, custom) + report_targets(config)
    return out + variant_files(config, "variant_effects.png")


def tf_targets(config: dict, custom: dict, selected: Selected) -> list[str]:
    """The datasets and baseline runs of the TF tasks (with TF)."""
    tasks = tf_tasks(config, selected)
    return dataset_summaries(tasks) + baseline_metrics(config, custom, tasks)


def final_targets(config: dict, custom: Iterable[str], genome: str, n_downloads: int) -> list[str]:
    """The genome index (unless only users' tasks run from a given model, finetune.init_from),
    the chromosome-name check (with more than the genome downloaded), the non-TF datasets,
    the users' datasets and the pretrained models."""
    own_model = bool(config["finetune"]["init_from"])
    targets = []
    if config["datasets"]["tasks"] or not own_model:
        fasta = paths.genome_fasta(genome)
        targets += [f"{fasta}.fai", paths.chrom_sizes(genome), paths.canonical_chromosomes(genome)]
        if n_downloads > 1:
            targets.append(paths.chromosome_names_check(genome))
    targets += dataset_summaries(dataset_tasks(config)) + dataset_summaries(custom)
    return targets + pretrained_models(config)


def baseline_targets(config: dict, custom: dict) -> list[str]:
    """Baseline runs of the non-TF, derived and users' tasks, and PromID's TSS calls."""
    tasks = dataset_tasks(config) + derived_tasks(config) + list(custom)
    targets = baseline_metrics(config, custom, tasks)
    if "promid" in baselines_for_task("promscan", config) and "promscan" in tasks:
        targets += promscan_tss_calls(config, "baselines", ["promid"])
    return targets


def all_baseline_metrics(config: dict, custom: dict, selected: Selected) -> list[str]:
    """Every baseline ``metrics.json``, TF tasks included (with TF)."""
    tasks = dataset_tasks(config) + derived_tasks(config) + list(custom)
    return baseline_metrics(config, custom, tasks + tf_tasks(config, selected))


def all_metrics(config: dict, custom: dict, selected: Selected) -> list[str]:
    """Every ``metrics.json`` the metrics table collects: the fine-tuning runs, then the baseline
    runs (with TF)."""
    tasks = finetune_tasks(config, custom, selected)
    return finetune_metrics(config, tasks) + all_baseline_metrics(config, custom, selected)


def finetune_targets(config: dict, custom: Iterable[str]) -> list[str]:
    """``metrics.json`` of every non-TF fine-tuning run, and DNABERT's promscan TSS calls."""
    tasks = finetune_tasks(config, custom)
    targets = finetune_metrics(config, tasks)
    if "promscan" in tasks:
        models = [paths.dnabert_run(k) for k in config["tokenize"]["k"]]
        targets += promscan_tss_calls(config, "finetune", models)
    return targets


def curve_predictions(config: dict, custom: dict) -> list[str]:
    """``predictions.tsv`` of every run drawn in the ROC/PR curves (``promcore_curves``): the
    fine-tuning runs and the baseline runs of its tasks (no TF task: no checkpoint wait)."""
    drawn = tasks_with_figure("promcore_curves")
    tasks = [t for t in finetune_tasks(config, custom) if t in drawn]
    baselines = [t for t in dataset_tasks(config) if t in drawn]
    metrics = finetune_metrics(config, tasks) + baseline_metrics(config, custom, baselines)
    return [path.removesuffix("metrics.json") + "predictions.tsv" for path in metrics]


def report_targets(config: dict) -> list[str]:
    """The figures, the provenance table, the group tables and the viz outputs of the
    non-TF viz tasks."""
    targets = [paths.figure(name) for name in paths.FIGURE_NAMES]
    targets.append(paths.report_file("provenance.html"))
    targets += list(paths.GROUP_TABLES.values())
    return targets + viz_files(config, viz_tasks(config), ["motif_logos.png", "ism_heatmap.png"])

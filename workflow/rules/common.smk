# Config validation and input functions. The only place in the workflow with Python logic.
import functools
import json
import os
import re

from snakemake.exceptions import WorkflowError

from dnabert.config import (
    ConfigError,
    canonical,
    read_yaml_config,
    retype_cli_overrides,
    task_settings,
    validate_config,
)
from dnabert.datasets.encode import read_experiment_table
from dnabert.download import resolve_url
from dnabert.tasks import wildcard_pattern

# Jobs import the workflow's package from this checkout, in every conda env and on every SLURM
# node (jobs inherit the environment): the envs/*.yaml hold its dependencies only; see
# docs/slurm.md, "conda".
_SRC = os.path.join(workflow.basedir, "src")
if _SRC not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ.update(
        PYTHONPATH=os.pathsep.join(filter(None, [_SRC, os.environ.get("PYTHONPATH")]))
    )

# Jobs keep third-party progress bars and info notes (transformers' weight loading and shard
# writing, huggingface_hub's bars) out of their output; the project's own log lines stay. Set
# these variables yourself to see them again.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "warning")

_CLI_CONFIG = workflow.config_settings.config or {}
retype_cli_overrides(config, _CLI_CONFIG)
try:
    # Snakemake's YAML reader keeps a repeated key's last value: reread strictly
    for _path in workflow.configfiles:
        read_yaml_config(_path)
    validate_config(
        config,
        source=(", ".join(map(str, workflow.configfiles)) or "config")
        + (" with --config " + ", ".join(_CLI_CONFIG) if _CLI_CONFIG else ""),
    )
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

# No genome block: a run of users' tasks alone (dnabert.config.check_genome_needed); the
# genome rules are then never asked for, and "resources/genome/none.fa" names nothing.
GENOME_SETTINGS = config.get("genome") or {
    "name": "none",
    "canonical_pattern": "",
    "chromosomes": [],
}
GENOME = GENOME_SETTINGS["name"]
GENOME_FA = f"resources/genome/{GENOME}.fa"
CHROM_SIZES = f"resources/genome/{GENOME}.chrom.sizes"
CANONICAL = f"resources/genome/{GENOME}.canonical.txt"
DEMO_SOURCE = "resources/demo_source"
# the fixed task names of the families build_promoter_dataset builds (dnabert.tasks)
PROMOTER_TASK_PATTERN = wildcard_pattern("prom300", "promcore")
# Scripts that shell commands run, relative to the working directory: a stable params value
# (workflow.source_path points into a per-invocation cache, which made Snakemake see changed
# params and rerun pretraining on every invocation).
SCRIPTS = os.path.relpath(os.path.join(workflow.basedir, "workflow", "scripts"))


# A gzip/bgzip VCF is kept compressed (pysam reads both); a plain one stays plain.
VARIANTS_VCF = f"resources/variants/{GENOME}.vcf" + (
    ".gz"
    if config.get("variants", {})
    .get("vcf", {})
    .get("url", "")
    .endswith((".gz", ".bgz"))
    else ""
)


def _download_sources():
    """Map each downloaded resource path (under resources/) to its config source."""
    sources = {}
    if "genome" in config:
        sources[f"genome/{GENOME}.fa"] = config["genome"]["fasta"]
    if "annotation" in config:
        sources[f"annotation/{GENOME}.gtf"] = config["annotation"]["gtf"]
    if "promoters" in config:
        sources[f"promoters/{GENOME}.tss.bed"] = config["promoters"]["tss"]
        if "tata" in config["promoters"]:
            sources[f"promoters/{GENOME}.tata.txt"] = config["promoters"]["tata"]
    if "blacklist" in config:
        sources[f"blacklist/{GENOME}.bed"] = config["blacklist"]
    if "variants" in config:
        sources[VARIANTS_VCF.removeprefix("resources/")] = config["variants"]["vcf"]
    return sources


DOWNLOADS = _download_sources()
DOWNLOAD_PATTERN = "|".join(re.escape(path) for path in DOWNLOADS) or "(?!)"


def _local_path(url):
    """Local file behind a file: URL or path; relative to the workdir when inside it."""
    kind, path = resolve_url(url)
    if kind != "local":
        return None
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def get_download_source(wildcards):
    """The config source (url + checksums) of resources/{resource}."""
    return canonical(DOWNLOADS[wildcards.resource])


def get_local_sources(wildcards):
    """Local files a download reads (so rules that generate them run first, e.g. the demo)."""
    source = DOWNLOADS[wildcards.resource]
    urls = [source["url"], source.get("checksum_url")]
    return [path for path in map(_local_path, filter(None, urls)) if path]


def get_names_check_inputs(wildcards):
    """Downloaded interval files whose chromosome names must agree with the genome's."""
    return [
        f"resources/{path}"
        for path in DOWNLOADS
        if path.startswith(("annotation/", "blacklist/")) or path.endswith(".tss.bed")
    ]


def demo_outputs():
    """Files the demo generator writes (config 'demo' section)."""
    files = ["genome.fa.gz", "annotation.gtf.gz", "epdnew_tss.bed", "epdnew_tata.txt"]
    files += ["blacklist.bed", "metadata.tsv", "MD5SUMS", "truth.json", "variants.vcf"]
    n_tf = config["demo"]["n_tf_experiments"]
    files += [f"tf/DEMOTF{i:02d}.bed.gz" for i in range(1, n_tf + 1)]
    return [f"{DEMO_SOURCE}/{name}" for name in files]


def dataset_tasks():
    """Configured non-TF tasks (TF tasks come from the checkpoint in tfbs.smk)."""
    return [task for task in config["datasets"]["tasks"] if not task.startswith("tf")]


def is_tf_requested():
    return any(task.startswith("tf") for task in config["datasets"]["tasks"])


def get_tf_targets(wildcards):
    """summary.json of the TF tasks: 'tf' means all selected experiments, tf_X just X.

    Kept apart from get_final_targets: until the selection checkpoint has run, this input
    function stands for the checkpoint alone, while the rest of the DAG stays visible.
    """
    if not is_tf_requested():
        return []
    named = [t for t in config["datasets"]["tasks"] if t.startswith("tf_")]
    if "tf" in config["datasets"]["tasks"]:
        return get_tf_dataset_summaries()
    return [f"results/datasets/{task}/summary.json" for task in named]


def get_final_targets(wildcards):
    """The final targets, stage by stage as configured (the TF tasks come from get_tf_targets)."""
    # Fine-tuning custom tasks from a given model (finetune.init_from) needs no genome at all.
    own_model = bool(config["finetune"]["init_from"])
    targets = []
    if config["datasets"]["tasks"] or not own_model:
        targets += [f"{GENOME_FA}.fai", CHROM_SIZES, CANONICAL]
        if len(DOWNLOADS) > 1:
            targets.append(f"results/qc/{GENOME}.chromosome_names.json")
    targets += expand("results/datasets/{task}/summary.json", task=dataset_tasks())
    targets += expand("results/datasets/{task}/summary.json", task=list(CUSTOM_TASKS))
    if not own_model:
        targets += expand("results/models/dnabert{k}", k=config["tokenize"]["k"])
    return targets


# --- splice task ---


def get_splice_hard_negatives(wildcards):
    """The hard-negative BED named in config, or nothing."""
    path = config["datasets"]["splice"]["hard_negatives"]
    return [path] if path else []


# --- TF tasks (see tfbs.smk for why selection is a checkpoint) ---


TF_TABLE = "results/datasets/tf_experiments.tsv"
TF_INDEX = {
    "ucsc_files.txt": config["tf"]["ucsc_files_url"],
    "ucsc_md5sum.txt": config["tf"]["ucsc_md5_url"],
    "encode_metadata.tsv": config["tf"]["metadata"],
}


def get_tf_selection_inputs(wildcards):
    """What select_tf_experiments reads: the metadata, the UCSC lists, or nothing (local)."""
    tf = config["tf"]
    if tf["source"] == "encode":
        url = tf["metadata"]
        if not url:
            raise WorkflowError("tf.source is 'encode' but tf.metadata is not set")
        return {"metadata": _local_path(url) or "resources/peaks/encode_metadata.tsv"}
    if tf["source"] == "ucsc_uniform":
        inputs = {"files": "resources/peaks/ucsc_files.txt"}
        if tf["ucsc_md5_url"]:
            inputs["md5"] = "resources/peaks/ucsc_md5sum.txt"
        return inputs
    return {}


@functools.cache
def _read_tf_table(path, mtime):
    return read_experiment_table(path)


def get_tf_experiments():
    """{experiment: record} chosen by the checkpoint (read once per version of the table)."""
    table = checkpoints.select_tf_experiments.get().output.table
    return _read_tf_table(table, os.path.getmtime(table))


def get_tf_tasks():
    """Task names tf_{experiment} of every selected experiment (checkpoint-aware)."""
    return [f"tf_{experiment}" for experiment in get_tf_experiments()]


def get_tf_dataset_summaries(wildcards=None):
    """summary.json of every TF task: use as an input function of aggregating rules."""
    return [f"results/datasets/{task}/summary.json" for task in get_tf_tasks()]


def get_tf_index_urls():
    """{list name: URL} of the selection lists, recorded in tf_experiments.json."""
    return canonical(
        {
            "metadata": config["tf"]["metadata"],
            "ucsc_files": config["tf"]["ucsc_files_url"],
            "ucsc_md5": config["tf"]["ucsc_md5_url"],
        }
    )


def get_tf_index_source(wildcards):
    """Download source of a selection list (tf.metadata URL or the UCSC lists)."""
    return canonical({"url": TF_INDEX[wildcards.index]})


def get_tf_blacklist(wildcards):
    return [f"resources/blacklist/{GENOME}.bed"] if "blacklist" in config else []


# --- pretraining ---


def get_corpus_dir(wildcards, input):
    """The corpus directory results/pretrain/k{k}, derived from the rule's input."""
    return os.path.dirname(input.train_bin)


# --- baselines ---


from dnabert.baselines.registry import baselines_for_task

RECONSTRUCTION_SEED = config["seeds"][0]
SPLICE_RC_ROUNDS = config["baselines"]["splicefinder"]["rounds"]
SPLICE_RC_HARD_NEGATIVES = (
    "results/baselines/splice_reconstruction/"
    f"round{max(1, SPLICE_RC_ROUNDS)}/hard_negatives.bed"
)


def get_extra_dataset_tasks():
    """Tasks derived by the baselines stage: splice_rc (SpliceFinder's reconstruction) when
    baselines.splicefinder.rounds > 0 and the splice task is configured."""
    enabled = "splicefinder" in config["baselines"]["enabled"]
    if SPLICE_RC_ROUNDS > 0 and enabled and "splice" in config["datasets"]["tasks"]:
        return ["splice_rc"]
    return []


def _baseline_metrics(tasks):
    return [
        f"results/baselines/{task}/{baseline}/seed{seed}/metrics.json"
        for task in tasks
        for baseline in baselines_for_task(task, TASK_CONFIG)
        for seed in config["seeds"]
    ]


def _tf_tasks():
    """TF task names (checkpoint-aware): every selected experiment for 'tf', else those named."""
    if not is_tf_requested():
        return []
    if "tf" in config["datasets"]["tasks"]:
        return get_tf_tasks()
    return [t for t in config["datasets"]["tasks"] if t.startswith("tf_")]


def get_baseline_targets(wildcards):
    """Baseline runs of the non-TF tasks (+ splice_rc, custom tasks) and PromID's TSS calls.

    TF tasks are in get_tf_baseline_targets (checkpoint-aware, kept apart so that this part
    of the DAG stays visible before the TF selection has run)."""
    tasks = dataset_tasks() + get_extra_dataset_tasks() + list(CUSTOM_TASKS)
    targets = _baseline_metrics(tasks)
    if "promid" in baselines_for_task("promscan", config) and "promscan" in tasks:
        targets += expand(
            "results/baselines/promscan/promid/seed{seed}/tss_calls.json",
            seed=config["seeds"],
        )
    return targets


def get_tf_baseline_targets(wildcards):
    """DeepBind runs of every TF task (checkpoint-aware)."""
    return _baseline_metrics(_tf_tasks())


def get_baseline_metrics(wildcards=None):
    """Every baseline metrics.json (TF tasks included: checkpoint-aware), for collect_metrics."""
    tasks = (
        dataset_tasks() + get_extra_dataset_tasks() + list(CUSTOM_TASKS) + _tf_tasks()
    )
    return _baseline_metrics(tasks)


def get_promscan_tss_calls(kind, models):
    """tss_calls.json of promscan runs, e.g. get_promscan_tss_calls("finetune", ["dnabert6"])."""
    return expand(
        "results/{kind}/promscan/{model}/seed{seed}/tss_calls.json",
        kind=kind,
        model=models,
        seed=config["seeds"],
    )


def get_baseline_params(wildcards):
    """Training settings of the baseline (config baselines.<name>)."""
    return canonical(config["baselines"][wildcards.baseline])


def get_baseline_task_name(wildcards):
    """Task name recorded in metrics.json: the task wildcard, or splice_round{r}."""
    if "task" in wildcards.keys():
        return wildcards.task
    return f"splice_round{wildcards.round}"


def get_splice_scan_model(wildcards):
    """model.pt that scans in round r: trained on the splice task (r = 1) or round r-1's set."""
    r = int(wildcards.round)
    if r <= 1:
        return (
            f"results/baselines/splice/splicefinder/seed{RECONSTRUCTION_SEED}/model.pt"
        )
    return f"results/baselines/splice_reconstruction/round{r - 1}/splicefinder/model.pt"


def get_previous_hard_negatives(wildcards):
    """Round r-1's hard negatives (sites accumulate over rounds); none in round 1."""
    r = int(wildcards.round)
    if r <= 1:
        return []
    return [f"results/baselines/splice_reconstruction/round{r - 1}/hard_negatives.bed"]


# --- report ---


FIGURE_NAMES = [
    "task_mcc",
    "prom300_bars",
    "promcore_curves",
    "promscan_bars",
    "tf_violins",
    "splice_bars",
    "pretrain_curves",
]
VIZ_DIR = "results/viz/{task}/dnabert{k}/seed{seed}"


def get_pretrained_models(wildcards):
    """Pretrained model dirs (their train/eval logs feed the pretraining figure); none when
    fine-tuning starts from a user's checkpoint (finetune.init_from: no pretraining here).
    """
    if config["finetune"]["init_from"]:
        return []
    return expand("results/models/dnabert{k}", k=config["tokenize"]["k"])


def get_results_dir(wildcards, input):
    """The results/ directory, derived from results/report/metrics.tsv."""
    return os.path.dirname(os.path.dirname(input.metrics))


def get_finetuned_model_dir(wildcards):
    """The fine-tuned classifier beside a run's metrics.json (output contract)."""
    return f"results/finetune/{wildcards.task}/dnabert{wildcards.k}/seed{wildcards.seed}/model"


def is_report_enabled():
    """The report reads the fine-tuning stage's metrics table: only with that stage present."""
    try:
        getattr(rules, "collect_metrics")
    except (AttributeError, WorkflowError):
        return False
    return True


def _viz_tasks(with_tf):
    tasks = [t for t in config["report"]["viz_tasks"] if not t.startswith("tf")]
    tasks = [t for t in tasks if t in config["datasets"]["tasks"]]
    if with_tf and is_tf_requested():
        tf = config["report"]["viz_tasks"]
        if "tf" in tf:
            tasks += get_tf_tasks()[: config["report"]["viz_max_tf_tasks"]]
        tasks += [t for t in tf if t.startswith("tf_") and t not in tasks]
    return tasks


def _viz_files(tasks, names):
    return expand(
        f"{VIZ_DIR}/{{name}}",
        task=tasks,
        k=config["tokenize"]["k"],
        seed=config["seeds"],
        name=names,
    )


def get_viz_provenance(wildcards):
    """viz.json and ism.json of every viz run, TF tasks included (checkpoint-aware)."""
    if not is_report_enabled():
        return []
    return _viz_files(_viz_tasks(with_tf=True), ["viz.json", "ism.json"])


def get_report_targets(wildcards):
    """Figures, the provenance table and the viz outputs of the non-TF viz tasks."""
    if not is_report_enabled():
        return []
    targets = expand("results/report/figures/{name}.png", name=FIGURE_NAMES)
    targets.append("results/report/provenance.html")
    targets += list(GROUP_TABLES.values())
    targets += _viz_files(
        _viz_tasks(with_tf=False), ["motif_logos.png", "ism_heatmap.png"]
    )
    return targets


# --- variant effects (variants.smk) ---


def _variant_runs(name):
    """results/variants/{task}/dnabert{k}/seed{seed}/{name} of every model variants.tasks names."""
    if "variants" not in config:
        return []
    return expand(
        "results/variants/{task}/dnabert{k}/seed{seed}/{name}",
        task=config["variants"]["tasks"],
        k=config["tokenize"]["k"],
        seed=config["seeds"],
        name=name,
    )


def get_variant_targets(wildcards):
    """The variant-effect figure of every scoring run (none unless variants is configured)."""
    return _variant_runs("variant_effects.png")


def get_variant_summaries(wildcards):
    """summary.json of every scoring run: provenance for the report's table."""
    return _variant_runs("summary.json")


# --- fine-tuning, custom tasks and the metrics table ---

from dnabert.datasets.custom import check_custom_task_names
from dnabert.datasets.suites import check_suite_files, expand_suites
from dnabert.hfmodels import check_model_dir
from dnabert.task_groups import task_groups

try:
    check_custom_task_names(config)
    check_suite_files(config)
except ValueError as exc:
    raise WorkflowError(str(exc)) from None

# Users' tasks: custom_tasks plus the tasks of the benchmark suites (config suites, e.g. GUE)
SUITE_TASKS = expand_suites(config)
_clash = sorted(set(SUITE_TASKS) & set(config["custom_tasks"]))
if _clash:
    raise WorkflowError(
        f"custom_tasks {_clash}: names of suite tasks (suites); rename them"
    )
CUSTOM_TASKS = {**config["custom_tasks"], **SUITE_TASKS}
# the config as the baselines registry reads it: suite tasks name their baselines as custom ones
TASK_CONFIG = {**config, "custom_tasks": CUSTOM_TASKS}
# {task: {family, suite, group}} of the users' tasks: figures, Wilcoxon groups, the GUE table
TASK_GROUPS = task_groups(config)
GROUP_TABLES = {
    "gue": "results/report/gue_table.tsv",
    "wilcoxon": "results/report/group_wilcoxon.tsv",
}
# Matches only the configured custom task names ("(?!)" never matches: no custom tasks).
CUSTOM_TASK_PATTERN = "|".join(re.escape(name) for name in CUSTOM_TASKS) or "(?!)"
FINETUNE_RUN = "results/finetune/{task}/dnabert{k}/seed{seed}"
# the from-scratch control of a run (finetune.scratch_control): same architecture, random weights
SCRATCH_RUN = "results/finetune/{task}/dnabert{k}_scratch/seed{seed}"
# other language models (finetune.models), by the user's name; names never start with dnabert
HF_MODELS = config["finetune"]["models"]
HF_MODEL_PATTERN = "|".join(re.escape(name) for name in HF_MODELS) or "(?!)"
HF_RUN = "results/finetune/{task}/{hf_model}/seed{seed}"


def get_custom_task_files(wildcards):
    """The user's train/dev/test files of custom task {task}."""
    spec = CUSTOM_TASKS[wildcards.task]
    return {split: spec[split] for split in ("train", "dev", "test")}


def get_custom_task_spec(wildcards):
    return canonical(CUSTOM_TASKS[wildcards.task])


def _is_tf_task(task):
    return task == "tf" or task.startswith("tf_")


def get_finetune_tasks(with_tf=False):
    """Tasks to fine-tune on: finetune.tasks, or every configured task plus the custom ones.

    With with_tf, 'tf' expands to every selected TF experiment (checkpoint-dependent).
    """
    requested = config["finetune"]["tasks"]
    if requested is None:  # every task, the derived splice_rc and the custom ones
        requested = [
            *config["datasets"]["tasks"],
            *get_extra_dataset_tasks(),
            *CUSTOM_TASKS,
        ]
    tasks = [task for task in requested if not _is_tf_task(task)]
    if with_tf:
        if "tf" in requested:
            tasks += get_tf_tasks()
        tasks += [t for t in requested if t.startswith("tf_") and t not in tasks]
    return tasks


def _finetune_metrics(tasks):
    """metrics.json of the DNABERT runs of ``tasks``, with finetune.scratch_control of their
    from-scratch controls, and of the runs of every finetune.models entry."""
    runs = [FINETUNE_RUN] + (
        [SCRATCH_RUN] if config["finetune"]["scratch_control"] else []
    )
    dnabert = [
        path
        for run in runs
        for path in expand(
            f"{run}/metrics.json",
            task=tasks,
            k=config["tokenize"]["k"],
            seed=config["seeds"],
        )
    ]
    others = expand(
        f"{HF_RUN}/metrics.json",
        task=tasks,
        hf_model=list(HF_MODELS),
        seed=config["seeds"],
    )
    return dnabert + others


def get_finetune_targets(wildcards):
    """metrics.json of every non-TF fine-tuning run (TF runs: see get_finetune_metrics), and
    DNABERT's promscan TSS calls, scored exactly as PromID's."""
    tasks = get_finetune_tasks()
    targets = _finetune_metrics(tasks)
    if "promscan" in tasks:
        targets += get_promscan_tss_calls(
            "finetune", [f"dnabert{k}" for k in config["tokenize"]["k"]]
        )
    return targets


def get_finetune_metrics(wildcards):
    """metrics.json of every fine-tuning run, TF tasks included (checkpoint-aware)."""
    return _finetune_metrics(get_finetune_tasks(with_tf=True))


def get_all_metrics(wildcards):
    """Every metrics.json the metrics table collects: fine-tuning plus baselines."""
    return get_finetune_metrics(wildcards) + get_baseline_metrics(wildcards)


def get_curve_predictions(wildcards):
    """predictions.tsv of the runs whose ROC/PR curves plot_figures draws: every model on the
    promcore tasks (dnabert.figures.figure_promcore_curves); no TF task, so the figures do not
    wait for the TF selection checkpoint."""
    tasks = [task for task in get_finetune_tasks() if task.startswith("promcore_")]
    baselines = [task for task in dataset_tasks() if task.startswith("promcore_")]
    return [
        os.path.join(os.path.dirname(path), "predictions.tsv")
        for path in _finetune_metrics(tasks) + _baseline_metrics(baselines)
    ]


def get_finetune_settings(wildcards):
    """The finetune section as this task sees it (its task_overrides applied; without
    finetune.models, so that adding a model reruns no other run)."""
    settings = task_settings(config["finetune"], wildcards.task)
    return canonical({key: v for key, v in settings.items() if key != "models"})


def get_hf_model_spec(wildcards):
    """The finetune.models entry of run {hf_model}, with its name."""
    return canonical({"name": wildcards.hf_model, **HF_MODELS[wildcards.hf_model]})


def get_hf_model_files(wildcards):
    """The model directory of finetune.models.{hf_model} and the files in it (config, weights,
    tokenizer): inputs, so that a changed file reruns the model's runs. A directory without
    config.json or tokenizer stops the workflow with an error naming it."""
    path = HF_MODELS[wildcards.hf_model]["path"]
    try:
        check_model_dir(path)
    except FileNotFoundError as exc:
        raise WorkflowError(f"finetune.models.{wildcards.hf_model}: {exc}") from None
    files = sorted(
        os.path.join(path, name)
        for name in os.listdir(path)
        if not name.startswith(".") and os.path.isfile(os.path.join(path, name))
    )
    return {"model_dir": path, "model_files": files}


def get_pretrained_model(wildcards):
    """The model fine-tuning starts from: finetune.init_from ({k} replaced by the run's k, so
    one setting names another run's models for every k: cross-species fine-tuning), else
    results/models/dnabert{k}."""
    init_from = config["finetune"]["init_from"]
    if init_from:
        return init_from.replace("{k}", wildcards.k)
    return f"results/models/dnabert{wildcards.k}"

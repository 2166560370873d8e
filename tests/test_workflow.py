"""The Snakemake workflow: config validated before any job, the demo DAG builds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from snakemake_runs import job_counts, run_snakemake

from dnabert.assembly import check_assemblies
from dnabert.config import load_config, task_settings
from dnabert.tasks import family_of

_snakemake, _job_counts = run_snakemake, job_counts


def test_demo_dry_run_builds_the_whole_dag(repo, tmp_path):
    result = _snakemake(
        repo, "-n", "--configfile", str(repo / "config/demo.yaml"), "--directory", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    for rule in (
        "generate_demo_data",
        "download_resource",
        "index_genome",
        "check_chromosome_names",
    ):
        assert rule in out, f"{rule} missing from the demo DAG"
    # the from-scratch control beside every DNABERT fine-tuning run (finetune.scratch_control)
    jobs = _job_counts(out)
    # before the TF checkpoint: 6 promoter tasks, promscan, splice, splice_rc; DNABERT also has
    # the TF model that score_variants asks for by name
    assert jobs["finetune_scratch"] == 9 and jobs["finetune_dnabert"] == 10
    # the k-mer yardstick on the same 9 tasks (TF tasks come after the checkpoint)
    assert jobs["train_kmer_lr"] == 9


def test_paper_config_dry_runs_as_shipped(repo, tmp_path):
    """config/config.yaml lists the whole DAG with no extra file: the ENCODE metadata is
    downloaded by the workflow; --config merges over the default config."""
    result = _snakemake(repo, "-n", "--quiet", "rules", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = _job_counts(result.stdout + result.stderr)
    # genome, GTF, EPD BED, EPD motifs, blacklist; the portal's metadata.tsv; 6 promoter tasks;
    # 9 tasks + splice_rc fine-tuned for k = 3..6 (TF tasks follow the selection checkpoint)
    assert jobs["download_resource"] == 5 and jobs["download_tf_index"] == 1
    assert jobs["select_tf_experiments"] == 1 and jobs["build_promoter_dataset"] == 6
    assert jobs["pretrain_mlm"] == 4 and jobs["finetune_dnabert"] == 9 * 4
    # --config alone keeps config/config.yaml and changes only what it names
    result = _snakemake(
        repo, "-n", "--quiet", "rules", "--directory", str(tmp_path),
        "--config", "tokenize={k: [6]}", "datasets={tasks: [splice]}", "seeds=[1, 2]",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = _job_counts(result.stdout + result.stderr)
    # the hg38 sources of config/config.yaml, but the TATA table (no promoter task asks for it)
    assert jobs["download_resource"] == 4
    assert jobs["pretrain_mlm"] == 1 and jobs["finetune_dnabert"] == 2 * 2  # splice, splice_rc
    assert "build_promoter_dataset" not in jobs
    # a --config value of the wrong type names the key and where it came from
    result = _snakemake(repo, "-n", "--directory", str(tmp_path), "--config", "tokenize={k: [9]}")
    assert result.returncode != 0
    assert re.search(r"config\.yaml with --config tokenize: invalid value for 'tokenize\.k",
                     result.stdout + result.stderr)  # fmt: skip


def test_paper_hg19_config_dry_runs_as_shipped(repo, tmp_path):
    """The 690 uniform TFBS sets: genome, blacklist and UCSC's two lists are fetched first."""
    result = _snakemake(
        repo, "-n", "--quiet", "rules", "--configfile", str(repo / "config/paper_hg19.yaml"),
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = _job_counts(result.stdout + result.stderr)
    assert jobs["download_resource"] == 2 and jobs["download_tf_index"] == 2
    assert jobs["select_tf_experiments"] == 1 and jobs["pretrain_mlm"] == 4


def test_mouse_config_dry_runs_as_shipped(repo, tmp_path):
    """config/mouse.yaml (mm10): the whole DAG as for hg38, every input's assembly GRCm38/mm10;
    with finetune.init_from naming another run's models ({k} per k) no pretraining runs and
    fine-tuning starts from those models (the paper's human model on mouse data)."""
    mouse = str(repo / "config/mouse.yaml")
    cfg = load_config(mouse)
    assert check_assemblies(cfg) == "GRCm38"
    pattern = re.compile(cfg["genome"]["canonical_pattern"])
    mm10 = [f"chr{i}" for i in range(1, 20)] + ["chrX", "chrY"]
    others = ["chrM", "chr20", "chr1_GL456210_random", "chrUn_GL456239", "1"]
    assert [c for c in mm10 + others if pattern.search(c)] == mm10
    result = _snakemake(
        repo, "-n", "--quiet", "rules", "--configfile", mouse, "--directory", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = _job_counts(result.stdout + result.stderr)
    # genome, GTF, EPD BED, EPD motifs, blacklist; the portal's metadata.tsv; k = 3..6
    assert jobs["download_resource"] == 5 and jobs["download_tf_index"] == 1
    assert jobs["select_tf_experiments"] == 1 and jobs["build_promoter_dataset"] == 6
    assert jobs["pretrain_mlm"] == 4 and jobs["finetune_dnabert"] == 9 * 4
    human = tmp_path / "hg38/results/models"
    (human / "dnabert6").mkdir(parents=True)
    (human / "dnabert6/config.json").write_text("{}")
    result = _snakemake(
        repo, "-n", "--configfile", mouse, "--directory", str(tmp_path / "mm10"),
        "--config", f'finetune={{init_from: "{human}/dnabert{{k}}"}}', "tokenize={k: [6]}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    jobs = _job_counts(text)
    assert "pretrain_mlm" not in jobs and "build_pretrain_corpus" not in jobs
    assert jobs["finetune_dnabert"] == 9
    assert re.search(rf"input: results/datasets/splice/train\.tsv.*, {human}/dnabert6\n", text)


def test_invalid_config_stops_before_any_job(repo, tmp_path):
    cfg = yaml.safe_load((repo / "config/demo.yaml").read_text())
    cfg["tokenize"]["k"] = [9]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    result = _snakemake(repo, "-n", "--configfile", str(bad), "--directory", str(tmp_path))
    assert result.returncode != 0
    assert "tokenize.k[0]" in result.stdout + result.stderr
    assert not (tmp_path / "resources").exists()
    # a key given twice: Snakemake's reader keeps the last; the workflow stops and names both lines
    text = (repo / "config/demo.yaml").read_text() + "\ntokenize:\n  k: [5]\n"
    bad.write_text(text)
    result = _snakemake(repo, "-n", "--configfile", str(bad), "--directory", str(tmp_path))
    assert result.returncode != 0
    line = text.count("\n") - 1  # the second "tokenize:" line
    first = text.splitlines().index("tokenize:") + 1
    assert f"bad.yaml:{line}: not valid YAML: key 'tokenize' repeated (first on line {first})" in (
        result.stdout + result.stderr
    )
    assert not (tmp_path / "resources").exists()


@pytest.mark.slow
@pytest.mark.demo  # not in `make test` (~22 min on 2 cores): `make test-demo`
def test_demo_runs_end_to_end(repo, tmp_path):
    """The real demo: generated data -> verified downloads -> datasets -> corpus -> pretraining,
    and what its models learn from the planted signals (the wiring alone, on a tiny config:
    tests/test_e2e_tiny.py)."""
    result = _snakemake(
        repo, "--cores", "2", "--configfile", str(repo / "config/demo.yaml"),
        "--directory", str(tmp_path), timeout=2700,  # a hang guard: ~20 min on 2 idle cores
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-5000:]
    assert (tmp_path / "resources/genome/demo.fa.fai").is_file()
    sizes = (tmp_path / "resources/genome/demo.chrom.sizes").read_text().split()
    assert "chrUn_demo1" in sizes
    canonical = (tmp_path / "resources/genome/demo.canonical.txt").read_text().split()
    n_chrom = yaml.safe_load((repo / "config/demo.yaml").read_text())["demo"]["n_chromosomes"]
    assert canonical == [f"chr{i}" for i in range(1, n_chrom + 1)]
    tasks = yaml.safe_load((repo / "config/demo.yaml").read_text())["datasets"]["tasks"]
    built = {p.parent.name for p in (tmp_path / "results/datasets").glob("*/summary.json")}
    assert {t for t in tasks if t != "tf"} <= built
    assert {"tf_DEMOTF01", "tf_DEMOTF02", "tf_DEMOTF03"} <= built
    for task in built:
        summary = json.loads((tmp_path / "results/datasets" / task / "summary.json").read_text())
        assert summary["shared_between_splits"] == 0, task
        assert summary["provenance"]["code_version"]
    model = tmp_path / "results/models/dnabert6"
    assert (model / "model.safetensors").is_file() and (model / "vocab.txt").is_file()
    metrics = json.loads((model / "metrics.json").read_text())
    # held-out MLM accuracy clearly above chance (1/4^6) after a few hundred CPU steps
    assert metrics["val_mlm_acc"] > 20 * metrics["chance_acc"], metrics
    _check_demo_results(tmp_path, yaml.safe_load((repo / "config/demo.yaml").read_text()))
    # a second invocation finds nothing to do (no spurious params/code changes)
    again = _snakemake(
        repo, "-n", "--configfile", str(repo / "config/demo.yaml"), "--directory", str(tmp_path)
    )
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, (
        again.stdout[-3000:]
    )


def _matches(consensus: str, motif: str, min_overlap: int) -> bool:
    """``consensus`` (or its reverse complement) agrees with ``motif`` on at least
    ``min_overlap`` consecutive aligned bases, IUPAC W/R in ``motif`` matching their bases."""
    iupac = {"W": "AT", "R": "AG", "Y": "CT", "N": "ACGT"}
    rc = consensus.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    for c in (consensus, rc):
        for shift in range(-len(c) + 1, len(motif)):
            run = best = 0
            for i, base in enumerate(c):
                j = i + shift
                ok = 0 <= j < len(motif) and base in iupac.get(motif[j], motif[j])
                run = run + 1 if ok else 0
                best = max(best, run)
            if best >= min_overlap:
                return True
    return False


def _check_demo_results(out: Path, cfg: dict) -> None:
    """Fine-tuning, baselines, the metrics table and DNABERT-viz on the demo's planted signals."""
    import pandas as pd

    table = pd.read_csv(out / "results/report/metrics.tsv", sep="\t")
    tasks = {t for t in cfg["datasets"]["tasks"] if t != "tf"} | {"splice_rc"}
    tasks |= {f"tf_DEMOTF0{i}" for i in (1, 2, 3)}

    def paper_baseline(task: str) -> str:  # its family's (pinned in test_tasks/test_baselines)
        return family_of(task).baselines[0]

    controls = ("dnabert_scratch",) if cfg["finetune"].get("scratch_control") else ()
    expected = {
        (task, model, seed)
        for task in tasks
        for model in ("dnabert", *controls, paper_baseline(task), "kmer_lr")
        for seed in cfg.get("seeds", [42])
    }
    got = set(zip(table["task"], table["model"], table["seed"], strict=True))
    assert got == expected, (sorted(expected - got), sorted(got - expected))
    assert controls, "the demo runs the from-scratch control beside every DNABERT run"
    assert (table.loc[table["model"].isin(["dnabert", *controls]), "k"] == 6).all()
    assert set(table.loc[table["model"] == "dnabert_scratch", "run"]) == {"dnabert6_scratch"}
    # each fine-tuning run trained with its own task's settings (finetune.task_overrides)
    for task in tasks:
        record = json.loads(
            (out / f"results/finetune/{task}/dnabert6/seed42/metrics.json").read_text()
        )
        want = task_settings(cfg["finetune"], task)["max_steps"]
        assert record["max_steps"] == record["config"]["finetune"]["max_steps"] == want, task
    # every model clearly beats chance on the planted signals (the README's table); the
    # from-scratch control is the reference without pretraining, weakest where pretraining
    # helps most (promcore_notata, seed 42: MCC 0.18), so it need only be above chance
    presented = table[table["model"] != "dnabert_scratch"]
    weak = presented[(presented["mcc"] < 0.2) | (presented["auroc"] < 0.65)]
    assert weak.empty, weak[["task", "model", "mcc", "auroc", "n_test"]].to_string()
    control = table[table["model"] == "dnabert_scratch"]
    weak = control[(control["mcc"] < 0.1) | (control["auroc"] < 0.6)]
    assert weak.empty, weak[["task", "model", "mcc", "auroc", "n_test"]].to_string()
    # motifs from the trained models' attention recover the planted ones
    truth = json.loads((out / "resources/demo_source/truth.json").read_text())
    viz = out / "results/viz"
    tata = pd.read_csv(viz / "promcore_tata/dnabert6/seed42/motifs.tsv", sep="\t")
    assert any(_matches(c, "TATAWAWR", 5) for c in tata["consensus"]), tata
    # all three TF motifs, from the head's row of attention (the demo's mean head: the mean of
    # the k-mer rows; with the [CLS] head the model pretrained past the MLM plateau lost
    # DEMOTF03's CACGTGAC, docs/pretraining.md, points 8 and 10)
    recovered = {}
    for exp in truth["tf_experiments"]:
        found = pd.read_csv(viz / f"tf_{exp['accession']}/dnabert6/seed42/motifs.tsv", sep="\t")
        need = min(6, len(exp["motif"]))
        recovered[exp["accession"]] = any(
            _matches(c, exp["motif"], need) for c in found["consensus"]
        )
    assert all(recovered.values()), recovered
    # pretraining pays off: DNABERT ahead of its from-scratch control on average over the tasks
    # (the control's rows: same architecture, splits, loop and budget from random weights)
    mcc = table.pivot_table(index="task", columns="model", values="mcc")
    gain = mcc["dnabert"] - mcc["dnabert_scratch"]
    assert gain.mean() > 0.02, gain.round(3).to_dict()
    _check_demo_variants(out, truth)


def _check_demo_variants(out: Path, truth: dict) -> None:
    """The planted variants, scored by DNABERT's model of their TF: motif-breaking SNVs change
    its log-odds more than neutral SNVs far from any motif (medians and a one-sided
    Mann-Whitney test); the reader test cases are skipped and counted."""
    import pandas as pd
    from scipy.stats import mannwhitneyu

    run = out / f"results/variants/tf_{truth['variants']['tf_experiment']}/dnabert6/seed42"
    scored = pd.read_csv(run / "variants.tsv", sep="\t", keep_default_na=False)
    summary = json.loads((run / "summary.json").read_text())
    assert {r: n for r, n in summary["skipped_by_reason"].items() if n} == {
        "symbolic": 1, "too_long": 1, "ref_mismatch": 1, "unknown_chromosome": 1,
    }  # fmt: skip
    assert summary["chromosome_map"] == {str(i): f"chr{i}" for i in range(1, 7)}
    assert summary["window"] == 101 and summary["n_alleles"] == truth["variants"]["n_alleles"]
    effect = scored["delta_log_odds"].abs()
    breaking = effect[scored["PLANTED"] == "motif_breaking"]
    neutral = effect[scored["PLANTED"] == "neutral"]
    assert len(breaking) == truth["variants"]["n_motif_breaking"]
    assert len(neutral) == truth["variants"]["n_neutral"]
    assert breaking.median() > neutral.median(), (breaking.describe(), neutral.describe())
    assert mannwhitneyu(breaking, neutral, alternative="greater").pvalue < 0.01
    ranks = scored.groupby("PLANTED")["rank"].median()
    assert ranks["motif_breaking"] < ranks["neutral"]
    assert (run / "variant_effects.png").is_file()
    assert (
        str(run / "summary.json").split("results/")[-1]
        in (out / "results/report/provenance.html").read_text()
    )


def test_motif_match_helper():
    assert _matches("TATAAA", "TATAWAWR", 5) and _matches("GCCCCCTGGTGG", "CCACCAGGGGGCGCT", 6)
    assert _matches("CACGTG", "CACGTGAC", 6) and not _matches("CACGAG", "CACGTGAC", 6)
    assert not _matches("GGGGCC", "TATAWAWR", 5)


def test_dry_run_with_690_tf_experiments_is_fast(repo, tmp_path, real_data):
    """The paper's 690 uniform TFBS sets: the full DAG lists a download and a build per set."""
    from dnabert.datasets.encode import (
        read_ucsc_uniform,
        write_experiment_table,
        write_skipped_table,
    )

    cfg = {
        "genome": {"name": "hg19", "fasta": {"url": "https://example.org/hg19.fa.gz"}},
        "blacklist": {"url": "https://example.org/hg19-blacklist.bed.gz"},
        "tf": {"source": "ucsc_uniform"},
        "datasets": {"tasks": ["tf"]},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    for name in ("ucsc_files.txt", "ucsc_md5sum.txt"):
        (tmp_path / "resources/peaks").mkdir(parents=True, exist_ok=True)
        (tmp_path / "resources/peaks" / name).write_bytes(
            (real_data / "encode_tfbs.txt").read_bytes()
        )
    table = tmp_path / "results/datasets/tf_experiments.tsv"
    table.parent.mkdir(parents=True)
    write_experiment_table(read_ucsc_uniform(real_data / "encode_tfbs.txt"), table)
    write_skipped_table([], table.with_name("tf_experiments.skipped.tsv"))  # the 2nd output
    table.with_name("tf_experiments.json").write_text("{}")  # the 3rd
    result = _snakemake(
        repo, "-n", "--quiet", "rules", "--configfile", str(tmp_path / "config.yaml"),
        "--directory", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    text = result.stdout + result.stderr
    assert re.search(r"build_tf_dataset\s+690\b", text), text[-2000:]
    assert re.search(r"download_peaks\s+690\b", text), text[-2000:]

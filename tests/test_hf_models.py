"""Other DNA language models (finetune.models): tiny local stand-ins for a Nucleotide Transformer
(ESM, non-overlapping 6-mers) and a DNABERT-2-like BERT (BPE) fine-tuned through the real code,
errors that name the directory, train_seconds over resumed parts, quiet third-party output."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal

import numpy as np
import pandas as pd
import pytest
import torch
from toy_models import write_task_dir

from dnabert.finetune import finetune_hf_model, predict
from dnabert.hfmodels import (
    HFModelSpec,
    check_model_dir,
    load_hf_classifier,
    load_tokenizer,
    max_length_for,
    quiet_third_party,
    tokenize_with,
    tokenizer_specials,
)

NT_SPECIALS = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
NT_KMERS = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
NT_VOCAB = NT_SPECIALS + NT_KMERS + list("ATCGN")  # 6 + 4096 + 5 = 4107, as the NT's
LENGTH = 60  # bp per synthetic sequence: 10 NT 6-mers, 58 DNABERT 3-mers

FAST = {
    "lr": 2e-3,
    "max_steps": 12,
    "batch_size": 16,
    "dropout": 0.0,
    "warmup_ratio": 0.1,
    "patience": 0,
    "ckpt_every": 0,
    "eval_every": 6,
}


def make_nt(path, max_positions=66):
    """A tiny EsmForMaskedLM + EsmTokenizer over the NT's vocabulary (hidden 32, 2 layers)."""
    from transformers import EsmConfig, EsmForMaskedLM, EsmTokenizer

    path.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(NT_VOCAB) + "\n")
    tok = EsmTokenizer(str(path / "vocab.txt"), model_max_length=1000)
    torch.manual_seed(0)
    config = EsmConfig(
        vocab_size=len(NT_VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_positions,
        pad_token_id=1,
        mask_token_id=2,
        position_embedding_type="absolute",
        token_dropout=False,
        emb_layer_norm_before=False,
    )
    EsmForMaskedLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


BPE_SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]


def make_bpe_bert(path, train_seqs):
    """A tiny BertForMaskedLM with a BPE tokenizer trained on ``train_seqs`` (as DNABERT-2's),
    wrapped as PreTrainedTokenizerFast with a [CLS] $A [SEP] template."""
    from tokenizers import Tokenizer, models, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="[UNK]"))
    trainer = trainers.BpeTrainer(
        vocab_size=80, special_tokens=BPE_SPECIALS, initial_alphabet=list("ACGTN")
    )
    bpe.train_from_iterator(train_seqs, trainer)
    cls_id, sep_id = bpe.token_to_id("[CLS]"), bpe.token_to_id("[SEP]")
    bpe.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        pad_token_id=tok.pad_token_id,
    )
    BertForMaskedLM(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return write_task_dir(
        tmp_path_factory.mktemp("hf") / "task", n_train=96, n_eval=48, length=LENGTH
    )


@pytest.fixture(scope="module")
def nt_run(tmp_path_factory, task):
    root = tmp_path_factory.mktemp("nt")
    model_dir = make_nt(root / "nt_tiny")
    out = root / "results" / "finetune" / "toy" / "nt_tiny" / "seed0"
    torch.set_num_threads(1)
    spec = HFModelSpec(name="nt_tiny", path=str(model_dir))
    record = finetune_hf_model(task, spec, out, task="toy", seed=0, ft_cfg=FAST, device="cpu")
    return record, out, model_dir


def test_nt_tokenizer_gives_non_overlapping_6mers():
    """The NT's own tokenization, written out: 12 bp are 2 6-mers between <cls> and <eos>."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        tok = load_tokenizer(make_nt(Path(tmp) / "nt"))
    ids = tok("ACGTACGTACGT")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["<cls>", "ACGTAC", "GTACGT", "<eos>"]
    # ids: 6 specials, then 6-mers in product("ATCG") order (A=0, T=1, C=2, G=3)
    assert ids == [3, 6 + 722, 6 + 3373, 4]
    # a trailing partial 6-mer becomes single nucleotides, as in the NT
    assert tok.convert_ids_to_tokens(tok("ACGTACGTACGTAC", add_special_tokens=False)["input_ids"]) == [
        "ACGTAC", "GTACGT", "A", "C",
    ]  # fmt: skip
    specials = tokenizer_specials(tok)
    assert (specials.prefix, specials.suffix, specials.pad_id) == ((3,), (4,), 1)
    pieces = specials.pieces(np.arange(7) + 6, max_length=5)  # 3 tokens per piece
    assert [p.tolist() for p in pieces] == [[3, 6, 7, 8, 4], [3, 9, 10, 11, 4], [3, 12, 4]]


def test_nt_finetunes_through_the_real_code_path(nt_run, task):
    record, out, model_dir = nt_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["task"], metrics["model"], metrics["k"], metrics["seed"]) == (
        "toy", "nt_tiny", None, 0,
    )  # fmt: skip
    assert metrics["details"]["tokenizer"] == "EsmTokenizer"
    # its own tokenizer: 60 bp = 10 non-overlapping 6-mers (DNABERT-3 would use 58 k-mers)
    assert metrics["details"]["tokens_per_sequence"] == LENGTH / 6
    assert (
        metrics["details"]["max_length"] == 64
    )  # 66 positions less the padding offset (pad id 1 + 1)
    assert metrics["details"]["pretrained"] == str(model_dir)
    assert metrics["steps"] == FAST["max_steps"] and metrics["best_step"] in (6, 12)
    for key in ("accuracy", "mcc", "auroc", "auprc", "code_version", "config"):
        assert key in metrics
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    assert len(preds) == metrics["n_test"] == 48
    np.testing.assert_allclose(preds["prob_0"] + preds["prob_1"], 1.0, atol=1e-5)
    assert not out.with_name(out.name + ".work").exists()
    # the saved run reloads as an ESM classifier with the NT tokenizer and predicts the same
    model = load_hf_classifier(out / "model", 2, 0.0)
    assert type(model).__name__ == "EsmForSequenceClassification"
    tok = load_tokenizer(out / "model")
    test = pd.read_csv(task / "test.tsv", sep="\t")
    ids = tokenize_with(tok)(test["sequence"][:8].tolist(), ["r"] * 8)
    assert {x.size for x in ids} == {10}
    probs = predict(model, ids, max_length=64, specials=tokenizer_specials(tok))
    np.testing.assert_allclose(probs[:, 1], preds["prob_1"][:8], atol=1e-4)


def test_bpe_bert_finetunes_with_its_own_tokenizer(tmp_path, task):
    train = pd.read_csv(task / "train.tsv", sep="\t")
    model_dir = make_bpe_bert(tmp_path / "bpe_bert", train["sequence"].tolist())
    tok = load_tokenizer(model_dir)
    specials = tokenizer_specials(tok)
    assert specials.prefix == (tok.cls_token_id,) and specials.suffix == (tok.sep_token_id,)
    assert specials.pad_id == tok.pad_token_id
    counts = [len(tok(s, add_special_tokens=False)["input_ids"]) for s in train["sequence"]]
    assert max(counts) < LENGTH - 2  # BPE merges: fewer tokens than 3-mers (58)
    out = tmp_path / "run"
    spec = HFModelSpec(name="BPE-BERT", path=str(model_dir))
    torch.set_num_threads(1)
    record = finetune_hf_model(task, spec, out, task="toy", seed=1, ft_cfg=FAST, device="cpu")
    assert (record["model"], record["k"], record["seed"]) == ("BPE-BERT", None, 1)
    assert (
        record["details"]["tokenizer"] == type(tok).__name__
    )  # TokenizersBackend in transformers 5
    assert record["details"]["tokens_per_sequence"] == pytest.approx(np.mean(counts), abs=1e-3)
    assert record["details"]["max_length"] == 128
    assert len(pd.read_csv(out / "predictions.tsv", sep="\t")) == 48
    assert (out / "model" / "tokenizer.json").exists()


def test_errors_name_the_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'none'}: model directory not found"):
        check_model_dir(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'empty'}: no config.json"):
        check_model_dir(tmp_path / "empty")
    nt = make_nt(tmp_path / "nt")
    for name in ("vocab.txt", "tokenizer_config.json"):
        (nt / name).unlink()
    with pytest.raises(FileNotFoundError, match=f"{nt}: no tokenizer"):
        load_tokenizer(nt)
    # an architecture without a sequence-classification head
    nt2 = make_nt(tmp_path / "nt2")
    config = json.loads((nt2 / "config.json").read_text())
    (nt2 / "config.json").write_text(json.dumps({**config, "model_type": "vit"}))
    with pytest.raises(ValueError, match=f"{nt2}: model type 'vit'.*no sequence-classification"):
        load_hf_classifier(nt2, 2, 0.1)
    # a directory shipping its own code (as DNABERT-2 does) needs trust_remote_code
    auto_map = {"AutoModelForSequenceClassification": "bert_layers.BertForSequenceClassification"}
    (nt2 / "config.json").write_text(json.dumps({**config, "auto_map": auto_map}))
    with pytest.raises(ValueError, match=f"{nt2}: the directory ships its own model code"):
        load_hf_classifier(nt2, 2, 0.1)


def test_model_files_are_the_directorys_plain_files(tmp_path):
    from dnabert.hfmodels import model_files

    d = tmp_path / "m"
    (d / "sub").mkdir(parents=True)
    for name in ("vocab.txt", "config.json", ".hidden", "model.safetensors"):
        (d / name).write_text("x")
    assert model_files(d) == [str(d / n) for n in ("config.json", "model.safetensors", "vocab.txt")]
    (d / "vocab.txt").unlink()
    with pytest.raises(FileNotFoundError, match=f"{d}: no tokenizer"):
        model_files(d)


def test_max_length_is_the_models_limit_or_the_users():
    from transformers import BertConfig, EsmConfig

    class Tok:
        model_max_length = int(1e30)  # transformers' "unset"

    esm = EsmConfig(vocab_size=10, max_position_embeddings=1002, pad_token_id=1)
    assert max_length_for(esm, Tok(), None) == 1000  # NT v1: 1000 tokens
    assert max_length_for(esm, Tok(), 200) == 200
    assert max_length_for(esm, Tok(), 5000) == 1000
    assert max_length_for(BertConfig(max_position_embeddings=512), Tok(), None) == 512


def test_train_seconds_sum_over_resumed_parts(tmp_path, task, monkeypatch):
    """Interrupted after 4 steps (SIGTERM, as SLURM sends), then resumed: train_seconds counts
    the first part's seconds (stored in the checkpoint) as well."""
    import time

    import dnabert.train as train_mod

    model_dir = make_nt(tmp_path / "nt")
    out = tmp_path / "run"
    cfg = {**FAST, "ckpt_every": 2}
    spec = HFModelSpec(name="nt_tiny", path=str(model_dir))
    calls = {"n": 0}
    real_loss = train_mod.default_loss

    def slow_loss(model, batch):
        calls["n"] += 1
        time.sleep(0.25)  # the first part takes >= 1 s
        if calls["n"] == 4:
            os.kill(os.getpid(), signal.SIGTERM)
        return real_loss(model, batch)

    monkeypatch.setattr(train_mod, "default_loss", slow_loss)
    with pytest.raises(train_mod.Preempted) as err:
        finetune_hf_model(task, spec, out, task="toy", seed=0, ft_cfg=cfg, device="cpu")
    assert err.value.step == 4
    first = torch.load(err.value.checkpoint, weights_only=False)["seconds"]
    assert first >= 1.0
    monkeypatch.setattr(train_mod, "default_loss", real_loss)
    t0 = time.perf_counter()
    record = finetune_hf_model(task, spec, out, task="toy", seed=0, ft_cfg=cfg, device="cpu")
    second = time.perf_counter() - t0
    assert record["steps"] == FAST["max_steps"]
    assert record["resumed_train_seconds"] == pytest.approx(first, abs=1e-3)
    assert record["train_seconds"] >= first
    assert record["train_seconds"] > first + 0.5 * (second - record["inference_seconds"]) - 0.5


def test_quiet_third_party_keeps_our_log_lines(tmp_path, capfd, caplog):
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    nt = make_nt(tmp_path / "nt")
    hf_logging.enable_progress_bar()
    try:
        capfd.readouterr()
        AutoModelForSequenceClassification.from_pretrained(nt, num_labels=2)
        assert "Loading weights" in capfd.readouterr().err  # the bar that quieting removes
        quiet_third_party()
        AutoModelForSequenceClassification.from_pretrained(nt, num_labels=2)
        err = capfd.readouterr().err
        assert "Loading weights" not in err and "it/s" not in err
    finally:
        hf_logging.enable_progress_bar()
    with caplog.at_level(logging.INFO, logger="dnabert"):
        logging.getLogger("dnabert.finetune").info("toy nt_tiny seed 0: test accuracy")
    assert "test accuracy" in caplog.text


def _workflow(repo, tmp_path):
    """A config with a custom task, a tiny DNABERT-3 (finetune.init_from) and a tiny NT named
    NT-tiny in finetune.models; returns (model_dir, snakemake(*args) -> output)."""
    import subprocess

    import yaml
    from test_custom_tasks import SNAKEMAKE, _gue_files
    from toy_models import make_pretrained

    model_dir = make_nt(tmp_path / "models" / "nt_tiny")
    config = {
        "genome": {"name": "none", "fasta": {"url": "https://example.org/unused.fa.gz"}},
        "datasets": {"tasks": []},
        "tokenize": {"k": [3], "max_length": 64},
        "seeds": [1],
        "custom_tasks": {
            "motif": {**_gue_files(tmp_path / "gue", n=(64, 24, 24)), "format": "gue"}
        },
        "baselines": {"enabled": []},
        "finetune": {
            "init_from": str(make_pretrained(tmp_path / "my_dnabert3", k=3)),
            "models": {"NT-tiny": {"path": str(model_dir), "max_length": 32}},
            **FAST,
        },
    }
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(config))
    pythonpath = os.pathsep.join(filter(None, [str(repo / "src"), os.environ.get("PYTHONPATH")]))

    def snakemake(*args, ok=True):
        result = subprocess.run(
            [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1",
             "--configfile", str(cfg_path), "--directory", str(tmp_path / "work"), *args],
            cwd=repo, capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONPATH": pythonpath, "OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        assert (result.returncode == 0) == ok, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout + result.stderr

    return model_dir, snakemake


RUN = "results/finetune/motif/NT-tiny/seed1"


def test_dag_has_the_models_runs_with_its_files_as_inputs(repo, tmp_path):
    model_dir, snakemake = _workflow(repo, tmp_path)
    plan = snakemake("-n")
    assert "finetune_hf_model" in plan and "finetune_dnabert" in plan
    job = plan[plan.index("rule finetune_hf_model:") :].split("\n\n")[0]
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"):
        assert f"{model_dir}/{name}" in job, job
    assert f"{RUN}/metrics.json" in job
    collect = plan[plan.index("rule collect_metrics:") :].split("\n\n")[0]
    assert f"{RUN}/metrics.json" in collect


@pytest.mark.slow  # ~1.5 min on 2 busy cores: Snakemake twice, three jobs
def test_snakemake_runs_a_configured_model_under_its_name(repo, tmp_path):
    """One run for real through the rule, beside a DNABERT run, with quiet third-party output;
    an edited model file reruns it."""
    model_dir, snakemake = _workflow(repo, tmp_path)
    work = tmp_path / "work"
    dnabert_run = "results/finetune/motif/dnabert3/seed1/metrics.json"
    output = snakemake(f"{RUN}/metrics.json", dnabert_run)
    # no third-party bars in either job's output (transformers prints "Loading weights" bars
    # and load reports by default; the workflow turns them off for every job)
    assert "Loading weights" not in output and "LOAD REPORT" not in output, output[-3000:]
    assert "it/s]" not in output
    metrics = json.loads((work / RUN / "metrics.json").read_text())
    assert (metrics["task"], metrics["model"], metrics["k"]) == ("motif", "NT-tiny", None)
    assert (
        metrics["details"]["max_length"] == 32 and metrics["details"]["tokenizer"] == "EsmTokenizer"
    )
    assert len(pd.read_csv(work / RUN / "predictions.tsv", sep="\t")) == 24
    log = (work / "logs/finetune/motif/NT-tiny/seed1.log").read_text()
    assert "test accuracy" in log  # our own lines stay in the rule log
    # new content and a later mtime (Snakemake skips a newer file with an unchanged checksum)
    config = model_dir / "config.json"
    config.write_text(config.read_text() + "\n")
    later = os.stat(work / RUN / "metrics.json").st_mtime + 3600
    os.utime(config, (later, later))
    assert "finetune_hf_model" in snakemake("-n", f"{RUN}/metrics.json")
    # a directory without config.json stops the workflow before any job, naming it
    config.unlink()
    out = snakemake("-n", ok=False)
    assert f"finetune.models.NT-tiny: {model_dir}: no config.json" in out, out[-3000:]


def test_tables_and_figures_name_the_model_as_configured(tmp_path):
    """A model named DNABERT-2 is its own row, label and bar; not mistaken for DNABERT-k."""
    from dnabert import figures
    from dnabert.metrics_table import collect_metrics

    results = tmp_path / "results"
    runs = {
        ("finetune", "dnabert6", "dnabert", 6): 0.9,
        ("finetune", "DNABERT-2", "DNABERT-2", None): 0.8,
        ("baselines", "deepromoter", "deepromoter", None): 0.7,
    }
    paths = []
    for task in ("prom300_tata", "tf_A", "tf_B"):
        for (kind, run, model, k), acc in runs.items():
            d = results / kind / task / run / "seed0"
            d.mkdir(parents=True)
            metrics = {"task": task, "model": model, "k": k, "seed": 0, "accuracy": acc,
                       "f1": acc, "mcc": acc - 0.1 + 0.01 * len(task)}  # fmt: skip
            (d / "metrics.json").write_text(json.dumps(metrics))
            paths.append(d / "metrics.json")
    table = collect_metrics(paths)
    assert sorted(set(table["run"])) == ["DNABERT-2", "deepromoter", "dnabert6"]
    table.to_csv(tmp_path / "metrics.tsv", sep="\t", index=False)
    df = figures.read_metrics(tmp_path / "metrics.tsv")
    assert sorted(set(df["label"])) == ["DNABERT-2", "DNABERT-6", "DeePromoter"]
    assert figures.other_language_models(df, results) == ["DNABERT-2"]
    row = next(df[df["model"] == "DNABERT-2"].itertuples())
    assert figures.run_dir(results, row) == results / "finetune" / row.task / "DNABERT-2" / "seed0"
    tests = figures.tf_tests(df[df["task"].str.startswith("tf_")])
    assert set(tests["dnabert"]) == {"dnabert6"}  # the other language model is not "DNABERT"
    assert set(tests["baseline"]) == {"DNABERT-2", "deepromoter"}  # both compared with it


def test_cli_finetunes_a_model_directory(tmp_path, task):
    from dnabert.cli import main

    model_dir = make_nt(tmp_path / "nt_tiny")
    out = tmp_path / "run"
    args = ["finetune", "--task-dir", str(task), "--hf-model", str(model_dir), "--seed", "3",
            "--out-dir", str(out), "--max-steps", "3", "--max-length", "16", "--device", "cpu"]  # fmt: skip
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["model"], metrics["task"], metrics["seed"]) == ("nt_tiny", "task", 3)
    assert (metrics["steps"], metrics["details"]["max_length"]) == (3, 16)
    # DNABERT still needs its k; a missing directory is one clear error line
    assert main(["finetune", "--task-dir", str(task), "--pretrained", str(model_dir),
                 "--out-dir", str(tmp_path / "x")]) == 1  # fmt: skip
    assert main(["finetune", "--task-dir", str(task), "--hf-model", str(tmp_path / "none"),
                 "--out-dir", str(tmp_path / "y")]) == 1  # fmt: skip


TOY_CODE = '''"""Stands in for the model code DNABERT-2 ships (bert_layers.py)."""

from transformers import BertForSequenceClassification


class ToyBertForSequenceClassification(BertForSequenceClassification):
    pass
'''


def test_trust_remote_code_runs_the_directorys_own_model(tmp_path, task, monkeypatch):
    """A DNABERT-2-like directory: model_type bert, its own classifier class in shipped code."""
    import sys

    import transformers.dynamic_module_utils as dyn

    monkeypatch.setattr(dyn, "HF_MODULES_CACHE", str(tmp_path / "hf_modules"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    train = pd.read_csv(task / "train.tsv", sep="\t")
    model_dir = make_bpe_bert(tmp_path / "dnabert2_like", train["sequence"].tolist())
    (model_dir / "modeling_toy.py").write_text(TOY_CODE)
    config = json.loads((model_dir / "config.json").read_text())
    config["auto_map"] = {
        "AutoModelForSequenceClassification": "modeling_toy.ToyBertForSequenceClassification"
    }
    (model_dir / "config.json").write_text(json.dumps(config))
    spec = HFModelSpec(name="DNABERT-2-like", path=str(model_dir))
    with pytest.raises(ValueError, match="set trust_remote_code: true"):
        finetune_hf_model(task, spec, tmp_path / "no", task="toy", seed=0, ft_cfg=FAST)
    assert not (tmp_path / "no").exists()
    spec = HFModelSpec(name="DNABERT-2-like", path=str(model_dir), trust_remote_code=True)
    out = tmp_path / "run"
    cfg = {**FAST, "max_steps": 3}
    record = finetune_hf_model(task, spec, out, task="toy", seed=0, ft_cfg=cfg, device="cpu")
    assert record["architecture"] == "ToyBertForSequenceClassification"
    assert record["config"]["model"] == "DNABERT-2-like"
    # the fine-tuned model keeps its code beside it, so it reloads the same way
    assert (out / "model" / "modeling_toy.py").exists()
    assert load_hf_classifier(out / "model", 2, 0.0, trust_remote_code=True).__class__.__name__ == (
        "ToyBertForSequenceClassification"
    )


def test_the_workflows_job_environment_silences_third_party_bars(repo, tmp_path):
    """The variables common.smk sets for every job (dnabert.workflow_setup) turn transformers'
    bars and load reports off in a fresh process (without them both appear: the test can fail)."""
    import subprocess
    import sys

    from dnabert.workflow_setup import export_job_environment

    settings = {}
    export_job_environment("src", settings)
    settings.pop("PYTHONPATH")
    assert settings == {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "warning"}
    nt = make_nt(tmp_path / "nt")
    code = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from transformers import AutoModelForSequenceClassification as M\n"
        f"M.from_pretrained({str(nt)!r}, num_labels=2)\n"
        "logging.getLogger('dnabert.finetune').info('our own line')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in settings}
    outputs = []
    for extra in ({}, settings):
        result = subprocess.run(
            [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(result.stdout + result.stderr)
    assert "Loading weights" in outputs[0]
    assert "Loading weights" not in outputs[1] and "it/s" not in outputs[1]
    assert "our own line" in outputs[1]

"""finetune.pooling: DNABERT's head on [CLS] (the paper's) or on the mean of the k-mer tokens."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from toy_models import FAST, make_pretrained, write_task_dir

from dnabert.attention import attention_scores, batch_ids, head_scores
from dnabert.attention import load_classifier as load_finetuned_eager
from dnabert.config import ConfigError, schema_defaults, validate_config
from dnabert.finetune import finetune, load_classifier
from dnabert.pooling import DNABertForSequenceClassification, kmer_mask
from dnabert.tokenizer import CLS_ID, PAD_ID, SEP_ID


def _seqs(n, length, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def test_kmer_mask_keeps_only_kmer_tokens():
    ids = torch.tensor([[CLS_ID, 7, 8, SEP_ID, PAD_ID], [CLS_ID, SEP_ID, PAD_ID, PAD_ID, PAD_ID]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]])
    # a row without k-mers keeps its [CLS], so its mean is that token's state
    assert kmer_mask(ids, mask).tolist() == [[0, 1, 1, 0, 0], [1, 0, 0, 0, 0]]


def test_mean_head_reads_the_kmer_tokens_whatever_the_batch(tmp_path):
    torch.manual_seed(0)
    model = load_classifier(make_pretrained(tmp_path / "m"), 3, 2, 0.0, pooling="mean").eval()
    long, short = _seqs(2, 40)
    short = short[:25]
    ids, mask = batch_ids([long, short], 3)
    alone_ids, alone_mask = batch_ids([short], 3)
    with torch.no_grad():
        together = model(input_ids=ids, attention_mask=mask).logits[1]
        alone = model(input_ids=alone_ids, attention_mask=alone_mask).logits[0]
        hidden = model.bert(alone_ids, attention_mask=alone_mask).last_hidden_state[0]
        # by hand: the pooler and classifier on the mean of the 23 k-mer states (no [CLS]/[SEP])
        pooler = model.bert.pooler
        by_hand = model.classifier(pooler.activation(pooler.dense(hidden[1:-1].mean(0))))
        cls_head = model.classifier(pooler.activation(pooler.dense(hidden[0])))
    assert alone_ids.shape[1] == 25 - 3 + 1 + 2
    # padding in a batch with a longer sequence changes nothing
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(alone, by_hand, atol=1e-6, rtol=0)
    assert not torch.allclose(alone, cls_head, atol=1e-4)  # it is not the [CLS] head


def test_cls_head_is_berts_unchanged(tmp_path):
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    path = make_pretrained(tmp_path / "m")
    ours = load_classifier(path, 3, 2, 0.0).eval()
    theirs = BertForSequenceClassification.from_pretrained(path, num_labels=2).eval()
    theirs.load_state_dict(ours.state_dict())
    ids, mask = batch_ids(_seqs(3, 30), 3)
    with torch.no_grad():
        a = ours(input_ids=ids, attention_mask=mask).logits
        b = theirs(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def test_mean_head_loss_is_cross_entropy(tmp_path):
    torch.manual_seed(0)
    model = load_classifier(make_pretrained(tmp_path / "m"), 3, 2, 0.0, pooling="mean").eval()
    ids, mask = batch_ids(_seqs(4, 30), 3)
    labels = torch.tensor([0, 1, 1, 0])
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
    logp = torch.log_softmax(out.logits, dim=-1)
    assert out.loss.item() == pytest.approx(-logp[torch.arange(4), labels].mean().item(), abs=1e-6)


def test_head_row_of_attention():
    # one sequence [CLS] k1 k2 [SEP], one head; rows are queries, columns keys
    last = torch.tensor(
        [[[[0.1, 0.2, 0.3, 0.4], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5], [1.0, 0, 0, 0]]]]
    )
    rows = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    assert head_scores([last], "last").tolist() == [
        [pytest.approx(v) for v in (0.1, 0.2, 0.3, 0.4)]
    ]
    # the mean head's row: the mean of the k-mer rows
    got = head_scores([last], "last", rows)[0].tolist()
    assert got == [pytest.approx(v) for v in (0.0, 0.5, 0.25, 0.25)]


def test_finetuned_mean_model_reloads_with_its_head(tmp_path):
    torch.set_num_threads(1)
    pretrained = make_pretrained(tmp_path / "pretrained")
    task = write_task_dir(tmp_path / "task", n_train=256, n_eval=64)
    out = tmp_path / "run"
    record = finetune(
        task, pretrained, out, task="toy", k=3, seed=0, ft_cfg={**FAST, "pooling": "mean"},
        device="cpu",
    )  # fmt: skip
    assert record["mcc"] > 0.7, record  # the mean head learns the planted motif too
    saved = json.loads((out / "model/config.json").read_text())
    assert saved["dnabert_pooling"] == "mean"
    assert record["config"]["finetune"]["pooling"] == "mean"
    # DNABERT-viz, mutagenesis and variant scoring load it back with the head it was trained with
    model, k = load_finetuned_eager(out / "model")
    assert isinstance(model, DNABertForSequenceClassification) and model.pooling == "mean"
    test = pd.read_csv(task / "test.tsv", sep="\t")
    _, probs = attention_scores(model, k, list(test["sequence"][:8]), max_length=64)
    preds = pd.read_csv(out / "predictions.tsv", sep="\t")
    np.testing.assert_allclose(probs[:, 1], preds["prob_1"][:8], atol=1e-4)


def test_model_without_the_key_loads_as_cls(tmp_path):
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    path = tmp_path / "old"
    BertForSequenceClassification.from_pretrained(
        make_pretrained(tmp_path / "m"), num_labels=2
    ).save_pretrained(path)
    (path / "vocab.txt").write_text((tmp_path / "m/vocab.txt").read_text())
    assert "dnabert_pooling" not in json.loads((path / "config.json").read_text())
    model, _ = load_finetuned_eager(path)
    assert model.pooling == "cls"


def test_pooling_is_checked(repo):
    import yaml

    demo = yaml.safe_load((repo / "config/demo.yaml").read_text())
    with pytest.raises(ConfigError, match=r"finetune.pooling"):
        validate_config({**demo, "finetune": {"pooling": "max"}}, "bad.yaml")
    assert schema_defaults("finetune", "pooling") == "cls"  # the paper's head by default
    with pytest.raises(ValueError, match="pooling must be one of"):
        load_classifier("unused", 3, 2, 0.0, pooling="max")

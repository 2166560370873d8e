"""Tests of MLM pretraining (dnabert.pretrain) with stand-ins for the corpus, masking and
tokenizer modules, so that they test this module alone."""

from __future__ import annotations

import itertools
import json
import sys
import types

import numpy as np
import pytest
import torch

from dnabert.masking import LengthCurriculum
from dnabert.pretrain import build_mlm_model, mlm_loss, pretrain, vocab_size

K = 3
TINY = dict(
    hidden_size=32,
    num_layers=2,
    num_heads=2,
    intermediate_size=64,
    max_position_embeddings=64,
    dropout=0.0,
    init_from=None,
)
KMER_ID = {"".join(p): i + 5 for i, p in enumerate(itertools.product("ATCG", repeat=K))}


def repeat_corpus(n: int, seed: int) -> list[np.ndarray]:
    """Sequences that repeat one random k-mer id: a masked token is learnable from the visible
    ones (accuracy -> 1), while chance is 1/4**k."""
    rng = np.random.default_rng(seed)
    return [
        np.full(int(rng.integers(20, 40)), rng.integers(5, 69), dtype=np.uint16) for _ in range(n)
    ]


@pytest.fixture
def fake_data_modules(monkeypatch):
    """Stand-ins with the interfaces of dnabert.corpus / .masking / .tokenizer."""
    registry: dict[str, list[np.ndarray]] = {}

    class TokenCorpus:
        def __init__(self, prefix):
            self.seqs = registry[str(prefix)]
            self.k = K
            self.lengths = np.array([len(s) for s in self.seqs], dtype=np.int64)

        def __len__(self):
            return len(self.seqs)

        def __getitem__(self, i):
            return self.seqs[i]

    class KmerSpanMaskCollator:  # single-token masking is enough to test the wiring
        def __init__(
            self, k, *, mlm_probability=0.15, max_length=512, pad_to_multiple_of=8, seed=None
        ):
            self.p = mlm_probability
            self.gen = torch.Generator().manual_seed(seed or 0)

        def __call__(self, seqs):
            T = max(len(s) for s in seqs) + 2
            ids = torch.zeros(len(seqs), T, dtype=torch.long)
            for i, s in enumerate(seqs):
                ids[i, : len(s) + 2] = torch.tensor([2, *s.tolist(), 3])
            att = (ids != 0).long()
            mask = (torch.rand(ids.shape, generator=self.gen) < self.p) & (ids >= 5)
            labels = torch.where(mask, ids, -100)
            return {"input_ids": torch.where(mask, 4, ids), "attention_mask": att, "labels": labels}

        def state_dict(self):
            return {"gen": self.gen.get_state()}

        def load_state_dict(self, state):
            self.gen.set_state(state["gen"])

    class LengthBucketSampler:
        def __init__(self, lengths, batch_size, *, seed, shuffle=True, drop_last=False):
            self.n, self.batch_size, self.seed, self.epoch = len(lengths), batch_size, seed, 0

        def set_epoch(self, epoch):
            self.epoch = epoch

        def __iter__(self):
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
            for i in range(0, self.n, self.batch_size):
                yield order[i : i + self.batch_size].tolist()

    class DNATokenizer:
        def __init__(self, k):
            self.k = k

        def save_pretrained(self, path):
            tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *KMER_ID]
            (path / "vocab.txt").write_text("\n".join(tokens) + "\n")

    for name, attrs in {
        "dnabert.corpus": {"TokenCorpus": TokenCorpus},
        "dnabert.masking": {
            "KmerSpanMaskCollator": KmerSpanMaskCollator,
            "LengthBucketSampler": LengthBucketSampler,
            "LengthCurriculum": LengthCurriculum,  # the real one: a wrapper of the collator
        },
        "dnabert.tokenizer": {"DNATokenizer": DNATokenizer},
    }.items():
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**attrs))
    return registry


def test_build_mlm_model_uses_k_vocab_and_sdpa():
    model = build_mlm_model(K, TINY)
    assert model.config.vocab_size == vocab_size(K) == 69
    assert model.config._attn_implementation == "sdpa"
    assert model.config.pad_token_id == 0
    with pytest.raises(ValueError, match="num_heads"):
        build_mlm_model(K, {**TINY, "num_heads": 3})


def test_mlm_loss_counts_only_masked_positions():
    torch.manual_seed(0)
    model = build_mlm_model(K, TINY).eval()
    ids = torch.randint(5, 69, (2, 10))
    labels = torch.full_like(ids, -100)
    labels[0, 3], labels[1, 7] = ids[0, 3], ids[1, 7]
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}
    loss, metrics = mlm_loss(model, batch)
    logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    picked = torch.stack([logits[0, 3], logits[1, 7]])
    expected = torch.nn.functional.cross_entropy(picked, torch.stack([ids[0, 3], ids[1, 7]]))
    torch.testing.assert_close(loss, expected)
    hits = (picked.argmax(-1) == torch.stack([ids[0, 3], ids[1, 7]])).float().mean()
    torch.testing.assert_close(metrics["mlm_acc"], hits)


def test_pretrain_learns_and_writes_a_reloadable_model(tmp_path, fake_data_modules):
    from transformers import BertForMaskedLM

    fake_data_modules[str(tmp_path / "corpus" / "train")] = repeat_corpus(256, seed=0)
    fake_data_modules[str(tmp_path / "corpus" / "val")] = repeat_corpus(64, seed=1)
    out = tmp_path / "models" / "dnabert3"
    train_cfg = dict(
        max_steps=150,
        batch_size=16,
        grad_accum=1,
        lr=1e-2,
        warmup_steps=10,
        log_every=10,
        eval_every=50,
        eval_batches=4,
        ckpt_every=50,
        seed=1,
        precision="fp32",
        device="cpu",
    )
    metrics = pretrain(tmp_path / "corpus", out, K, TINY, train_cfg, config={"demo": True})

    # Well above chance (1/64) on held-out sequences.
    assert metrics["chance_acc"] == pytest.approx(1 / 64)
    assert metrics["val_mlm_acc"] > 10 * metrics["chance_acc"]
    # the reference predictors on the same masked positions are recorded beside it
    assert 0 <= metrics["frequency_acc"] <= metrics["copy_neighbours_acc"] <= 1
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["val_mlm_acc"] == pytest.approx(metrics["val_mlm_acc"])
    assert on_disk["config"]["config"] == {"demo": True} and "code_version" in on_disk
    for name in ("config.json", "model.safetensors", "vocab.txt", "train_log.csv", "eval_log.csv"):
        assert (out / name).exists(), name
    assert not (tmp_path / "models" / "dnabert3.work").exists()  # work dir removed on success
    # trained with the masked-only head, saved as the stock class users load
    assert json.loads((out / "config.json").read_text())["architectures"] == ["BertForMaskedLM"]

    # The saved directory reloads and gives the same logits; init_from continues from it.
    ids = torch.tensor([[2, *repeat_corpus(1, seed=5)[0].tolist(), 3]])
    reloaded = BertForMaskedLM.from_pretrained(out).eval()
    again = build_mlm_model(K, {**TINY, "init_from": str(out)}).eval()
    with torch.no_grad():
        ref = reloaded(input_ids=ids).logits
        torch.testing.assert_close(again(input_ids=ids).logits, ref, rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"vocab_size 69 does not match k=4"):
        build_mlm_model(4, {**TINY, "init_from": str(out)})


def test_failed_pretrain_leaves_no_model_dir(tmp_path, fake_data_modules):
    fake_data_modules[str(tmp_path / "c" / "train")] = repeat_corpus(32, seed=0)
    fake_data_modules[str(tmp_path / "c" / "val")] = repeat_corpus(8, seed=1)
    with pytest.raises(ValueError, match="expected k=4"):
        pretrain(tmp_path / "c", tmp_path / "m", 4, TINY, {"max_steps": 2, "device": "cpu"})
    assert not (tmp_path / "m").exists()


def test_length_curriculum_reaches_the_collator(tmp_path, fake_data_modules):
    """pretrain.train.length_curriculum: the first steps see pieces of `tokens` k-mers (two
    micro-batches per step here), then whole sequences."""
    fake_data_modules[str(tmp_path / "c" / "train")] = repeat_corpus(64, seed=0)  # 20-39 tokens
    fake_data_modules[str(tmp_path / "c" / "val")] = repeat_corpus(16, seed=1)
    widths = []
    collator_class = sys.modules["dnabert.masking"].KmerSpanMaskCollator
    call = collator_class.__call__

    def record(self, seqs):
        widths.append(max(len(x) for x in seqs))
        return call(self, seqs)

    collator_class.__call__ = record
    train_cfg = dict(max_steps=4, batch_size=8, grad_accum=2, eval_every=100, eval_batches=1,
                     ckpt_every=100, device="cpu", precision="fp32",
                     length_curriculum=[{"tokens": 5, "steps": 1}, {"tokens": 10, "steps": 1}])  # fmt: skip
    pretrain(tmp_path / "c", tmp_path / "m", K, TINY, train_cfg)
    # 8 training micro-batches (4 steps x 2), then the final evaluation's batches
    assert widths[:4] == [5, 5, 10, 10], widths
    assert min(widths[4:8]) > 10, widths  # whole sequences of 20-39 tokens


def test_compositional_kmer_embeddings_spell_their_bases(tmp_path):
    """kmer_embedding_init: compositional: a k-mer's embedding is a sum over its bases, so swapping
    the first base changes every k-mer by the same vector; the decoder is tied to it; the
    from-scratch control starts the same way (fresh values)."""
    from dnabert.finetune import load_classifier

    def swap_first_base_shift(weight):
        a = weight[KMER_ID["AAT"]] - weight[KMER_ID["CAT"]]
        b = weight[KMER_ID["AGG"]] - weight[KMER_ID["CGG"]]
        return a, b

    torch.manual_seed(0)
    model = build_mlm_model(K, {**TINY, "kmer_embedding_init": "compositional"})
    emb = model.get_input_embeddings().weight.detach()
    a, b = swap_first_base_shift(emb)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert a.abs().max() > 1e-3
    assert emb[KMER_ID["AAA"] :].std().item() == pytest.approx(0.02, rel=1e-3)  # initializer_range
    assert (
        model.cls.predictions.decoder.weight.data_ptr()
        == model.get_input_embeddings().weight.data_ptr()
    )
    a, b = swap_first_base_shift(build_mlm_model(K, TINY).get_input_embeddings().weight.detach())
    assert (a - b).abs().max() > 1e-3  # BERT's random init has no such structure

    model.save_pretrained(tmp_path / "m")
    assert json.loads((tmp_path / "m/config.json").read_text())["dnabert_kmer_embedding_init"] == (
        "compositional"
    )
    (tmp_path / "m/vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *KMER_ID]) + "\n"
    )
    control = load_classifier(tmp_path / "m", K, 2, 0.0, from_scratch=True)
    c_emb = control.get_input_embeddings().weight.detach()
    a, b = swap_first_base_shift(c_emb)
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert not torch.allclose(c_emb, emb)  # random values, not the pretrained weights

"""DNABERT-viz: attention spreading, motif discovery, BH correction, ISM, and a tiny-BERT run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from dnabert import attention, motifs
from dnabert.ism import delta_matrix, ism, mutants

BASES = "ACGT"


def test_kmer_to_base_is_mean_of_covering_kmers():
    # 4 bases, k=2 -> 3 k-mers covering [0,2), [1,3), [2,4)
    out = attention.kmer_to_base(np.array([1.0, 2.0, 4.0]), k=2, length=4)
    np.testing.assert_allclose(out, [1.0, 1.5, 3.0, 4.0])
    # truncated: only 2 k-mers kept for 5 bases -> base 3 and 4 uncovered
    out = attention.kmer_to_base(np.array([1.0, 3.0]), k=2, length=5)
    np.testing.assert_allclose(out, [1.0, 2.0, 3.0, 0.0, 0.0])


def test_normalise_unit_norm_and_zero_safe():
    v = attention.normalise(np.array([3.0, 4.0]))
    np.testing.assert_allclose(v, [0.6, 0.8])
    np.testing.assert_array_equal(attention.normalise(np.zeros(3)), np.zeros(3))


def test_high_attention_regions():
    s = np.array([0, 0, 5, 6, 7, 6, 5, 0, 0, 9, 9, 0], dtype=float)
    # above mean (3.75) and >= 0.5 * 9: bases 2..6 (len 5) and 9..10 (len 2)
    assert motifs.high_attention_regions(s, floor=0.5, min_len=3) == [(2, 7)]
    assert motifs.high_attention_regions(s, floor=0.5, min_len=2) == [(2, 7), (9, 11)]
    assert motifs.high_attention_regions(s, floor=0.7, min_len=1) == [(4, 5), (9, 11)]
    assert motifs.high_attention_regions(np.zeros(5)) == []
    assert motifs.high_attention_regions(np.array([np.nan, np.nan])) == []


def test_benjamini_hochberg_by_hand():
    p = [0.01, 0.04, 0.03, 0.20]
    # sorted 0.01, 0.03, 0.04, 0.20 -> *4/rank: 0.04, 0.06, 0.0533, 0.20 -> monotone from the end
    expected = {0.01: 0.04, 0.03: 0.0533333, 0.04: 0.0533333, 0.20: 0.20}
    np.testing.assert_allclose(motifs.benjamini_hochberg(p), [expected[x] for x in p], rtol=1e-5)
    assert motifs.benjamini_hochberg([]).size == 0
    assert motifs.benjamini_hochberg([0.9, 0.95]).max() <= 1.0


def test_enrichment_pvalue_matches_hypergeometric_tail():
    from math import comb

    # 10 positives, 10 negatives, 6 sequences contain the k-mer, 5 of them positive
    exact = sum(comb(10, x) * comb(10, 6 - x) for x in (5, 6)) / comb(20, 6)
    assert motifs.enrichment_pvalue(5, 10, 10, 6) == pytest.approx(exact)


def _planted(n_pos=60, n_neg=60, length=80, seed=0, motifs_by_class=("TATAAA", "GGATCC")):
    """Positives carry one of the planted motifs; attention peaks on it (plus noise)."""
    rng = np.random.default_rng(seed)
    seqs, scores, labels = [], [], []
    for i in range(n_pos + n_neg):
        seq = list(rng.choice(list(BASES), size=length))
        score = rng.random(length) * 0.2
        if i < n_pos:
            m = motifs_by_class[i % len(motifs_by_class)]
            start = int(rng.integers(0, length - len(m)))
            seq[start : start + len(m)] = m
            score[start : start + len(m)] += 1.0 + rng.random(len(m)) * 0.1
        else:  # a negative's attention peaks somewhere random
            start = int(rng.integers(0, length - 6))
            score[start : start + 6] += 1.0
        seqs.append("".join(seq))
        scores.append(attention.normalise(score))
        labels.append(int(i < n_pos))
    return seqs, scores, labels


def test_find_motifs_recovers_planted_motifs():
    seqs, scores, labels = _planted()
    found = motifs.find_motifs(seqs, scores, labels, width=6, floor=0.5, min_len=5)
    assert len(found) >= 2
    top2 = [m.consensus for m in found[:2]]
    assert any("TATAAA" in c for c in top2), top2
    assert any("GGATCC" in c for c in top2), top2
    for m in found[:2]:
        assert m.qvalue <= 0.005 and m.n_pos > m.n_neg
        assert m.counts.shape == (6 + 2 * (2 + 2), 4)
        assert len(m.instances) >= 25  # ~30 planted copies each


def test_find_motifs_nothing_in_random_data():
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list(BASES), size=60)) for _ in range(80)]
    scores = [rng.random(60) for _ in seqs]
    labels = [i % 2 for i in range(80)]
    assert motifs.find_motifs(seqs, scores, labels) == []
    assert motifs.find_motifs(seqs, scores, [0] * 80) == []


def test_merge_kmers_groups_shifted_and_mismatched():
    groups = motifs.merge_kmers(["TATAAA", "ATAAAG", "TATATA", "GGATCC", "CTATAA", "TTTATA"])
    assert groups[0] == {
        "TATAAA": (0, False),
        "ATAAAG": (1, False),
        "TATATA": (0, False),
        "CTATAA": (-1, False),
        "TTTATA": (0, True),  # the reverse complement of TATAAA
    }
    assert groups[1] == {"GGATCC": (0, False)}
    single = motifs.merge_kmers(["TATAAA", "TTTATA"], both_strands=False)
    assert single == [{"TATAAA": (0, False), "TTTATA": (-2, False)}]  # forward overlap "TATA"


def test_ism_on_a_toy_model_with_known_answer():
    # P = 0.1 + 0.5 * [base 3 is G] + 0.1 * (number of A's in the sequence) / len
    def predict(seqs):
        return np.array([0.1 + 0.5 * (s[3] == "G") + 0.1 * s.count("A") / len(s) for s in seqs])

    seq = "ACTGNA"
    table = ism(seq, predict, batch_size=4)
    assert len(table) == 3 * 5  # N skipped
    assert set(table["pos"]) == {0, 1, 2, 3, 5}
    row = table[(table.pos == 3) & (table.alt == "A")].iloc[0]
    assert row.delta == pytest.approx(-0.5 + 0.1 / 6)
    row = table[(table.pos == 0) & (table.alt == "C")].iloc[0]
    assert row.delta == pytest.approx(-0.1 / 6)
    m = delta_matrix(table, len(seq))
    assert m.shape == (4, 6) and m[BASES.index("G"), 3] == 0 and m[:, 4].tolist() == [0] * 4
    seqs, tab = mutants("AC")
    assert seqs == ["CC", "GC", "TC", "AA", "AG", "AT"] and tab["ref"].tolist() == list("AAACCC")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from transformers import BertConfig, BertForSequenceClassification

    from dnabert.tokenizer import DNATokenizer, vocab_size

    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=vocab_size(3),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=2,
    )
    d = tmp_path_factory.mktemp("tiny") / "model"
    BertForSequenceClassification(cfg).save_pretrained(d)
    DNATokenizer(k=3).save_pretrained(d)
    return d


def test_attention_on_tiny_bert(tiny_model):
    model, k = attention.load_classifier(tiny_model)
    assert k == 3
    seqs = ["ACGTACGTAC", "TTTTGGGGCCCCAA", "ACGTN"]
    scores, probs = attention.attention_scores(model, k, seqs, batch_size=2)
    assert [s.shape for s in scores] == [(10,), (14,), (5,)]
    assert probs.shape == (3, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    for s in scores:
        assert np.linalg.norm(s) == pytest.approx(1.0, abs=1e-5) and (s >= 0).all()
    # by hand for the short one: [CLS] row of the last layer, summed over heads, k-mers only
    ids, mask = attention.batch_ids(seqs[2:], 3)
    with torch.no_grad():
        att = model(input_ids=ids, attention_mask=mask, output_attentions=True).attentions[-1]
    kmer = att[0, :, 0, 1:4].sum(0).numpy()  # 3 k-mers, [CLS]=0 and [SEP]=4 excluded
    expected = attention.normalise(attention.kmer_to_base(kmer, 3, 5))
    np.testing.assert_allclose(scores[2], expected, rtol=1e-5)


def test_rollout_by_hand_and_differs_from_last_layer(tiny_model):
    model, k = attention.load_classifier(tiny_model)
    seqs = ["ACGTACGTACGTTT", "GGGCCCAN"]
    ids, mask = attention.batch_ids(seqs, 3)
    with torch.no_grad():
        att = model(input_ids=ids, attention_mask=mask, output_attentions=True).attentions
    # by hand for the short (padded) sequence: tokens 0..7 are real, 8.. padding
    n = int(mask[1].sum())
    flow = np.eye(n)
    for layer in att:
        a = layer[1].mean(0).numpy()[:n, :n]
        a = 0.5 * a + 0.5 * np.eye(n)
        a /= a.sum(1, keepdims=True)
        flow = a @ flow
    expected = attention.normalise(attention.kmer_to_base(flow[0, 1 : n - 1], 3, len(seqs[1])))
    rolled, probs = attention.attention_scores(model, k, seqs, method="rollout")
    last, probs_last = attention.attention_scores(model, k, seqs, method="last")
    np.testing.assert_allclose(rolled[1], expected, rtol=1e-5)
    np.testing.assert_allclose(probs, probs_last)
    assert not np.allclose(rolled[0], last[0], atol=1e-3)
    with pytest.raises(ValueError, match="unknown attention method"):
        attention.attention_scores(model, k, seqs, method="mean")


def test_run_viz_and_ism_write_outputs(tiny_model, tmp_path):
    from dnabert.viz import run_ism, run_viz

    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list(BASES), size=20)) for _ in range(12)]
    test = tmp_path / "test.tsv"
    pd.DataFrame(
        {
            "sequence": seqs,
            "label": [i % 2 for i in range(12)],
            "chrom": "chr1",
            "start": 0,
            "end": 20,
            "strand": "+",
            "source": "x",
        }
    ).to_csv(test, sep="\t", index=False)
    out = tmp_path / "viz"
    run_viz(tiny_model, test, out, task="toy", seed=1, n_heatmap_sequences=3, dpi=40)
    for name in (
        "attention.npz",
        "attention.tsv",
        "attention_heatmap.png",
        "motifs.tsv",
        "motif_logos.pdf",
        "viz.json",
    ):
        assert (out / name).exists(), name
    npz = np.load(out / "attention.npz")
    assert npz["scores"].shape == (12, 20) and list(npz["labels"]) == [i % 2 for i in range(12)]
    assert set(npz["splits"]) == {"test"} and list(npz["rows"]) == list(range(12))
    # several split files: rows keep their file and row; a sample is seeded
    dev = tmp_path / "dev.tsv"
    pd.read_csv(test, sep="\t").head(5).to_csv(dev, sep="\t", index=False)
    both = tmp_path / "viz2"
    run_viz(tiny_model, [test, dev], both, seed=1, max_sequences=10, attention="rollout", dpi=40)
    npz = np.load(both / "attention.npz")
    assert len(npz["rows"]) == 10 and set(npz["splits"]) <= {"test", "dev"}
    tsv = pd.read_csv(both / "attention.tsv", sep="\t")
    for split, row, seq in zip(tsv["split"], tsv["row"], tsv["sequence"], strict=True):
        assert seq == seqs[row] and (split == "test" or row < 5)
    assert json.loads((both / "viz.json").read_text())["attention"] == "rollout"
    table = run_ism(tiny_model, test, out, task="toy", seed=1, max_sequences=2, dpi=40)
    assert len(table) == 2 * 20 * 3
    assert set(table["sequence_id"]) == {"row1", "row3"}
    assert (out / "ism_heatmap.png").exists() and (out / "ism.json").exists()
    given = run_ism(tiny_model, None, tmp_path / "g", sequences=["acgtacgt"], dpi=40)
    assert given["sequence_id"].unique().tolist() == ["config1"] and len(given) == 24


def _demo_like(motif_of, length, n=80, seed=0):
    """Positives carry the demo generator's planted motif (``motif_of(rng) -> (motif, start)``);
    the attention peaks on it, as a fine-tuned model's should; negatives are random."""
    rng = np.random.default_rng(seed)
    seqs, scores, labels = [], [], []
    for i in range(2 * n):
        seq = list(rng.choice(list(BASES), size=length))
        score = rng.random(length) * 0.2
        if i < n:
            m, start = motif_of(rng)
            seq[start : start + len(m)] = m
            score[start : start + len(m)] += 1.0
        else:
            start = int(rng.integers(0, length - 8))
            score[start : start + 8] += 1.0
        seqs.append("".join(seq))
        scores.append(attention.normalise(score))
        labels.append(int(i < n))
    return seqs, scores, labels


def _shares_kmer(a: str, b: str, k: int = 5) -> bool:
    return any(a[i : i + k] in b for i in range(len(a) - k + 1))


def test_find_motifs_recovers_the_demos_planted_motifs():
    """The demo's TATA box (TATAWAWR at -31..-28 of the TSS, prom300 index 249) and its TF motifs
    (BASE_MOTIFS, centred on the summit, either strand)."""
    from dnabert.demo_sim import BASE_MOTIFS, _random_motif
    from dnabert.seq import reverse_complement

    def tata(rng):
        return _random_motif(rng, "TATAWAWR"), 249 + int(rng.integers(-31, -27))

    seqs, scores, labels = _demo_like(tata, 300)
    found = motifs.find_motifs(seqs, scores, labels)
    assert found and "TATA" in found[0].consensus, [m.consensus for m in found]

    for j, planted in enumerate(BASE_MOTIFS):

        def tf(rng, planted=planted):
            m = planted if rng.random() < 0.5 else reverse_complement(planted)
            return m, 50 - len(m) // 2

        seqs, scores, labels = _demo_like(tf, 101, seed=j + 1)
        found = motifs.find_motifs(seqs, scores, labels)
        assert found, planted
        both = planted + "|" + reverse_complement(planted)
        assert _shares_kmer(found[0].consensus, both), (planted, found[0].consensus)
        # both strands merged into one motif holding (nearly) every planted site
        assert found[0].n_pos >= 0.9 * 80 and len(found[0].instances) >= 0.9 * 80


def test_viz_and_ism_commands(tiny_model, tmp_path):
    from dnabert.cli import main

    rng = np.random.default_rng(2)
    test = tmp_path / "test.tsv"
    pd.DataFrame(
        {
            "sequence": ["".join(rng.choice(list(BASES), size=15)) for _ in range(6)],
            "label": [0, 1] * 3,
        }
    ).to_csv(test, sep="\t", index=False)
    out = tmp_path / "out"
    assert (
        main(
            [
                "viz",
                "--model-dir",
                str(tiny_model),
                "--test",
                str(test),
                "--out",
                str(out),
                "--task",
                "toy",
                "--seed",
                "3",
                "--max-sequences",
                "4",
            ]
        )
        == 0
    )
    assert np.load(out / "attention.npz")["scores"].shape == (4, 15)
    assert (
        main(["ism", "--model-dir", str(tiny_model), "--out", str(out), "--sequence", "ACGTAC"])
        == 0
    )
    assert len(pd.read_csv(out / "ism.tsv", sep="\t")) == 18
    assert main(["ism", "--model-dir", str(tiny_model), "--out", str(out)]) == 1  # no input

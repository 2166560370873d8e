"""The MLM reference predictors: k-mer frequency and copying the unmasked neighbours' bases."""

from __future__ import annotations

import numpy as np

from dnabert.mlm_probe import copy_predictions, kmer_bases, kmer_counts
from dnabert.tokenizer import N_SPECIAL, encode


def test_kmer_bases_follow_dnabert_atcg_order():
    bases = kmer_bases(3)
    assert bases.shape == (64, 3)
    # index 0 = AAA, 1 = AAT, 4 = ATA, 63 = GGG in itertools.product("ATCG", repeat=3)
    assert bases[0].tolist() == [0, 0, 0]
    assert bases[1].tolist() == [0, 0, 1]
    assert bases[4].tolist() == [0, 1, 0]
    assert bases[63].tolist() == [3, 3, 3]


def test_counts_skip_special_tokens():
    ids = np.array([2, *encode("AAAT", 3), 3], dtype=np.uint16)  # [CLS] AAA AAT [SEP]
    counts = kmer_counts([ids], 3)
    assert counts.sum() == 2 and counts[0] == 1 and counts[1] == 1


def test_copy_reads_bases_from_unmasked_neighbours():
    # k=3, ACGTAC -> ACG CGT GTA TAC; mask the middle two: bases 1..4 are covered by the
    # unmasked ACG (0..2) and TAC (3..5), so every base is known and both are copied exactly
    seq = "ACGTAC"
    ids = encode(seq, 3).astype(np.int64)
    counts = np.zeros(64, dtype=np.int64)
    masked = np.array([False, True, True, False])
    assert copy_predictions(ids, masked, 3, counts).tolist() == ids[1:3].tolist()


def test_hidden_bases_take_the_most_frequent_agreeing_kmer():
    # k=3, ACGTAC; mask CGT, GTA and TAC: base 5 (C) is hidden, bases 0..2 come from ACG.
    # GTA covers bases 2..4: G known, T and A hidden; TAC: all hidden but none known.
    ids = encode("ACGTAC", 3).astype(np.int64)
    masked = np.array([False, True, True, True])
    counts = np.zeros(64, dtype=np.int64)
    cgt = int(encode("CGT", 3)[0]) - N_SPECIAL
    cga = int(encode("CGA", 3)[0]) - N_SPECIAL
    gcc = int(encode("GCC", 3)[0]) - N_SPECIAL
    ttt = int(encode("TTT", 3)[0]) - N_SPECIAL
    counts[[cgt, cga, gcc, ttt]] = [5, 9, 7, 3]
    pred = copy_predictions(ids, masked, 3, counts)
    # CG? -> CGA (9) beats CGT (5); G?? -> GCC (7); ??? -> CGA (the most frequent overall)
    assert pred.tolist() == [cga + N_SPECIAL, gcc + N_SPECIAL, cga + N_SPECIAL]


def test_reference_accuracies_on_the_collators_masked_positions():
    from dnabert.masking import KmerSpanMaskCollator
    from dnabert.mlm_probe import reference_accuracies

    # a period-4 genome: 4 distinct 3-mers equally often, each fixed by any one of its bases
    seqs = [encode("ACGT" * 40, 3) for _ in range(8)]
    counts = kmer_counts(seqs, 3)
    assert (counts > 0).sum() == 4

    def collator():
        return KmerSpanMaskCollator(3, mlm_probability=0.15, max_length=512, seed=3)

    acc = reference_accuracies(seqs, collator(), 8, 3, counts)  # one batch of 8
    n_masked = int((collator()(seqs)["labels"] != -100).sum())
    assert acc["n_masked"] == n_masked > 50
    assert 0.1 < acc["frequency_acc"] < 0.45  # one of four k-mers
    assert acc["copy_acc"] > 0.9  # a copied neighbour base pins the phase

"""Tests for dnabert.masking: k-span masks, 80/10/10 replacement, reproducibility, bucketing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnabert.masking import (
    IGNORE_INDEX,
    SPAN_OFFSETS,
    KmerSpanMaskCollator,
    LengthBucketSampler,
    centre_probability,
    kmer_span_mask,
    padding_fraction,
    span_offsets,
)
from dnabert.tokenizer import CLS_ID, MASK_ID, N_SPECIAL, PAD_ID, SEP_ID, UNK_ID, vocab_size

KS = (3, 4, 5, 6)


def random_batch(rng, k, n=16, lo=5, hi=200):
    return [
        rng.integers(N_SPECIAL, vocab_size(k), size=int(rng.integers(lo, hi))).astype(np.uint16)
        for _ in range(n)
    ]


def runs(mask_row: np.ndarray) -> list[tuple[int, int]]:
    """Maximal [start, end) runs of True."""
    edges = np.diff(np.concatenate(([0], mask_row.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


@pytest.mark.parametrize("k", KS)
def test_mask_is_union_of_k_spans_clipped_at_ends(k):
    g = torch.Generator().manual_seed(k)
    lengths = torch.tensor([40, 7, 100, 2])
    maskable = torch.zeros(4, 104, dtype=torch.bool)
    for r, n in enumerate(lengths):
        maskable[r, 1 : 1 + n] = True  # position 0 is [CLS]
    masked, centres = kmer_span_mask(maskable, k, 0.05, g)
    expected = torch.zeros_like(masked)
    for r, t in centres.nonzero().tolist():
        for off in SPAN_OFFSETS[k]:
            if 0 <= t + off < 104:
                expected[r, t + off] = True
    assert torch.equal(masked, expected & maskable)
    assert not (masked & ~maskable).any()
    # every run is >= k tokens unless it touches a sequence end
    for r in range(4):
        first, last = 1, int(lengths[r])
        for s, e in runs(masked[r].numpy()):
            assert e - s >= k or s == first or e == last + 1


@pytest.mark.parametrize("k", KS)
def test_isolated_spans_are_exactly_k(k):
    g = torch.Generator().manual_seed(0)
    maskable = torch.ones(200, 60, dtype=torch.bool)
    masked, centres = kmer_span_mask(maskable, k, 0.01, g)
    lo, hi = -min(SPAN_OFFSETS[k]), max(SPAN_OFFSETS[k])
    checked = 0
    for r in range(200):
        c = centres[r].nonzero().flatten().tolist()
        if len(c) == 1 and lo <= c[0] < 60 - hi:
            (run,) = runs(masked[r].numpy())
            assert run == (c[0] - lo, c[0] + hi + 1) and run[1] - run[0] == k
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("k", KS)
def test_masked_fraction_and_replacement_split(k):
    rng = np.random.default_rng(1)
    coll = KmerSpanMaskCollator(k, mlm_probability=0.15, seed=3)
    n_tok = n_masked = n_mask_tok = n_kept = n_random = 0
    for _ in range(40):
        batch = random_batch(rng, k, lo=300, hi=510)
        out = coll(batch)
        ids, labels = out["input_ids"], out["labels"]
        orig, _ = coll.pad(batch)
        real = orig >= N_SPECIAL
        masked = labels != IGNORE_INDEX
        assert torch.equal(labels[masked], orig[masked])  # labels only on masked positions
        assert torch.equal(ids[~masked], orig[~masked])  # nothing else changes
        n_tok += int(real.sum())
        n_masked += int(masked.sum())
        n_mask_tok += int((ids[masked] == MASK_ID).sum())
        n_kept += int((ids[masked] == orig[masked]).sum())
        replaced = masked & (ids != MASK_ID) & (ids != orig)
        n_random += int(replaced.sum())
        assert (ids[replaced] >= N_SPECIAL).all() and (ids[replaced] < vocab_size(k)).all()
    assert abs(n_masked / n_tok - 0.15) < 0.01
    assert abs(n_mask_tok / n_masked - 0.8) < 0.02
    # random ids can equal the original by chance (1 / 4**k), counted as kept
    assert abs(n_random / n_masked - 0.1) < 0.02
    assert abs(n_kept / n_masked - 0.1) < 0.02


def test_specials_and_padding_never_masked_and_shapes():
    rng = np.random.default_rng(2)
    k = 6
    coll = KmerSpanMaskCollator(k, mlm_probability=0.5, seed=0, pad_to_multiple_of=8)
    batch = random_batch(rng, k, n=8, lo=1, hi=30)
    batch[0][3] = UNK_ID
    out = coll(batch)
    orig, attn = coll.pad(batch)
    assert out["input_ids"].dtype == torch.long and out["input_ids"].shape[1] % 8 == 0
    assert all(v.shape == orig.shape for v in out.values())
    special = orig < N_SPECIAL
    assert (out["labels"][special] == IGNORE_INDEX).all()
    assert torch.equal(out["input_ids"][special], orig[special])
    lens = [len(b) for b in batch]
    for r, n in enumerate(lens):
        assert orig[r, 0] == CLS_ID and orig[r, n + 1] == SEP_ID
        assert (orig[r, n + 2 :] == PAD_ID).all()
        assert attn[r].sum() == n + 2
    assert torch.equal(out["attention_mask"], attn)


def test_truncates_to_max_length():
    coll = KmerSpanMaskCollator(3, max_length=16, seed=0)
    out = coll([np.arange(5, 60, dtype=np.uint16)])
    assert out["input_ids"].shape == (1, 16)


def test_reproducible_and_resumable():
    rng = np.random.default_rng(3)
    batches = [random_batch(rng, 4) for _ in range(3)]
    a = KmerSpanMaskCollator(4, seed=11)
    first = a(batches[0])
    state = a.state_dict()
    rest = [a(b) for b in batches[1:]]
    b = KmerSpanMaskCollator(4, seed=11)
    assert torch.equal(b(batches[0])["labels"], first["labels"])
    c = KmerSpanMaskCollator(4, seed=999)
    c.load_state_dict(state)
    for want, batch in zip(rest, batches[1:], strict=True):
        got = c(batch)
        assert all(torch.equal(got[key], want[key]) for key in want)


def test_centre_probability():
    assert centre_probability(0.15, 1) == pytest.approx(0.15)
    assert 1 - (1 - centre_probability(0.15, 6)) ** 6 == pytest.approx(0.15)


def test_length_bucket_sampler():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 511, size=5003)
    s = LengthBucketSampler(lengths, 32, seed=1)
    batches = list(s)
    assert len(batches) == len(s) == 157
    assert sorted(i for b in batches for i in b) == list(range(5003))
    s.set_epoch(1)
    assert list(s) != batches
    s.set_epoch(0)
    assert list(s) == batches
    shuffled = [
        list(range(s, min(s + 32, 5003))) for s in range(0, 5003, 32)
    ]  # no bucketing: consecutive indices
    bucketed = padding_fraction(lengths, batches, 8)
    plain = padding_fraction(lengths, shuffled, 8)
    assert bucketed < 0.05 < plain
    dl = LengthBucketSampler(lengths, 32, seed=1, drop_last=True)
    assert all(len(b) == 32 for b in dl) and len(list(dl)) == len(dl) == 156
    r0 = list(LengthBucketSampler(lengths, 32, seed=1, num_replicas=2, rank=0))
    r1 = list(LengthBucketSampler(lengths, 32, seed=1, num_replicas=2, rank=1))
    assert len(r0) == len(r1) == 78 and not set(map(tuple, r0)) & set(map(tuple, r1))


def test_padding_fraction_exact():
    assert padding_fraction([6, 2], [[0, 1]], pad_to_multiple_of=None) == pytest.approx(4 / 16)
    assert padding_fraction([6, 6], [[0], [1]], pad_to_multiple_of=8) == 0.0


def test_shorter_spans_for_diagnostics():
    # span k is DNABERT's MASK_LIST; shorter spans are centred the same way (written out)
    assert span_offsets(6) == span_offsets(6, 6) == (-2, -1, 0, 1, 2, 3)
    assert span_offsets(6, 1) == (0,)
    assert span_offsets(6, 2) == (0, 1)
    assert span_offsets(6, 3) == (-1, 0, 1)
    with pytest.raises(ValueError, match="span must be in 1..6"):
        span_offsets(6, 7)
    # span 1: masked tokens are the centres themselves, and ~15% of k-mers are masked
    collator = KmerSpanMaskCollator(6, mlm_probability=0.15, seed=0, span=1)
    batch = collator([np.arange(N_SPECIAL, N_SPECIAL + 500) for _ in range(8)])
    masked = batch["labels"] != -100
    assert 0.13 < masked.float().sum().item() / 4000 < 0.17
    isolated = sum(e - s == 1 for r in masked.numpy() for s, e in runs(r))
    # a token is alone when neither neighbour is a centre: 0.85^2 = 72% of them
    assert 0.6 * masked.sum().item() < isolated < 0.85 * masked.sum().item()


# ---------- length curriculum ----------


def test_length_curriculum_cuts_whole_pieces_then_passes_sequences_whole():
    from dnabert.masking import LengthCurriculum

    seen = []
    cur = LengthCurriculum(lambda b: seen.append([x.tolist() for x in b]), [(4, 1), (2, 1)], 2)
    long, short = np.arange(10, 20), np.arange(30, 33)  # 10 and 3 tokens
    for _ in range(5):  # grad_accum 2: calls 0-1 are step 0, 2-3 step 1, 4 step 2
        cur([long, short])
    piece4 = [[10, 11, 12, 13], [14, 15, 16, 17], [30, 31, 32]]  # 18, 19 left out; 3 < 4: whole
    piece2 = [[10, 11], [12, 13], [14, 15], [16, 17], [18, 19], [30, 31]]  # 32 left out
    assert seen == [piece4, piece4, piece2, piece2, [list(range(10, 20)), [30, 31, 32]]]
    assert [cur.tokens_at(s) for s in range(3)] == [4, 2, None]


def test_length_curriculum_resumes_its_schedule_and_masks():
    from dnabert.masking import LengthCurriculum

    seqs = [np.arange(5, 25), np.arange(40, 52)]

    def fresh():
        return LengthCurriculum(KmerSpanMaskCollator(3, seed=0), [(6, 2)])

    ref = fresh()
    batches = [ref(seqs) for _ in range(4)]
    assert [b["input_ids"].shape[0] for b in batches] == [5, 5, 2, 2]  # 3 + 2 pieces, then whole
    resumed = fresh()
    resumed(seqs)
    state = resumed.state_dict()
    again = fresh()
    again.load_state_dict(state)
    for want in batches[1:]:
        got = again(seqs)
        assert all(torch.equal(got[key], want[key]) for key in want)

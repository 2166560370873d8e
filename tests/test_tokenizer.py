"""Tests for dnabert.tokenizer: vocabulary, vectorized encode/decode, HF tokenizer, k-mer text."""

from __future__ import annotations

import gzip
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from dnabert.seq import SequenceError
from dnabert.tokenizer import (
    CLS_ID,
    SEP_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    DNATokenizer,
    add_special_tokens,
    decode,
    encode,
    encode_batch,
    kmer_vocab,
    read_kmer_text,
    read_kmer_tsv,
    read_vocab,
    vocab_size,
    write_vocab,
)

KS = (3, 4, 5, 6)


@pytest.fixture(scope="module")
def real_data() -> Path:
    env = os.environ.get("DNABERT_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [
        Path("/work/shared/data/real"),
        Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real",
    ]
    for c in candidates:
        if c.is_dir():
            return c
    pytest.skip("real test data not available")


def slow_encode(seq: str, k: int) -> list[int]:
    """Reference: DNABERT's path, k-mer strings looked up in a dict built from the rule."""
    table = {"".join(p): i + 5 for i, p in enumerate(itertools.product("ATCG", repeat=k))}
    s = seq.upper()
    return [table.get(s[i : i + k], UNK_ID) for i in range(len(s) - k + 1)]


def random_dna(rng: np.random.Generator, n: int, n_rate: float = 0.02, lower: float = 0.1) -> str:
    letters = np.array(list("ACGTN"))
    p = np.array([1, 1, 1, 1, 0], dtype=float) * (1 - n_rate) / 4
    p[4] = n_rate
    s = letters[rng.choice(5, size=n, p=p)]
    low = rng.random(n) < lower
    s[low] = np.char.lower(s[low])
    return "".join(s)


@pytest.mark.parametrize("k", KS)
def test_vocab_order_and_size(k, tmp_path):
    vocab = kmer_vocab(k)
    assert len(vocab) == vocab_size(k) == {3: 69, 4: 261, 5: 1029, 6: 4101}[k]
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert vocab[5:] == ["".join(p) for p in itertools.product("ATCG", repeat=k)]
    assert vocab[5] == "A" * k and vocab[6] == "A" * (k - 1) + "T" and vocab[-1] == "G" * k
    path = write_vocab(tmp_path / "vocab.txt", k)
    assert path.read_text().splitlines() == vocab
    assert read_vocab(path) == (vocab, k)


def test_read_vocab_rejects_wrong_order(tmp_path):
    vocab = kmer_vocab(3)
    vocab[5], vocab[6] = vocab[6], vocab[5]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    with pytest.raises(ValueError, match="line 6"):
        read_vocab(tmp_path / "vocab.txt")


@pytest.mark.parametrize("k", KS)
def test_encode_equals_slow_reference_with_ns(k):
    rng = np.random.default_rng(k)
    for n in (0, 1, k - 1, k, k + 1, 1000, 300_001):  # 300_001 spans several chunks
        seq = random_dna(rng, n)
        if n > 200:
            seq = seq[:100] + "N" * 50 + seq[150:]  # an N run too
        ids = encode(seq, k)
        assert ids.dtype == np.uint16
        assert ids.shape == (max(0, n - k + 1),)
        assert ids.tolist() == slow_encode(seq, k)
        assert np.array_equal(encode(seq.encode(), k), ids)


@pytest.mark.parametrize("k", KS)
def test_encode_batch_equals_encode(k):
    rng = np.random.default_rng(7)
    seqs = [random_dna(rng, int(n)) for n in rng.integers(0, 40, size=50)]
    got = encode_batch(seqs, k)
    assert len(got) == 50
    for s, ids in zip(seqs, got, strict=True):
        assert ids.tolist() == encode(s, k).tolist()
    with pytest.raises(SequenceError, match="r2: invalid letter 'X' at position 1"):
        encode_batch(["ACGT", "AC", "AXG"], k, records=["r0", "r1", "r2"])


@pytest.mark.parametrize("k", KS)
def test_round_trip(k):
    rng = np.random.default_rng(100 + k)
    seq = "".join(rng.choice(list("ACGT"), size=777))
    assert decode(encode(seq, k), k) == seq
    assert decode(encode(seq.lower(), k), k) == seq
    # an isolated N: only that base is lost, and it comes back as N
    with_n = seq[:300] + "N" + seq[301:]
    assert decode(encode(with_n, k), k) == with_n
    assert decode(encode(seq[: k - 1], k), k) == ""


def test_decode_rejects_inconsistent_and_special_ids():
    ids = encode("ACGTACGT", 4)
    with pytest.raises(ValueError, match="positions 0 and 1"):
        decode(np.array([ids[0], ids[2]]), 4)
    with pytest.raises(ValueError, match="position 1"):
        decode(np.array([ids[0], CLS_ID]), 4)


def test_invalid_letter_names_record_and_position():
    with pytest.raises(SequenceError, match=r"chr9: invalid letter 'R' at position 200003"):
        encode("A" * 200_003 + "R" + "ACGT", 6, record="chr9")
    with pytest.raises(SequenceError, match="position 1"):
        encode("AX", 3)  # shorter than k still validated


def test_add_special_tokens_policies():
    ids = np.arange(5, 5 + 25, dtype=np.uint16)
    (t,) = add_special_tokens(ids, max_length=12, policy="truncate")
    assert t.tolist() == [CLS_ID, *range(5, 15), SEP_ID]
    chunks = add_special_tokens(ids, max_length=12, policy="chunk")
    assert [len(c) for c in chunks] == [12, 12, 7]
    assert all(c[0] == CLS_ID and c[-1] == SEP_ID for c in chunks)
    assert np.concatenate([c[1:-1] for c in chunks]).tolist() == ids.tolist()
    with pytest.raises(ValueError, match="policy"):
        add_special_tokens(ids, 12, policy="drop")


def test_read_kmer_text():
    assert read_kmer_text("ATG TGC GCA") == "ATGCA"
    assert read_kmer_text("atg tgc\n") == "ATGC"
    with pytest.raises(ValueError, match="k-mer 3"):
        read_kmer_text("ATG TGC GCT TTT".replace("GCT", "CCA"), record="x")
    with pytest.raises(ValueError, match="k-mer 2 is 'TG'"):
        read_kmer_text("ATG TG")


def test_read_kmer_tsv(tmp_path):
    p = tmp_path / "dev.tsv"
    p.write_text("sequence\tlabel\nACGT CGTA GTAC\t1\nTTTT TTTG\t0\n")
    df = read_kmer_tsv(p)
    assert df["sequence"].tolist() == ["ACGTAC", "TTTTG"]
    assert df["label"].tolist() == ["1", "0"]


@pytest.mark.parametrize("k", KS)
def test_hf_tokenizer_matches_encode_and_round_trips(k, tmp_path):
    tok = DNATokenizer(k=k)
    seq = "ACGTTGCANNacgtGGCATTAC"
    want = [CLS_ID, *encode(seq, k).tolist(), SEP_ID]
    assert tok(seq)["input_ids"] == want
    kmer_text = " ".join(seq.upper()[i : i + k] for i in range(len(seq) - k + 1))
    assert tok(kmer_text)["input_ids"] == want
    tok.save_pretrained(tmp_path)
    assert (tmp_path / "vocab.txt").read_text().splitlines() == kmer_vocab(k)
    loaded = DNATokenizer.from_pretrained(tmp_path)
    assert loaded.k == k and len(loaded) == vocab_size(k)
    assert loaded(seq)["input_ids"] == want
    assert loaded.convert_ids_to_tokens(list(range(5))) == SPECIAL_TOKENS
    with pytest.raises(SequenceError, match="position 3"):
        tok("ACGXACGT")


def test_loads_dnabert_checkpoint_tokenizer_files(tmp_path):
    """A directory laid out like DNABERT's published checkpoints (vocab.txt + their configs)."""
    write_vocab(tmp_path / "vocab.txt", 6)
    (tmp_path / "special_tokens_map.json").write_text(
        json.dumps(
            {
                "unk_token": "[UNK]",
                "sep_token": "[SEP]",
                "pad_token": "[PAD]",
                "cls_token": "[CLS]",
                "mask_token": "[MASK]",
            }
        )
    )
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": False, "max_len": 512})
    )
    tok = DNATokenizer.from_pretrained(tmp_path)
    assert tok.k == 6
    assert tok.mask_token_id == 4 and tok.pad_token_id == 0
    batch = tok(["ACGTACGTAC", "TTTTTTTT"], padding=True)
    assert batch["input_ids"][1] == [CLS_ID, 5 + 1365, 5 + 1365, 5 + 1365, SEP_ID, 0, 0]


def test_human_tata_promoters_tokenize(real_data):
    """All 3,065 EPDnew TATA promoters (300 bp, no N) give 295 known 6-mers and round trip."""
    seqs, cur = [], []
    with gzip.open(real_data / "epdnew_tata_prom300.fa.gz", "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                if cur:
                    seqs.append("".join(cur))
                cur = []
            else:
                cur.append(line.strip())
    seqs.append("".join(cur))
    assert len(seqs) == 3065
    for s in seqs:
        ids = encode(s, 6)
        assert ids.shape == (295,) and ids.min() >= 5
        assert decode(ids, 6) == s

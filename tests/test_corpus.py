"""Tests for dnabert.corpus: sampling, N policies, train/val separation, memmap reader."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pysam
import pytest

from dnabert.corpus import TokenCorpus, build_corpus, select_chromosomes, write_index
from dnabert.tokenizer import UNK_ID, encode

K = 4
N_RUNS = {"chr1": [(0, 700), (20_000, 23_000), (41_000, 41_005)], "chr2": [(9_000, 9_100)]}


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """Two canonical chromosomes with N runs plus a non-canonical contig; indexed."""
    d = tmp_path_factory.mktemp("genome")
    rng = np.random.default_rng(5)
    seqs = {}
    for name, length in (("chr1", 60_000), ("chr2", 30_000), ("chrUn_1", 5_000)):
        s = np.array(list("ACGTacgt"))[rng.integers(0, 8, length)]
        for a, b in N_RUNS.get(name, []):
            s[a:b] = "N"
        seqs[name] = "".join(s)
    path = d / "g.fa"
    with open(path, "w") as fh:
        for name, s in seqs.items():
            fh.write(f">{name}\n")
            fh.writelines(s[i : i + 60] + "\n" for i in range(0, len(s), 60))
    pysam.faidx(str(path))
    return path, seqs


def build(genome, out, **kw):
    args = dict(coverage=2.0, val_fraction=0.1, val_region_bp=10_000, seed=7, max_tokens=60)
    args.update(kw)
    return build_corpus(genome[0], out, K, progress=False, **args)


def find_all(seq_upper: str, kmers: np.ndarray, ids: np.ndarray) -> list[int]:
    """Start positions (bp) where the token run ``ids`` occurs in the tokenized chromosome."""
    hits = np.flatnonzero(kmers[: kmers.size - ids.size + 1] == ids[0])
    return [int(h) for h in hits if np.array_equal(kmers[h : h + ids.size], ids)]


def test_build_reader_and_no_n_gaps(genome, tmp_path):
    summary = build(genome, tmp_path)
    assert summary["chromosomes"] == ["chr1", "chr2"]  # canonical only
    assert json.loads((tmp_path / "summary.json").read_text())["settings"]["seed"] == 7
    seqs = genome[1]
    tokens = {c: encode(seqs[c], K) for c in ("chr1", "chr2")}
    spans = {"train": [], "val": []}
    for split in ("train", "val"):
        corpus = TokenCorpus(tmp_path / split)
        assert corpus.k == K and len(corpus) == summary["splits"][split]["sequences"] > 0
        lengths = corpus.lengths
        assert lengths.dtype == np.int64 and lengths.min() >= 5 and lengths.max() <= 60
        assert corpus.n_tokens == lengths.sum()
        assert not (corpus.tokens == UNK_ID).any()  # split mode: nothing spans an N
        for i in range(0, len(corpus), max(1, len(corpus) // 60)):
            ids = corpus[i]
            assert isinstance(ids, np.memmap) and ids.dtype == np.uint16  # a view, no copy
            hits = [(c, h) for c in tokens for h in find_all(seqs[c], tokens[c], ids)]
            assert hits, f"{split} sequence {i} is not a substring of the genome"
            if ids.size >= 20:  # long enough to be unique in this genome
                spans[split] += [(c, h, h + ids.size + K - 1) for c, h in hits]
    # val sequences never overlap train sequences in the genome (sampled check)
    assert len(spans["val"]) > 10 and len(spans["train"]) > 10
    for c, a, b in spans["val"]:
        assert not any(c == c2 and a < b2 and a2 < b for c2, a2, b2 in spans["train"])


def test_reader_returns_exactly_written(tmp_path):
    rng = np.random.default_rng(0)
    seqs = [rng.integers(5, 261, size=n).astype(np.uint16) for n in (5, 0, 17, 510, 1)]
    np.concatenate(seqs).tofile(tmp_path / "x.bin")
    write_index(tmp_path / "x.idx", np.cumsum([0] + [len(s) for s in seqs]), k=4)
    corpus = TokenCorpus(tmp_path / "x")
    assert len(corpus) == 5 and corpus.k == 4
    assert corpus.lengths.tolist() == [5, 0, 17, 510, 1]
    for got, want in zip([corpus[i] for i in range(5)], seqs, strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(corpus[-1], seqs[-1])
    clone = pickle.loads(pickle.dumps(corpus))
    assert len(pickle.dumps(corpus)) < 500  # paths only, not the data
    assert np.array_equal(clone[3], seqs[3])
    with pytest.raises(IndexError):
        corpus[5]
    (tmp_path / "x.idx").write_bytes(b"garbage" * 10)
    with pytest.raises(ValueError, match="not a token index"):
        TokenCorpus(tmp_path / "x")


def test_deterministic_for_seed(genome, tmp_path):
    build(genome, tmp_path / "a")
    build(genome, tmp_path / "b")
    build(genome, tmp_path / "c", seed=8)
    for f in ("train.bin", "train.idx", "val.bin", "val.idx"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    a, c = tmp_path / "a" / "train.bin", tmp_path / "c" / "train.bin"
    assert a.read_bytes() != c.read_bytes()
    # which other chromosomes are built does not change what a chromosome yields
    full = build(genome, tmp_path / "e")["per_chromosome"]["chr1"]
    assert full["val_sequences"] > 0  # so the subset build needs no fallback val region
    assert build(genome, tmp_path / "d", chromosomes=["chr1"])["per_chromosome"]["chr1"] == full


def test_coverage_and_length_distribution(genome, tmp_path):
    summary = build(genome, tmp_path, coverage=5.0, val_fraction=0.0)
    assert summary["splits"]["val"]["sequences"] == 0
    train = TokenCorpus(tmp_path / "train")
    bp = (train.lengths + K - 1).sum()
    available = sum(v["train_bp"] for v in summary["per_chromosome"].values())
    assert bp / available == pytest.approx(5.0, rel=0.05)
    assert 0.4 < summary["splits"]["train"]["full_length_fraction"] < 0.6


def test_cut_pass_tiles_without_overlap(genome, tmp_path):
    """coverage == cut_passes == 1: pieces tile each segment, never overlapping."""
    build(genome, tmp_path, coverage=1.0, val_fraction=0.0, chromosomes=["chr2"])
    corpus = TokenCorpus(tmp_path / "train")
    text = "".join(genome[1]["chr2"]).upper()
    tokens = encode(text, K)
    pos = 0
    for i in range(len(corpus)):  # written in genomic order
        hits = [h for h in find_all(text, tokens, corpus[i]) if h >= pos]
        assert hits
        pos = hits[0] + len(corpus[i]) + K - 1
    assert len(corpus) > 30


def test_delete_policy_removes_ns(genome, tmp_path):
    summary = build(genome, tmp_path, n_policy="delete", val_fraction=0.0)
    corpus = TokenCorpus(tmp_path / "train")
    assert not (corpus.tokens == UNK_ID).any()
    joined = genome[1]["chr1"].upper().replace("N", "")
    tok = encode(joined, K)
    seam = 20_000 - 700  # where the deleted run chr1:20000-23000 was
    # some sequence crosses a deleted N run: delete mode joins the flanks (paper mode)
    crossing = 0
    for i in range(len(corpus)):
        for h in find_all(joined, tok, corpus[i]):
            crossing += h < seam < h + len(corpus[i])
    assert crossing > 0
    assert summary["per_chromosome"]["chr1"]["n_bases"] == 3705


def test_errors(genome, tmp_path):
    with pytest.raises(ValueError, match="not in the FASTA: chrZ"):
        build(genome, tmp_path, chromosomes=["chrZ"])
    with pytest.raises(ValueError, match="n_policy"):
        build(genome, tmp_path, n_policy="keep")
    with pytest.raises(ValueError, match="coverage"):
        build(genome, tmp_path, coverage=0.5)
    assert not (tmp_path / "train.bin").exists()
    assert select_chromosomes(["chr1", "chrM", "chr1_alt", "X"], None) == ["chr1", "X"]


def test_command_line(genome, tmp_path, capsys):
    from dnabert.cli import main

    out = tmp_path / "k4"
    argv = ["build-corpus", "--fasta", str(genome[0]), "--out-dir", str(out), "--k", "4"]
    assert main([*argv, "--coverage", "1", "--max-tokens", "60", "--seed", "3"]) == 0
    assert len(TokenCorpus(out / "train")) > 0 and (out / "val.idx").exists()
    fa = tmp_path / "x.fa"
    fa.write_text(">a\nACGTN\nACG\n")
    assert main(["tokenize", str(fa), "--k", "3"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.split() == ["2", *map(str, encode("ACGTNACG", 3).tolist()), "3"]

"""Tests for the common dataset writer (dedup, splits, atomic output)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert.datasets import common
from dnabert.datasets.common import COLUMNS, read_task_split, write_task

RANDOM = {"method": "random", "fractions": [0.8, 0.1, 0.1]}


def make_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(n)]
    return pd.DataFrame(
        {
            "sequence": seqs,
            "label": np.arange(n) % 2,
            "chrom": [f"chr{1 + i % 5}" for i in range(n)],
            "start": np.arange(n) * 100,
            "end": np.arange(n) * 100 + 30,
            "strand": ["+", "-"] * (n // 2),
            "source": [f"src:{i}" for i in range(n)],
        }
    )


def read_all(out):
    return {s: read_task_split(out / f"{s}.tsv") for s in ("train", "dev", "test")}


def test_header_order_and_extra_columns(tmp_path):
    df = make_frame(50)
    df["extra"] = "x"
    df = df[["source", "extra"] + COLUMNS[:-1]]  # scrambled input order
    write_task(df, tmp_path / "t", task="t", split_cfg=RANDOM, seed=1)
    header = (tmp_path / "t" / "train.tsv").read_text().splitlines()[0].split("\t")
    assert header == COLUMNS + ["extra"]


def test_random_split_reproducible_fractions_and_disjoint(tmp_path):
    df = make_frame(400)
    s1 = write_task(df, tmp_path / "a", task="t", split_cfg=RANDOM, seed=3)
    write_task(df, tmp_path / "b", task="t", split_cfg=RANDOM, seed=3)
    write_task(df, tmp_path / "c", task="t", split_cfg=RANDOM, seed=4)
    for s in ("train", "dev", "test"):
        assert (tmp_path / "a" / f"{s}.tsv").read_bytes() == (
            tmp_path / "b" / f"{s}.tsv"
        ).read_bytes()
    assert (tmp_path / "a" / "test.tsv").read_bytes() != (tmp_path / "c" / "test.tsv").read_bytes()
    parts = read_all(tmp_path / "a")
    # stratified: 200 per class -> 160/20/20 per class
    for s, n in (("train", 160), ("dev", 20), ("test", 20)):
        assert (parts[s]["label"].value_counts() == n).all()
        assert s1["splits"][s]["classes"]["0"]["n"] == n
    seqs = [set(p["sequence"]) for p in parts.values()]
    assert not (seqs[0] & seqs[1]) and not (seqs[0] & seqs[2]) and not (seqs[1] & seqs[2])
    assert sum(len(x) for x in seqs) == 400
    assert s1["shared_between_splits"] == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["provenance"]["seed"] == 3
    assert summary["overall"]["length"] == {"min": 30, "max": 30, "mean": 30.0}


def test_duplicates_and_conflicting_labels(tmp_path):
    df = make_frame(40)
    dup = df.iloc[[0, 1]].copy()  # exact repeats, same label
    conflict = df.iloc[[2]].copy()
    conflict["label"] = 1 - conflict["label"]  # same sequence, other label
    df2 = pd.concat([df, dup, conflict], ignore_index=True)
    summary = write_task(df2, tmp_path / "t", task="t", split_cfg=RANDOM, seed=0)
    assert summary["dropped_duplicates"] == 2
    assert summary["dropped_conflicting_sequences"] == 1
    assert summary["dropped_conflicting_rows"] == 2
    allseq = pd.concat(read_all(tmp_path / "t").values())
    assert len(allseq) == 39
    assert df["sequence"].iloc[2] not in set(allseq["sequence"])
    assert allseq["sequence"].is_unique
    # the first copy is the one kept
    kept0 = allseq.loc[allseq["sequence"] == df["sequence"].iloc[0], "source"]
    assert list(kept0) == ["src:0"]


def test_chromosome_split(tmp_path):
    df = make_frame(100)
    cfg = {
        "method": "chromosome",
        "dev_chromosomes": ["chr2"],
        "test_chromosomes": ["chr3", "chr4"],
    }
    write_task(df, tmp_path / "t", task="t", split_cfg=cfg, seed=0)
    parts = read_all(tmp_path / "t")
    assert set(parts["dev"]["chrom"]) == {"chr2"}
    assert set(parts["test"]["chrom"]) == {"chr3", "chr4"}
    assert set(parts["train"]["chrom"]) == {"chr1", "chr5"}
    with pytest.raises(ValueError, match="both dev and test"):
        common.assign_splits(
            df,
            {"method": "chromosome", "dev_chromosomes": ["chr1"], "test_chromosomes": ["chr1"]},
            0,
        )


def test_group_split_keeps_groups_together(tmp_path):
    df = make_frame(300)
    df["group"] = np.arange(300) // 7
    write_task(df, tmp_path / "t", task="t", split_cfg=RANDOM, seed=5, group_col="group")
    parts = read_all(tmp_path / "t")
    groups = [set(p["group"]) for p in parts.values()]
    assert (
        not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])
    )
    assert 220 <= len(parts["train"]) <= 255 and len(parts["test"]) > 0


def test_atomic_on_failure(tmp_path, monkeypatch):
    out = tmp_path / "t"

    def boom(*a, **k):
        raise RuntimeError("injected")

    monkeypatch.setattr(common, "provenance", boom)
    with pytest.raises(RuntimeError, match="injected"):
        write_task(make_frame(20), out, task="t", split_cfg=RANDOM, seed=0)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_failure_during_write(tmp_path, monkeypatch):
    out = tmp_path / "t"
    calls = {"n": 0}
    real = common.write_tsv  # every split file is written through it

    def fail_second(df, path, *a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            Path(path).write_text("half a file")
            raise OSError("disk full")
        return real(df, path, *a, **k)

    monkeypatch.setattr(common, "write_tsv", fail_second)
    with pytest.raises(OSError, match="disk full"):
        write_task(make_frame(20), out, task="t", split_cfg=RANDOM, seed=0)
    assert list(tmp_path.iterdir()) == []


def test_bad_letters_and_columns(tmp_path):
    df = make_frame(10)
    df.loc[3, "sequence"] = "ACGTRACGT"
    with pytest.raises(ValueError, match=r"row 3 \(src:3\).*'R' at position 4"):
        write_task(df, tmp_path / "t", task="t", split_cfg=RANDOM, seed=0)
    with pytest.raises(ValueError, match="lacks columns"):
        write_task(
            make_frame(10).drop(columns="strand"),
            tmp_path / "t",
            task="t",
            split_cfg=RANDOM,
            seed=0,
        )
    with pytest.raises(ValueError, match="fractions"):
        write_task(
            make_frame(10),
            tmp_path / "t",
            task="t",
            split_cfg={"method": "random", "fractions": [0.5, 0.1, 0.1]},
            seed=0,
        )
    assert not (tmp_path / "t").exists()


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"sequence": ["ACGT", "NNAC"], "label": [0, 1], "chrom": ["chr1", "chr2"],
                      "start": [5, 10], "end": [9, 14], "strand": ["+", "-"],
                      "source": ["scan:a", ""], "cluster": ["chr1:5", "chr2:10"]}),
        pd.DataFrame({"sequence": ["AC"], "label": [1], "note": ['say "hi"\tthere']}),
        pd.DataFrame({"sequence": ["AC", "GT"], "label": [1, 0], "score": [0.5, 1 / 3]}),
        pd.DataFrame({"sequence": ["AC", None], "label": [1, 0]}),
        pd.DataFrame({"sequence": pd.Series([], dtype=object), "label": pd.Series([], dtype=int)}),
    ],
)  # fmt: skip
def test_write_tsv_matches_pandas_to_csv_byte_for_byte(frame, tmp_path):
    from dnabert.datasets.common import write_tsv

    write_tsv(frame, tmp_path / "fast.tsv")
    frame.to_csv(tmp_path / "pandas.tsv", sep="\t", index=False, lineterminator="\n")
    assert (tmp_path / "fast.tsv").read_bytes() == (tmp_path / "pandas.tsv").read_bytes()


def test_check_frame_names_the_row_and_position_of_a_bad_letter():
    from dnabert.datasets.common import _check_frame

    df = pd.DataFrame({"sequence": ["ACGT", "ACxT"], "label": [0, 1], "chrom": ["c", "c"],
                       "start": [0, 4], "end": [4, 8], "strand": ["+", "+"],
                       "source": ["a", "b"]})  # fmt: skip
    with pytest.raises(ValueError, match=r"row 1 \(b\): invalid letter 'x' at position 2"):
        _check_frame(df, "t")
    with pytest.raises(ValueError, match=r"row 0: empty or non-text sequence ''"):
        _check_frame(df.assign(sequence=["", "A"]), "t")


def test_deduplicate_hashed_matches_deduplicate():
    from hashlib import blake2b

    from dnabert.datasets.common import count_shared_ids, deduplicate, deduplicate_hashed

    seqs = ["AC", "GT", "AC", "TT", "GT", "AC", "CC"]  # GT: two labels; AC: three copies
    df = pd.DataFrame({"sequence": seqs, "label": [0, 1, 0, 1, 0, 0, 1]})
    keys = np.frombuffer(b"".join(blake2b(s.encode(), digest_size=16).digest() for s in seqs),
                         dtype="<u8").reshape(-1, 2)  # fmt: skip
    kept, ids, stats = deduplicate_hashed(keys, df["label"].to_numpy())
    expected, expected_stats = deduplicate(df)
    assert (
        kept.tolist() == [0, 3, 6]
        and df["sequence"][kept].tolist() == expected["sequence"].tolist()
    )
    assert (
        stats
        == expected_stats
        == {"duplicates": 2, "conflicting_sequences": 1, "conflicting_rows": 2}
    )
    assert ids[0] == ids[2] == ids[5] and ids[1] == ids[4] and len(set(ids.tolist())) == 4
    assert count_shared_ids(np.array([5, 5, 7, 8, 8]), np.array([0, 1, 1, 2, 2])) == 1
    assert count_shared_ids(np.array([5, 6, 7]), np.array([0, 1, 2])) == 0


# ---------- reading splits in pieces ----------


def _split_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.tsv"
    path.write_text(
        "sequence\tlabel\tchrom\tstart\tend\tstrand\tsource\n"
        + "".join(
            f"{'ACGT'[i % 4] * 5}\t{i % 2}\tchr{i % 3 + 1}\t{i * 10}\t{i * 10 + 5}\t+\tsrc:{i}\n"
            for i in range(23)
        )
    )
    return path


def test_read_task_split_rows_and_columns_read_in_pieces(tmp_path):
    path = _split_file(tmp_path)
    whole = read_task_split(path)
    assert common.count_split_rows(path) == 23
    rows = np.array([0, 4, 5, 9, 10, 22])
    pieces = list(common.iter_task_split(path, rows=rows, chunk_rows=5))
    assert [list(p.index) for p in pieces] == [[0, 4], [5, 9], [10], [22]]  # file rows, by piece
    got = read_task_split(path, rows=rows, columns=["sequence", "label", "source"])
    assert list(got.columns) == ["sequence", "label", "source"]
    assert got["source"].tolist() == ["src:0", "src:4", "src:5", "src:9", "src:10", "src:22"]
    pd.testing.assert_frame_equal(got, whole.loc[rows, ["sequence", "label", "source"]])
    assert list(read_task_split(path, rows=np.array([], dtype=int)).columns) == list(whole.columns)
    with pytest.raises(ValueError, match=r"train\.tsv: row 23 asked for; the file has 23 rows"):
        read_task_split(path, rows=np.array([1, 23]))
    (tmp_path / "nolf.tsv").write_text("sequence\tlabel\nAC\t1\nGT\t0")  # no final newline
    assert common.count_split_rows(tmp_path / "nolf.tsv") == 2


def test_sample_rows_draws_as_the_callers_always_did():
    frame = pd.DataFrame({"x": range(50)})
    want = frame.sample(n=7, random_state=3).sort_index().index.to_numpy()
    assert common.sample_rows(50, 7, 3, how="pandas").tolist() == want.tolist()
    perm = np.sort(np.random.default_rng(3).permutation(50)[:7])
    assert common.sample_rows(50, 7, 3).tolist() == perm.tolist()
    assert common.sample_rows(50, 50, 3) is None and common.sample_rows(50, None, 3) is None

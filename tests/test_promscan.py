"""promscan's streamed build: the same bytes as the in-memory build it replaced.

``_frame_in_memory`` is the pre-streaming ``build_promscan_frame`` (every window's sequence in one
DataFrame, then :func:`write_task`), kept here only as the reference the streamed build must
match byte for byte on a genome made to hit every edge: windows off the chromosome or with N,
the same sequence on two chromosomes with one label (duplicates) and with two (conflicts),
chromosome names whose sort order is not the FASTA's, several TSS clusters, ``max_tss`` and both
split methods. The real-data test pins the files main's code wrote for a real hg38 excerpt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dnabert.config import schema_defaults
from dnabert.datasets import promscan
from dnabert.datasets.common import COLUMNS, write_task
from dnabert.datasets.promoter_io import read_tss
from dnabert.datasets.promoters import filter_tss
from dnabert.datasets.windows import extract_windows, fasta_lengths
from dnabert.seq import reverse_complement

FILES = ("train.tsv", "dev.tsv", "test.tsv")


def _scan_windows(tss: pd.DataFrame, *, flank: int, window: int, step: int) -> pd.DataFrame:
    half = window // 2
    offsets = np.arange(-(flank // step), flank // step + 1) * step
    centres = tss["tss"].to_numpy()[:, None] + offsets
    starts = (centres - half).ravel()
    base = pd.DataFrame(
        {
            "chrom": np.repeat(tss["chrom"].to_numpy(), len(offsets)),
            "start": starts,
            "end": starts + window,
            "tss_name": np.repeat(tss["name"].to_numpy(), len(offsets)),
        }
    )
    both = pd.concat([base.assign(strand="+"), base.assign(strand="-")], ignore_index=True)
    both = both.drop_duplicates(["chrom", "start", "end", "strand"])
    return both.sort_values(["chrom", "start", "strand"], kind="stable").reset_index(drop=True)


def _frame_in_memory(fasta, tss_path, *, seed, params, canonical=None, offsets=None):
    """The pre-streaming build_promscan_frame, verbatim but for names."""
    p = {**schema_defaults("datasets", "promscan"), **(params or {})}
    lengths = fasta_lengths(fasta)
    all_tss = read_tss(tss_path)
    tss, stats = filter_tss(all_tss, lengths, tss_path, canonical, offsets)
    label_tss = tss
    if p["max_tss"] is not None and len(tss) > p["max_tss"]:
        rng = np.random.default_rng([seed, 4])
        tss = tss.iloc[np.sort(rng.choice(len(tss), p["max_tss"], replace=False))]
    tss = tss.reset_index(drop=True)
    reach = p["flank"] + p["window"] // 2 + 1
    tss = tss.assign(cluster=promscan.tss_clusters(tss, reach).to_numpy())
    win = _scan_windows(tss, flank=p["flank"], window=p["window"], step=p["step"])
    win = win.merge(tss[["name", "cluster"]].rename(columns={"name": "tss_name"}), on="tss_name")
    seqs = extract_windows(fasta, win["chrom"].tolist(), win["start"].to_numpy(),
                           win["end"].to_numpy(), win["strand"].tolist(), offsets=offsets,
                           off_genome="none")  # fmt: skip
    win["sequence"] = seqs
    off = win["sequence"].isna()
    has_n = ~off & win["sequence"].fillna("").str.contains("N")
    win = win.loc[~off & ~has_n].reset_index(drop=True)
    win["label"] = promscan.label_windows(
        win, label_tss, tss_region=p["tss_region"], min_overlap=p["min_overlap"]
    )
    win["source"] = "scan:" + win["tss_name"]
    stats.update(
        {
            "n_tss_scanned": int(len(tss)),
            "dropped_window_off_genome": int(off.sum()),
            "dropped_window_with_n": int(has_n.sum()),
            "n_clusters": int(win["cluster"].nunique()),
            "params": p,
        }
    )
    return win[COLUMNS + ["cluster"]], stats


def _build_in_memory(fasta, tss, out, *, seed, split_cfg, params, **kw) -> None:
    df, stats = _frame_in_memory(fasta, tss, seed=seed, params=params, **kw)
    group = "cluster" if split_cfg.get("method", "random") == "random" else None
    write_task(df, out, task="promscan", split_cfg=split_cfg, seed=seed,
               extra_summary={"promscan": stats}, group_col=group)  # fmt: skip


def _summary(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("provenance")  # holds the time of writing
    return summary


def _write_fasta(path: Path, records: dict[str, str]) -> Path:
    with open(path, "w") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n")
            fh.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    return path


@pytest.fixture(scope="module")
def edge_genome(tmp_path_factory) -> tuple[Path, Path]:
    """chr1, chr2, chr10 (in FASTA order; sorted names put chr10 before chr2). chr10[5000:9000]
    copies chr1[8000:12000] on the scan grid: windows there repeat chr1's, with the same label
    (duplicates) or, near a TSS of one copy only, another label (conflicts). chr2 has an N run
    and a TSS 300 bp from its start (windows off the record). chrUn_x is not in the FASTA."""
    rng = np.random.default_rng(8)
    tmp = tmp_path_factory.mktemp("edge")

    def rand(n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n))

    chr1 = rand(60_000)
    chr10 = rand(5000) + chr1[8000:12000] + rand(21_000)
    chr2 = rand(14_000) + "N" * 300 + rand(25_700)
    chr2 = chr2[:20_000] + reverse_complement(chr1[30_000:32_000]) + chr2[22_000:]
    fasta = _write_fasta(tmp / "g.fa", {"chr1": chr1, "chr2": chr2, "chr10": chr10})
    tss = tmp / "tss.tsv"
    rows = [("chr1", 10000, "+", "A_1"), ("chr1", 10400, "+", "A_2"), ("chr1", 31000, "-", "B_1"),
            ("chr1", 50000, "+", "C_1"), ("chr2", 300, "+", "D_1"), ("chr2", 14500, "-", "E_1"),
            ("chr2", 20999, "+", "F_1"), ("chr10", 7500, "+", "G_1"), ("chr10", 20000, "-", "H_1"),
            ("chrUn_x", 100, "+", "U_1")]  # fmt: skip
    tss.write_text(
        "chrom\ttss\tstrand\tname\n" + "".join(f"{c}\t{t}\t{s}\t{n}\n" for c, t, s, n in rows)
    )
    return fasta, tss


PARAMS = {"flank": 1000, "window": 101, "step": 10, "tss_region": 50, "min_overlap": 0.5}
CASES = {
    "random": ({"method": "random", "fractions": [0.5, 0.25, 0.25]}, {}),
    "max_tss": ({"method": "random", "fractions": [0.4, 0.3, 0.3]}, {"max_tss": 6}),
    "chromosome": (
        {"method": "chromosome", "dev_chromosomes": ["chr2"], "test_chromosomes": ["chr10"]},
        {"step": 20},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_streamed_build_matches_in_memory_build(edge_genome, tmp_path, case):
    fasta, tss = edge_genome
    split_cfg, extra = CASES[case]
    params = {**PARAMS, **extra}
    old, new = tmp_path / "old", tmp_path / "new"
    _build_in_memory(fasta, tss, old, seed=5, split_cfg=split_cfg, params=params)
    promscan.build_promscan_task(fasta, tss, new, seed=5, split_cfg=split_cfg, params=params)
    for name in FILES:
        assert (new / name).read_bytes() == (old / name).read_bytes(), name
    summary = _summary(new)
    assert summary == _summary(old)
    assert summary["promscan"]["dropped_unknown_chrom"] == 1
    assert all(summary["splits"][s]["n"] > 0 for s in ("train", "dev", "test"))
    if case == "max_tss":
        assert summary["promscan"]["n_tss_scanned"] == 6
        return
    # the genome reaches every branch it was made for
    assert summary["dropped_duplicates"] > 0 and summary["dropped_conflicting_rows"] > 0
    assert summary["promscan"]["dropped_window_with_n"] > 0
    assert summary["promscan"]["dropped_window_off_genome"] > 0
    assert summary["shared_between_splits"] == 0


def test_streamed_build_batches_and_no_windows(edge_genome, tmp_path, monkeypatch):
    """Batches smaller than a chromosome's windows change nothing; no window is an error."""
    fasta, tss = edge_genome
    split_cfg = CASES["random"][0]
    promscan.build_promscan_task(fasta, tss, tmp_path / "a", seed=1, split_cfg=split_cfg,
                                 params=PARAMS)  # fmt: skip
    monkeypatch.setattr(promscan, "_BATCH_ROWS", 37)
    promscan.build_promscan_task(fasta, tss, tmp_path / "b", seed=1, split_cfg=split_cfg,
                                 params=PARAMS)  # fmt: skip
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    only_n = _write_fasta(tmp_path / "n.fa", {"chr1": "N" * 5000})
    tss_n = tmp_path / "n.tsv"
    tss_n.write_text("chrom\ttss\tstrand\tname\nchr1\t2500\t+\tA_1\n")
    with pytest.raises(ValueError, match="task promscan: no sequences to write"):
        promscan.build_promscan_task(only_n, tss_n, tmp_path / "c", seed=1, split_cfg=split_cfg,
                                     params=PARAMS)  # fmt: skip
    assert not (tmp_path / "c" / "train.tsv").exists()


# main's build (commit ffa3910) on the real hg38 excerpt chr22:32,000,000-32,300,000 with
# EPDnew's TSSs, the paper's promscan settings, seed 3: sha256 of each file
REAL_SHA256 = {
    "train.tsv": "318d9bd1a8eb4626924b5e9e7e6f825e6a2549ac012dc97cfa4a56b21c5e8cb9",
    "dev.tsv": "7c673be3737903ee847a56ed078fb9ce148bc05891eafd25ade7cb7f89b42d5e",
    "test.tsv": "a412b7dff0804ab7ff1eaaaa6fb4f67647e55697a5f5c5490766ab02938aa014",
}


def test_real_excerpt_files_as_main_wrote_them(real_data, tmp_path):
    real = real_data
    fasta = shutil.copy(real / "hg38_chr22_32000000_32300000.fa", tmp_path / "slice.fa")
    out = tmp_path / "promscan"
    summary = promscan.build_promscan_task(
        fasta, real / "epdnew_hg38_tss.tsv.gz", out, seed=3, canonical=["chr22"],
        offsets={"chr22": 32_000_000}, split_cfg={"method": "random", "fractions": [0.4, 0.3, 0.3]},
    )  # fmt: skip
    got = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in FILES}
    assert got == REAL_SHA256
    assert (summary["n_input"], summary["n_written"]) == (1212, 1212)
    assert {s: summary["splits"][s]["n"] for s in ("train", "dev", "test")} == {
        "train": 606, "dev": 606, "test": 0,
    }  # fmt: skip
    assert summary["promscan"]["n_clusters"] == 4 and summary["promscan"]["n_tss_scanned"] == 6
    assert summary["overall"]["classes"] == {
        "0": {"n": 1124, "gc_mean": 0.4911103131743701},
        "1": {"n": 88, "gc_mean": 0.570157115611661},
    }

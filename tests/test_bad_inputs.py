"""Bad inputs, one row each: what is corrupted, which entry point meets it, what it must say.

The contract of issue 15: every bad input stops its step with an error that names the file,
the line or record, and what was expected, and leaves no output behind. Each row starts from
one small, valid world (a 2-chromosome genome, TSSs, a TATA list, a GTF, a peak file, a user
task, a config), breaks one thing, runs one entry point (the ``dnabert`` command line, whose
errors are the ones the rule scripts raise, or a rule script itself) and checks the message
and that the outputs are absent. The next bad input is one more row in :data:`ROWS`.

After the table: output directories on symlinked scratch and on a mount point, and a full disk.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import runpy
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam
import pytest

from dnabert.cli import main

REPO = Path(__file__).resolve().parents[1]
CHROM_LEN = 20_000
BAD_POS = 1150  # inside a splice window (800..1200) and the TF window (1100..1201) on chr1
PEAK = "chr1\t1000\t1300\t.\t0\t.\t5\t-1\t-1\t150\n"


class World:
    """The valid inputs every row starts from, under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        rng = np.random.default_rng(15)
        self.genome = {c: "".join(rng.choice(list("ACGT"), CHROM_LEN)) for c in ("chr1", "chr2")}
        s = self.genome["chr1"]
        self.genome["chr1"] = s[:1000] + "GT" + s[1002:2998] + "AG" + s[3000:]
        self.fasta = self.write_fasta(self.genome)
        pysam.faidx(str(self.fasta))
        self.tss = self.write("tss.tsv", "chrom\ttss\tstrand\tname\n" + "".join(
            f"{c}\t{t}\t{s}\t{n}\n" for c, t, s, n in
            [("chr1", 8000, "+", "A_1"), ("chr1", 12000, "-", "B_1"), ("chr2", 9000, "+", "C_1")]
        ))  # fmt: skip
        self.tata = self.write("tata.txt", "A_1\nC_1\n")
        self.gtf = self.write("a.gtf", "".join(
            f'chr1\tx\texon\t{a}\t{b}\t.\t+\t.\ttranscript_id "t1"; transcript_type '
            '"protein_coding";\n' for a, b in ((501, 1000), (3001, 5000))
        ))  # fmt: skip
        self.peaks = self.write_gz("p.narrowPeak.gz", PEAK)
        self.custom = {
            split: self.write(f"{split}.csv", "sequence,label\nACGTACGT,0\nTTGACCAA,1\n")
            for split in ("train", "dev", "test")
        }
        self.config = self.write("c.yaml", "genome:\n  name: g\n  fasta: {url: x}\n")
        self.out = root / "out"

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def write_gz(self, name: str, text: str) -> Path:
        path = self.root / name
        with gzip.open(path, "wt") as fh:
            fh.write(text)
        return path

    def write_fasta(self, records: dict[str, str], name: str = "g.fa") -> Path:
        return self.write(name, "".join(f">{c}\n{s}\n" for c, s in records.items()))

    def truncate(self, path: Path, keep: float = 0.6) -> Path:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return path

    def with_letter(self, letter: str = "R", pos: int = BAD_POS) -> None:
        """Put ``letter`` at 0-based ``pos`` of chr1 and re-index (a FASTA that is just bad)."""
        s = self.genome["chr1"]
        self.fasta.unlink()
        Path(f"{self.fasta}.fai").unlink()
        self.write_fasta({**self.genome, "chr1": s[:pos] + letter + s[pos + 1 :]})
        pysam.faidx(str(self.fasta))

    # ---- entry points (command lines) ----
    def promoters(self, tss=None, tata=None) -> list[str]:
        return ["build-promoters", "--task", "prom300_tata", "--fasta", str(self.fasta),
                "--tss", str(tss or self.tss), "--tata", str(tata or self.tata),
                "--out-dir", str(self.out)]  # fmt: skip

    def promscan(self) -> list[str]:
        return ["build-promscan", "--fasta", str(self.fasta), "--tss", str(self.tss),
                "--out-dir", str(self.out)]  # fmt: skip

    def splice(self, gtf=None, config=None) -> list[str]:
        args = ["build-splice", "--fasta", str(self.fasta), "--gtf", str(gtf or self.gtf),
                "--out", str(self.out)]  # fmt: skip
        return args + (["--config", str(config)] if config else [])

    def tf(self, peaks=None) -> list[str]:
        return ["build-tf", "--peaks", str(peaks or self.peaks), "--fasta", str(self.fasta),
                "--out", str(self.out)]  # fmt: skip

    def corpus(self) -> list[str]:
        return ["build-corpus", "--fasta", str(self.fasta), "--out-dir", str(self.out), "--k", "3",
                "--coverage", "1", "--val-region-bp", "2000", "--val-fraction", "0.1"]  # fmt: skip

    def import_task(self, name: str = "mytask") -> list[str]:
        c = self.custom
        return ["import-task", "--name", name, "--train", str(c["train"]), "--dev",
                str(c["dev"]), "--test", str(c["test"]), "--out-dir", str(self.out)]  # fmt: skip

    def sizes(self) -> Path:
        return self.write("g.chrom.sizes", "".join(f"chr{i}\t{CHROM_LEN}\n" for i in (1, 2)))


def download_peaks_script(w: World) -> Callable[[], None]:
    """Rule download_peaks' script on a local narrowPeak without checksum (tf.source: local)."""
    from dnabert.datasets.encode import read_local_files, write_experiment_table

    table = w.root / "tf_experiments.tsv"
    record = read_local_files([w.peaks])[0]
    write_experiment_table([record], table)
    w.out = w.root / "resources" / "tf" / f"{record['experiment']}.narrowPeak.gz"
    smk = types.SimpleNamespace(
        input=types.SimpleNamespace(table=str(table)),
        output=[str(w.out)],
        log=[str(w.root / "download_peaks.log")],
        wildcards=types.SimpleNamespace(experiment=record["experiment"]),
    )
    script = REPO / "workflow" / "scripts" / "download_peaks.py"
    return lambda: runpy.run_path(str(script), init_globals={"snakemake": smk})


@dataclass
class Row:
    name: str
    run: Callable[[World], list[str] | Callable[[], None]]  # break the world, give the entry
    expect: list[str]  # fragments of the error message ({root} is the world's directory)
    leaves_nothing: tuple[str, ...] = ("out",)  # paths under the root that must not exist


def _letter(entry: str) -> Callable[[World], list[str]]:
    def run(w: World) -> list[str]:
        w.with_letter("R")
        return getattr(w, entry)()

    return run


LETTER = [f"{{root}}/g.fa: record chr1: invalid letter 'R' at position {BAD_POS}"]


def _stale_fai(w: World) -> list[str]:
    w.write_fasta({**w.genome, "chr1": w.genome["chr1"][:15_000]})  # changed, not re-indexed
    return w.promoters()


def _tss_bed_end_before_start(w: World) -> list[str]:
    bed = w.write("tss.bed", "chr1 8100 8040 A_1 900 + 8089 8090\n")
    return w.promoters(tss=bed)


def _custom_train_only_label(w: World) -> list[str]:
    w.write("train.csv", "sequence,label\nACGTACGT,0\nTTGACCAA,1\nGGGCCCAA,2\n")
    return w.import_task()


def _config(text: str) -> Callable[[World], list[str]]:
    def run(w: World) -> list[str]:
        return w.splice(config=w.write("c.yaml", "genome:\n  name: g\n  fasta: {url: x}\n" + text))

    return run


ROWS = [
    # letters other than ACGTN in the genome: every dataset step and the corpus
    # the promoter build reads only its windows (a chromosome is not loaded for a few windows):
    # a letter inside A_1's prom300 window (chr1:7751-8051)
    Row("letter_promoters", lambda w: (w.with_letter("R", 7900), w.promoters())[1],
        ["{root}/g.fa: record chr1: invalid letter 'R' at position 7900"]),
    Row("letter_promscan", _letter("promscan"), LETTER),
    Row("letter_splice", _letter("splice"), LETTER),
    Row("letter_tf", _letter("tf"), LETTER),
    Row("letter_corpus", _letter("corpus"), LETTER),
    Row("stale_fai_corpus", lambda w: (_stale_fai(w), w.corpus())[1],
        ["{root}/g.fa: its index {root}/g.fa.fai is stale"]),
    # the genome and its index
    Row("fasta_repeated_record_name",
        lambda w: [*["index-genome", str(w.write("d.fa", ">chr1\nACGT\n>chr2\nAC\n>chr1\nGG\n"))]],
        ["d.fa: 1 sequence name(s) used by more than one record ('chr1' x2)"],
        ("d.fa.fai", "d.chrom.sizes", "d.canonical.txt")),
    Row("stale_fai", _stale_fai,
        ["{root}/g.fa: its index {root}/g.fa.fai is stale: record 'chr1' holds 20000 bp",
         "Re-index: delete {root}/g.fa.fai"]),
    Row("canonical_pattern_not_a_regex",
        lambda w: ["index-genome", str(w.write_fasta(w.genome, "h.fa")), "--pattern", "^(chr"],
        ["canonical pattern '^(chr' is not a valid regular expression", "nothing was written"],
        ("h.fa.fai", "h.chrom.sizes", "h.canonical.txt")),
    Row("canonical_pattern_matches_nothing",
        lambda w: ["index-genome", str(w.write_fasta(w.genome, "h.fa")), "--pattern", "^scaf"],
        ["h.fa: no sequence name matches genome.canonical_pattern '^scaf'"],
        ("h.fa.fai", "h.chrom.sizes", "h.canonical.txt")),
    # truncated gzip, whoever reads it
    Row("truncated_gtf_gz_splice",
        lambda w: w.splice(gtf=w.truncate(w.write_gz("a.gtf.gz", w.gtf.read_text() * 50))),
        ["{root}/a.gtf.gz: cannot be read to its end", "end-of-stream marker"]),
    Row("truncated_peaks_gz_tf",
        lambda w: w.tf(peaks=w.truncate(w.write_gz("q.narrowPeak.gz", PEAK * 50))),
        ["{root}/q.narrowPeak.gz: cannot be read to its end", "truncated file"]),
    Row("truncated_gz_check_names",
        lambda w: ["check-names", str(w.sizes()),
                   str(w.truncate(w.write_gz("b.bed.gz", "chr1\t1\t5\n" * 400)))],
        ["{root}/b.bed.gz: cannot be read to its end"]),
    Row("truncated_tss_gz_promoters",
        lambda w: w.promoters(tss=w.truncate(w.write_gz("t.tsv.gz", w.tss.read_text() * 30))),
        ["{root}/t.tsv.gz: cannot be read to its end"]),
    Row("truncated_local_peaks_download_peaks",
        lambda w: (w.truncate(w.peaks, 0.8), download_peaks_script(w))[1],
        ["{root}/p.narrowPeak.gz: the file fails its check",
         "{root}/resources/tf/p.narrowPeak.gz: cannot be read to its end",
         "nothing was written to {root}/resources/tf/p.narrowPeak.gz"],
        ("resources/tf/p.narrowPeak.gz",)),
    Row("malformed_local_peaks_download_peaks",
        lambda w: (w.write_gz("p.narrowPeak.gz", "chr1\t10\t20\n"), download_peaks_script(w))[1],
        ["{root}/resources/tf/p.narrowPeak.gz:1: expected 10 narrowPeak columns, found 3"],
        ("resources/tf/p.narrowPeak.gz",)),
    # annotation and intervals
    Row("gtf_exon_past_chromosome_end",
        lambda w: w.splice(gtf=w.write("a.gtf", w.gtf.read_text().replace("3001\t5000", "19001\t20500"))),
        ["{root}/a.gtf:2: exon chr1:19001-20500 ends past the end of chr1 (20000 bp",
         "expected end <= 20000"]),
    Row("gtf_empty", lambda w: w.splice(gtf=w.write("a.gtf", "")),
        ["{root}/a.gtf: no exon lines, so no splice sites"]),
    Row("gtf_only_unknown_chromosomes",
        lambda w: w.splice(gtf=w.write("a.gtf", w.gtf.read_text().replace("chr1", "chr9"))),
        ["{root}/a.gtf: none of its 1 transcripts gives a splice site: 1 are on chromosomes "
         "missing from {root}/g.fa"]),
    Row("gtf_exon_without_transcript_id",
        lambda w: w.splice(gtf=w.write("a.gtf", "chr1\tx\texon\t1\t9\t.\t+\t.\tgene_id \"g\";\n")),
        ["{root}/a.gtf:1: exon line has no transcript_id attribute"]),
    Row("tss_bed_end_before_start", _tss_bed_end_before_start,
        ["{root}/tss.bed: line 1: end 8040 < start 8100; expected BED 0 <= start <= end"]),
    Row("tss_bad_strand",
        lambda w: w.promoters(tss=w.write("tss.tsv", "chrom\ttss\tstrand\tname\nchr1\t8000\t*\tA_1\n")),
        ["{root}/tss.tsv: line 2: strand '*'; expected + or -"]),
    Row("tata_names_match_no_tss",
        lambda w: w.promoters(tata=w.write("tata.txt", "X_1\nY_1\n")),
        ["{root}/tata.txt: none of its 2 TATA promoter names", "is a promoter name in {root}/tss.tsv"]),
    Row("peaks_summit_outside_peak",
        lambda w: w.tf(peaks=w.write_gz("p.narrowPeak.gz", "chr1\t1000\t1300\t.\t0\t.\t5\t-1\t-1\t400\n")),
        ["{root}/p.narrowPeak.gz:1: peak offset 400 outside [0, 300)"]),
    # users' tasks
    Row("custom_label_only_in_train", _custom_train_only_label,
        ["{root}/train.csv: line 4: label 2 occurs in train only", "silently get 3 classes"]),
    Row("custom_task_name_with_slash", lambda w: w.import_task("my/task"),
        ["custom task my/task: not a valid task name"]),
    Row("custom_task_builtin_name", lambda w: w.import_task("splice"),
        ["custom task splice: the name is a built-in task name"]),
    Row("custom_bad_letter",
        lambda w: (w.write("dev.csv", "sequence,label\nACGTACGT,0\nACXT,1\n"), w.import_task())[1],
        ["{root}/dev.csv: line 3: invalid letter 'X' at position 2"]),
    # config
    Row("config_negative_seed", _config("seeds: [-1]\n"),
        ["{root}/c.yaml: invalid value for 'seeds[0]': -1 is less than the minimum of 0"]),
    Row("config_bad_tata_regex", _config("datasets:\n  promoters:\n    tata_regex: 'TATA['\n"),
        ["'datasets.promoters.tata_regex': 'TATA[' is not a valid regular expression"]),
    Row("config_key_repeated", _config("seeds: [1]\nseeds: [2]\n"),
        ["{root}/c.yaml:5: ", "key 'seeds' repeated (first on line 4)"]),
    Row("config_yaml_syntax_error", _config("seeds: [1\n"),
        ["{root}/c.yaml:", "not valid YAML"]),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_bad_input(row: Row, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # rule scripts install their own
    w = World(tmp_path)
    entry = row.run(w)
    if callable(entry):  # a rule script: the exception ends the job (and its log)
        with pytest.raises(Exception) as info:  # noqa: PT011 -- the message is the contract
            entry()
        message = str(info.value)
    else:  # the command line: exit status 1 and one error line
        with caplog.at_level(logging.ERROR):
            assert main(entry) == 1
        message = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    for fragment in row.expect:
        assert fragment.format(root=tmp_path) in message
    for rel in row.leaves_nothing:
        assert not (tmp_path / rel).exists(), f"{rel} left behind"
    leftovers = [p for p in tmp_path.rglob(".*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_the_world_is_valid_for_every_entry_point(tmp_path):
    """The rows fail because of what they break, not because the world itself is broken."""
    w = World(tmp_path)
    for args in (w.splice(), w.tf(), w.import_task(), w.promscan(), w.corpus()):
        shutil.rmtree(w.out, ignore_errors=True)
        assert main(args) == 0, args
        assert (w.out / "summary.json").exists(), args


def test_table_is_large_enough():
    assert len(ROWS) >= 20 and len({r.name for r in ROWS}) == len(ROWS)


# ---------- where outputs go: symlinked scratch, mount points, a full disk ----------


def _build_tf(w: World, out: Path) -> None:
    w.out = out
    assert main(w.tf()) == 0


def test_output_directory_symlinked_to_scratch(tmp_path):
    w = World(tmp_path)
    scratch = tmp_path / "scratch" / "tf_p"
    scratch.mkdir(parents=True)
    (scratch / "old.tsv").write_text("from an earlier run\n")
    results = tmp_path / "results" / "datasets"
    results.mkdir(parents=True)
    link = results / "tf_p"
    link.symlink_to(scratch, target_is_directory=True)
    for _ in range(2):  # a first build, then a rebuild over it
        _build_tf(w, link)
        assert link.is_symlink() and link.resolve() == scratch.resolve()
        assert sorted(p.name for p in scratch.iterdir()) == [
            "dev.tsv", "summary.json", "test.tsv", "train.tsv"
        ]  # fmt: skip
    # the parent itself a symlink (results/datasets -> /scratch/...)
    (tmp_path / "results2").mkdir()
    (tmp_path / "results2" / "datasets").symlink_to(tmp_path / "scratch", target_is_directory=True)
    _build_tf(w, tmp_path / "results2" / "datasets" / "tf_q")
    assert (tmp_path / "scratch" / "tf_q" / "train.tsv").exists()


def test_output_directory_is_never_removed_or_renamed(tmp_path):
    """What a mount point needs (it cannot be removed or renamed): the directory's inode stays."""
    w = World(tmp_path)
    out = tmp_path / "out_dir"
    out.mkdir()
    inode = out.stat().st_ino
    _build_tf(w, out)
    _build_tf(w, out)
    assert out.stat().st_ino == inode
    assert (out / "train.tsv").exists()
    w.out = out
    w.with_letter("R")  # a failed rebuild leaves the previous output as it was
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(w.tf()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@contextlib.contextmanager
def _mounted(kind: str, target: Path, *options: str):
    cmd = ["mount", *options, kind, str(target)] if kind else ["mount", *options, str(target)]
    try:
        ok = os.geteuid() == 0 and subprocess.run(cmd, capture_output=True).returncode == 0
    except OSError:
        ok = False
    if not ok:
        pytest.skip(f"cannot mount here ({' '.join(cmd)}); the inode test covers the writer")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_output_directory_is_a_mount_point(tmp_path):
    w = World(tmp_path)
    source, out = tmp_path / "volume", tmp_path / "out_mount"
    source.mkdir()
    out.mkdir()
    with _mounted(str(source), out, "--bind"):
        _build_tf(w, out)
        _build_tf(w, out)
        assert subprocess.run(["mountpoint", "-q", str(out)]).returncode == 0  # still mounted
        assert (source / "train.tsv").exists()


def test_no_space_left_names_the_output(tmp_path, caplog):
    w = World(tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    with _mounted("tmpfs", full, "-t", "tmpfs", "-o", "size=16k"):
        w.out = full / "tf_p"
        with caplog.at_level(logging.ERROR):
            assert main(w.tf()) == 1
        assert f"No space left on device while writing {full / 'tf_p'}" in caplog.text
        written = [p for p in full.rglob("*") if p.is_file()]
        assert not written, f"partial output left on the full disk: {written}"

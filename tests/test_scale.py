"""The hg38-scale generator and benchmarks/bench_scale.py's table on a real (tiny) Snakemake run."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

from dnabert.demo_scale import HG38_BP, HG38_CHROMOSOMES, generate_scale

REPO = Path(__file__).resolve().parents[1]


def _bench_scale():
    spec = importlib.util.spec_from_file_location("bench_scale", REPO / "benchmarks/bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scale_run(tmp_path_factory):
    """Inputs at fraction 0.001 (24 chromosomes of >= 200 kb) and a Snakemake run of downloads,
    index and the name check on them."""
    work = tmp_path_factory.mktemp("scale")
    generate_scale(work / "resources/scale_source", fraction=0.001, n_tf_experiments=2)
    bench = _bench_scale()
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    run = subprocess.run(
        bench.snakemake_cmd(work, 1, ["results/qc/scale.chromosome_names.json"]),
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return work, bench


def test_generator_writes_hg38_shaped_inputs(scale_run):
    work, _ = scale_run
    src = work / "resources/scale_source"
    summary = json.loads((src / "summary.json").read_text())
    assert HG38_BP == 3_088_269_832  # the 24 GRCh38 chromosomes
    fai = pysam.FastaFile(str(work / "resources/genome/scale.fa"))
    expected = {c: max(200_000, int(n * 0.001)) for c, n, _ in HG38_CHROMOSOMES}
    assert dict(zip(fai.references, fai.lengths, strict=True)) == expected
    chr1 = fai.fetch("chr1")
    assert set(chr1[:10_000]) == {"N"}  # telomere
    body = chr1[10_000:-10_000]
    lower = sum(c.islower() for c in body) / len(body)
    assert 0.3 < lower < 0.7  # soft-masked stretches, ~50%
    # EPD formats: space-delimited BED8 and the '#Name' TAB table; TATA boxes planted at -31
    bed = (src / "epdnew_tss.bed").read_text().splitlines()
    tata_lines = (src / "epdnew_tata.txt").read_text().splitlines()
    assert tata_lines[0] == "#Name\tTATA-box\tInr\tCCAAT-box\tGC-box"
    tata = {ln.split("\t")[0] for ln in tata_lines[1:] if ln.split("\t")[1] == "1"}
    assert len(bed) == summary["tss"] == len(tata_lines) - 1 and len(tata) == summary["tata"]
    checked = 0
    for line in bed:
        chrom, s, e, name, _, strand, ts, te = line.split(" ")
        if name in tata:
            t = int(ts) if strand == "+" else int(te) - 1
            box = (
                fai.fetch(chrom, t - 31, t - 23)
                if strand == "+"
                else fai.fetch(chrom, t + 24, t + 32)
            )
            assert box.upper() == ("TATAAAAG" if strand == "+" else "CTTTTATA")
            checked += 1
    assert checked == len(tata)
    # GENCODE-layout GTF: exon lines with GENCODE attributes, GT..AG introns
    with gzip.open(src / "annotation.gtf.gz", "rt") as fh:
        exons = [ln for ln in fh if "\texon\t" in ln]
    assert len(exons) == summary["exon_lines"] > summary["transcripts"] > summary["genes"]
    assert 'exon_id "ENSE' in exons[0] and 'gene_type "' in exons[0]
    # ENCODE-scale peak files described by a portal metadata.tsv
    assert len(summary["peaks"]) == 2
    meta = (src / "metadata.tsv").read_text().splitlines()
    assert meta[0].startswith("File accession\tFile format\t")
    assert sum("tf/DEMOTF01.bed.gz" in row for row in meta) == 1


def test_generator_is_deterministic(tmp_path):
    a = generate_scale(tmp_path / "a", fraction=0.0005, n_tf_experiments=1)
    b = generate_scale(tmp_path / "b", fraction=0.0005, n_tf_experiments=1)
    assert a["md5sums"].read_text() == b["md5sums"].read_text()


def test_bench_scale_tabulates_real_benchmark_files(scale_run):
    work, bench = scale_run
    rows = bench.tabulate(work, n_tf=2, k=6)
    rules = {r["rule"]: r for r in bench.by_rule(rows)}
    assert {"download_resource", "index_genome", "check_chromosome_names"} <= set(rules)
    assert (
        rules["download_resource"]["jobs"] == 4
    )  # what the name check reads: genome, GTF, TSS, blacklist
    assert rules["index_genome"]["mem_mb"] == 1000  # as declared in workflow/rules/genome.smk
    for r in rules.values():
        assert r["wall_s"] > 0 and 30 < r["peak_rss_mb"] < r["mem_mb"]
    genome = next(r for r in rows if r["job"] == "benchmarks/download/genome/scale.fa.tsv")
    assert genome["output_bytes"] == (work / "resources/genome/scale.fa").stat().st_size
    table = bench.format_table(bench.by_rule(rows))
    assert table.splitlines()[0].startswith("| rule | jobs | wall s | CPU s |")
    assert "**over**" not in table


def test_bench_scale_flags_a_peak_over_the_declared_memory(scale_run):
    work, bench = scale_run
    rows = bench.tabulate(work, n_tf=2, k=6)
    rows[0]["mem_mb"] = 1  # as if the rule had declared 1 MB
    rules = bench.by_rule(rows)
    assert rules[0]["over"] == 1
    assert "**over**" in bench.format_table(rules)


def test_fit_gives_growth_exponents(tmp_path):
    bench = _bench_scale()
    rule = {"rule": "x", "jobs": 1, "mem_mb": 100, "output_bytes": 0, "over": 0, "max_job_s": 0}
    a = {"fraction": 0.01, "rules": [rule | {"wall_s": 1.0, "cpu_s": 1.0, "peak_rss_mb": 100.0}]}
    b = {"fraction": 0.1, "rules": [rule | {"wall_s": 10.0, "cpu_s": 10.0, "peak_rss_mb": 100.0}]}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    row = bench.fit(tmp_path / "a.json", tmp_path / "b.json").splitlines()[-1]
    # wall and CPU time linear (exponent 1, 100 s at 100%), memory flat (exponent 0)
    cells = row.split(" | ")
    assert cells[1:4] == ["1.00", "1.00", "0.00"] and cells[5:7] == ["100", "100"]
    assert cells[8].rstrip(" |") == "100"  # no memory above the floor: none projected


def test_parse_dry_run_reads_jobs():
    bench = _bench_scale()
    text = (
        "rule index_genome:\n    input: a.fa\n    output: a.fa.fai, a.sizes\n"
        "    log: logs/x.log\n    benchmark: benchmarks/x.tsv\n"
        "    resources: tmpdir=/tmp, runtime=60, mem_mb=2000, mem=2 GB\n"
        "localrule download_resource:\n    output: r\n"
    )
    jobs = bench.parse_dry_run(text)
    assert jobs[0] == {"rule": "index_genome", "benchmark": ["benchmarks/x.tsv"],
                       "log": ["logs/x.log"], "output": ["a.fa.fai", "a.sizes"],
                       "mem_mb": 2000}  # fmt: skip
    assert jobs[1]["rule"] == "download_resource" and jobs[1]["benchmark"] == []
    assert sys.executable  # the benchmark runs Snakemake with this interpreter's environment

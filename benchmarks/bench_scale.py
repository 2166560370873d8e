"""Benchmark: every data stage through Snakemake on an hg38-scale genome; time and memory per rule.

Run (from the repository root, package on the path; heavy: use ``nice``):

    python benchmarks/bench_scale.py --fraction 0.01                  # ~31 Mbp, a few minutes
    python benchmarks/bench_scale.py --fraction 0.1 --workdir /work/scale-runs/f0.1 --keep
    python benchmarks/bench_scale.py --table /work/scale-runs/f0.1    # re-tabulate a kept run
    python benchmarks/bench_scale.py --fit f0.01.json f0.1.json       # growth exponents

Steps: ``dnabert make-demo --preset hg38-scale --fraction F`` writes the inputs into
``WORKDIR/resources/scale_source``; Snakemake runs config/scale.yaml in WORKDIR for: downloads
from ``file:`` URLs, genome index, the chromosome-name check, the six promoter tasks, promscan,
splice, SpliceFinder's hard-negative scan (after a token training run), ``--n-tf`` TF experiments
and the pretraining corpus for ``--k``. Then one table: per rule the jobs, wall seconds (sum and
slowest job), CPU seconds and peak RSS (the larger of Snakemake's ``benchmark:`` ``max_rss`` and
the ``peak RSS: N MB, CPU: S s`` line every job's log ends with, see :mod:`dnabert.joblog`; the
benchmark file samples every 30 s), the declared ``mem_mb`` and the bytes of its outputs. Exit status 1 when a job's peak RSS exceeds its rule's declared ``mem_mb``.

``--json PATH`` saves the rows; ``--fit A.json B.json`` prints per rule the growth exponent
``log(y_B / y_A) / log(F_B / F_A)`` of wall time, CPU time and peak RSS (per job), and the
projections to 100%: CPU time with the fitted exponent and linearly, peak RSS with its excess over
the interpreter's floor grown linearly (an upper bound when growth is at most linear).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "scale.yaml"
PROMOTER_TASKS = [f"prom{a}_{b}" for a in ("300", "core") for b in ("tata", "notata", "all")]
PEAK_RE = re.compile(r"peak RSS: ([0-9.]+) MB")
CPU_RE = re.compile(r"peak RSS: [0-9.]+ MB, CPU: ([0-9.]+) s")


def targets(n_tf: int, k: int, scan: bool = True) -> list[str]:
    """The files Snakemake is asked for: every data stage (see the module docstring); without
    ``scan``, not SpliceFinder's hard-negative scan (nor its training run)."""
    out = [
        "resources/genome/scale.fa.fai",
        "results/qc/scale.chromosome_names.json",
        *(f"results/datasets/{t}/summary.json" for t in [*PROMOTER_TASKS, "promscan", "splice"]),
        *(["results/baselines/splice_reconstruction/round1/hard_negatives.bed"] if scan else []),
        *(f"results/datasets/tf_DEMOTF{i:02d}/summary.json" for i in range(1, n_tf + 1)),
        f"results/pretrain/k{k}/summary.json",
    ]
    return out


def snakemake_cmd(workdir: Path, cores: int, extra: list[str]) -> list[str]:
    exe = shutil.which("snakemake") or str(Path(sys.executable).parent / "snakemake")
    return [exe, "-s", str(REPO / "Snakefile"), "--configfile", str(CONFIG),
            "--directory", str(workdir), "--cores", str(cores), *extra]  # fmt: skip


def parse_dry_run(text: str) -> list[dict]:
    """Jobs of a Snakemake dry run's output: ``rule``, ``benchmark``, ``log``, ``output``
    (lists of paths), ``mem_mb`` (int or None)."""
    jobs, job = [], None
    for line in text.splitlines():
        m = re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):$", line.strip())
        if m and not line.startswith(" "):
            job = {"rule": m.group(1), "benchmark": [], "log": [], "output": [], "mem_mb": None}
            jobs.append(job)
            continue
        if job is None:
            continue
        key, _, value = line.strip().partition(": ")
        if key in ("benchmark", "log", "output"):
            job[key] = [v.strip() for v in value.split(",") if v.strip()]
        elif key == "resources":
            m = re.search(r"\bmem_mb=(\d+)", value)
            job["mem_mb"] = int(m.group(1)) if m else None
    return jobs


def read_benchmark(path: Path) -> dict:
    """The first data row of a Snakemake benchmark TSV: ``s``, ``max_rss`` (MB), ... as floats."""
    header, row = path.read_text().splitlines()[:2]
    out = {}
    for key, value in zip(header.split("\t"), row.split("\t"), strict=True):
        try:
            out[key] = float(value)
        except ValueError:
            out[key] = math.nan  # "-" where psutil could not measure
    return out


def log_figure(paths: list[Path], pattern: re.Pattern = PEAK_RE) -> float:
    """The largest figure ``pattern`` finds in the job's logs (:mod:`dnabert.joblog` ends each
    with ``peak RSS: N MB, CPU: S s``), else NaN."""
    found = [
        float(m.group(1))
        for p in paths
        if p.is_file()
        for m in pattern.finditer(p.read_text(errors="replace"))
    ]
    return max(found, default=math.nan)


def path_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size if path.exists() else 0


def collect(workdir: Path, jobs: list[dict]) -> list[dict]:
    """Per job: measured wall s and peak RSS, declared mem_mb, output bytes (jobs with a
    benchmark file only)."""
    rows = []
    for job in jobs:
        if not job["benchmark"]:
            continue
        bench = workdir / job["benchmark"][0]
        if not bench.is_file():
            continue
        b = read_benchmark(bench)
        logs = [workdir / p for p in job["log"]]
        peak = max(
            (v for v in (b.get("max_rss", math.nan), log_figure(logs)) if not math.isnan(v)),
            default=math.nan,
        )
        cpu = log_figure(logs, CPU_RE)  # exact; the benchmark file's is sampled
        if math.isnan(cpu):
            cpu = b.get("cpu_time", math.nan)
        rows.append({
            "rule": job["rule"], "job": job["benchmark"][0], "wall_s": b.get("s", math.nan),
            "cpu_s": cpu,
            "peak_rss_mb": peak, "mem_mb": job["mem_mb"],
            "output_bytes": sum(path_bytes(workdir / p) for p in job["output"]),
        })  # fmt: skip
    return rows


def by_rule(rows: list[dict]) -> list[dict]:
    """Rows summed / maxed per rule, in first-seen order."""
    out: dict[str, dict] = {}
    for r in rows:
        a = out.setdefault(r["rule"], {"rule": r["rule"], "jobs": 0, "wall_s": 0.0, "cpu_s": 0.0,
                                       "max_job_s": 0.0, "peak_rss_mb": 0.0, "mem_mb": r["mem_mb"],
                                       "output_bytes": 0, "over": 0})  # fmt: skip
        a["jobs"] += 1
        a["wall_s"] += r["wall_s"]
        a["cpu_s"] += 0.0 if math.isnan(r.get("cpu_s", math.nan)) else r["cpu_s"]
        a["max_job_s"] = max(a["max_job_s"], r["wall_s"])
        a["peak_rss_mb"] = max(a["peak_rss_mb"], r["peak_rss_mb"])
        a["output_bytes"] += r["output_bytes"]
        a["over"] += bool(r["mem_mb"] and r["peak_rss_mb"] > r["mem_mb"])
    return list(out.values())


def _num(x) -> str:
    return "-" if x is None or math.isnan(x) else f"{x:.1f}"


def format_table(rules: list[dict], title: str = "") -> str:
    lines = [title] if title else []
    lines.append(
        "| rule | jobs | wall s | CPU s | slowest job s | peak RSS MB | mem_mb | output MB |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rules:
        flag = " **over**" if r["over"] else ""
        lines.append(
            f"| {r['rule']} | {r['jobs']} | {r['wall_s']:.1f} | {_num(r.get('cpu_s'))} | "
            f"{r['max_job_s']:.1f} | "
            f"{r['peak_rss_mb']:.0f}{flag} | {r['mem_mb'] or '-'} | {r['output_bytes'] / 1e6:.1f} |"
        )
    return "\n".join(lines)


def tabulate(workdir: Path, n_tf: int, k: int, scan: bool = True) -> list[dict]:
    """Rows of a finished run in ``workdir`` (a dry run with --forceall recovers its jobs)."""
    dry = subprocess.run(
        snakemake_cmd(workdir, 1, ["-n", "--forceall", *targets(n_tf, k, scan)]),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return collect(workdir, parse_dry_run(dry.stdout + dry.stderr))


def fit(a_path: Path, b_path: Path) -> str:
    """Growth exponents per rule between two saved runs and projections to 100%."""
    a, b = (json.loads(Path(p).read_text()) for p in (a_path, b_path))
    fa, fb = a["fraction"], b["fraction"]
    ra = {r["rule"]: r for r in a["rules"]}
    base = min(r["peak_rss_mb"] for r in a["rules"])  # the interpreter's floor (~150 MB)
    lines = [
        f"| rule | wall exp. | CPU exp. | RSS exp. | CPU s at {fb:g} | CPU s at 1.0, fitted | "
        f"CPU s at 1.0, linear | peak RSS MB at {fb:g} | peak RSS MB at 1.0, linear excess |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    scale = math.log(fb / fa)

    def exponent(key, q, r):  # per job: TF jobs count the same at both fractions
        ya, yb = q.get(key, math.nan) / q["jobs"], r.get(key, math.nan) / r["jobs"]
        return math.log(max(yb, 1e-3) / max(ya, 1e-3)) / scale

    for r in b["rules"]:
        if r["rule"] not in ra:
            continue
        q = ra[r["rule"]]
        ew, ec = exponent("wall_s", q, r), exponent("cpu_s", q, r)
        er = math.log(r["peak_rss_mb"] / q["peak_rss_mb"]) / scale
        cpu = r.get("cpu_s", math.nan)
        # memory above the interpreter's floor grown linearly: an upper bound for growth <= 1
        pr = base + max(r["peak_rss_mb"] - base, 0) / fb
        lines.append(
            f"| {r['rule']} | {ew:.2f} | {ec:.2f} | {er:.2f} | {cpu:.1f} | "
            f"{cpu * (1 / fb) ** max(ec, 0):.0f} | {cpu / fb:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{pr:.0f} |"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=0.01, help="share of hg38's size (0.01)")
    ap.add_argument("--n-tf", type=int, default=3, help="TF experiments (3)")
    ap.add_argument("--k", type=int, default=6, help="k of the corpus (6)")
    ap.add_argument("--cores", type=int, default=1, help="Snakemake --cores (1: one job at a time)")
    ap.add_argument("--workdir", type=Path, help="run here (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--json", type=Path, help="save the rows here")
    ap.add_argument("--table", type=Path, metavar="WORKDIR", help="only tabulate a finished run")
    ap.add_argument("--fit", type=Path, nargs=2, metavar="JSON", help="growth between two runs")
    ap.add_argument("--no-scan", action="store_true", help="leave out the hard-negative scan")
    ap.add_argument(
        "--source", type=Path, help="use these generated inputs (a make-demo outdir) as they are"
    )
    args = ap.parse_args()
    if args.fit:
        print(fit(*args.fit))
        return 0
    gen = None
    if args.table:
        workdir = args.table
    else:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_scale.", dir="/tmp"))
        workdir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])))  # fmt: skip
        t = time.perf_counter()
        if args.source:
            (workdir / "resources").mkdir(exist_ok=True)
            (workdir / "resources/scale_source").symlink_to(args.source.resolve())
        else:
            subprocess.run(
                [sys.executable, "-m", "dnabert.cli", "make-demo", "--preset", "hg38-scale",
                 "--fraction", str(args.fraction), "--n-tf-experiments", str(args.n_tf),
                 "--outdir", str(workdir / "resources/scale_source")],
                check=True, env=env, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            gen_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            gen = {"rule": "make-demo --preset hg38-scale (generator)", "jobs": 1,
                   "wall_s": time.perf_counter() - t, "max_job_s": time.perf_counter() - t,
                   "peak_rss_mb": gen_rss, "mem_mb": None, "over": 0,
                   "output_bytes": path_bytes(workdir / "resources/scale_source")}  # fmt: skip
        t = time.perf_counter()
        run = subprocess.run(
            snakemake_cmd(workdir, args.cores, targets(args.n_tf, args.k, not args.no_scan)),
            env=env,
        )
        total = time.perf_counter() - t
        if run.returncode:
            print(f"snakemake failed (exit {run.returncode}); logs in {workdir}/logs")
            return run.returncode
    rows = tabulate(workdir, args.n_tf, args.k, not args.no_scan)
    rules = by_rule(rows)
    if gen:
        rules.insert(0, gen)
    src = json.loads((workdir / "resources/scale_source/summary.json").read_text())
    title = (
        f"fraction {src['args']['fraction']:g}: {src['genome_bp'] / 1e6:,.0f} Mbp, "
        f"{src['genes']:,} genes, {src['transcripts']:,} transcripts, "
        f"{src['exon_lines']:,} exons, {src['tss']:,} TSSs, {args.n_tf} TF experiments"
    )
    if not args.table:
        title += f"; Snakemake wall {total:.0f} s with --cores {args.cores}"
    print(format_table(rules, title))
    over = [r for r in rows if r["mem_mb"] and r["peak_rss_mb"] > r["mem_mb"]]
    for r in over:
        print(f"OVER: {r['job']}: peak RSS {r['peak_rss_mb']:.0f} MB > mem_mb {r['mem_mb']}")
    if args.json:
        args.json.write_text(json.dumps({"fraction": src["args"]["fraction"], "source": src,
                                         "rules": rules, "jobs": rows}, indent=1))  # fmt: skip
    if not (args.table or args.keep or args.workdir):
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: peak memory of reading one dataset split TSV the ways the trainers read it.

Each way runs in a fresh process (its own peak RSS, ``ru_maxrss``); prints one table: way, rows
kept, peak RSS MB, wall s. The figures in ``benchmarks/README.md`` ("Training inputs at scale")
come from the 100% promscan train split of ``bench_scale.py --fraction 1.0``::

    PYTHONPATH=src python benchmarks/bench_split_read.py results/datasets/promscan/train.tsv

Ways: ``whole`` (the whole table, as every trainer read it before), ``two_columns`` (the
baselines' train split: ``sequence`` and ``label``), ``finetune_capped`` (``load_split`` with
``--cap`` examples), ``finetune_all`` (every window tokenized at ``--k``), ``promid_splits``
(what ``train_baseline`` holds: the train split's two columns, dev and test whole, beside it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

WAYS = {
    "whole": "from dnabert.datasets.common import read_task_split\nn = len(read_task_split(PATH))",
    "two_columns": "from dnabert.datasets.common import read_task_split\n"
    "n = len(read_task_split(PATH, columns=['sequence', 'label']))",
    "finetune_capped": "from dnabert.finetune import load_split\n"
    "n = len(load_split(PATH, K, CAP, 42, keep_extra=False))",
    "finetune_all": "from dnabert.finetune import load_split\n"
    "n = len(load_split(PATH, K, None, 42, keep_extra=False))",
    "promid_splits": "from pathlib import Path\n"
    "from dnabert.baselines.train_baseline import OneHotData, _common_length\n"
    "from dnabert.datasets.common import read_task_split\n"
    "d = Path(PATH).parent\n"
    "s = {x: read_task_split(d / f'{x}.tsv', columns=['sequence', 'label'] if x == 'train' "
    "else None) for x in ('train', 'dev', 'test')}\n"
    "_common_length(s, d)\n"
    "n = len(OneHotData(s['train']))",
}

CHILD = """
import json, resource, sys, time
PATH, K, CAP = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
{body}
print(json.dumps({{"rows": n, "wall_s": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("split", help="a split TSV (sequence, label, ...)")
    p.add_argument("--ways", nargs="+", choices=list(WAYS), default=list(WAYS))
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--cap", type=int, default=100_000, help="finetune_capped's examples")
    args = p.parse_args(argv)
    print("| way | rows | peak RSS MB | wall s |")
    print("|---|---:|---:|---:|")
    for way in args.ways:
        code = CHILD.format(body=WAYS[way])
        out = subprocess.run(
            [sys.executable, "-c", code, args.split, str(args.k), str(args.cap)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {way} | {r['rows']:,} | {r['peak_mb']:,.0f} | {r['wall_s']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# GPU check: one prepared run (about 5-8 minutes on one GPU) that prints one table.
#
#   bash benchmarks/gpu_check.sh                 # on a machine with a CUDA GPU
#   bash benchmarks/gpu_check.sh --dry-run       # anywhere: tiny CPU versions of every step
#   bash benchmarks/gpu_check.sh --out DIR       # keep logs and the demo run in DIR
#
# Steps (each under its own time limit; a failed or timed-out step is a row marked FAIL and the
# script goes on):
#   1. bench_pretrain.py, BERT-base k=6, 512 tokens: (a) plain Hugging Face step (fp32, eager
#      attention, padded) vs (b) this project's step (SDPA, bf16 autocast, fused AdamW, length
#      buckets), torch.compile off, then on; tokens/s and MFU;
#   2. bench_inference.py on CUDA (demo and BERT-base classifiers, 101 and 300 bp);
#   3. Snakemake on the demo config: 200 CUDA pretraining steps of the demo model, then one
#      fine-tuning run (prom300_tata), with wall time and the devices recorded in metrics.json.
# The dry run swaps in the tiny preset, CPU, 2 steps, no torch.compile (its CPU compile takes
# minutes), and a Snakemake dry run (-n) of step 3.
# Never run in CI on a GPU; tests run --dry-run only. Needs the package on PYTHONPATH (set
# below from the repository) and snakemake on PATH.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY=0
OUT=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --out) OUT="$2"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
OUT="${OUT:-$(mktemp -d /tmp/gpu_check.XXXXXX)}"
mkdir -p "$OUT"
export PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"
ROWS="$OUT/rows.tsv"
: >"$ROWS"

if [[ $DRY -eq 1 ]]; then
    PRESET=tiny; DEVICE=cpu; STEPS=2; INF_ARGS=(--device cpu --n 8 --batch-size 8 --presets demo)
    SMK_DRY=(-n); T_PRE=120; T_COMPILE=120; T_INF=60; T_SMK=120
    COMPILE=()  # inductor's CPU compile takes minutes: the dry run runs step (b) uncompiled
else
    PRESET=base; DEVICE=cuda; STEPS=30; INF_ARGS=(--device cuda --n 4096)
    SMK_DRY=(); T_PRE=120; T_COMPILE=210; T_INF=60; T_SMK=300
    COMPILE=(--compile)
    if ! "$PY" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
        echo "no CUDA device visible to torch: run with --dry-run on CPU" >&2
        exit 2
    fi
fi
echo "gpu_check: out=$OUT dry_run=$DRY preset=$PRESET device=$DEVICE steps=$STEPS"

step() {  # step NAME TIMEOUT_S CMD... : run, log, record "name status seconds"
    local name="$1" limit="$2"; shift 2
    local t0=$SECONDS status=ok
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1 || status="FAIL(exit $?)"
    printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" >>"$ROWS"
}

# 1. pretraining step: plain HF vs this project, compile off / on
step pretrain_eager "$T_PRE" "$PY" "$REPO/benchmarks/bench_pretrain.py" \
    --preset "$PRESET" --device "$DEVICE" --steps "$STEPS"
step pretrain_compile "$T_COMPILE" "$PY" "$REPO/benchmarks/bench_pretrain.py" \
    --preset "$PRESET" --device "$DEVICE" --steps "$STEPS" "${COMPILE[@]}"

# 2. fine-tuned model inference
step inference "$T_INF" "$PY" "$REPO/benchmarks/bench_inference.py" "${INF_ARGS[@]}"

# 3. the demo through Snakemake: 200 pretraining steps on the GPU, one fine-tuning run
cat >"$OUT/gpu_overlay.yaml" <<'EOF'
pretrain:
  train:
    max_steps: 200
    eval_every: 100
    ckpt_every: 100
finetune:
  tasks: [prom300_tata]
EOF
SMK="$(command -v snakemake || echo "$(dirname "$(command -v "$PY")")/snakemake")"
step snakemake_demo "$T_SMK" "$SMK" -s "$REPO/Snakefile" \
    --configfile "$REPO/config/demo.yaml" "$OUT/gpu_overlay.yaml" \
    --directory "$OUT/demo" --cores 4 --resources gpu=1 "${SMK_DRY[@]}" \
    results/models/dnabert6 results/finetune/prom300_tata/dnabert6/seed42/metrics.json

# one table from the logs
"$PY" - "$OUT" "$DRY" <<'EOF'
import json, re, sys
from pathlib import Path

out, dry = Path(sys.argv[1]), sys.argv[2] == "1"
rows = {r.split("\t")[0]: r.split("\t")[1:] for r in (out / "rows.tsv").read_text().splitlines()}


def grab(name, pattern):
    log = out / f"{name}.log"
    m = re.search(pattern, log.read_text()) if log.exists() else None
    return m.group(1) if m else "-"


table = []
for name, compile_ in (("pretrain_eager", "off"), ("pretrain_compile", "off (dry run)" if dry else "on")):
    status, sec = rows[name]
    if compile_ == "off":
        plain = grab(name, r"\(a\) plain HF fp32 eager padded\s*:\s*([0-9.]+)")
        mfu_a = grab(name, r"MFU \(a\), real tokens only\s*:\s*([0-9.]+%)")
        table.append(("bench_pretrain (a) plain HF fp32 eager", "tokens/s", plain, mfu_a, status, sec))
    ours = grab(name, r"\(b\) this project's step\s*:\s*([0-9.]+)")
    mfu = grab(name, r"MFU \(b\)\s*:\s*([0-9.]+%)")
    ratio = grab(name, r"ratio \(b\)/\(a\)\s*:\s*([0-9.]+x)")
    table.append((f"bench_pretrain (b) project, compile {compile_} ({ratio} of (a))", "tokens/s",
                  ours, mfu, status, sec))
status, sec = rows["inference"]
log = (out / "inference.log").read_text() if (out / "inference.log").exists() else ""
for model, length, rate in re.findall(r"^(\w+)\s+(\d+)bp\s+\d+\s+([0-9.]+)$", log, re.M):
    table.append((f"bench_inference {model} {length} bp", "seq/s", rate, "-", status, sec))
if not re.search(r"bp\s+\d+\s+[0-9.]+$", log, re.M):
    table.append(("bench_inference", "seq/s", "-", "-", status, sec))
status, sec = rows["snakemake_demo"]
demo = out / "demo" / "results"
pre, fin = demo / "models/dnabert6/metrics.json", demo / "finetune/prom300_tata/dnabert6/seed42/metrics.json"
if dry:
    jobs = grab("snakemake_demo", r"(?s)Job stats:.*?total\s+(\d+)")
    table.append((f"snakemake demo: dry run ({jobs} jobs planned)", "-", "-", "-", status, sec))
else:
    p = json.loads(pre.read_text()) if pre.exists() else {}
    f = json.loads(fin.read_text()) if fin.exists() else {}
    table.append((f"snakemake demo: pretrain {p.get('steps', '-')} steps on {p.get('device', '-')}",
                  "val MLM acc", f"{p.get('val_mlm_acc', float('nan')):.4f}", "-", status, sec))
    table.append(("snakemake demo: fine-tune prom300_tata", "test MCC",
                  f"{f.get('mcc', float('nan')):.3f}", "-", status, "(incl. above)"))
print(f"\n| check | unit | value | MFU | status | s |\n|---|---|---:|---:|---|---:|")
for row in table:
    print("| " + " | ".join(str(x) for x in row) + " |")
print(f"\nlogs: {out}")
EOF

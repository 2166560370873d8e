#!/usr/bin/env bash
# End-to-end check on a real (local, single-node) SLURM: bring it up, run part of the demo and a
# GPU-flagged rule with the SLURM executor, check in SLURM's own records that every Snakemake job
# went through SLURM and completed, bring it down. Exit status 0 only if all of that holds.
#
#   tests/slurm/run_demo_on_slurm.sh        # as root, with munge slurmctld slurmd slurm-client
#
# Runs (each under `timeout`, DNABERT_SLURM_STEP_TIMEOUT seconds, default 240):
#   1. the demo workflow up to resources/genome/demo.fa.fai: rules generate_demo_data and
#      index_genome (CPU jobs); download_resource is a local rule and must not reach SLURM;
#   2. tests/slurm/Snakefile: rules probe_gpu (gpu=1, the fake GRES of up.sh) and
#      probe_gpu_batch (gres gpu:1 + mpi, the multi-node geometry on one node) start a probe
#      through workflow/scripts/launch_torchrun.sh, as the pretraining rule does.
# Checks, for every "submitted with SLURM jobid N" in Snakemake's output: slurmctld.log has
# "sched: Allocate JobId=N" and "_job_complete: JobId=N done", `scontrol show job N` says
# COMPLETED and names the rule in its comment; each GPU job's request holds gres gpu:1 and its
# probe saw CUDA_VISIBLE_DEVICES and its own SLURM job id. Uses the `snakemake` on PATH
# (override with SNAKEMAKE=...). Stops only the daemons up.sh started (down.sh, on exit).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SNAKEMAKE=${SNAKEMAKE:-snakemake}
STEP_TIMEOUT=${DNABERT_SLURM_STEP_TIMEOUT:-240}
WORK=$(mktemp -d /tmp/dnabert-slurm-run.XXXXXX)
STATE=$(mktemp -d /tmp/dnabert-slurm.XXXXXX)

STEP_PID=""
cleanup() {
    local rc=$?
    if [ -n "$STEP_PID" ] && kill -0 "$STEP_PID" 2>/dev/null; then
        # the `timeout` running snakemake (started below): TERM passes to snakemake, which
        # cancels its SLURM jobs; KILL both after 30 s
        kill -TERM "$STEP_PID" 2>/dev/null
        for _ in $(seq 60); do
            kill -0 "$STEP_PID" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$STEP_PID" 2>/dev/null; then
            pkill -KILL -P "$STEP_PID" 2>/dev/null
            kill -KILL "$STEP_PID" 2>/dev/null
        fi
    fi
    "$REPO/tests/slurm/down.sh" "$STATE" || rc=1
    if [ "$rc" = 0 ]; then
        rm -rf "$WORK" "$STATE"
    else
        echo "run_demo_on_slurm: FAILED; kept $WORK (Snakemake) and $STATE (SLURM logs)" >&2
        tail -n 30 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # an outer `timeout` still brings the cluster down
fail() {
    echo "run_demo_on_slurm: $*" >&2
    exit 1
}

"$REPO/tests/slurm/up.sh" "$STATE" >/dev/null
# shellcheck source=/dev/null
source "$STATE/env.sh"

run_on_slurm() { # run_on_slurm NAME SNAKEMAKE_ARGS...: run in $WORK/NAME, output in $WORK/NAME.log
    local name=$1
    shift
    echo "== snakemake on SLURM: $name" >&2
    # in the background so that a TERM to this script is handled at once (bash waits for
    # foreground children before running traps)
    timeout "$STEP_TIMEOUT" "$SNAKEMAKE" --executor slurm --profile "$REPO/tests/slurm/profile" \
        --directory "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1 &
    STEP_PID=$!
    wait "$STEP_PID" || {
        STEP_PID=""
        tail -n 40 "$WORK/$name.log" >&2
        fail "snakemake ($name) failed or timed out after ${STEP_TIMEOUT}s"
    }
    STEP_PID=""
}

check_slurm_records() { # check_slurm_records NAME EXPECTED_RULE...
    local name=$1 log=$WORK/$1.log id rule info n_jobs
    shift
    mapfile -t ids < <(sed -n 's/.*submitted with SLURM jobid \([0-9]*\).*/\1/p' "$log")
    # every finished job but the local target rule `all` must have been a SLURM job
    # local rules (the target and the downloads: localrules in the Snakefile) run on this host
    n_jobs=$(grep "^Finished jobid: .* (Rule: " "$log" |
        grep -vcE "\(Rule: (all|download_resource|download_tf_index|download_peaks)\)" || true)
    [ "${#ids[@]}" -gt 0 ] || fail "$name: no job was submitted to SLURM"
    [ "${#ids[@]}" = "$n_jobs" ] ||
        fail "$name: ${#ids[@]} SLURM submissions for $n_jobs non-local jobs"
    local comments=""
    for id in "${ids[@]}"; do
        grep -q "sched: Allocate JobId=$id " "$STATE/slurmctld.log" ||
            fail "$name: slurmctld.log never allocated JobId=$id"
        grep -q "_job_complete: JobId=$id done" "$STATE/slurmctld.log" ||
            fail "$name: slurmctld.log has no completion of JobId=$id"
        info=$(scontrol show job "$id")
        grep -q "JobState=COMPLETED" <<<"$info" || fail "$name: SLURM job $id not COMPLETED"
        comments+=" $(sed -n 's/.*Comment=\([^ ]*\).*/\1/p' <<<"$info")"
    done
    for rule in "$@"; do
        grep -q "rule_$rule" <<<"$comments" || fail "$name: no SLURM job ran rule $rule"
    done
    echo "   SLURM jobs ${ids[*]} allocated, completed, rules: $*" >&2
}

run_on_slurm demo resources/genome/demo.fa.fai -s "$REPO/Snakefile" \
    --configfile "$REPO/config/demo.yaml"
check_slurm_records demo generate_demo_data index_genome
# downloads are local rules: they ran, but not as SLURM jobs (compute nodes lack internet)
grep -q "(Rule: download_resource)" "$WORK/demo.log" || fail "demo: download_resource never ran"
for id in $(sed -n 's/.*submitted with SLURM jobid \([0-9]*\).*/\1/p' "$WORK/demo.log"); do
    if scontrol show job "$id" | grep -q "rule_download_"; then
        fail "demo: a download ran as SLURM job $id"
    fi
done
[ -s "$WORK/demo/resources/genome/demo.fa.fai" ] || fail "demo: no genome index"

run_on_slurm gpu -s "$REPO/tests/slurm/Snakefile"
check_slurm_records gpu probe_gpu probe_gpu_batch
check_probe() { # check_probe RULE PROBE_JSON: the job asked a GPU; its probe saw it and the job id
    local rule=$1 id
    id=$(sed -n "s/.*submitted with SLURM jobid \([0-9]*\) (log: .*rule_$rule\/.*/\1/p" "$WORK/gpu.log")
    [ -n "$id" ] || fail "gpu: no SLURM job for rule $rule"
    scontrol show job "$id" | grep -q "gres:gpu:1" || fail "gpu: job $id ($rule) asked no GPU"
    python3 - "$WORK/gpu/results/slurm_test/$2" "$id" <<'PY' || fail "gpu: probe of $rule"
import json, sys
seen = json.load(open(sys.argv[1]))
expected = {"CUDA_VISIBLE_DEVICES": "0", "SLURM_JOB_ID": sys.argv[2], "WORLD_SIZE": "1",
            "DNABERT_NNODES": "1"}
wrong = {k: (seen.get(k), v) for k, v in expected.items() if seen.get(k) != v}
if wrong:
    sys.exit(f"{sys.argv[1]}: probe saw (got, expected): {wrong}")
PY
}
check_probe probe_gpu gpu_probe.json
check_probe probe_gpu_batch gpu_probe_batch.json
echo "run_demo_on_slurm: OK (every non-local job ran through SLURM and completed)" >&2

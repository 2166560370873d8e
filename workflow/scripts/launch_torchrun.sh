#!/usr/bin/env bash
# Launch PROGRAM under torchrun: one torchrun per node, one worker process per GPU.
#
#   bash workflow/scripts/launch_torchrun.sh GPUS PROGRAM [ARGS...]     # the rule passes {resources.gpu}
#   bash workflow/scripts/launch_torchrun.sh 4 -m dnabert.cli pretrain ...
#
# Outside SLURM, or in a one-node SLURM job: `torchrun --standalone` with GPUS workers on this
# machine (GPUS=0, a CPU run, starts one worker).
# In a SLURM job spanning several nodes (the profile asks `nodes`, GPUs per node with
# `gres: gpu:N`, and the `mpi` resource so the SLURM executor does not wrap the rule in its own
# one-task `srun`; see docs/slurm.md): `srun --ntasks-per-node=1` starts one torchrun per node,
# each with one worker per GPU visible on its node (GPUS is ignored), meeting at a c10d
# rendezvous on the allocation's first node, port DNABERT_RDZV_PORT (default 29500).
# SLURM variables are read as ${VAR:-default}, so the same command runs with or without SLURM.
# The SLURM executor's job step keeps only SLURM_JOB_ID of the allocation's variables, so the
# node count and list are asked from squeue when SLURM_JOB_NUM_NODES/SLURM_JOB_NODELIST are
# unset. Exports DNABERT_NNODES (nodes used) for the program and the logs.
# Exit status: torchrun's, except 75 ("preempted after a checkpoint, rerun to resume") when a
# worker stopped on SIGTERM/SIGUSR1: torchrun itself reports that as a failure (exit 1), so each
# such worker leaves a marker in $DNABERT_STATUS_DIR (dnabert.procguard.preempted_exit) and the
# launcher exits 75 when it finds one. SIGTERM/SIGUSR1/SIGINT sent to the launcher are passed on
# to torchrun, which passes them to the workers. Workers also stop when torchrun dies, even by
# kill -9 (dnabert.procguard.watch_parent): torchrun starts them in sessions of their own.
set -euo pipefail
gpus=${1:?usage: launch_torchrun.sh GPUS PROGRAM [ARGS...]}
shift
nproc_per_node=$((gpus > 0 ? gpus : 1))
nnodes=1
if [ -n "${SLURM_JOB_ID:-}" ]; then
    nnodes=${SLURM_JOB_NUM_NODES:-$(squeue -h -j "$SLURM_JOB_ID" -o %D)}
fi
export DNABERT_NNODES=$nnodes

# where workers leave their "preempted" markers: on every node's view of the working directory
# when the job spans nodes (the shared filesystem), else in TMPDIR
if [ "$nnodes" -gt 1 ]; then
    DNABERT_STATUS_DIR=$(mktemp -d "$PWD/.launch_torchrun.XXXXXX")
else
    DNABERT_STATUS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/launch_torchrun.XXXXXX")
fi
export DNABERT_STATUS_DIR
trap 'rm -rf "$DNABERT_STATUS_DIR"' EXIT

if [ "$nnodes" -gt 1 ]; then
    nodelist=${SLURM_JOB_NODELIST:-$(squeue -h -j "$SLURM_JOB_ID" -o %N)}
    # sed, not head: head would close the pipe early and pipefail turn SIGPIPE into a failure
    head_node=$(scontrol show hostnames "$nodelist" | sed -n 1p)
    echo "launch_torchrun: $nnodes nodes, one worker per GPU, rendezvous $head_node" >&2
    srun --nodes="$nnodes" --ntasks-per-node=1 --kill-on-bad-exit=1 \
        torchrun --nnodes="$nnodes" --nproc-per-node=gpu \
        --rdzv-backend=c10d --rdzv-id="${SLURM_JOB_ID:-dnabert}" \
        --rdzv-endpoint="$head_node:${DNABERT_RDZV_PORT:-29500}" "$@" &
else
    echo "launch_torchrun: 1 node, $nproc_per_node worker(s), SLURM job ${SLURM_JOB_ID:-none}" >&2
    torchrun --standalone --nnodes=1 --nproc-per-node="$nproc_per_node" "$@" &
fi
child=$!
for sig in TERM USR1 INT; do
    # shellcheck disable=SC2064  # $sig now, $child at signal time (both fixed already)
    trap "kill -$sig $child 2>/dev/null || true" "$sig"
done
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do # a trapped signal interrupted wait: wait again
    rc=0
    wait "$child" || rc=$?
done
if [ "$rc" -ne 0 ] && compgen -G "$DNABERT_STATUS_DIR/preempted.*" >/dev/null; then
    echo "launch_torchrun: preempted after a checkpoint (torchrun exit $rc); exit 75: rerun to resume" >&2
    exit 75
fi
exit "$rc"

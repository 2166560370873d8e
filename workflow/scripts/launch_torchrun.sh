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
set -euo pipefail
gpus=${1:?usage: launch_torchrun.sh GPUS PROGRAM [ARGS...]}
shift
nproc_per_node=$((gpus > 0 ? gpus : 1))
nnodes=1
if [ -n "${SLURM_JOB_ID:-}" ]; then
    nnodes=${SLURM_JOB_NUM_NODES:-$(squeue -h -j "$SLURM_JOB_ID" -o %D)}
fi
export DNABERT_NNODES=$nnodes

if [ "$nnodes" -gt 1 ]; then
    nodelist=${SLURM_JOB_NODELIST:-$(squeue -h -j "$SLURM_JOB_ID" -o %N)}
    # sed, not head: head would close the pipe early and pipefail turn SIGPIPE into a failure
    head_node=$(scontrol show hostnames "$nodelist" | sed -n 1p)
    echo "launch_torchrun: $nnodes nodes, one worker per GPU, rendezvous $head_node" >&2
    exec srun --nodes="$nnodes" --ntasks-per-node=1 --kill-on-bad-exit=1 \
        torchrun --nnodes="$nnodes" --nproc-per-node=gpu \
        --rdzv-backend=c10d --rdzv-id="${SLURM_JOB_ID:-dnabert}" \
        --rdzv-endpoint="$head_node:${DNABERT_RDZV_PORT:-29500}" "$@"
fi
echo "launch_torchrun: 1 node, $nproc_per_node worker(s), SLURM job ${SLURM_JOB_ID:-none}" >&2
exec torchrun --standalone --nnodes=1 --nproc-per-node="$nproc_per_node" "$@"

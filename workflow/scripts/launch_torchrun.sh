#!/usr/bin/env bash
# Launch PROGRAM under torchrun: one torchrun per node, NPROC_PER_NODE processes (GPUs) each.
#
#   bash workflow/scripts/launch_torchrun.sh NPROC_PER_NODE PROGRAM [ARGS...]
#   bash workflow/scripts/launch_torchrun.sh 4 -m dnabert.cli pretrain ...
#
# Outside SLURM, or in a one-node SLURM job: `torchrun --standalone` on this machine.
# In a SLURM job spanning several nodes (SLURM_JOB_NUM_NODES > 1; the rule then needs the `mpi`
# resource so the SLURM executor does not wrap it in its own one-task `srun`, see docs/slurm.md):
# `srun --ntasks-per-node=1` starts one torchrun per node, which meet at a c10d rendezvous on the
# allocation's first node, port DNABERT_RDZV_PORT (default 29500), id SLURM_JOB_ID.
# SLURM variables are read as ${VAR:-default}, so the same command runs with or without SLURM.
# The SLURM executor's job step keeps only SLURM_JOB_ID of the allocation's variables, so the
# node count and list are asked from squeue when SLURM_JOB_NUM_NODES/SLURM_JOB_NODELIST are
# unset. Exports DNABERT_NNODES (nodes used) for the program and the logs.
set -euo pipefail
nproc_per_node=${1:?usage: launch_torchrun.sh NPROC_PER_NODE PROGRAM [ARGS...]}
shift
nnodes=1
if [ -n "${SLURM_JOB_ID:-}" ]; then
    nnodes=${SLURM_JOB_NUM_NODES:-$(squeue -h -j "$SLURM_JOB_ID" -o %D)}
fi
export DNABERT_NNODES=$nnodes
echo "launch_torchrun: $nnodes node(s) x $nproc_per_node process(es), SLURM job ${SLURM_JOB_ID:-none}" >&2

if [ "$nnodes" -gt 1 ]; then
    nodelist=${SLURM_JOB_NODELIST:-$(squeue -h -j "$SLURM_JOB_ID" -o %N)}
    head_node=$(scontrol show hostnames "$nodelist" | head -n 1)
    exec srun --nodes="$nnodes" --ntasks-per-node=1 --kill-on-bad-exit=1 \
        torchrun --nnodes="$nnodes" --nproc-per-node="$nproc_per_node" \
        --rdzv-backend=c10d --rdzv-id="${SLURM_JOB_ID:-dnabert}" \
        --rdzv-endpoint="$head_node:${DNABERT_RDZV_PORT:-29500}" "$@"
fi
exec torchrun --standalone --nnodes=1 --nproc-per-node="$nproc_per_node" "$@"

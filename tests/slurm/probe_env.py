"""Write what a torchrun worker sees (rank, world size, GPUs, SLURM job) as JSON; rank 0 only.

Usage (under torchrun): probe_env.py OUTPUT_JSON
"""

import json
import os
import sys

KEYS = [
    "RANK",
    "LOCAL_RANK",
    "WORLD_SIZE",
    "CUDA_VISIBLE_DEVICES",
    "SLURM_JOB_ID",
    "DNABERT_NNODES",
]

if __name__ == "__main__":
    if os.environ.get("RANK", "0") == "0":
        with open(sys.argv[1], "w") as handle:
            json.dump({key: os.environ.get(key) for key in KEYS}, handle, indent=2)

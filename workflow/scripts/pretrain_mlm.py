"""Snakemake adapter for rule pretrain_mlm: calls dnabert.pretrain.pretrain.

Run as ``python`` (one process) or under ``torchrun`` (one per GPU) with the arguments
``CORPUS_DIR OUT_DIR K PARAMS_JSON``
(PARAMS_JSON: the config's ``pretrain`` section). Exit code 75: preempted after a checkpoint.
"""

import json
import sys
from pathlib import Path

from dnabert.joblog import setup_job_log
from dnabert.pretrain import pretrain
from dnabert.procguard import preempted_exit
from dnabert.train import Preempted


def main(corpus_dir: str, out_dir: str, k: int, params: dict) -> int:
    setup_job_log(None)  # stderr: the rule's shell command sends it to {log}
    try:
        pretrain(corpus_dir, out_dir, k, params["model"], params["train"], {"pretrain": params})
    except Preempted as exc:
        return preempted_exit(exc)  # 75, and the marker launch_torchrun.sh turns into its 75
    return 0


if __name__ == "__main__":
    corpus, out, k, params_json = sys.argv[1:5]
    sys.exit(main(corpus, out, int(k), json.loads(Path(params_json).read_text())))

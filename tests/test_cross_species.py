"""Cross-species fine-tuning (the paper's human model on mouse ChIP-seq), on a second demo genome.

"Species 2" is a smaller demo genome from another seed (its own sequence, genes, peaks and TF
motif positions). Its TF task is fine-tuned through Snakemake from another run's model directory,
named by ``finetune.init_from`` with ``{k}``: no pretraining runs, and the fine-tuned encoder
starts from that model's weights.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import yaml
from snakemake_runs import SNAKEMAKE
from toy_models import make_pretrained


def _embeddings(model_dir) -> np.ndarray:
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    return next(v for k, v in weights.items() if k.endswith("word_embeddings.weight"))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_species2_fine_tunes_from_another_species_model(repo, tmp_path):
    human = tmp_path / "human/results/models"
    make_pretrained(human / "dnabert3", k=3, max_positions=128, seed=0)
    config = yaml.safe_load((repo / "config/demo.yaml").read_text())
    config["genome"]["name"] = "species2"
    config["demo"] = {
        "seed": 2,  # another genome: sequence, genes and peaks all differ from the demo's
        "n_chromosomes": 1,
        "chromosome_length": 200_000,
        "genes_per_mb": 60,
        "n_tf_experiments": 1,
        "peaks_per_experiment": 200,
    }
    config["datasets"]["tasks"] = ["tf"]
    config["tokenize"] = {"k": [3], "max_length": 128}
    config["baselines"] = {"enabled": []}
    config["report"]["viz_tasks"] = []
    config["variants"]["tasks"] = ["tf_DEMOTF01"]  # species 2 has one TF experiment
    config["finetune"].update(
        init_from=str(human / "dnabert{k}"), max_steps=30, eval_every=10, task_overrides={}
    )
    cfg_path = tmp_path / "species2.yaml"
    cfg_path.write_text(yaml.safe_dump(config))
    work = tmp_path / "species2"
    pythonpath = os.pathsep.join(filter(None, [str(repo / "src"), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--cores", "1",
         "--configfile", str(cfg_path), "--directory", str(work)],
        cwd=repo, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": pythonpath, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    assert not (work / "results/models").exists() and not (work / "results/pretrain").exists()
    assert (work / "resources/genome/species2.fa.fai").is_file()
    run = work / "results/finetune/tf_DEMOTF01/dnabert3/seed42"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["details"]["pretrained"] == str(human / "dnabert3")
    # the encoder started from the other species' model: 30 steps leave its embeddings close,
    # while an independently initialised model of the same shape is unrelated
    tuned = _embeddings(run / "model")
    assert _cosine(tuned, _embeddings(human / "dnabert3")) > 0.9
    other = make_pretrained(tmp_path / "unrelated", k=3, max_positions=128, seed=1)
    assert abs(_cosine(tuned, _embeddings(other))) < 0.2
    # species 2's own planted variants, scored by the cross-species model
    summary = json.loads(
        (work / "results/variants/tf_DEMOTF01/dnabert3/seed42/summary.json").read_text()
    )
    assert summary["n_scored"] > 0 and summary["k"] == 3

"""The report as a user sees it: Snakemake runs the report rules on a finished (hand-made) results
tree, ``snakemake --report`` writes the self-contained HTML, and headless Chromium renders it.

The browser part is skipped when Chromium is absent (install: ``apt-get install -y chromium``),
except under CI (``CI`` set), where a missing Chromium fails.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dnabert.evaluate import write_run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_results_tree  # noqa: E402

REPORT_RULES = [
    "plot_figures",
    "tabulate_task_groups",
    "viz_attention_motifs",
    "ism",
    "summarise_provenance",
]
VIZ = "results/viz/prom300_tata/dnabert3/seed1"
TARGETS = [
    "results/report/figures/prom300_bars.png",
    "results/report/figures/tf_violins.png",
    f"{VIZ}/motif_logos.png",
    f"{VIZ}/ism_heatmap.png",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _tiny_finetuned(workdir: Path) -> None:
    """A tiny k=3 classifier and a test split for task prom300_tata, seed 1."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from dnabert.tokenizer import DNATokenizer, vocab_size

    torch.manual_seed(0)
    run = workdir / "results/finetune/prom300_tata/dnabert3/seed1"
    cfg = BertConfig(
        vocab_size=vocab_size(3),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=2,
    )
    BertForSequenceClassification(cfg).save_pretrained(run / "model")
    DNATokenizer(k=3).save_pretrained(run / "model")
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), size=40)) for _ in range(16)]
    labels = np.arange(16) % 2
    test = workdir / "results/datasets/prom300_tata/test.tsv"
    test.parent.mkdir(parents=True)
    pd.DataFrame(
        {
            "sequence": seqs,
            "label": labels,
            "chrom": "chr1",
            "start": 0,
            "end": 40,
            "strand": "+",
            "source": "x",
        }
    ).to_csv(test, sep="\t", index=False)
    write_run(
        run,
        task="prom300_tata",
        model="dnabert",
        k=3,
        seed=1,
        labels=labels,
        probs=np.tile([0.4, 0.6], (16, 1)),
    )


def _snakemake(repo: Path, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(repo / "src"), OMP_NUM_THREADS="1")
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(repo / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "config.yaml"),
        "--allowed-rules",
        *REPORT_RULES,
        "--cores",
        "1",
        *args,
    ]
    result = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def report_html(repo, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("wf")
    make_results_tree(workdir / "results", seeds=(1, 2), yardstick=True)
    _tiny_finetuned(workdir)
    config = yaml.safe_load((repo / "config/demo.yaml").read_text())
    config["seeds"] = [1]
    # plot_figures declares the promcore runs' predictions: the hand-made tree has no
    # from-scratch controls
    config["finetune"]["scratch_control"] = False
    config["report"] = {
        "dpi": 50,
        "viz_max_sequences": 16,
        "n_heatmap_sequences": 4,
        "ism": {"max_sequences": 1},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    # only the report's rules may run: an input the hand-made tree lacks would otherwise make
    # Snakemake rebuild the whole pipeline behind it (minutes, then a timeout)
    planned = _snakemake(repo, workdir, "-n", *TARGETS)
    jobs = set(re.findall(r"^(\w+)\s+\d+$", planned.stdout + planned.stderr, re.M)) - {"total"}
    assert jobs and jobs <= set(REPORT_RULES), sorted(jobs - set(REPORT_RULES))
    _snakemake(repo, workdir, *TARGETS)
    _snakemake(repo, workdir, "--report", "report.html", *TARGETS)
    return workdir / "report.html"


def _png_variance(data: bytes) -> float:
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(data), format="png")
    return float(np.asarray(img)[..., :3].std())


@pytest.mark.slow
def test_report_embeds_every_figure(report_html):
    html = report_html.read_text()
    for target in TARGETS:
        assert Path(target).name in html, target
    # each embedded PNG decodes to a real, non-blank image
    images = re.findall(r"data:image/png[^,\"]*;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) >= len(TARGETS)
    variances = [_png_variance(base64.b64decode(b)) for b in images]
    assert sum(v > 0.02 for v in variances) >= len(TARGETS)
    assert "DNABERT reproduction" in html  # workflow.rst rendered in


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not installed (apt-get install chromium); CI installs it and never skips",
)
def test_report_renders_in_headless_chromium(report_html, tmp_path):
    assert CHROMIUM, "CI must run the browser check: .ci/run installs chromium from Debian"
    shot = tmp_path / "report.png"
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
    ]
    url = report_html.resolve().as_uri()
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1280,2000", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert _png_variance(shot.read_bytes()) > 0.02  # not a blank page
    dom = subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    # the JavaScript app ran and shows the report's categories
    for category in ("Promoters", "TF binding", "Splice sites", "Pretraining", "DNABERT-viz"):
        assert category in dom, category
    # every figure embedded in the report decodes and renders in the browser
    images = re.findall(r"data:image/png[^,\"]*;base64,[A-Za-z0-9+/=]+", report_html.read_text())
    gallery = tmp_path / "gallery.html"
    gallery.write_text(
        "<html><body>"
        + "".join(f'<img src="{uri}" width="300">' for uri in images)
        + "<script>window.onload = () => { document.body.dataset.rendered = "
        "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length; };"
        "</script></body></html>"
    )
    dom = subprocess.run(
        [*flags, "--dump-dom", gallery.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert f'data-rendered="{len(images)}"' in dom and len(images) >= len(TARGETS)

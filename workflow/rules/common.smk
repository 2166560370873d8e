# Config validation and input functions. The only place in the workflow with Python logic.
import os
import re

from snakemake.exceptions import WorkflowError

from dnabert.config import ConfigError, validate_config
from dnabert.download import resolve_url

# Jobs import the workflow's package from this checkout, in every conda env and on every SLURM
# node (jobs inherit the environment): the envs/*.yaml hold its dependencies only; see
# docs/slurm.md, "conda".
_SRC = os.path.join(workflow.basedir, "src")
if _SRC not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ.update(
        PYTHONPATH=os.pathsep.join(filter(None, [_SRC, os.environ.get("PYTHONPATH")]))
    )

try:
    validate_config(
        config, source=", ".join(map(str, workflow.configfiles)) or "config"
    )
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

GENOME = config["genome"]["name"]
GENOME_FA = f"resources/genome/{GENOME}.fa"
CHROM_SIZES = f"resources/genome/{GENOME}.chrom.sizes"
CANONICAL = f"resources/genome/{GENOME}.canonical.txt"
DEMO_SOURCE = "resources/demo_source"


def _download_sources():
    """Map each downloaded resource path (under resources/) to its config source."""
    sources = {f"genome/{GENOME}.fa": config["genome"]["fasta"]}
    if "annotation" in config:
        sources[f"annotation/{GENOME}.gtf"] = config["annotation"]["gtf"]
    if "promoters" in config:
        sources[f"promoters/{GENOME}.tss.bed"] = config["promoters"]["tss"]
        if "tata" in config["promoters"]:
            sources[f"promoters/{GENOME}.tata.txt"] = config["promoters"]["tata"]
    if "blacklist" in config:
        sources[f"blacklist/{GENOME}.bed"] = config["blacklist"]
    return sources


DOWNLOADS = _download_sources()
DOWNLOAD_PATTERN = "|".join(re.escape(path) for path in DOWNLOADS)


def _local_path(url):
    """Local file behind a file: URL or path; relative to the workdir when inside it."""
    kind, path = resolve_url(url)
    if kind != "local":
        return None
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def get_download_source(wildcards):
    """The config source (url + checksums) of resources/{resource}."""
    return DOWNLOADS[wildcards.resource]


def get_local_sources(wildcards):
    """Local files a download reads (so rules that generate them run first, e.g. the demo)."""
    source = DOWNLOADS[wildcards.resource]
    urls = [source["url"], source.get("checksum_url")]
    return [path for path in map(_local_path, filter(None, urls)) if path]


def get_names_check_inputs(wildcards):
    """Downloaded inputs whose chromosome names must agree with the genome's."""
    return [f"resources/{path}" for path in DOWNLOADS if not path.startswith("genome/")]


def demo_outputs():
    """Files the demo generator writes (config 'demo' section)."""
    files = ["genome.fa.gz", "annotation.gtf.gz", "epdnew_tss.bed", "epdnew_tata.txt"]
    files += ["blacklist.bed", "metadata.tsv", "MD5SUMS", "truth.json"]
    n_tf = config["demo"]["n_tf_experiments"]
    files += [f"tf/DEMOTF{i:02d}.bed.gz" for i in range(1, n_tf + 1)]
    return [f"{DEMO_SOURCE}/{name}" for name in files]


def get_final_targets():
    """Everything `rule all` asks for, stage by stage as configured."""
    targets = [f"{GENOME_FA}.fai", CHROM_SIZES, CANONICAL]
    if len(DOWNLOADS) > 1:
        targets.append(f"results/qc/{GENOME}.chromosome_names.json")
    return targets

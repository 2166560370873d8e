"""Entry points that build and write the splice and TF tasks (called by rules and the CLI).

Each function reads its inputs, calls one builder (:mod:`dnabert.datasets.splice`,
:mod:`dnabert.datasets.tfbs`, :mod:`dnabert.datasets.encode`) and hands the frame to the common
writer ``dnabert.datasets.common.write_task``, which de-duplicates, splits and writes
``train/dev/test.tsv`` + ``summary.json`` atomically (a failed build leaves no partial TSV).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from pathlib import Path

from dnabert.config import schema_defaults
from dnabert.datasets import encode, splice, tfbs
from dnabert.provenance import atomic_path, provenance, write_json
from dnabert.tasks import FAMILIES

log = logging.getLogger(__name__)


def read_name_list(path: str | Path | None) -> list[str] | None:
    """Names one per line (e.g. ``resources/genome/{genome}.canonical.txt``); None -> None."""
    if path is None:
        return None
    with open(path) as fh:
        return [line.strip() for line in fh if line.strip()]


def _write(df, out_dir, *, task, split_cfg, config, seed, stats):
    from dnabert.datasets.common import write_task  # the promoters engineer's common writer

    if split_cfg is None:  # the CLI: the split of the whole config, else the schema's
        split_cfg = (config or {}).get("datasets", {}).get("split")
    if split_cfg is None:
        split_cfg = schema_defaults("datasets", "split")
    return write_task(
        df, out_dir, task=task, split_cfg=split_cfg, seed=seed, config=config, extra_summary=stats
    )


def run_splice_task(
    fasta: str | Path,
    gtf: str | Path,
    out_dir: str | Path,
    *,
    canonical_txt: str | Path | None = None,
    splice_cfg: dict | None = None,
    split_cfg: dict | None = None,
    config: dict | None = None,
    seed: int = 42,
    task: str = "splice",
) -> dict:
    """Build the splice task from ``datasets.splice`` settings and write it; return the summary.

    ``split_cfg`` is ``datasets.split`` (the rule passes it as a param, so that a changed split
    reruns the build); None takes it from ``config``, which is otherwise provenance only.
    """
    cfg = {**schema_defaults("datasets", "splice"), **(splice_cfg or {})}
    df, stats = splice.build_splice(
        fasta,
        gtf,
        canonical=read_name_list(canonical_txt),
        transcript_types=cfg["transcript_types"],
        window=cfg["window"],
        n_nonsplice=cfg["n_nonsplice"],
        nonsplice_ratio=cfg["nonsplice_ratio"],
        decoy_fraction=cfg["decoy_fraction"],
        min_distance=cfg["min_distance"],
        seed=seed,
        hard_negatives=cfg["hard_negatives"],
    )
    log.info("splice: %d donors, %d acceptors, %d non-splice", stats["n_donor"],
             stats["n_acceptor"], int((df.label == 0).sum()))  # fmt: skip
    return _write(
        df, out_dir, task=task, split_cfg=split_cfg, config=config, seed=seed, stats=stats
    )


def run_tf_task(
    peaks: str | Path,
    fasta: str | Path,
    out_dir: str | Path,
    *,
    experiment: dict,
    canonical_txt: str | Path | None = None,
    blacklist_bed: str | Path | None = None,
    tf_cfg: dict | None = None,
    split_cfg: dict | None = None,
    config: dict | None = None,
    seed: int = 42,
) -> dict:
    """Build ``tf_{experiment}`` from ``datasets.tf`` settings and write it; return the summary.

    ``experiment`` is the selection record (target, biosample, accession ... are kept in
    ``summary.json`` under ``experiment``). ``split_cfg``: as in :func:`run_splice_task`.
    """
    cfg = {**schema_defaults("datasets", "tf"), **(tf_cfg or {})}
    df, stats = tfbs.build_tf_task(
        peaks,
        fasta,
        canonical=read_name_list(canonical_txt),
        blacklist_bed=blacklist_bed,
        top_n=cfg["top_n"],
        width=cfg["width"],
        negatives=cfg["negatives"],
        gc_tolerance=cfg["gc_tolerance"],
        seed=seed,
    )
    stats["experiment"] = dict(experiment)
    task = FAMILIES["tf"].prefix + experiment["experiment"]  # tf_{experiment}
    return _write(
        df, out_dir, task=task, split_cfg=split_cfg, config=config, seed=seed, stats=stats
    )


def run_select_tf_experiments(
    tf_cfg: dict,
    out_tsv: str | Path,
    *,
    skipped_tsv: str | Path | None = None,
    summary_json: str | Path | None = None,
    ucsc_files: str | Path | None = None,
    ucsc_md5: str | Path | None = None,
    source_urls: dict[str, str] | None = None,
) -> list[dict]:
    """Select the TF peak sets (see :func:`dnabert.datasets.encode.select_experiments_with_skipped`)
    and write the experiment table and, when ``skipped_tsv`` is given, the table of metadata rows
    not chosen and why (header only for sources other than ``encode``), both atomically. An empty
    selection is an error (it would silently drop every TF task) and writes neither table."""
    records, skipped = encode.select_experiments_with_skipped(
        tf_cfg, ucsc_files=ucsc_files, ucsc_md5=ucsc_md5
    )
    if not records:
        reasons = Counter(s["reason"] for s in skipped)
        raise ValueError(
            f"no TF peak files selected from tf.source={tf_cfg.get('source')!r} "
            f"(assembly={tf_cfg.get('assembly')!r}, output_types={tf_cfg.get('output_types')!r},"
            f" assay={tf_cfg.get('assay')!r}); skipped rows by reason: {dict(reasons)}"
        )
    with atomic_path(out_tsv) as tmp:
        encode.write_experiment_table(records, tmp)
    if skipped_tsv is not None:
        with atomic_path(skipped_tsv) as tmp:
            encode.write_skipped_table(skipped, tmp)
    if summary_json is not None:
        write_json(
            summary_json,
            selection_summary(records, skipped, tf_cfg, ucsc_files, ucsc_md5, source_urls),
        )
    return records


def selection_summary(records, skipped, tf_cfg, ucsc_files, ucsc_md5, source_urls) -> dict:
    """Counts and provenance of a TF selection: which list files were read (path, the URL they
    came from, md5, bytes), how many experiments were chosen, and skipped rows by reason."""
    source_urls = source_urls or {}
    lists = {"metadata": tf_cfg.get("metadata") if tf_cfg.get("source") == "encode" else None,
             "ucsc_files": ucsc_files, "ucsc_md5": ucsc_md5}  # fmt: skip
    inputs = {}
    for name, path in lists.items():
        if path and Path(path).is_file():
            data = Path(path).read_bytes()
            inputs[name] = {
                "path": str(path),
                "url": source_urls.get(name, str(path)),
                "md5": hashlib.md5(data).hexdigest(),
                "bytes": len(data),
            }
    return {
        "source": tf_cfg.get("source"),
        "inputs": inputs,
        "n_experiments": len(records),
        "skipped_by_reason": dict(sorted(Counter(s["reason"] for s in skipped).items())),
        **provenance(config={"tf": tf_cfg}),
    }

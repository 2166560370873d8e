"""Which TF ChIP-seq peak sets to build: ENCODE portal metadata, UCSC uniform TFBS, local files.

Each source yields the same records (plain dicts, one per peak file):

``experiment``  the task's id; the task is ``tf_{experiment}`` (``[A-Za-z0-9_.-]`` only)
``url``         where to fetch the narrowPeak file (URL or path)
``md5``         expected md5 of the file as downloaded, or ``""`` when unknown
``target``      the TF (ENCODE ``Experiment target`` without ``-human``; UCSC ``antibody``)
``biosample``   cell type / tissue
``accession``   ENCODE file accession / UCSC file stem / local path
``source``      ``encode``, ``ucsc_uniform`` or ``local``

Sources:

- ``encode`` (:func:`select_encode_files`): the ``metadata.tsv`` a user downloads with a search
  from the ENCODE portal. Rows are kept when ``Assay`` is ``TF ChIP-seq``, the file is
  narrowPeak, and ``File assembly``, ``Output type`` and ``File Status`` equal the configured
  values; relative download URLs resolve against the metadata file's directory.
- ``ucsc_uniform`` (:func:`read_ucsc_uniform`): the paper's 690 ENCODE uniform TFBS peak sets on
  hg19 (UCSC ``wgEncodeAwgTfbsUniform``): its ``files.txt`` (``name<TAB>key=value; ...``) and
  ``md5sum.txt``, or a two-column list ``TF_cell_TF_lab_wgEncodeEHxxxxxx<TAB>file stem`` (DESSO's
  ``encode_tfbs.txt``).
- ``local`` (:func:`read_local_files`): narrowPeak paths; ids are sanitized file stems.

Parsing is plain ``csv``/string work (a 690-row list takes milliseconds), because the Snakemake
workflow calls it while building the DAG.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

RECORD_FIELDS = ["experiment", "url", "md5", "target", "biosample", "accession", "source"]
UCSC_BASE_URL = "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/encodeDCC/wgEncodeAwgTfbsUniform/"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_ENCODE_REQUIRED = [
    "File accession", "File download URL", "md5sum", "Output type", "File assembly",
    "Experiment target", "Biosample term name", "File Status",
]  # fmt: skip
_PEAK_SUFFIXES = (".gz", ".narrowPeak", ".bed", ".txt")


def sanitize_name(name: str) -> str:
    """A task-safe id: runs of characters outside ``[A-Za-z0-9_.-]`` become ``_``."""
    out = _UNSAFE.sub("_", name).strip("_")
    if not out:
        raise ValueError(f"cannot make a task name from {name!r}")
    return out


def _resolve(url: str, base_dir: Path) -> str:
    """Absolute URLs pass through; a relative path or ``file:`` URL resolves against base_dir."""
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https", "ftp"):
        return url
    if parsed.scheme == "file":
        path = Path(parsed.path)
        return str(path if path.is_absolute() else base_dir / path)
    return str(Path(url) if Path(url).is_absolute() else base_dir / url)


def select_encode_files(
    metadata_tsv: str | Path,
    *,
    assembly: str = "GRCh38",
    output_type: str = "IDR thresholded peaks",
    status: str = "released",
    assay: str = "TF ChIP-seq",
    max_experiments: int | None = None,
) -> list[dict]:
    """Select TF ChIP-seq narrowPeak files from an ENCODE portal ``metadata.tsv``.

    Keeps rows whose ``Assay`` (when that column exists) equals ``assay``, whose ``File format``
    or ``File format type`` mentions ``narrowPeak``, and whose ``File assembly``, ``Output type``
    and ``File Status`` equal the arguments; one record per file accession, in file order, at
    most ``max_experiments``. Raises ``ValueError`` naming the file and the missing columns, or
    the line of a row without an accession or URL.
    """
    metadata_tsv = Path(metadata_tsv)
    base_dir = (
        metadata_tsv.parent
    )  # kept relative: a relative metadata path gives cwd-relative URLs
    out: list[dict] = []
    seen: set[str] = set()
    with open(metadata_tsv, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in _ENCODE_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{metadata_tsv}: missing ENCODE metadata columns {missing}")
        has_assay = "Assay" in reader.fieldnames
        for lineno, row in enumerate(reader, start=2):
            if has_assay and row["Assay"] != assay:
                continue
            fmt = (row.get("File format") or "") + (row.get("File format type") or "")
            if "narrowPeak" not in fmt:
                continue
            if (
                row["File assembly"] != assembly
                or row["Output type"] != output_type
                or row["File Status"] != status
            ):
                continue
            accession, url = row["File accession"].strip(), row["File download URL"].strip()
            if not accession or not url:
                raise ValueError(f"{metadata_tsv}:{lineno}: row without File accession or URL")
            if accession in seen:
                continue
            seen.add(accession)
            target = row["Experiment target"].strip()
            out.append(
                {
                    "experiment": sanitize_name(accession),
                    "url": _resolve(url, base_dir),
                    "md5": row["md5sum"].strip(),
                    "target": target[: -len("-human")] if target.endswith("-human") else target,
                    "biosample": row["Biosample term name"].strip(),
                    "accession": accession,
                    "source": "encode",
                    "experiment_accession": (row.get("Experiment accession") or "").strip(),
                }
            )
            if max_experiments is not None and len(out) >= max_experiments:
                break
    return out


def _read_md5sums(path: str | Path | None) -> dict[str, str]:
    if path is None:
        return {}
    sums = {}
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2:
                sums[parts[-1].lstrip("*")] = parts[0]
    return sums


def read_ucsc_uniform(
    files_txt: str | Path,
    md5sum_txt: str | Path | None = None,
    base_url: str = UCSC_BASE_URL,
    *,
    max_experiments: int | None = None,
) -> list[dict]:
    """Records for the ENCODE uniform TFBS sets (the paper's 690) from a UCSC-style list.

    Accepts UCSC's ``files.txt`` (``<name>.narrowPeak.gz<TAB>key=value; ...`` with ``cell``,
    ``antibody`` and optionally ``md5sum``; rows for other file kinds are skipped) or a two-column
    list ``TF_cell_..._wgEncodeEHxxxxxx<TAB><file stem>``. ``url = base_url + stem +
    ".narrowPeak.gz"``; md5 from ``md5sum_txt`` (``<md5>  <file name>`` lines), else from
    ``files.txt``. Raises ``ValueError`` naming the file and line for a malformed row or a
    repeated stem.
    """
    md5s = _read_md5sums(md5sum_txt)
    base = base_url if base_url.endswith("/") else base_url + "/"
    out: list[dict] = []
    seen: set[str] = set()
    with open(files_txt) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 2:
                raise ValueError(f"{files_txt}:{lineno}: expected 2 tab-separated columns")
            first, second = cols[0].strip(), cols[1].strip()
            if first.endswith(".narrowPeak.gz"):  # UCSC files.txt
                stem = first[: -len(".narrowPeak.gz")]
                attrs = dict(kv.strip().split("=", 1) for kv in second.split(";") if "=" in kv)
                target, biosample = attrs.get("antibody", ""), attrs.get("cell", "")
                md5 = md5s.get(first, attrs.get("md5sum", ""))
            elif "=" in second or "." in second:
                continue  # another file kind listed in files.txt
            else:  # DESSO-style: TF_cell_..._wgEncodeEH...<TAB>stem
                stem = second
                parts = first.split("_")
                target, biosample = parts[0], parts[1] if len(parts) > 1 else ""
                md5 = md5s.get(stem + ".narrowPeak.gz", "")
            experiment = sanitize_name(stem)
            if experiment in seen:
                raise ValueError(f"{files_txt}:{lineno}: data set {stem!r} listed twice")
            seen.add(experiment)
            out.append(
                {
                    "experiment": experiment,
                    "url": base + stem + ".narrowPeak.gz",
                    "md5": md5,
                    "target": target,
                    "biosample": biosample,
                    "accession": stem,
                    "source": "ucsc_uniform",
                }
            )
            if max_experiments is not None and len(out) >= max_experiments:
                break
    return out


def read_local_files(paths: Iterable[str | Path]) -> list[dict]:
    """Records for local narrowPeak files; ``experiment`` is the sanitized stem.

    The stem drops ``.gz``, ``.narrowPeak``, ``.bed`` and ``.txt`` suffixes. Two files with the
    same stem raise ``ValueError``.
    """
    out, seen = [], {}
    for p in paths:
        name = Path(p).name
        while name.endswith(_PEAK_SUFFIXES):
            name = name.rsplit(".", 1)[0]
        experiment = sanitize_name(name)
        if experiment in seen:
            raise ValueError(f"{p} and {seen[experiment]} both give task name tf_{experiment}")
        seen[experiment] = p
        out.append(
            {
                "experiment": experiment, "url": str(p), "md5": "", "target": "",
                "biosample": "", "accession": str(p), "source": "local",
            }
        )  # fmt: skip
    return out


def select_experiments(tf_cfg: dict, *, ucsc_files: str | Path | None = None,
                       ucsc_md5: str | Path | None = None) -> list[dict]:  # fmt: skip
    """Dispatch on ``tf_cfg["source"]`` (the config's top-level ``tf`` section).

    ``ucsc_files``/``ucsc_md5`` are the local copies of ``ucsc_files_url``/``ucsc_md5_url``.
    """
    source = tf_cfg.get("source", "encode")
    max_n = tf_cfg.get("max_experiments")
    if source == "encode":
        if not tf_cfg.get("metadata"):
            raise ValueError("tf.source is 'encode' but tf.metadata (metadata.tsv) is not set")
        return select_encode_files(
            tf_cfg["metadata"],
            assembly=tf_cfg.get("assembly", "GRCh38"),
            output_type=tf_cfg.get("output_type", "IDR thresholded peaks"),
            status=tf_cfg.get("status", "released"),
            max_experiments=max_n,
        )
    if source == "ucsc_uniform":
        if ucsc_files is None:
            raise ValueError("tf.source 'ucsc_uniform' needs the downloaded files.txt")
        return read_ucsc_uniform(
            ucsc_files, ucsc_md5, tf_cfg.get("ucsc_base_url", UCSC_BASE_URL), max_experiments=max_n
        )
    if source == "local":
        recs = read_local_files(tf_cfg.get("files", []))
        return recs[:max_n] if max_n is not None else recs
    raise ValueError(f"unknown tf.source {source!r}; expected encode, ucsc_uniform or local")


def write_experiment_table(records: list[dict], path: str | Path) -> None:
    """Write records as TSV (header :data:`RECORD_FIELDS`), one row per experiment."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, RECORD_FIELDS, delimiter="\t", extrasaction="ignore")
        w.writeheader()
        w.writerows(records)


def read_experiment_table(path: str | Path) -> dict[str, dict]:
    """``{experiment: record}`` from :func:`write_experiment_table`'s TSV (file order kept)."""
    with open(path, newline="") as fh:
        return {r["experiment"]: r for r in csv.DictReader(fh, delimiter="\t")}

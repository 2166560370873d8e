"""Which TF ChIP-seq peak sets to build: ENCODE portal metadata, UCSC uniform TFBS, local files.

Each source yields the same records (plain dicts, one per task, keys :data:`RECORD_FIELDS`):

``experiment``            the task's id; the task is ``tf_{experiment}`` (``[A-Za-z0-9_.-]`` only)
``url``                   where to fetch the narrowPeak file (URL or path)
``md5``                   expected md5 of the file as downloaded, or ``""`` when unknown
``target``                the TF (ENCODE ``Experiment target`` without ``-human``/``-mouse``;
                          UCSC ``antibody``)
``biosample``             cell type / tissue
``accession``             ENCODE *file* accession / UCSC file stem / local path
``source``                ``encode``, ``ucsc_uniform`` or ``local``
``experiment_accession``  ENCODE ``Experiment accession`` (``""`` for the other sources)
``output_type``           ENCODE ``Output type`` of the chosen file (``""`` elsewhere)
``assembly``              ENCODE file assembly (``""`` elsewhere)
``analysis``              ENCODE ``File analysis title`` (``""`` when absent or another source)

Sources:

- ``encode`` (:func:`select_encode`): the ``metadata.tsv`` a user downloads with a search from
  the ENCODE portal; exactly one bed narrowPeak file per experiment (rules in
  :func:`select_encode`), plus a table of every row not chosen and why (:data:`SKIP_REASONS`).
  Relative download URLs resolve against the metadata file's directory.
- ``ucsc_uniform`` (:func:`read_ucsc_uniform`): the paper's 690 ENCODE uniform TFBS peak sets on
  hg19 (UCSC ``wgEncodeAwgTfbsUniform``): its ``files.txt`` (``name<TAB>key=value; ...``) and
  ``md5sum.txt``, or a two-column list ``TF_cell_TF_lab_wgEncodeEHxxxxxx<TAB>file stem`` (DESSO's
  ``encode_tfbs.txt``).
- ``local`` (:func:`read_local_files`): narrowPeak paths; ids are sanitized file stems.

Parsing is plain ``csv``/string work (a 690-row list takes milliseconds), because the Snakemake
workflow calls it while building the DAG.

It stays one module (about 480 lines): the three sources give the same experiment records,
which one set of functions selects, reports as skipped and writes as tables.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

from dnabert.assembly import normalize_assembly
from dnabert.config import schema_defaults

log = logging.getLogger(__name__)

RECORD_FIELDS = [
    "experiment", "url", "md5", "target", "biosample", "accession", "source",
    "experiment_accession", "output_type", "assembly", "analysis",
]  # fmt: skip
SKIP_FIELDS = ["file_accession", "experiment_accession", "reason"]
# Why a metadata row was not chosen: the first that applies, checked in this order. Two carry
# the offending value: "file status <x>" and "analysis status <x>".
SKIP_REASONS = (
    "duplicate file accession",  # the same File accession on an earlier row
    "not TF ChIP-seq assay",  # Assay not in tf.assay
    "not bed narrowPeak",  # bigBed narrowPeak, bigWig, bam, ...
    "other assembly",  # file assembly != tf.assembly
    "file status",  # File Status != tf.status (revoked, archived, ...)
    "analysis status",  # File analysis status (2021+ column) != released
    "audit ERROR",  # the experiment carries an Audit ERROR (unless tf.allow_audit_error)
    "output type not preferred",  # Output type not in tf.output_types
    "another file preferred",  # a better-ranked file of the same experiment was chosen
    "over max_experiments",  # the experiment's chosen file, past tf.max_experiments
)
# The schema's tf.output_types and tf.ucsc_base_url, as the defaults of the library functions
# select_encode and read_ucsc_uniform (tests/test_schema_defaults.py pins them equal); the
# config path takes the schema's own (select_experiments_with_skipped).
DEFAULT_OUTPUT_TYPES = (
    "conservative IDR thresholded peaks", "optimal IDR thresholded peaks", "IDR thresholded peaks",
)  # fmt: skip
TASK_NAMES = ("experiment", "experiment_target")
UCSC_BASE_URL = "https://hgdownload.soe.ucsc.edu/goldenPath/hg19/encodeDCC/wgEncodeAwgTfbsUniform/"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_DIGITS = re.compile(r"(\d+)")
# columns of both portal layouts; the assembly column is "File assembly" (2021+) or "Assembly"
_ENCODE_REQUIRED = [
    "File accession", "File format", "Output type", "Experiment accession", "Assay",
    "Experiment target", "Biosample term name", "File Status", "md5sum", "File download URL",
]  # fmt: skip
_ASSEMBLY_COLUMNS = ("File assembly", "Assembly")
_PEAK_SUFFIXES = (".gz", ".narrowPeak", ".bed", ".txt")
_NOT_ENCODE = {"experiment_accession": "", "output_type": "", "assembly": "", "analysis": ""}


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


def read_encode_metadata(metadata_tsv: str | Path) -> list[tuple[int, dict[str, str]]]:
    """``[(line number, row)]`` of an ENCODE portal ``metadata.tsv``, either layout.

    Reads with ``csv`` and ``newline=""``; every header name and value is stripped of ``\\r``
    and surrounding spaces, so the 2019 portal's CRLF files read like the 2021+ LF ones. Blank
    lines are skipped. Raises ``ValueError`` naming the file and the missing columns (the
    assembly column may be ``File assembly`` or ``Assembly``), or the line of a row whose field
    count differs from the header's.
    """
    with open(metadata_tsv, newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = [c.strip("\r").strip() for c in next(reader, [])]
        missing = [c for c in _ENCODE_REQUIRED if c not in header]
        if not any(c in header for c in _ASSEMBLY_COLUMNS):
            missing.append(" or ".join(_ASSEMBLY_COLUMNS))
        if "File format type" in header and "File type" not in header:
            missing.append("File type")
        if missing:
            raise ValueError(f"{metadata_tsv}: missing ENCODE metadata columns {missing}")
        rows = []
        for fields in reader:
            lineno = reader.line_num
            values = [v.strip("\r").strip() for v in fields]
            if not any(values):
                continue
            if len(values) != len(header):
                raise ValueError(
                    f"{metadata_tsv}:{lineno}: {len(values)} fields, expected {len(header)} "
                    "(one per header column)"
                )
            rows.append((lineno, dict(zip(header, values, strict=True))))
    return rows


def is_bed_narrowpeak(row: dict[str, str]) -> bool:
    """True for a bed narrowPeak file row: ``File type`` bed and ``File format type`` narrowPeak
    (2021+ layout), or ``File format`` ``bed narrowPeak`` (2019 layout, no ``File format type``).
    bigBed narrowPeak, bigWig, bam ... are False."""
    if "File format type" in row:
        return row["File type"] == "bed" and row["File format type"] == "narrowPeak"
    return row["File format"] == "bed narrowPeak"


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: ``ENCODE4 v1.10.0`` > ``ENCODE4 v1.9.0`` >
    ``ENCODE3``. The empty string sorts first."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(text) if p)


def count_replicates(value: str) -> int:
    """Number of biological replicates in a ``Biological replicate(s)`` cell (``1, 2`` -> 2)."""
    return len([v for v in value.split(",") if v.strip()])


def rank_files(rows: list[dict[str, str]], output_types: list[str]) -> list[dict[str, str]]:
    """One experiment's candidate rows, best first.

    Order: earlier ``Output type`` in ``output_types``; then newer ``File analysis title``
    (:func:`natural_key`); then more ``Biological replicate(s)`` (pooled ``1, 2`` before ``1``);
    then the smaller ``File accession``, so the choice never depends on row order. Every row's
    output type must be in ``output_types``.
    """
    ranked = sorted(rows, key=lambda r: r["File accession"])
    ranked.sort(key=lambda r: count_replicates(r.get("Biological replicate(s)", "")), reverse=True)
    ranked.sort(key=lambda r: natural_key(r.get("File analysis title", "")), reverse=True)
    ranked.sort(key=lambda r: output_types.index(r["Output type"]))
    return ranked


def _strip_species(target: str) -> str:
    for suffix in ("-human", "-mouse"):
        if target.endswith(suffix):
            return target[: -len(suffix)]
    return target


def _row_reason(row, *, assay, assembly, status, output_types, audit_error) -> str | None:
    """The first SKIP_REASONS entry that rules the row out before ranking, or None."""
    if row["Assay"] not in assay:
        return "not TF ChIP-seq assay"
    if not is_bed_narrowpeak(row):
        return "not bed narrowPeak"
    # hg38 and GRCh38 (hg19 and GRCh37) name one assembly: the portal writes GRCh38 and hg19
    if normalize_assembly(row.get("File assembly", row.get("Assembly"))) != normalize_assembly(
        assembly
    ):
        return "other assembly"
    if row["File Status"] != status:
        return f"file status {row['File Status'] or '(empty)'}"
    analysis_status = row.get("File analysis status", "released")
    if analysis_status != "released":
        return f"analysis status {analysis_status or '(empty)'}"
    if row["Experiment accession"] in audit_error:
        return "audit ERROR"
    if row["Output type"] not in output_types:
        return "output type not preferred"
    return None


def select_encode(
    metadata_tsv: str | Path,
    *,
    assembly: str = "GRCh38",
    output_types: Iterable[str] = DEFAULT_OUTPUT_TYPES,
    status: str = "released",
    assay: Iterable[str] = ("TF ChIP-seq",),
    allow_audit_error: bool = False,
    task_name: str = "experiment",
    max_experiments: int | None = None,
) -> tuple[list[dict], list[dict]]:
    """Choose exactly one bed narrowPeak file per ENCODE experiment; return (records, skipped).

    A row is a candidate when ``Assay`` is in ``assay``, the file is bed narrowPeak
    (:func:`is_bed_narrowpeak`; never bigBed), its assembly (``File assembly`` or ``Assembly``)
    equals ``assembly``, ``File Status`` equals ``status``, ``File analysis status`` (2021+
    column) is ``released``, its experiment has no row with a non-empty ``Audit ERROR`` (unless
    ``allow_audit_error``), and its ``Output type`` is in ``output_types``. Each experiment's
    candidates are ranked by :func:`rank_files` and the first is chosen. Records follow the
    order in which experiments first appear in the file; only the first ``max_experiments``
    experiments are kept.

    ``skipped`` has one dict (keys :data:`SKIP_FIELDS`) per metadata row not chosen, with the
    first :data:`SKIP_REASONS` entry that applies; counts by reason are logged. ``task_name``
    ``experiment`` names the task after the experiment accession, ``experiment_target`` after
    ``{accession}_{target}``. Raises ``ValueError`` for missing columns, a row without a file or
    experiment accession, a candidate without a download URL (each naming file and line), an
    empty ``output_types`` or an unknown ``task_name``. The keyword defaults are the schema's
    ``tf`` defaults (pinned equal by tests/test_schema_defaults.py).
    """
    metadata_tsv = Path(metadata_tsv)
    output_types, assay = list(output_types), list(assay)
    if not output_types:
        raise ValueError("tf.output_types is empty: list the ENCODE output types to accept")
    if task_name not in TASK_NAMES:
        raise ValueError(f"unknown tf.task_name {task_name!r}; expected one of {TASK_NAMES}")
    base_dir = metadata_tsv.parent  # kept relative: a relative metadata path gives relative URLs
    rows = read_encode_metadata(metadata_tsv)
    for lineno, row in rows:
        if not row["File accession"] or not row["Experiment accession"]:
            raise ValueError(
                f"{metadata_tsv}:{lineno}: row without File accession or Experiment accession"
            )
    # the portal repeats an experiment's audits on each of its file rows
    audit_error = set()
    if not allow_audit_error:
        audit_error = {r["Experiment accession"] for _, r in rows if r.get("Audit ERROR")}
    skipped: list[dict] = []
    candidates: dict[str, list[dict]] = {}  # experiment -> rows, first-appearance order
    seen: set[str] = set()
    for lineno, row in rows:
        exp = row["Experiment accession"]
        candidates.setdefault(exp, [])
        if row["File accession"] in seen:
            reason = "duplicate file accession"
        else:
            reason = _row_reason(row, assay=assay, assembly=assembly, status=status,
                                 output_types=output_types, audit_error=audit_error)  # fmt: skip
        seen.add(row["File accession"])
        if reason is None and not row["File download URL"]:
            raise ValueError(f"{metadata_tsv}:{lineno}: candidate file without File download URL")
        if reason:
            skipped.append(_skip(row, reason))
        else:
            candidates[exp].append(row)
    records: list[dict] = []
    for exp, cands in candidates.items():
        if not cands:
            continue
        best, *rest = rank_files(cands, output_types)
        skipped += [_skip(r, "another file preferred") for r in rest]
        if max_experiments is not None and len(records) >= max_experiments:
            skipped.append(_skip(best, "over max_experiments"))
            continue
        target = _strip_species(best["Experiment target"])
        name = exp if task_name == "experiment" else f"{exp}_{target}"
        records.append(
            {
                "experiment": sanitize_name(name),
                "url": _resolve(best["File download URL"], base_dir),
                "md5": best["md5sum"],
                "target": target,
                "biosample": best["Biosample term name"],
                "accession": best["File accession"],
                "source": "encode",
                "experiment_accession": exp,
                "output_type": best["Output type"],
                "assembly": best.get("File assembly", best.get("Assembly", "")),
                "analysis": best.get("File analysis title", ""),
            }
        )
    counts = Counter(s["reason"] for s in skipped)
    log.info(
        "%s: %d rows, %d experiments chosen; skipped rows by reason: %s",
        metadata_tsv, len(rows), len(records),
        ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none",
    )  # fmt: skip
    return records, skipped


def _skip(row: dict[str, str], reason: str) -> dict[str, str]:
    """A skipped-table row (:data:`SKIP_FIELDS`) for metadata row ``row``."""
    return {"file_accession": row["File accession"],
            "experiment_accession": row["Experiment accession"], "reason": reason}  # fmt: skip


def select_encode_files(metadata_tsv: str | Path, **kwargs) -> list[dict]:
    """The records of :func:`select_encode` (one per experiment), without the skipped rows."""
    return select_encode(metadata_tsv, **kwargs)[0]


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
    ".narrowPeak.gz"`` (``base_url`` defaults to the schema's ``tf.ucsc_base_url``); md5 from
    ``md5sum_txt`` (``<md5>  <file name>`` lines), else from ``files.txt``. Raises
    ``ValueError`` naming the file and line for a malformed row or a repeated stem.
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
                    **_NOT_ENCODE,
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
                "biosample": "", "accession": str(p), "source": "local", **_NOT_ENCODE,
            }
        )  # fmt: skip
    return out


def select_experiments_with_skipped(
    tf_cfg: dict, *, ucsc_files: str | Path | None = None, ucsc_md5: str | Path | None = None
) -> tuple[list[dict], list[dict]]:
    """Dispatch on ``tf_cfg["source"]`` (the config's top-level ``tf`` section).

    Returns ``(records, skipped)``; only source ``encode`` fills ``skipped`` (see
    :func:`select_encode`). ``ucsc_files``/``ucsc_md5`` are the local copies of
    ``ucsc_files_url``/``ucsc_md5_url``. Keys ``tf_cfg`` lacks take the schema's defaults.
    Raises ``ValueError`` for the replaced key ``tf.output_type``, a missing ``tf.metadata`` or an
    unknown source.
    """
    cfg = {**schema_defaults("tf"), **tf_cfg}
    source, max_n = cfg["source"], cfg["max_experiments"]
    if source == "encode":
        if "output_type" in cfg:  # a validated config refuses it; a library caller's may hold it
            raise ValueError(
                "tf.output_type was replaced by tf.output_types, an ordered list such as "
                f"{schema_defaults('tf', 'output_types')}"
            )
        if not cfg["metadata"]:
            raise ValueError("tf.source is 'encode' but tf.metadata (metadata.tsv) is not set")
        return select_encode(
            cfg["metadata"],
            assembly=cfg["assembly"],
            output_types=cfg["output_types"],
            status=cfg["status"],
            assay=cfg["assay"],
            allow_audit_error=cfg["allow_audit_error"],
            task_name=cfg["task_name"],
            max_experiments=max_n,
        )
    if source == "ucsc_uniform":
        if ucsc_files is None:
            raise ValueError("tf.source 'ucsc_uniform' needs the downloaded files.txt")
        recs = read_ucsc_uniform(ucsc_files, ucsc_md5, cfg["ucsc_base_url"], max_experiments=max_n)
        return recs, []
    if source == "local":
        recs = read_local_files(cfg["files"])
        return (recs[:max_n] if max_n is not None else recs), []
    raise ValueError(f"unknown tf.source {source!r}; expected encode, ucsc_uniform or local")


def select_experiments(tf_cfg: dict, *, ucsc_files: str | Path | None = None,
                       ucsc_md5: str | Path | None = None) -> list[dict]:  # fmt: skip
    """The records of :func:`select_experiments_with_skipped`."""
    return select_experiments_with_skipped(tf_cfg, ucsc_files=ucsc_files, ucsc_md5=ucsc_md5)[0]


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


def write_skipped_table(skipped: list[dict], path: str | Path) -> None:
    """Write the rows :func:`select_encode` did not choose as TSV (header :data:`SKIP_FIELDS`);
    an empty list gives a header-only table."""
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, SKIP_FIELDS, delimiter="\t", extrasaction="ignore")
        w.writeheader()
        w.writerows(skipped)

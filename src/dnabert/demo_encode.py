"""The demo's ENCODE portal ``metadata.tsv`` (2021+ layout, :data:`METADATA_COLUMNS`): per TF
experiment ``DEMOTF0N`` the files a real ENCODE4 experiment lists (rep1/rep2/pooled IDR sets,
optimal and conservative sets, their bigBed twins, an archived analysis), of which only the
conservative set ``DEMOFF0NJ`` exists, plus the decoys (an hg19 file, a revoked file, an
experiment with an ``Audit ERROR``, a DNase-seq experiment)."""

from __future__ import annotations

import hashlib
import string


def md5_hex(data: bytes) -> str:
    """The md5 of ``data`` as 32 hex digits (``metadata.tsv`` and ``MD5SUMS``)."""
    return hashlib.md5(data).hexdigest()


# the ENCODE portal's metadata.tsv columns (2021+ layout), in the portal's order
METADATA_COLUMNS = [
    "File accession", "File format", "File type", "File format type", "Output type",
    "File assembly", "Experiment accession", "Assay", "Donor(s)", "Biosample term id",
    "Biosample term name", "Biosample type", "Biosample organism", "Biosample treatments",
    "Biosample treatments amount", "Biosample treatments duration",
    "Biosample genetic modifications methods", "Biosample genetic modifications categories",
    "Biosample genetic modifications targets", "Biosample genetic modifications gene targets",
    "Biosample genetic modifications site coordinates",
    "Biosample genetic modifications zygosity", "Experiment target", "Library made from",
    "Library depleted in", "Library extraction method", "Library lysis method",
    "Library crosslinking method", "Library strand specific", "Experiment date released",
    "Project", "RBNS protein concentration", "Library fragmentation method", "Library size range",
    "Biological replicate(s)", "Technical replicate(s)", "Read length", "Mapped read length",
    "Run type", "Paired end", "Paired with", "Index of", "Derived from", "Size", "Lab", "md5sum",
    "dbxrefs", "File download URL", "Genome annotation", "Platform", "Controlled by",
    "File Status", "s3_uri", "Azure URL", "File analysis title", "File analysis status",
    "Audit WARNING", "Audit NOT_COMPLIANT", "Audit ERROR",
]  # fmt: skip


DEMO_ANALYSIS = "ENCODE4 v1.1.0 demo"  # real titles read like "ENCODE4 v1.1.0 GRCh38 V29"


OLD_ANALYSIS = "ENCODE4 v1.0.0 demo"  # an older, archived analysis of the same experiments


CONSERVATIVE = "conservative IDR thresholded peaks"


# one ENCODE4 TF ChIP-seq experiment's narrowPeak files: (letter, output type, replicates,
# analysis); each bed file has a bigBed twin (the next letter). "J" is the real peak file.
EXPERIMENT_FILES = [
    ("A", "IDR thresholded peaks", "1", DEMO_ANALYSIS),
    ("C", "IDR thresholded peaks", "2", DEMO_ANALYSIS),
    ("E", "IDR thresholded peaks", "1, 2", DEMO_ANALYSIS),  # pooled pseudoreplicates
    ("G", "optimal IDR thresholded peaks", "1, 2", DEMO_ANALYSIS),
    ("J", CONSERVATIVE, "1, 2", DEMO_ANALYSIS),
    ("L", CONSERVATIVE, "1, 2", OLD_ANALYSIS),
]


BIGBED_TWIN = {"A": "B", "C": "D", "E": "F", "G": "H", "J": "K", "L": "M"}


def target_name(i: int) -> str:
    letters = string.ascii_uppercase
    tag = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
    return f"DEMO{tag}"


def experiment_metadata_rows(e: dict, n: int, url: str, data: bytes, n_total: int) -> list[dict]:
    """metadata.tsv rows of experiment number ``n`` (1-based) of ``n_total``: its files
    (:func:`_experiment_rows`), plus the decoys: an experiment with an Audit ERROR after the first
    and a DNase-seq experiment after the last."""
    rows = _experiment_rows(e, n, url, data, last=n == n_total)
    if n == 1:  # an experiment whose rows carry an Audit ERROR, on the first TF
        audit = {"experiment": "DEMOSR90", "target": e["target"],
                 "audit_error": "extremely low read depth"}  # fmt: skip
        rows += [_meta_row(audit, "DEMOFF90J", CONSERVATIVE, "1, 2", DEMO_ANALYSIS),
                 _meta_row(audit, "DEMOFF90K", CONSERVATIVE, "1, 2", DEMO_ANALYSIS,
                           twin_of="DEMOFF90J")]  # fmt: skip
    if n == n_total:
        dnase = {"experiment": "DEMOSR99", "target": None, "assay": "DNase-seq"}
        rows.append(_meta_row(dnase, "DEMODS01", "peaks", "1", DEMO_ANALYSIS))
    return rows


def metadata_tsv(rows: list[dict]) -> bytes:
    """The portal's ``metadata.tsv`` (2021+ layout, :data:`METADATA_COLUMNS`) of ``rows``."""
    return (
        "\t".join(METADATA_COLUMNS)
        + "\n"
        + "".join("\t".join(r[k] for k in METADATA_COLUMNS) + "\n" for r in rows)
    ).encode()


def _experiment_rows(e, n: int, url: str, data: bytes, *, last: bool) -> list[dict[str, str]]:
    """Metadata rows of demo TF experiment ``e`` (accession ``DEMOTF{n:02d}``), like an ENCODE4
    TF ChIP-seq experiment's: EXPERIMENT_FILES and their bigBed twins. ``J`` (conservative IDR,
    newest analysis) is the real peak file at ``url``; the rest are never downloaded (their md5s
    and URLs are made up). The first experiment also has an hg19 file, the last a revoked one."""
    exp = {"experiment": e["accession"], "target": e["target"]}
    prefix = f"DEMOFF{n:02d}"
    rows = []
    for letter, output_type, reps, analysis in EXPERIMENT_FILES:
        real = (url, data) if letter == "J" else None
        archived = {"analysis_status": "archived"} if analysis == OLD_ANALYSIS else {}
        rows.append(_meta_row(exp | archived, prefix + letter, output_type, reps, analysis, real))
        rows.append(
            _meta_row(exp | archived, prefix + BIGBED_TWIN[letter], output_type, reps, analysis,
                      twin_of=prefix + letter)
        )  # fmt: skip
    if n == 1:
        rows.append(
            _meta_row(
                exp | {"assembly": "hg19"}, prefix + "N", CONSERVATIVE, "1, 2", "ENCODE3 hg19"
            )
        )
    if last:
        rows.append(
            _meta_row(
                exp | {"status": "revoked"}, prefix + "R", CONSERVATIVE, "1, 2", DEMO_ANALYSIS
            )
        )
    return rows


def _meta_row(exp: dict, acc: str, output_type: str, reps: str, analysis: str,
              real: tuple[str, bytes] | None = None, *, twin_of: str | None = None,
              ) -> dict[str, str]:  # fmt: skip
    """One metadata.tsv row (2021+ portal layout) for file ``acc`` of experiment ``exp``.

    ``exp``: ``experiment`` accession and ``target`` (``None`` for no target), optionally
    ``assay``, ``assembly``, ``status``, ``analysis_status``, ``audit_error``. ``real`` is the
    (relative URL, bytes) of a file that exists; otherwise URL and md5 are made up from ``acc``.
    ``twin_of`` makes it the bigBed twin of that bed file.
    """
    ext = "bigBed" if twin_of else "bed.gz"
    url, data = real or (f"tf/{acc}.{ext}", acc.encode())
    digest = md5_hex(acc.encode())
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"
    techs = ", ".join(f"{r}_1" for r in reps.split(", "))
    row = dict.fromkeys(METADATA_COLUMNS, "")
    row |= {
        "File accession": acc, "File format": ("bigBed" if twin_of else "bed") + " narrowPeak",
        "File type": "bigBed" if twin_of else "bed", "File format type": "narrowPeak",
        "Output type": output_type, "File assembly": exp.get("assembly", "demo"),
        "Experiment accession": exp["experiment"], "Assay": exp.get("assay", "TF ChIP-seq"),
        "Donor(s)": "/human-donors/DEMO/", "Biosample term id": "EFO:0000000",
        "Biosample term name": "demo-cell", "Biosample type": "cell line",
        "Biosample organism": "Homo sapiens",
        "Experiment target": f"{exp['target']}-human" if exp["target"] else "",
        "Library made from": "DNA", "Experiment date released": "2020-07-15",
        "Project": "ENCODE", "Biological replicate(s)": reps, "Technical replicate(s)": techs,
        "Derived from": f"/files/{twin_of}/, /files/demo.chrom.sizes/" if twin_of else "",
        "Size": str(len(data) if real else 100_000 + int(digest[:4], 16)), "Lab": "ENCODE Processing Pipeline", "md5sum": md5_hex(data),
        "File download URL": url, "File Status": exp.get("status", "released"),
        "s3_uri": f"s3://encode-public/2020/07/15/{uuid}/{acc}.{ext}",
        "Azure URL": f"https://datasetencode.blob.core.windows.net/dataset/2020/07/15/{uuid}/"
                     f"{acc}.{ext}?sv=2019-10-10&si=prod&sr=c&sig=demo",
        "File analysis title": analysis,
        "File analysis status": exp.get("analysis_status", "released"),
        "Audit ERROR": exp.get("audit_error", ""),
    }  # fmt: skip
    return row

"""The demo's files as bytes, in the formats the hg38 run downloads: genome FASTA (soft-masked,
60 letters a line), GENCODE-style GTF, EPDnew BED and motif table, ENCODE blacklist and
narrowPeak files, all gzipped reproducibly (mtime 0, no file name). :mod:`dnabert.demo` plants
the signals; :mod:`dnabert.demo_encode` writes the portal's ``metadata.tsv`` rows."""

from __future__ import annotations

import gzip
import io

import numpy as np

from dnabert.demo_encode import experiment_metadata_rows, metadata_tsv

LINE = 60


_UPPER = np.frombuffer(b"ACGTN", dtype=np.uint8)


_LOWER = np.frombuffer(b"acgtN", dtype=np.uint8)


# ----------------------------------------------------------------------------- writers
def _gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return buf.getvalue()


def _fasta_record(name: str, codes: np.ndarray, soft: np.ndarray) -> bytes:
    letters = np.where(soft, _LOWER[codes], _UPPER[codes])
    n_full = len(letters) // LINE
    body = np.full((n_full, LINE + 1), ord("\n"), dtype=np.uint8)
    body[:, :LINE] = letters[: n_full * LINE].reshape(n_full, LINE)
    tail = letters[n_full * LINE :].tobytes()
    return f">{name}\n".encode() + body.tobytes() + (tail + b"\n" if tail else b"")


def _attrs(**kv) -> str:
    return " ".join(f'{k} "{v}";' if isinstance(v, str) else f"{k} {v};" for k, v in kv.items())


def _render(seqs, soft, genes, tss, blacklist, experiments) -> dict[str, bytes]:
    """Serialise everything except truth.json and MD5SUMS; returns {relative name: bytes}."""
    files = {}
    fasta = b"".join(_fasta_record(c, seqs[c], soft[c]) for c in seqs)
    files["genome.fa.gz"] = _gzip_bytes(fasta)

    lines = []
    tx_id = 0
    for g in genes:
        base = {"gene_id": f"{g['name']}.1"}
        common = {"gene_type": g["type"], "gene_name": g["name"]}
        row = [g["chrom"], "DEMO", "", "", "", ".", g["strand"], "."]
        lines.append(
            "\t".join(
                row[:2]
                + [
                    "gene",
                    str(g["start"] + 1),
                    str(g["end"]),
                    ".",
                    g["strand"],
                    ".",
                    _attrs(**base, **common),
                ]
            )
        )
        for t in g["transcripts"]:
            tx_id += 1
            tattrs = (
                base
                | {"transcript_id": f"DT{tx_id:05d}.1"}
                | common
                | {"transcript_type": g["type"], "transcript_name": f"{g['name']}-{tx_id:05d}"}
            )
            lines.append(
                "\t".join(
                    row[:2]
                    + [
                        "transcript",
                        str(t[0][0] + 1),
                        str(t[-1][1]),
                        ".",
                        g["strand"],
                        ".",
                        _attrs(**tattrs),
                    ]
                )
            )
            ordered = t if g["strand"] == "+" else t[::-1]
            for n, (s, e) in enumerate(ordered, 1):
                lines.append(
                    "\t".join(
                        row[:2]
                        + [
                            "exon",
                            str(s + 1),
                            str(e),
                            ".",
                            g["strand"],
                            ".",
                            _attrs(**tattrs, exon_number=n),
                        ]
                    )
                )
    files["annotation.gtf.gz"] = _gzip_bytes(("\n".join(lines) + "\n").encode())

    files["epdnew_tss.bed"] = epd_bed(tss)
    files["epdnew_tata.txt"] = epd_motifs(tss)
    files["blacklist.bed"] = "".join(f"{c}\t{s}\t{e}\n" for c, s, e in blacklist).encode()

    meta = []
    for i, e in enumerate(experiments):
        name = f"tf/{e['accession']}.bed.gz"
        text = "".join(
            f"{p['chrom']}\t{p['start']}\t{p['end']}\t.\t{p['score']}\t.\t{p['signal']:.5f}\t"
            f"{p['pvalue']:.5f}\t{p['qvalue']:.5f}\t{p['peak']}\n"
            for p in e["peaks"]
        )
        files[name] = _gzip_bytes(text.encode())
        meta += experiment_metadata_rows(e, i + 1, name, files[name], len(experiments))
    files["metadata.tsv"] = metadata_tsv(meta)
    return files


def _by_name(record: dict) -> str:
    return record["name"]


def epd_bed(tss: list[dict]) -> bytes:
    """EPDnew's BED: single-space delimited BED8 of 60 bp (-49..+10 on the TSS's strand), sorted.

    ``tss``: records with ``chrom``, ``t`` (0-based TSS), ``strand``, ``name``.
    """
    bed = []
    for r in tss:
        t = r["t"]
        if r["strand"] == "+":
            s, e, ts, te = t - 49, t + 11, t, t + 11
        else:
            s, e, ts, te = t - 10, t + 50, t - 10, t + 1
        bed.append((r["chrom"], s, e, r["name"], 900, r["strand"], ts, te))
    bed.sort(key=lambda x: (x[0], x[1], x[3]))
    return "".join(" ".join(map(str, b)) + "\n" for b in bed).encode()


def epd_motifs(tss: list[dict]) -> bytes:
    """EPD's ``promoter_motifs.txt``: TAB table, '#'-prefixed header, 0/1 flags (TATA-box only)."""
    return (
        "#Name\tTATA-box\tInr\tCCAAT-box\tGC-box\n"
        + "".join(f"{r['name']}\t{int(r['tata'])}\t0\t0\t0\n" for r in sorted(tss, key=_by_name))
    ).encode()

"""Which genome assembly each input is for, and a check that they all agree.

Assemblies are compared by their UCSC/GRC synonym pair (``hg38`` = ``GRCh38``, ``hg19`` =
``GRCh37``, ``mm10`` = ``GRCm38``, ``mm39`` = ``GRCm39``, ``mm9`` = ``MGSCv37``). An input's
assembly is its config ``assembly`` key when set, else the assembly its URL names
(``hg38-blacklist.v2.bed.gz``, ``Hs_EPDnew_006_hg38.bed``, ``.../goldenPath/hg19/...``), else
unknown; unknown assemblies are not checked (chromosome names still are, after download). TF
peak sets carry theirs in the config: ``tf.assembly`` for ENCODE, hg19 for the UCSC uniform sets.
"""

from __future__ import annotations

import re
from typing import Any

from dnabert.tasks import family_of

_SYNONYMS = [
    ("GRCh38", "hg38"),
    ("GRCh37", "hg19"),
    ("GRCm39", "mm39"),
    ("GRCm38", "mm10"),
    ("MGSCv37", "mm9"),
]
_CANONICAL = {name.lower(): grc for grc, ucsc in _SYNONYMS for name in (grc, ucsc)}
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(n for pair in _SYNONYMS for n in pair) + r")(?![0-9])",
    re.IGNORECASE,
)


class AssemblyMismatchError(ValueError):
    """Two inputs are for different genome assemblies; the message names both."""


def normalize_assembly(name: str | None) -> str | None:
    """``hg38``/``GRCh38`` -> ``GRCh38`` (any case); an unknown name comes back unchanged."""
    if not name:
        return None
    return _CANONICAL.get(name.lower(), name)


def assembly_from_url(url: str | None) -> str | None:
    """The assembly a URL or file name names, or None when it names none or several."""
    if not url:
        return None
    found = {normalize_assembly(m) for m in _TOKEN.findall(url)}
    return found.pop() if len(found) == 1 else None


def _label(name: str) -> str:
    pair = next(((g, u) for g, u in _SYNONYMS if g == name), None)
    return f"{pair[0]}/{pair[1]}" if pair else name


def input_assemblies(config: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``{config key: (assembly, how it is known)}`` of every input whose assembly is known."""
    out: dict[str, tuple[str, str]] = {}

    def add(key: str, source: dict | None, path: str | None = None) -> None:
        if not source:
            return
        path = path or key
        explicit = normalize_assembly(source.get("assembly"))
        if explicit:
            out[key] = (explicit, f"{path}.assembly {source['assembly']!r}")
            return
        from_url = assembly_from_url(source.get("url"))
        if from_url:
            out[key] = (from_url, f"named by {path}.url {source['url']}")

    genome = config.get("genome", {})
    if genome.get("assembly"):
        out["genome"] = (
            normalize_assembly(genome["assembly"]),
            f"genome.assembly {genome['assembly']!r}",
        )
    else:
        add("genome", genome.get("fasta"), "genome.fasta")
    add("annotation.gtf", config.get("annotation", {}).get("gtf"))
    add("promoters.tss", config.get("promoters", {}).get("tss"))
    add("promoters.tata", config.get("promoters", {}).get("tata"))
    add("blacklist", config.get("blacklist"))
    add("variants.vcf", config.get("variants", {}).get("vcf"))
    tf = config.get("tf", {})
    tasks = config.get("datasets", {}).get("tasks", [])
    if any(getattr(family_of(t), "name", None) == "tf" for t in tasks):  # tf, tf_X
        if tf.get("source") == "encode" and tf.get("assembly"):
            out["tf"] = (normalize_assembly(tf["assembly"]), f"tf.assembly {tf['assembly']!r}")
        elif tf.get("source") == "ucsc_uniform":
            out["tf"] = ("GRCh37", "tf.source 'ucsc_uniform' (the ENCODE uniform TFBS sets, hg19)")
    return out


def check_assemblies(config: dict[str, Any], source: str = "config") -> str | None:
    """Stop when two inputs are for different assemblies; return the genome's (or None).

    Raises :class:`AssemblyMismatchError` naming both inputs, their assemblies and how each was
    determined. Inputs of unknown assembly pass.
    """
    known = input_assemblies(config)
    if not known:
        return None
    ref_key = "genome" if "genome" in known else next(iter(known))
    ref, ref_how = known[ref_key]
    for key, (assembly, how) in known.items():
        if assembly != ref:
            raise AssemblyMismatchError(
                f"{source}: {key} is for {_label(assembly)} ({how}) but {ref_key} is for "
                f"{_label(ref)} ({ref_how}); use inputs of one assembly (or set the right "
                f"'assembly' key if one was guessed wrongly from its URL)"
            )
    return ref

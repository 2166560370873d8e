"""Variant effects from a VCF, scored with a fine-tuned DNABERT classifier.

The DNABERT paper scores genetic variants (dbSNP, ClinVar) with its fine-tuned models to find
functional ones. Here every ALT allele of a VCF (plain, gzip or bgzip; read through pysam) gets
two sequences of the task's exact window length ``L``, each centred on the allele and cut from
the reference: ``ref = G[p0 - a : p0] + REF + G[p1 : p1 + b]`` and the same with ALT, where
``[p0, p1)`` is REF's 0-based half-open span and ``a = (L - len(allele)) // 2``,
``b = L - len(allele) - a``. So SNVs and short indels are scored on windows of the length the
model was trained on, on the reference's + strand. The effect is the change in log-odds of the
target class, ``delta_log_odds = logit(p_alt) - logit(p_ref)`` (probabilities clipped to
``[1e-6, 1 - 1e-6]``), and ``rank`` 1 is the allele with the largest ``|delta_log_odds|``.

Real VCFs differ from the genome and from each other; every allele ends in exactly one of:
scored, or skipped for the first reason in :data:`SKIP_REASONS` that applies:

- ``no_alt``: ALT is ``.`` (no alternate allele);
- ``symbolic``: ``<DUP>``, ``<DEL>``, ``*`` and breakends (dbVar, SV callers);
- ``invalid_allele``: letters other than ``ACGTN``;
- ``too_long``: REF longer than ``max_ref_len``, ALT longer than ``max_alt_len``, or either
  longer than the window (ClinVar has deletions of hundreds of bases);
- ``unknown_chromosome``: the chromosome is not in the genome, even with ``chr`` added or
  removed (:func:`dnabert.genome.chromosome_name_map`; ClinVar writes ``1`` for ``chr1`` and
  has no ``##contig`` lines). When no chromosome maps at all the run stops with a message;
- ``ref_mismatch``: REF differs from the genome there (another assembly or a bad record); never
  scored, counted and listed;
- ``window_off_chromosome``: the window would run past a chromosome end.

:func:`score_variants` writes into ``out_dir``: ``variants.tsv`` (scored alleles, VCF order:
``chrom pos id ref alt kind p_ref p_alt delta_log_odds rank context`` then the listed INFO
fields), ``skipped.tsv`` (``chrom pos id ref alt kind end reason``), ``summary.json`` (counts by kind
and skip reason, the chromosome map, REF mismatch examples, per-class medians, config, seed,
code version) and the figure ``variant_effects.{png,pdf}``
(:mod:`dnabert.variant_figures`). Positions are VCF's 1-based ``POS``. Reading the VCF is
:mod:`dnabert.vcf`'s (:func:`read_vcf`, :class:`VariantError` are importable from here too).
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from dnabert.genome import GenomeError, chromosome_name_map
from dnabert.provenance import atomic_path, stable_provenance, write_json
from dnabert.vcf import (  # noqa: F401 -- re-exported: callers import them here
    VariantError,
    is_bgzf,
    read_vcf,
)

log = logging.getLogger(__name__)

Predictor = Callable[[Sequence[str]], np.ndarray]
KINDS = ("snv", "mnv", "insertion", "deletion", "complex", "symbolic", "no_alt")
SKIP_REASONS = (
    "no_alt",
    "symbolic",
    "invalid_allele",
    "too_long",
    "unknown_chromosome",
    "ref_mismatch",
    "window_off_chromosome",
)
BASE_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "kind"]
SCORE_COLUMNS = [*BASE_COLUMNS, "p_ref", "p_alt", "delta_log_odds", "rank", "context"]
EPS = 1e-6
_ALLELE = re.compile(r"^[ACGTN]+$")


def classify(ref: str, alt: str) -> str:
    """The kind of a REF/ALT pair: one of :data:`KINDS`.

    ``snv`` (1 base each), ``mnv`` (equal lengths > 1), ``insertion`` / ``deletion`` (ALT longer
    / shorter, sharing REF's / ALT's bases at one end, e.g. the VCF anchor base), ``complex``
    (other length changes), ``symbolic`` (``<...>``, ``*``, breakends with ``[``/``]`` or a
    leading/trailing ``.``), ``no_alt`` (ALT ``.``).
    """
    if alt in ("", "."):
        return "no_alt"
    if alt == "*" or alt.startswith(("<", ".")) or alt.endswith(".") or "[" in alt or "]" in alt:
        return "symbolic"
    if len(ref) == len(alt):
        return "snv" if len(ref) == 1 else "mnv"
    long, short = (alt, ref) if len(alt) > len(ref) else (ref, alt)
    if long.startswith(short) or long.endswith(short):
        return "insertion" if long is alt else "deletion"
    return "complex"


def _short(allele: str, n: int = 10) -> str:
    return allele if len(allele) <= n else allele[:n] + "..."


def variant_windows(
    table: pd.DataFrame,
    fasta: str | os.PathLike,
    length: int,
    *,
    max_ref_len: int = 50,
    max_alt_len: int = 50,
    source: str = "VCF",
    flank: int = 10,
) -> tuple[pd.DataFrame, dict]:
    """Classify the alleles of :func:`read_vcf`'s table and cut their windows from ``fasta``.

    Adds ``kind``, ``reason`` (empty for alleles to score, else one of :data:`SKIP_REASONS`),
    ``genome_chrom``, ``ref_seq`` and ``alt_seq`` (both exactly ``length`` bases, upper case,
    centred on the allele as in the module docstring; empty when skipped) and ``context``
    (``flank`` bases either side and ``[REF>ALT]``, alleles over 10 bases shortened). Returns
    ``(table, facts)`` with the chromosome map and up to 10 REF mismatch examples. Raises
    :class:`dnabert.genome.GenomeError` when no chromosome of the VCF is in the genome.
    """
    if length < 1:
        raise VariantError(f"window length must be >= 1, got {length}")
    out = table.copy()
    n = len(out)
    kinds = [classify(r.upper(), a.upper()) for r, a in zip(out["ref"], out["alt"], strict=True)]
    reasons = [""] * n
    gchroms, ref_seqs, alt_seqs, contexts = [""] * n, [""] * n, [""] * n, [""] * n
    mismatches: list[str] = []
    with pysam.FastaFile(str(fasta)) as fa:
        sizes = dict(zip(fa.references, fa.lengths, strict=True))
        name_map = chromosome_name_map(out["chrom"], sizes, source, genome_label=str(fasta))
        for i, (chrom, pos, ref, alt) in enumerate(
            zip(out["chrom"], out["pos"], out["ref"], out["alt"], strict=True)
        ):
            ref, alt, kind = ref.upper(), alt.upper(), kinds[i]
            if kind in ("no_alt", "symbolic"):
                reasons[i] = kind
                continue
            if not (_ALLELE.match(ref) and _ALLELE.match(alt)):
                reasons[i] = "invalid_allele"
                continue
            if len(ref) > min(max_ref_len, length) or len(alt) > min(max_alt_len, length):
                reasons[i] = "too_long"
                continue
            if chrom not in name_map:
                reasons[i] = "unknown_chromosome"
                continue
            gchrom = gchroms[i] = name_map[chrom]
            size = sizes[gchrom]
            p0 = int(pos) - 1
            p1 = p0 + len(ref)
            genome_ref = fa.fetch(gchrom, p0, min(p1, size)).upper() if 0 <= p0 < size else ""
            if genome_ref != ref:
                reasons[i] = "ref_mismatch"
                if len(mismatches) < 10:
                    mismatches.append(
                        f"{chrom}:{pos} REF {_short(ref)} but {gchrom} has "
                        f"{_short(genome_ref) or 'nothing (past its end)'}"
                    )
                continue
            a_ref, a_alt = (length - len(ref)) // 2, (length - len(alt)) // 2
            b_ref, b_alt = length - len(ref) - a_ref, length - len(alt) - a_alt
            lo, hi = p0 - max(a_ref, a_alt), p1 + max(b_ref, b_alt)
            if lo < 0 or hi > size:
                reasons[i] = "window_off_chromosome"
                continue
            # the region holds both windows and the context (clipped at the chromosome's ends)
            lo, hi = min(lo, max(0, p0 - flank)), max(hi, min(size, p1 + flank))
            region = fa.fetch(gchrom, lo, hi).upper()
            s0, s1 = p0 - lo, p1 - lo  # REF's span inside region
            ref_seqs[i] = region[s0 - a_ref : s1 + b_ref]
            alt_seqs[i] = region[s0 - a_alt : s0] + alt + region[s1 : s1 + b_alt]
            left, right = region[max(0, s0 - flank) : s0], region[s1 : s1 + flank]
            contexts[i] = f"{left}[{_short(ref)}>{_short(alt)}]{right}"
    out["kind"], out["reason"], out["genome_chrom"] = kinds, reasons, gchroms
    out["ref_seq"], out["alt_seq"], out["context"] = ref_seqs, alt_seqs, contexts
    unmapped = sorted(set(out["chrom"]) - set(name_map))
    return out, {
        "chromosome_map": name_map,
        "unmapped_chromosomes": unmapped,
        "ref_mismatch_examples": mismatches,
    }


def log_odds(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` float64, ``p`` clipped to ``[1e-6, 1 - 1e-6]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def effect_ranks(delta: np.ndarray) -> np.ndarray:
    """Rank (int64, 1 = largest ``|delta|``; ties keep input order) of every entry of ``delta``."""
    order = np.argsort(-np.abs(np.asarray(delta, dtype=np.float64)), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    return ranks


def score_windows(windows: pd.DataFrame, predict: Predictor, *, chunk: int = 4096) -> pd.DataFrame:
    """Score the alleles of :func:`variant_windows` whose ``reason`` is empty.

    Returns those rows with ``p_ref``, ``p_alt`` (float64 target-class probabilities from
    ``predict(list of sequences) -> (N,)``), ``delta_log_odds`` and ``rank``, in input order.
    """
    kept = windows[windows["reason"] == ""].copy()
    p_ref, p_alt = [], []
    refs, alts = kept["ref_seq"].tolist(), kept["alt_seq"].tolist()
    for s in range(0, len(kept), chunk):
        p_ref.append(np.asarray(predict(refs[s : s + chunk]), dtype=np.float64))
        p_alt.append(np.asarray(predict(alts[s : s + chunk]), dtype=np.float64))
        log.info("scored %d of %d alleles", min(s + chunk, len(kept)), len(kept))
    kept["p_ref"] = np.concatenate(p_ref) if p_ref else np.zeros(0)
    kept["p_alt"] = np.concatenate(p_alt) if p_alt else np.zeros(0)
    kept["delta_log_odds"] = log_odds(kept["p_alt"]) - log_odds(kept["p_ref"])
    kept["rank"] = effect_ranks(kept["delta_log_odds"].to_numpy())
    return kept


def task_window_length(split_tsv: str | os.PathLike) -> int:
    """The window length of a task: the most common sequence length of one of its split files."""
    from dnabert.datasets.common import read_task_split

    lengths = read_task_split(split_tsv)["sequence"].str.len()
    if lengths.empty:
        raise VariantError(f"{split_tsv}: no sequences to take the task's window length from")
    return int(lengths.value_counts().sort_index().idxmax())


def group_summary(scored: pd.DataFrame, column: str) -> dict[str, dict]:
    """``{class: {n, median_delta, median_abs_delta}}`` of scored alleles by ``column``."""
    out = {}
    for name, rows in scored.groupby(scored[column].replace("", "(none)"), sort=True):
        d = rows["delta_log_odds"]
        out[str(name)] = {
            "n": len(rows),
            "median_delta": float(d.median()),
            "median_abs_delta": float(d.abs().median()),
        }
    return out


def _write_tsv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.6g")


def _model_predictor(model_dir, target_class: int, batch_size: int, device: str):
    import torch

    from dnabert.attention import load_classifier
    from dnabert.ism import classifier_predictor

    model, k = load_classifier(model_dir)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    max_bases = model.config.max_position_embeddings - 2 + k - 1
    return classifier_predictor(model, k, target_class, batch_size=batch_size), k, max_bases


def score_variants(
    vcf: str | os.PathLike,
    fasta: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    model_dir: str | os.PathLike | None = None,
    predict: Predictor | None = None,
    window: int | None = None,
    task_split: str | os.PathLike | None = None,
    task: str = "",
    seed: int | None = None,
    config: dict | None = None,
    info_fields: Sequence[str] = (),
    group_by: str | None = None,
    max_ref_len: int = 50,
    max_alt_len: int = 50,
    target_class: int = 1,
    batch_size: int = 64,
    device: str = "auto",
    top_n: int = 20,
    dpi: int = 150,
) -> dict:
    """Score every ALT allele of ``vcf`` and write the outputs of the module docstring.

    The model is ``predict`` (any ``list[str] -> (N,)`` probability function, for tests) or the
    fine-tuned classifier in ``model_dir``. The window length is ``window``, else the task's
    (:func:`task_window_length` of ``task_split``). ``group_by`` is an INFO field of
    ``info_fields`` whose values group the figure and the summary (default: the kind). Returns
    the summary record.
    """
    out_dir = Path(out_dir)
    if window is None:
        if task_split is None:
            raise VariantError(
                "score_variants needs window or task_split (a split TSV of the task)"
            )
        window = task_window_length(task_split)
    info_fields = list(dict.fromkeys([*info_fields, *([group_by] if group_by else [])]))
    k = None
    if predict is None:
        if model_dir is None:
            raise VariantError("score_variants needs model_dir or predict")
        predict, k, max_bases = _model_predictor(model_dir, target_class, batch_size, device)
        if window > max_bases:
            raise VariantError(
                f"window {window} bp is longer than the {max_bases} bases {model_dir} reads "
                f"(its max_position_embeddings tokens); set variants.window (--window) to at "
                f"most {max_bases}"
            )
    table, facts = read_vcf(vcf, info_fields)
    log.info(
        "%s: %d records, %d alleles, %d ##contig lines; window %d bp",
        vcf, facts["n_records"], len(table), facts["n_contig_lines"], window,
    )  # fmt: skip
    try:
        windows, wfacts = variant_windows(
            table, fasta, window, max_ref_len=max_ref_len, max_alt_len=max_alt_len, source=str(vcf)
        )
    except GenomeError as exc:
        raise VariantError(str(exc)) from exc
    skipped_counts = Counter(windows["reason"][windows["reason"] != ""])
    for reason in SKIP_REASONS:
        log.info("skipped %d allele(s): %s", skipped_counts.get(reason, 0), reason)
    for example in wfacts["ref_mismatch_examples"]:
        log.warning("REF mismatch: %s", example)
    if wfacts["unmapped_chromosomes"]:
        log.warning("chromosomes not in the genome: %s", wfacts["unmapped_chromosomes"][:20])
    scored = score_windows(windows, predict)
    group = group_by if group_by else "kind"

    out_dir.mkdir(parents=True, exist_ok=True)
    _write_tsv(scored[SCORE_COLUMNS + info_fields], out_dir / "variants.tsv")
    skipped = windows[windows["reason"] != ""]
    _write_tsv(skipped[[*BASE_COLUMNS, "end", "reason", *info_fields]], out_dir / "skipped.tsv")

    from dnabert.plotting import draw_and_save
    from dnabert.variant_figures import plot_variant_effects

    title = f"{task} DNABERT{'-' + str(k) if k else ''}: variant effects ({Path(vcf).name})"
    draw_and_save(
        out_dir / "variant_effects", dpi, plot_variant_effects, scored, group, title, top_n=top_n
    )
    record = stable_provenance(
        config,
        seed,
        task=task,
        k=k,
        vcf=str(vcf),
        fasta=str(fasta),
        model_dir=str(model_dir) if model_dir else None,
        window=window,
        target_class=target_class,
        info_fields=info_fields,
        group_by=group,
        max_ref_len=max_ref_len,
        max_alt_len=max_alt_len,
        n_records=facts["n_records"],
        n_alleles=len(windows),
        n_scored=len(scored),
        n_skipped=len(skipped),
        n_contig_lines=facts["n_contig_lines"],
        info_fields_not_in_header=facts["info_fields_not_in_header"],
        by_kind={kind: int((windows["kind"] == kind).sum()) for kind in KINDS},
        scored_by_kind={kind: int((scored["kind"] == kind).sum()) for kind in KINDS},
        skipped_by_reason={reason: int(skipped_counts.get(reason, 0)) for reason in SKIP_REASONS},
        by_group=group_summary(scored, group),
        **wfacts,
    )
    write_json(out_dir / "summary.json", record)
    log.info("%s: scored %d of %d alleles -> %s", task or vcf, len(scored), len(windows), out_dir)
    return record

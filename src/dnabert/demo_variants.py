"""Known variants planted in the demo genome: a VCF whose effects on the TF model are known.

:func:`demo_variants` picks, from the finished demo genome (after every signal was planted, so
REF always matches):

- ``motif_breaking``: SNVs at the centre base of intact planted sites of the TF experiment with
  the shortest motif (the first such: ``DEMOTF02``, ``AGATAAGA``), one per site. The centre base
  of an 8 bp motif lies in every 6-mer that overlaps the motif by 6, so the SNV removes them all
  and a model that learned the motif loses it (the demo's DNABERT-6: median |Δ log-odds| about
  8). In the 15 bp ``DEMOTF01`` motif four 6-mers survive any single SNV, and its model barely
  moves (median 0.06, less than for neutral SNVs);
- ``neutral``: SNVs at least ``min_distance`` bp from every peak summit (all experiments) and
  every TSS, outside N runs and blacklist regions; the model should barely move;
- one record of each case a reader must handle (INFO ``PLANTED`` names it): ``motif_deletion``
  (3 motif bases deleted, scored as an indel), ``neutral_insertion`` (2 bases inserted),
  ``neutral_multiallelic`` (two ALT alleles), ``symbolic`` (``<DEL>`` with ``END``),
  ``long_deletion`` (REF of 80 bases), ``ref_mismatch`` (REF differs from the genome) and
  ``unknown_chromosome`` (a chromosome the genome lacks).

The VCF is written as ClinVar writes its own: chromosome names without ``chr`` and no
``##contig`` lines, so the pipeline's name mapping is exercised on every demo run. Positions
in the VCF are 1-based; everything else here is 0-based.
"""

from __future__ import annotations

import numpy as np

from dnabert.demo_sim import TELOMERE, revcomp

_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)
MIN_DISTANCE = 2000
# records of one each, and how the scorer must treat them
EXTRA_CLASSES = {
    "motif_deletion": "deletion",
    "neutral_insertion": "insertion",
    "neutral_multiallelic": "snv",
    "symbolic": "symbolic",
    "long_deletion": "too_long",
    "ref_mismatch": "ref_mismatch",
    "unknown_chromosome": "unknown_chromosome",
}


def _text(codes: np.ndarray) -> str:
    return _LETTERS[codes].tobytes().decode()


def _other_base(rng, base: str) -> str:
    return str(rng.choice([b for b in "ACGT" if b != base]))


def intact_sites(seqs: dict, experiment: dict, canonical: list[str]) -> list[tuple[str, int, str]]:
    """``(chrom, start, motif as it reads on +)`` of every planted site of ``experiment`` on a
    canonical chromosome whose bases still spell the motif (later signals may overwrite some)."""
    sites, seen = [], set()
    for p in experiment["peaks"]:
        if not p["planted"] or p["chrom"] not in canonical:
            continue
        m = experiment["motif"] if p["strand"] == "+" else revcomp(experiment["motif"])
        s = p["summit"] - len(m) // 2
        if (p["chrom"], s) in seen or _text(seqs[p["chrom"]][s : s + len(m)]) != m:
            continue
        seen.add((p["chrom"], s))
        sites.append((p["chrom"], s, m))
    return sites


def _neutral_positions(rng, seqs, canonical, avoid, blacklist, n, min_distance):
    """Up to ``n`` positions at least ``min_distance`` bp from every ``avoid`` point, outside
    the blacklist, with no N within 200 bp and 500 bp apart."""
    out: list[tuple[str, int]] = []
    for _ in range(n * 200):
        if len(out) == n:
            break
        c = canonical[int(rng.integers(0, len(canonical)))]
        size = len(seqs[c])
        lo, hi = TELOMERE + max(min_distance, 300), size - max(min_distance, 300)
        if hi <= lo:
            continue
        p = int(rng.integers(lo, hi))
        near = avoid.get(c, np.zeros(0, dtype=np.int64))
        if near.size and np.abs(near - p).min() < min_distance:
            continue
        if any(bc == c and bs - 200 <= p < be + 200 for bc, bs, be in blacklist):
            continue
        if (seqs[c][p - 200 : p + 200] == 4).any() or any(abs(q - p) < 500 for _, q in out):
            continue
        out.append((c, p))
    return out


def demo_variants(
    seqs: dict,
    canonical: list[str],
    experiments: list[dict],
    tss: list[dict],
    blacklist: list[tuple[str, int, int]],
    rng: np.random.Generator,
    *,
    n_breaking: int = 40,
    n_neutral: int = 40,
    min_distance: int = MIN_DISTANCE,
) -> tuple[bytes, dict]:
    """The demo's ``variants.vcf`` bytes and its truth record (classes and expected counts).

    ``seqs`` maps chromosome names to uint8 codes (0..3 = ``ACGT``, 4 = ``N``) of the finished
    genome; ``experiments`` and ``tss`` are the generator's records (peaks with ``chrom``,
    ``summit``, ``strand``, ``planted``; TSSs with ``chrom`` and ``t``).
    """
    exp = min(experiments, key=lambda e: len(e["motif"]))  # the first of the shortest
    sites = intact_sites(seqs, exp, canonical)
    order = rng.permutation(len(sites))
    n_breaking = min(n_breaking, max(0, len(sites) - 1))
    picked = [sites[i] for i in order[: n_breaking + 1]]
    avoid: dict[str, list[int]] = {}
    for e in experiments:
        for p in e["peaks"]:
            avoid.setdefault(p["chrom"], []).append(p["summit"])
    for r in tss:
        avoid.setdefault(r["chrom"], []).append(r["t"])
    avoid_arr = {c: np.array(v, dtype=np.int64) for c, v in avoid.items()}
    # small demo genomes are crowded with peaks: relax the distance until enough positions fit
    distance = min_distance
    while True:
        neutral = _neutral_positions(
            rng, seqs, canonical, avoid_arr, blacklist, n_neutral + 6, distance
        )
        if len(neutral) == n_neutral + 6 or distance <= 100:
            break
        distance //= 2
    if len(neutral) < 6 or not picked:
        raise ValueError(
            f"demo variants: the genome is too small for them ({len(picked)} intact "
            f"{exp['accession']} sites, {len(neutral)} positions {distance} bp from any peak)"
        )
    n_neutral = len(neutral) - 6
    motif_info = f"MOTIF={exp['accession']}"
    records: list[tuple[str, int, str, str, str]] = []  # chrom, pos (1-based), ref, alt, info

    def base(c: str, p: int) -> str:
        return _text(seqs[c][p : p + 1])

    for c, s, m in picked[:n_breaking]:
        p = s + len(m) // 2
        ref = base(c, p)
        records.append(
            (c, p + 1, ref, _other_base(rng, ref), f"PLANTED=motif_breaking;{motif_info}")
        )
    for c, p in neutral[:n_neutral]:
        ref = base(c, p)
        records.append((c, p + 1, ref, _other_base(rng, ref), "PLANTED=neutral"))
    # one record per case a VCF reader meets in real files
    c, s, m = picked[n_breaking]
    a = s + len(m) // 2 - 1  # anchor base, then 3 motif bases deleted
    records.append(
        (c, a + 1, _text(seqs[c][a : a + 4]), base(c, a), f"PLANTED=motif_deletion;{motif_info}")
    )
    (c1, p1), (c2, p2), (c3, p3), (c4, p4), (c5, p5), _ = neutral[n_neutral:]
    records.append((c1, p1 + 1, base(c1, p1), base(c1, p1) + "AC", "PLANTED=neutral_insertion"))
    ref = base(c2, p2)
    alts = [b for b in "ACGT" if b != ref][:2]
    records.append((c2, p2 + 1, ref, ",".join(alts), "PLANTED=neutral_multiallelic"))
    records.append(
        (c3, p3 + 1, base(c3, p3), "<DEL>", f"PLANTED=symbolic;SVTYPE=DEL;END={p3 + 1000}")
    )
    records.append(
        (c4, p4 + 1, _text(seqs[c4][p4 : p4 + 80]), base(c4, p4), "PLANTED=long_deletion")
    )
    wrong = _other_base(rng, base(c5, p5))
    records.append((c5, p5 + 1, wrong, _other_base(rng, wrong), "PLANTED=ref_mismatch"))
    lost = f"chr{len(canonical) + 1}"  # not in the genome
    records.append((lost, 1_000, "A", "G", "PLANTED=unknown_chromosome"))

    rank = {c: i for i, c in enumerate([*canonical, lost])}
    records.sort(key=lambda r: (rank[r[0]], r[1]))
    header = [
        "##fileformat=VCFv4.2",
        "##source=dnabert.demo_variants",
        "##reference=demo",
        '##ALT=<ID=DEL,Description="Deletion relative to the reference">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
        '##INFO=<ID=PLANTED,Number=1,Type=String,Description="What the demo planted: '
        "motif_breaking (SNV in a planted TF site), neutral (SNV far from every peak and TSS), "
        'or a reader test case">',
        '##INFO=<ID=MOTIF,Number=1,Type=String,Description="TF experiment whose site it hits">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines = [
        f"{c.removeprefix('chr')}\t{pos}\tdemo{i + 1}\t{ref}\t{alt}\t.\t.\t{info}"
        for i, (c, pos, ref, alt, info) in enumerate(records)
    ]
    truth = {
        "file": "variants.vcf",
        "tf_experiment": exp["accession"],
        "n_records": len(records),
        "n_alleles": len(records) + 1,  # the multiallelic record has two ALTs
        "n_motif_breaking": n_breaking,
        "n_neutral": n_neutral,
        "min_distance": distance,
        "extra_records": EXTRA_CLASSES,
        "chromosome_names": "without 'chr', no ##contig lines (as ClinVar)",
    }
    return ("\n".join(header + lines) + "\n").encode(), truth

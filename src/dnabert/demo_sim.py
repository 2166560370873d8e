"""Simulation kernels of the offline demo data (see :mod:`dnabert.demo`).

Background sequence, gene models and their layout, strand-aware planting of promoter, splice
and TF motifs, and simulated narrowPeak rows. Sequences are ``uint8`` code arrays (A=0, C=1,
G=2, T=3, N=4); coordinates are 0-based half-open.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TELOMERE = 10_000
UNPLACED = "chrUn_demo1"
UNPLACED_LENGTH = 50_000
PAD = 500  # bp kept free around every gene / gap / blacklist item: holds promoters (-300..+100)
_CODE = {c: i for i, c in enumerate("ACGT")}
# Motifs of the first simulated experiments; more are derived from the seed.
BASE_MOTIFS = ["CCACCAGGGGGCGCT", "AGATAAGA", "CACGTGAC"]  # CTCF-like, GATA-like, E-box


def encode(seq: str) -> np.ndarray:
    return np.array([_CODE[c] for c in seq], dtype=np.uint8)


def revcomp(seq: str) -> str:
    return seq.translate(str.maketrans("ACGT", "TGCA"))[::-1]


# ----------------------------------------------------------------------------- background
def _transition_cdf() -> np.ndarray:
    """Order-2 Markov transition CDFs, shape (16, 4): row ``4*a+b`` gives P(x <= . | a, b)."""
    pi = np.array([0.278, 0.222, 0.222, 0.278])
    p = np.tile(pi, (16, 1))
    for a in range(4):
        for b in range(4):
            row = p[4 * a + b]
            if b == 1:
                row[2] *= 0.22  # CpG depletion
            if a == b and b in (0, 3):
                row[b] *= 1.4  # A/T homopolymer runs
            row /= row.sum()
    return np.cumsum(p, axis=1)


def simulate_background(rng: np.random.Generator, n: int, n_chains: int = 2048) -> np.ndarray:
    """``n`` bases (uint8 codes 0..3) from the order-2 chain, run as ``n_chains`` parallel chains.

    The loop runs over positions within a chain (~n / n_chains steps), vectorised across chains.
    """
    steps = -(-n // n_chains)
    cdf = _transition_cdf()[:, :3]
    u = rng.random((steps, n_chains))
    out = np.empty((steps, n_chains), dtype=np.uint8)
    a = rng.integers(0, 4, n_chains)
    b = rng.integers(0, 4, n_chains)
    for i in range(steps):
        x = (u[i][:, None] > cdf[4 * a + b]).sum(axis=1)
        out[i] = x
        a, b = b, x
    return out.T.reshape(-1)[:n].copy()


# ----------------------------------------------------------------------------- gene models
def _loguniform(rng: np.random.Generator, lo: int, hi: int, size=None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size)).astype(np.int64)


def simulate_gene_model(rng: np.random.Generator) -> dict[str, Any]:
    """One gene in local coordinates on its own strand (offset from the gene's 5' end).

    Returns ``{"span": int, "transcripts": [[(start, end), ...], ...]}`` with exons 5'->3'.
    Transcript 1 uses every exon; others skip an internal exon or start at an alternative first
    exon upstream (a second TSS). Every intron stays within 80..3000 bp.
    """
    n_exons = int(rng.integers(2, 9))
    exon_len = rng.integers(50, 301, n_exons)
    intron_len = _loguniform(rng, 80, 3000, n_exons - 1)
    variants = []
    alt_len = int(rng.integers(50, 301))
    max_gap = min(1500, 3000 - int(exon_len[0]) - int(intron_len[0]))
    alt_gap = int(rng.integers(320, max_gap + 1)) if max_gap >= 320 else None
    if alt_gap is not None:
        variants.append("alt_first")
    skippable = [
        k for k in range(1, n_exons - 1) if intron_len[k - 1] + exon_len[k] + intron_len[k] <= 3000
    ]
    if skippable:
        variants.append("skip")
    n_tx = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
    chosen = [variants[i] for i in rng.permutation(len(variants))][: n_tx - 1]
    offset = alt_len + alt_gap if "alt_first" in chosen else 0
    exons, pos = [], offset
    for k in range(n_exons):
        exons.append((pos, pos + int(exon_len[k])))
        pos += int(exon_len[k]) + (int(intron_len[k]) if k < n_exons - 1 else 0)
    transcripts = [exons]
    for v in chosen:
        if v == "alt_first":
            transcripts.append([(0, alt_len)] + exons[1:])
        else:
            k = int(rng.choice(skippable))
            transcripts.append(exons[:k] + exons[k + 1 :])
    return {"span": pos, "transcripts": transcripts}


def to_genome(local: list[tuple[int, int]], g0: int, span: int, strand: str):
    """Map local exons (5'->3' on ``strand``) to genomic exons sorted by start."""
    if strand == "+":
        return [(g0 + a, g0 + b) for a, b in local]
    return sorted((g0 + span - b, g0 + span - a) for a, b in local)


def layout_chromosome(rng, length: int, spans: list[int], n_gaps: int, bl_lens: list[int]):
    """Place genes, N gaps and blacklist regions on one chromosome without overlaps.

    Every item keeps ``PAD`` free bp on both sides; the first ``TELOMERE`` bp are N. Genes that
    do not fit are dropped (from the end). Returns (gene starts, n kept, gaps, blacklists).
    """
    gap_lens = [int(x) for x in rng.integers(1000, 5001, n_gaps)]
    usable = length - TELOMERE
    n_genes = len(spans)
    while True:
        sizes = list(spans[:n_genes]) + gap_lens + list(bl_lens)
        free = usable - sum(s + 2 * PAD for s in sizes)
        if free >= 0.05 * usable or n_genes == 0:
            break
        n_genes -= 1
    if free < 0:
        raise ValueError(f"chromosome length {length} too short for the requested demo layout")
    kinds = ["gene"] * n_genes + ["gap"] * n_gaps + ["bl"] * len(bl_lens)
    order = rng.permutation(len(sizes))
    spacers = np.floor(rng.dirichlet(np.ones(len(sizes) + 1)) * free).astype(np.int64)
    pos = TELOMERE
    starts = [0] * len(sizes)
    for j, i in enumerate(order):
        pos += int(spacers[j]) + PAD
        starts[i] = pos
        pos += sizes[i] + PAD
    gene_starts = starts[:n_genes]
    gaps = [(starts[i], starts[i] + sizes[i]) for i in range(len(sizes)) if kinds[i] == "gap"]
    bls = [(starts[i], starts[i] + sizes[i]) for i in range(len(sizes)) if kinds[i] == "bl"]
    return gene_starts, n_genes, sorted(gaps), sorted(bls)


# ----------------------------------------------------------------------------- planting
def _plant(seq, anchors, strands, rel, values, mask=None):
    """Write ``values`` (codes, shape (n, k), read 5'->3' on each strand) at offsets ``rel``.

    ``anchors`` (n,) are the genomic 0-based positions of relative offset 0; on the minus strand
    offset +1 is one base to the left and values are complemented. ``mask`` (n, k) selects which
    positions are written (weak consensus).
    """
    anchors = np.asarray(anchors, dtype=np.int64)
    if anchors.size == 0:
        return
    minus = np.asarray(strands) == "-"
    rel = np.asarray(rel, dtype=np.int64)
    values = np.asarray(values, dtype=np.uint8)
    pos = np.where(minus[:, None], anchors[:, None] - rel[None, :], anchors[:, None] + rel[None, :])
    vals = np.where(minus[:, None], 3 - values, values).astype(np.uint8)
    if mask is None:
        mask = np.ones(pos.shape, dtype=bool)
    seq[pos[mask]] = vals[mask]


def plant_one(seq, anchor: int, strand: str, rel: int, motif: str) -> None:
    _plant(seq, [anchor], [strand], np.arange(rel, rel + len(motif)), encode(motif)[None, :])


def _random_motif(rng, pattern: str) -> str:
    choices = {"W": "AT", "R": "AG", "Y": "CT", "N": "ACGT", "S": "CG", "V": "ACG"}
    return "".join(str(rng.choice(list(choices[c]))) if c in choices else c for c in pattern)


CPG_ISLAND_PROBS = (0.15, 0.35, 0.35, 0.15)  # A C G T: ~70% GC, CpG obs/exp ~1
PROXIMAL_PROBS = (0.25, 0.25, 0.25, 0.25)  # TATA promoters: ~50% GC ...
PROXIMAL_CPG_KEPT = 0.25  # ... with 3 in 4 CpGs lost to (methyl-C) deamination, CG -> TG


def resample_region(seq, soft, rng, start: int, end: int, probs, cpg_kept: float = 1.0) -> None:
    """Replace ``seq[start:end]`` by i.i.d. bases drawn with ``probs`` (ACGT), unmasked; each CpG
    then survives with probability ``cpg_kept`` (else its C becomes T, as methyl-C deaminates)."""
    x = rng.choice(4, end - start, p=np.asarray(probs)).astype(np.uint8)
    if cpg_kept < 1:
        cg = (x[:-1] == 1) & (x[1:] == 2) & (rng.random(x.size - 1) >= cpg_kept)
        x[:-1][cg] = 3
    seq[start:end] = x
    soft[start:end] = False


def _span(t: int, strand: str, lo: int, hi: int) -> tuple[int, int]:
    """Genomic ``[start, end)`` of the offsets ``lo..hi-1`` relative to ``t`` on ``strand``."""
    return (t + lo, t + hi) if strand == "+" else (t - hi + 1, t - lo + 1)


def plant_cpg_island(seq, soft, rng, t: int, strand: str) -> tuple[int, int]:
    """A CpG island of 400-800 bp around the TSS ``t`` (:data:`CPG_ISLAND_PROBS`: GC-rich, no CpG
    depletion), reaching a little further downstream than upstream of the TSS as human CGI
    promoters do. Returns the genomic ``[start, end)`` (its upstream part stays within
    :data:`PAD`)."""
    length = int(rng.integers(400, 801))
    up = min(PAD - 50, int(length * 0.45))
    start, end = _span(t, strand, -up, length - up)
    resample_region(seq, soft, rng, start, end, CPG_ISLAND_PROBS)
    return start, end


def plant_proximal_promoter(seq, soft, rng, t: int, strand: str) -> tuple[int, int]:
    """The -250..+99 region of a non-CGI (TATA) promoter: moderately GC-rich
    (:data:`PROXIMAL_PROBS`) but CpG-depleted, like human TATA promoters. Returns ``[start, end)``."""
    start, end = _span(t, strand, -250, 100)
    resample_region(seq, soft, rng, start, end, PROXIMAL_PROBS, PROXIMAL_CPG_KEPT)
    return start, end


def plant_promoter(seq, rng, t: int, strand: str, tata: bool) -> None:
    """Promoter elements around the TSS ``t`` (0-based; offsets are relative on ``strand``)."""
    plant_one(seq, t, strand, -2, _random_motif(rng, "YYANWYY"))  # Inr, A at the TSS
    if tata:
        plant_one(seq, t, strand, int(rng.integers(-31, -27)), _random_motif(rng, "TATAWAWR"))
    if rng.random() < (0.5 if tata else 0.8):  # Sp1 sites: most non-TATA, many TATA promoters
        plant_one(seq, t, strand, int(rng.integers(-100, -45)), "GGGCGG")
    if rng.random() < 0.35:
        plant_one(seq, t, strand, int(rng.integers(-88, -74)), "CCAAT")
    if not tata:  # scrub a chance TATA box at the TATA offset of a non-TATA promoter
        for rel in range(-31, -27):
            idx = t + rel if strand == "+" else t - rel
            base = seq[idx] if strand == "+" else 3 - seq[idx]
            if base == 3 and _window(seq, t, strand, rel, 6) in ("TATAAA", "TATATA", "TATAAT"):
                plant_one(seq, t, strand, rel, "G")


# downstream core elements of TATA-less promoters, with their offsets from the TSS (A of the
# Inr = +1, as in the literature; this module's offsets count the TSS base as 0)
DOWNSTREAM_CORE = {
    "MTE": (18, "CSARCSSAACGS"),  # motif ten element, +18..+29 (Lim et al. 2004)
    "DPE": (28, "RGWYVT"),  # downstream promoter element, +28..+33 (Burke & Kadonaga 1997)
}
DOWNSTREAM_CORE_FRACTION = {"MTE": 0.25, "DPE": 0.5}  # of non-TATA promoters


def plant_downstream_core(seq, rng, t: int, strand: str) -> list[tuple[str, str]]:
    """MTE and/or DPE downstream of the TATA-less TSS ``t``, each with its own probability. The
    two overlap at +28..+29 (as defined in the literature); the DPE, planted last, keeps its bases
    there. Both act with the Inr at a fixed spacing, and :func:`plant_promoter` plants an Inr at
    every TSS. Returns ``(element, sequence)`` for each one planted."""
    planted = []
    for name, (offset, pattern) in DOWNSTREAM_CORE.items():
        if rng.random() < DOWNSTREAM_CORE_FRACTION[name]:
            motif = _random_motif(rng, pattern)
            plant_one(seq, t, strand, offset - 1, motif)
            planted.append((name, motif))
    return planted


def _window(seq, anchor: int, strand: str, rel: int, k: int) -> str:
    if strand == "+":
        s = seq[anchor + rel : anchor + rel + k]
    else:
        s = 3 - seq[anchor - rel - k + 1 : anchor - rel + 1][::-1]
    return "".join("ACGTN"[min(int(c), 4)] for c in s)


def plant_splice_consensus(seq, rng, donors, acceptors) -> None:
    """Weak donor ``MAG|GTRAGT`` and acceptor ``(Y)n..YAG|G`` consensus (not the dinucleotides)."""
    if donors:
        anchors, strands = zip(*donors, strict=True)
        n = len(anchors)
        rel = np.array([-3, -2, -1, 2, 3, 4, 5])
        vals = np.column_stack(
            [
                rng.choice([0, 1], n),  # M
                np.full(n, 0),
                np.full(n, 2),  # AG
                rng.choice([0, 2], n, p=[0.6, 0.4]),  # R
                np.full(n, 0),
                np.full(n, 2),
                np.full(n, 3),  # AGT
            ]
        )
        mask = rng.random(vals.shape) < np.array([0.5, 0.7, 0.8, 0.9, 0.7, 0.8, 0.5])
        _plant(seq, anchors, strands, rel, vals, mask)
    if acceptors:
        anchors, strands = zip(*acceptors, strict=True)
        n = len(anchors)
        rel = np.concatenate([np.arange(-20, -4), [-3, 0]])
        vals = np.column_stack([rng.choice([1, 3], (n, 17)), np.full(n, 2)])
        mask = rng.random(vals.shape) < np.concatenate([np.full(16, 0.75), [0.9, 0.6]])
        _plant(seq, anchors, strands, rel, vals, mask)


# ----------------------------------------------------------------------------- TF peaks
def make_tf_motifs(rng, n: int) -> list[str]:
    motifs = BASE_MOTIFS[:n]
    while len(motifs) < n:
        m = "".join(rng.choice(list("ACGT"), 10))
        gc = (m.count("G") + m.count("C")) / len(m)
        known = motifs + [revcomp(x) for x in motifs]
        if "TATA" not in m and 0.3 <= gc <= 0.7 and not any(m in k or k in m for k in known):
            motifs.append(m)
    return motifs


def _sample_positions(rng, intervals: list[tuple[str, int, int]], n: int):
    """``n`` uniform positions over the union of ``(chrom, start, end)`` intervals."""
    sizes = np.array([e - s for _, s, e in intervals], dtype=np.int64)
    cum = np.cumsum(sizes)
    x = rng.integers(0, cum[-1], n)
    idx = np.searchsorted(cum, x, side="right")
    offs = x - (cum[idx] - sizes[idx])
    return [(intervals[i][0], intervals[i][1] + int(o)) for i, o in zip(idx, offs, strict=True)]


def simulate_peaks(rng, n: int, allowed, blacklist, motif_len: int):
    """Simulated narrowPeak rows for one experiment, sorted by signalValue descending.

    ~5% of summits in blacklist regions, ~1% on the unplaced contig, ~2% exact duplicate summits
    (same chrom and summit, another width); ``planted`` marks the ~90% that get the motif.
    """
    n_dup = round(0.02 * n)
    n_bl = max(1, round(0.05 * n))
    n_un = max(1, round(0.01 * n))
    n_reg = n - n_dup - n_bl - n_un
    summits = _sample_positions(rng, allowed, n_reg)
    inner = [(c, s + 100, e - 100) for c, s, e in blacklist]
    summits += _sample_positions(rng, inner, n_bl)
    summits += [(UNPLACED, int(x)) for x in rng.integers(1000, UNPLACED_LENGTH - 1000, n_un)]
    planted = list(rng.random(len(summits)) < 0.9)
    dup_of = rng.choice(len(summits), n_dup, replace=False) if n_dup else []
    summits += [summits[i] for i in dup_of]
    planted += [False] * n_dup
    rows = []
    signal = rng.lognormal(3.0, 0.6, n)
    signal[n_reg : n_reg + n_bl] *= 2.0  # blacklist artefacts are strong
    for (chrom, summit), sig, plant in zip(summits, signal, planted, strict=True):
        width = int(rng.integers(150, 601))
        off = int(np.clip(round(width / 2 + rng.normal(0, width / 8)), 0, width - 1))
        rows.append(
            {
                "chrom": chrom,
                "start": summit - off,
                "end": summit - off + width,
                "peak": off,
                "signal": float(sig),
                "summit": summit,
                "planted": bool(plant),
                "strand": "+" if rng.random() < 0.5 else "-",
            }
        )
    rows.sort(key=lambda r: -r["signal"])
    for r in rows:
        r["pvalue"] = r["signal"] * 2.7
        r["qvalue"] = r["signal"] * 2.3
        r["score"] = int(min(1000, round(r["signal"] * 10)))
    return rows

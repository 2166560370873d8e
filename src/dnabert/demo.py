"""Offline demo data: a small synthetic genome with planted, learnable signals.

:func:`generate_demo` writes, deterministically from a seed, the same kinds of files the hg38 run
downloads (genome FASTA, GENCODE-style GTF, EPDnew TSS BED + TATA list, ENCODE blacklist,
ENCODE narrowPeak files + portal ``metadata.tsv``), so the demo runs the same download and
processing rules via ``file:`` URLs. What was planted is recorded in ``truth.json``.

``metadata.tsv`` is in the 2021+ portal layout (:data:`dnabert.demo_encode.METADATA_COLUMNS`)
and lists, per TF experiment ``DEMOTF0N``, the files a real ENCODE4 experiment has (rep1/rep2/
pooled IDR sets, optimal and conservative sets, their bigBed twins, an archived analysis); only
the conservative set ``DEMOFF0NJ`` exists (``tf/DEMOTF0N.bed.gz``). Decoys: an hg19 file, a revoked file, an
experiment with an ``Audit ERROR`` (``DEMOSR90``) and a DNase-seq experiment (``DEMOSR99``).

Signals planted (all strand-aware, in this order, later ones winning where they touch):

1. background: an order-2 Markov chain, ~41% GC, CpG depleted (like human DNA);
2. "repeats": mutated copies of a few repeat families, soft-masked (lower case), ~10% of bases;
3. promoter composition (unmasked): CpG islands (400-800 bp, ~70% GC, no CpG depletion) around
   ~90% of the non-TATA TSSs, as most human non-TATA promoters sit in CpG islands; at TATA TSSs
   a ~50% GC but CpG-depleted -250..+99 region;
4. TF motifs centred on the summits of ~90% of each experiment's peaks;
5. promoters: Inr ``YYANWYY`` (A at the TSS) at every TSS, ``TATAWAWR`` starting at -31..-28
   in ~30% of TSSs, a GC box (``GGGCGG``, Sp1) in -100..-41 of ~80% of non-TATA and ~50% of
   TATA ones, CCAAT near -80; in TATA-less promoters an MTE (``CSARCSSAACGS``, +18..+29) in
   ~25% and a DPE (``RGWYVT``, +28..+33) in ~50%, the downstream core elements that stand in
   for the TATA box there;
6. splice sites: weak consensus ``MAG|GTRAGT`` at donors, polypyrimidine tract + ``YAG|G`` at
   acceptors, then the intron dinucleotides (GT-AG, or GC-AG / AT-AC for ~2% of introns) last,
   so nothing overwrites them.

``variants.vcf`` then lists known variants in the finished genome (:mod:`dnabert.demo_variants`):
motif-breaking SNVs in planted TF sites, neutral ones far from any peak or TSS, and one record
per case a VCF reader must handle.

Coordinates inside this module are 0-based half-open unless a name says ``1-based``.
The files' formats are written by :mod:`dnabert.demo_files` (and :mod:`dnabert.demo_encode`
for ``metadata.tsv``); the simulation's pieces are in :mod:`dnabert.demo_sim`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from dnabert.demo_encode import md5_hex, target_name
from dnabert.demo_files import _render
from dnabert.demo_sim import (
    TELOMERE,
    UNPLACED,
    UNPLACED_LENGTH,
    encode,
    layout_chromosome,
    make_tf_motifs,
    plant_cpg_island,
    plant_downstream_core,
    plant_one,
    plant_promoter,
    plant_proximal_promoter,
    plant_splice_consensus,
    revcomp,
    simulate_background,
    simulate_gene_model,
    simulate_peaks,
    to_genome,
)
from dnabert.demo_variants import demo_variants
from dnabert.provenance import atomic_path, code_version

log = logging.getLogger(__name__)

CPG_ISLAND_FRACTION = 0.9  # of non-TATA promoters


# ----------------------------------------------------------------------------- main entry
def generate_demo(
    outdir,
    *,
    seed: int = 7,
    n_chromosomes: int = 6,
    chromosome_length: int = 1_000_000,
    genes_per_mb: int = 120,
    n_tf_experiments: int = 3,
    peaks_per_experiment: int = 500,
) -> dict[str, Path]:
    """Write the demo source files into ``outdir`` (atomically) and return their paths.

    Same arguments => byte-identical files (gzip with mtime 0 and no file name; a single
    ``numpy.random.default_rng(seed)``). Keys of the result: ``genome``, ``annotation``, ``tss``,
    ``tata``, ``blacklist``, ``metadata``, ``md5sums``, ``truth`` and one per TF accession
    (``DEMOTF01``...). Raises ``ValueError`` for sizes the layout cannot hold.
    """
    args = {
        "seed": seed, "n_chromosomes": n_chromosomes, "chromosome_length": chromosome_length,
        "genes_per_mb": genes_per_mb, "n_tf_experiments": n_tf_experiments,
        "peaks_per_experiment": peaks_per_experiment,
    }  # fmt: skip
    if n_chromosomes < 1 or chromosome_length < 50_000 or genes_per_mb < 1:
        raise ValueError(f"demo: need n_chromosomes>=1, chromosome_length>=50000: got {args}")
    if n_tf_experiments < 1 or peaks_per_experiment < 10:
        raise ValueError(f"demo: need n_tf_experiments>=1, peaks_per_experiment>=10: got {args}")
    log.info("generating demo data %s (code %s)", args, code_version())
    rng = np.random.default_rng(seed)
    chroms = [f"chr{i + 1}" for i in range(n_chromosomes)]
    lengths = {c: chromosome_length for c in chroms} | {UNPLACED: UNPLACED_LENGTH}
    bg = simulate_background(rng, sum(lengths.values()))
    seqs, offset = {}, 0
    for c, n in lengths.items():
        seqs[c] = bg[offset : offset + n]
        offset += n
    soft = {c: np.zeros(n, dtype=bool) for c, n in lengths.items()}

    # repeats: mutated copies of 4 AT-rich families, soft-masked, ~10% of bases
    families = rng.choice(4, (4, 2000), p=[0.3, 0.2, 0.2, 0.3]).astype(np.uint8)
    for c, n in lengths.items():
        for _ in range(round(0.1 * n / 1100)):
            k = int(rng.integers(200, 2001))
            s = int(rng.integers(0, n - k))
            f = int(rng.integers(0, 4))
            o = int(rng.integers(0, 2001 - k))
            copy = families[f, o : o + k].copy()
            mut = rng.random(k) < 0.1
            copy[mut] = rng.integers(0, 4, int(mut.sum()))
            seqs[c][s : s + k] = copy
            soft[c][s : s + k] = True

    # layout: genes, N gaps, blacklist regions
    n_bl = int(rng.integers(5, 11))
    bl_chrom = rng.integers(0, n_chromosomes, n_bl)
    usable = n_chromosomes * (chromosome_length - TELOMERE)
    min_bl = min(2000, usable // 100)  # 2-20 kb, smaller only on genomes too tiny to hold that
    bl_len = rng.integers(min_bl, max(min_bl, min(20_000, usable // 60)) + 1, n_bl)
    genes, gaps, blacklist = [], {}, []
    for ci, c in enumerate(chroms):
        n_genes = round(genes_per_mb * chromosome_length / 1e6)
        models = [simulate_gene_model(rng) for _ in range(n_genes)]
        starts, kept, gaps[c], bls = layout_chromosome(
            rng, chromosome_length, [m["span"] for m in models], int(rng.integers(1, 3)),
            [int(x) for x in bl_len[bl_chrom == ci]],
        )  # fmt: skip
        if kept < len(models):
            log.warning("%s: only %d of %d genes fit", c, kept, len(models))
        blacklist += [(c, s, e) for s, e in bls]
        seqs[c][:TELOMERE] = 4
        for s, e in gaps[c]:
            seqs[c][s:e] = 4
        for m, g0 in zip(models[:kept], starts, strict=True):
            strand = "+" if rng.random() < 0.5 else "-"
            gtype = "protein_coding" if rng.random() < 0.85 else "lncRNA"
            txs = [to_genome(t, g0, m["span"], strand) for t in m["transcripts"]]
            genes.append(
                {
                    "chrom": c,
                    "strand": strand,
                    "type": gtype,
                    "transcripts": txs,
                    "start": min(t[0][0] for t in txs),
                    "end": max(t[-1][1] for t in txs),
                }
            )
    genes.sort(key=lambda g: (chroms.index(g["chrom"]), g["start"]))
    for i, g in enumerate(genes):
        g["name"] = f"DG{i + 1:05d}"
    blacklist.sort()

    # TSSs (one per distinct transcript start) and TATA choice
    tss = []
    for g in genes:
        seen = []
        for t in g["transcripts"]:
            pos = t[0][0] if g["strand"] == "+" else t[-1][1] - 1
            if pos not in seen:
                seen.append(pos)
        for n, pos in enumerate(seen, 1):
            tss.append(
                {
                    "chrom": g["chrom"],
                    "t": pos,
                    "strand": g["strand"],
                    "name": f"{g['name']}_{n}",
                    "tata": bool(rng.random() < 0.3),
                }
            )

    # promoter composition, from its own stream (the rest of the data does not move when this
    # changes): CpG islands at most non-TATA promoters, a GC-rich but CpG-depleted proximal
    # region at TATA ones; before the TF motifs and promoter elements, which win
    cgi_rng = np.random.default_rng([seed, 1])
    cpg_islands, proximal = [], []
    for r in tss:
        c, t, st = r["chrom"], r["t"], r["strand"]
        if r["tata"]:
            s, e = plant_proximal_promoter(seqs[c], soft[c], cgi_rng, t, st)
            proximal.append([c, s, e, r["name"]])
        elif cgi_rng.random() < CPG_ISLAND_FRACTION:
            s, e = plant_cpg_island(seqs[c], soft[c], cgi_rng, t, st)
            cpg_islands.append([c, s, e, r["name"]])

    # TF peaks and motifs
    allowed = []
    for c in chroms:
        lo, bounds = TELOMERE + 1000, []
        for s, e in gaps[c]:
            bounds.append((lo, s - 1000))
            lo = e + 1000
        bounds.append((lo, chromosome_length - 1000))
        allowed += [(c, s, e) for s, e in bounds if e > s]
    motifs = make_tf_motifs(rng, n_tf_experiments)
    experiments = []
    for i, motif in enumerate(motifs):
        peaks = simulate_peaks(rng, peaks_per_experiment, allowed, blacklist, len(motif))
        for p in peaks:
            if p["planted"]:
                m = motif if p["strand"] == "+" else revcomp(motif)
                s = p["summit"] - len(m) // 2
                seqs[p["chrom"]][s : s + len(m)] = encode(m)
        experiments.append(
            {
                "accession": f"DEMOTF{i + 1:02d}",
                "target": target_name(i),
                "motif": motif,
                "peaks": peaks,
            }
        )

    # promoters; downstream core elements (TATA-less ones) from their own stream
    dce_rng = np.random.default_rng([seed, 2])
    downstream_core = []
    for r in tss:
        plant_promoter(seqs[r["chrom"]], rng, r["t"], r["strand"], r["tata"])
        if not r["tata"]:
            for name, motif in plant_downstream_core(
                seqs[r["chrom"]], dce_rng, r["t"], r["strand"]
            ):
                downstream_core.append([r["name"], name, motif])

    # splice sites: consensus first, intron dinucleotides last
    introns = {}  # (chrom, start0, end0, strand) -> None, insertion-ordered
    for g in genes:
        for t in g["transcripts"]:
            for (_, b), (a, _) in zip(t[:-1], t[1:], strict=True):
                introns[(g["chrom"], b, a, g["strand"])] = None

    def donor(i):
        c, s, e, st = i
        return (c, st, s if st == "+" else e - 1)

    def acceptor(i):
        c, s, e, st = i
        return (c, st, e if st == "+" else s - 1)

    d_use, a_use = {}, {}
    for i in introns:
        d_use[donor(i)] = d_use.get(donor(i), 0) + 1
        a_use[acceptor(i)] = a_use.get(acceptor(i), 0) + 1
    eligible = [i for i in introns if d_use[donor(i)] == 1 and a_use[acceptor(i)] == 1]
    n_nc = max(4, round(0.02 * len(introns)))
    kinds = [("GC", "AG", "+"), ("AT", "AC", "+"), ("GC", "AG", "-"), ("AT", "AC", "-")]
    noncanon = {}
    for j in range(n_nc):
        dn, ac, st = kinds[j % 4]
        cand = [i for i in eligible if i[3] == st and i not in noncanon]
        if cand:
            noncanon[cand[int(rng.integers(0, len(cand)))]] = (dn, ac)
    for c in chroms:
        ds = sorted({donor(i)[1:] for i in introns if i[0] == c})
        acs = sorted({acceptor(i)[1:] for i in introns if i[0] == c})
        plant_splice_consensus(seqs[c], rng, [(a, s) for s, a in ds], [(a, s) for s, a in acs])
    dn_sites, ac_sites = {}, {}
    for i in introns:
        dn, ac = noncanon.get(i, ("GT", "AG"))
        dn_sites[donor(i)] = dn
        ac_sites[acceptor(i)] = ac
    for (c, st, anchor), dn in dn_sites.items():
        plant_one(seqs[c], anchor, st, 0, dn)
    for (c, st, anchor), ac in ac_sites.items():
        plant_one(seqs[c], anchor, st, -2, ac)

    files = _render(seqs, soft, genes, tss, blacklist, experiments)
    # known variants, from the finished genome and their own stream (nothing above moves)
    files["variants.vcf"], variant_truth = demo_variants(
        seqs, chroms, experiments, tss, blacklist, np.random.default_rng([seed, 3])
    )
    truth = {
        "generator": "dnabert.demo.generate_demo",
        "seed": seed,
        "args": args,
        "chromosomes": lengths,
        "canonical": chroms,
        "telomere": [[c, 0, TELOMERE] for c in chroms],
        "n_gaps": [[c, s, e] for c in chroms for s, e in gaps[c]],
        "blacklist": [list(b) for b in blacklist],
        "n_genes": len(genes),
        "n_transcripts": sum(len(g["transcripts"]) for g in genes),
        "n_introns": len(introns),
        "n_tss": len(tss),
        "n_tata": sum(r["tata"] for r in tss),
        "cpg_islands": cpg_islands,
        "tata_proximal_regions": proximal,
        "downstream_core_elements": downstream_core,
        "tf_experiments": [
            {"accession": e["accession"], "file_accession": f"DEMOFF{i + 1:02d}J",
             "target": f"{e['target']}-human", "motif": e["motif"], "n_peaks": len(e["peaks"]),
             "n_planted": sum(p["planted"] for p in e["peaks"])}
            for i, e in enumerate(experiments)
        ],
        "variants": variant_truth,
        "noncanonical_introns": [
            {"chrom": c, "start": s + 1, "end": e, "strand": st, "donor": dn, "acceptor": ac}
            for (c, s, e, st), (dn, ac) in sorted(noncanon.items())
        ],
    }  # fmt: skip
    files["truth.json"] = (json.dumps(truth, indent=2, sort_keys=True) + "\n").encode()
    files["MD5SUMS"] = "".join(f"{md5_hex(files[n])}  {n}\n" for n in sorted(files)).encode()

    outdir = Path(outdir)
    with atomic_path(outdir, is_dir=True) as tmp:
        tmp.chmod(0o755)  # mkdtemp makes it private
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
    keys = {"genome.fa.gz": "genome", "annotation.gtf.gz": "annotation", "epdnew_tss.bed": "tss",
            "epdnew_tata.txt": "tata", "blacklist.bed": "blacklist", "metadata.tsv": "metadata",
            "MD5SUMS": "md5sums", "truth.json": "truth"}  # fmt: skip
    out = {keys.get(n, Path(n).name.split(".")[0]): outdir / n for n in files}
    log.info("wrote %d files to %s: %d genes, %d TSSs", len(files), outdir, len(genes), len(tss))
    return out

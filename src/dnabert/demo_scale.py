"""hg38-scale synthetic inputs: a genome of hg38's size and shape, GENCODE-scale annotation,
EPDnew-scale TSSs and ENCODE-scale TF peak files, for measuring the data stages at paper scale.

:func:`generate_scale` writes the same files as :func:`dnabert.demo.generate_demo` (and through
its writers for EPD's BED8 / ``#Name`` motif table and ENCODE's portal ``metadata.tsv``), at
``fraction`` of hg38's size:

- genome: the 24 GRCh38 chromosomes (chr1-22, X, Y; lengths below, 3.09 Gbp in all) scaled by
  ``fraction``; 10 kb N telomeres, an N gap at each (approximate) centromere, the acrocentric
  short arms (chr13-15, 21, 22) and chrY's heterochromatin as N, ~800 scattered gaps genome-wide;
  ~50% of bases soft-masked (lower case) in 100-5,000 bp stretches; i.i.d. uniform bases
  otherwise (this is for time and memory, not learnability);
- annotation: ~60,000 genes, ~250,000 transcripts, ~1.3 M exon lines in GENCODE's GTF layout
  (gene / transcript / exon lines, GENCODE attribute order, ``##`` header); GT..AG planted at
  every intron;
- promoters: ~30,000 EPDnew-like TSSs at gene 5' ends (~10.4% TATA, as EPDnew 006: 3,065 of
  29,598), a TATA box planted at -31 of those;
- TF experiments: ``n_tf_experiments`` narrowPeak files of 20,000-60,000 peaks each (scaled), and
  the ENCODE portal ``metadata.tsv`` describing them;
- blacklist: ~636 regions (ENCODE blacklist v2's count), TAB BED4 with spaces in the 4th column.

Counts scale with ``fraction``; gene, exon and peak sizes do not. Generation streams: the FASTA is
produced chromosome by chromosome in 6 Mbp chunks (memory stays ~0.3 GB at any fraction), and
the GTF chromosome by chromosome. Same arguments, same bytes. Coordinates are 0-based half-open.

It stays one module (about 400 lines): one streaming generator whose parts share one random
stream; the file formats are :mod:`dnabert.demo_files`' and :mod:`dnabert.demo_encode`'s.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np

from dnabert.demo_encode import experiment_metadata_rows, metadata_tsv, target_name
from dnabert.demo_files import LINE, epd_bed, epd_motifs
from dnabert.provenance import atomic_path, code_version

log = logging.getLogger(__name__)

# GRCh38 primary chromosomes: (name, length, approximate centromere midpoint)
HG38_CHROMOSOMES = (
    ("chr1", 248_956_422, 123_400_000), ("chr2", 242_193_529, 93_900_000),
    ("chr3", 198_295_559, 90_900_000), ("chr4", 190_214_555, 50_000_000),
    ("chr5", 181_538_259, 48_800_000), ("chr6", 170_805_979, 59_800_000),
    ("chr7", 159_345_973, 60_100_000), ("chr8", 145_138_636, 45_200_000),
    ("chr9", 138_394_717, 43_000_000), ("chr10", 133_797_422, 39_800_000),
    ("chr11", 135_086_622, 53_400_000), ("chr12", 133_275_309, 35_500_000),
    ("chr13", 114_364_328, 17_700_000), ("chr14", 107_043_718, 17_200_000),
    ("chr15", 101_991_189, 19_000_000), ("chr16", 90_338_345, 36_800_000),
    ("chr17", 83_257_441, 25_100_000), ("chr18", 80_373_285, 18_500_000),
    ("chr19", 58_617_616, 26_200_000), ("chr20", 64_444_167, 28_100_000),
    ("chr21", 46_709_983, 12_000_000), ("chr22", 50_818_468, 15_000_000),
    ("chrX", 156_040_895, 60_600_000), ("chrY", 57_227_415, 10_400_000),
)  # fmt: skip
HG38_BP = sum(n for _, n, _ in HG38_CHROMOSOMES)
ACROCENTRIC_N = {"chr13": 16_000_000, "chr14": 16_000_000, "chr15": 17_000_000,
                 "chr21": 5_010_000, "chr22": 10_510_000}  # fmt: skip  # N short arms
CHRY_HETEROCHROMATIN = (26_600_000, 56_800_000)
TELOMERE = 10_000
CENTROMERE_GAP = 1_500_000
N_SCATTERED_GAPS = 800
N_GENES = 60_000
N_TSS = 30_000
TATA_FRACTION = 3065 / 29598
N_BLACKLIST = 636
PEAKS_PER_EXPERIMENT = (20_000, 60_000)
PAD = 5_600  # bp kept N-free around TSSs: promscan's +-5 kb scan and its 1001 bp windows
CHUNK = 6_000_000  # bases generated at a time (a multiple of LINE)
_ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMP = bytes.maketrans(b"ACGT", b"TGCA")
GENE_TYPES = ("protein_coding", "lncRNA", "processed_pseudogene", "misc_RNA", "snRNA")
GENE_TYPE_P = (0.33, 0.32, 0.2, 0.1, 0.05)
TATA_BOX = b"TATAAAAG"  # at -31..-24


class _HashingWriter:
    """A binary file that also keeps the md5 and size of what was written."""

    def __init__(self, path: Path):
        self.fh = open(path, "wb")  # noqa: SIM115 (closed by close(), like a file)
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data) -> int:
        self.md5.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _gzip_writer(path: Path, level: int) -> tuple[gzip.GzipFile, _HashingWriter]:
    raw = _HashingWriter(path)
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=level), raw


def _intervals_to_mask(starts, ends, c0: int, c1: int) -> np.ndarray:
    """bool mask of ``[c0, c1)`` covered by any of the (possibly overlapping) intervals."""
    sel = (ends > c0) & (starts < c1)
    d = np.zeros(c1 - c0 + 1, dtype=np.int32)
    np.add.at(d, np.clip(starts[sel], c0, c1) - c0, 1)
    np.add.at(d, np.clip(ends[sel], c0, c1) - c0, -1)
    return np.cumsum(d[:-1]) > 0


def _n_runs(rng, name: str, length: int, centre: int, fraction: float, n_gaps: int):
    """Sorted ``(starts, ends)`` int64 of the N runs of one chromosome."""
    runs = [(0, TELOMERE), (length - TELOMERE, length)]
    c = int(centre * fraction)
    half = int(CENTROMERE_GAP * fraction) // 2
    runs.append((c - half, c + half))
    if name in ACROCENTRIC_N:
        runs.append((TELOMERE, int(ACROCENTRIC_N[name] * fraction)))
    if name == "chrY":
        runs.append(tuple(int(x * fraction) for x in CHRY_HETEROCHROMATIN))
    if n_gaps:
        size = np.exp(rng.uniform(np.log(1_000), np.log(100_000), n_gaps)).astype(np.int64)
        size = np.minimum(size, max(1, length // 200))
        start = rng.integers(TELOMERE, length - TELOMERE - size)
        runs += list(zip(start.tolist(), (start + size).tolist(), strict=True))
    runs = sorted((max(0, s), min(length, e)) for s, e in runs if e > s)
    return np.array([r[0] for r in runs], np.int64), np.array([r[1] for r in runs], np.int64)


def _free_segments(length: int, n_starts, n_ends) -> np.ndarray:
    """``(m, 2)`` int64 ``[start, end)`` segments free of N (the gaps between merged N runs)."""
    order = np.argsort(n_starts, kind="stable")
    free, pos = [], 0
    for s, e in zip(n_starts[order].tolist(), n_ends[order].tolist(), strict=True):
        if s > pos:
            free.append((pos, s))
        pos = max(pos, e)
    if pos < length:
        free.append((pos, length))
    return np.array(free, np.int64).reshape(-1, 2)


def _place(rng, segments: np.ndarray, sizes: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts for items of ``sizes`` bp inside ``segments`` (length-weighted), ``pad`` bp from
    the segment ends (-1 where the chosen segment is too short), and the chosen segments."""
    room = segments[:, 1] - segments[:, 0]
    seg = rng.choice(len(segments), size=sizes.size, p=room / room.sum())
    lo = segments[seg, 0] + pad
    hi = segments[seg, 1] - pad - sizes
    ok = hi > lo
    starts = np.full(sizes.size, -1, np.int64)
    starts[ok] = lo[ok] + (rng.random(int(ok.sum())) * (hi[ok] - lo[ok])).astype(np.int64)
    return starts, seg


def _genes(rng, chrom: str, segments: np.ndarray, n: int, first_id: int) -> list[dict]:
    """Gene models: an exon pool per gene, transcripts as runs of consecutive pool exons
    (transcript 1 spans them all); sorted by start."""
    size = np.exp(rng.uniform(np.log(1_000), np.log(150_000), n)).astype(np.int64)
    starts, _ = _place(rng, segments, size, PAD)
    strands = rng.choice(np.array(["+", "-"]), n)
    types = rng.choice(len(GENE_TYPES), n, p=GENE_TYPE_P)
    genes = []
    for i in np.argsort(starts, kind="stable"):
        if starts[i] < 0:
            continue
        g0, length = int(starts[i]), int(size[i])
        m = 1 + int(rng.poisson(7))
        ex = rng.integers(50, 301, m)
        while m > 1 and ex.sum() + 60 * (m - 1) > length:
            m -= 1
            ex = ex[:m]
        if ex.sum() > length:
            ex[:] = length
        spare = length - int(ex.sum()) - 60 * (m - 1)
        cuts = np.sort(rng.integers(0, spare + 1, m - 1)) if m > 1 else np.empty(0, np.int64)
        introns = np.diff(np.concatenate(([0], cuts, [spare]))) + 60
        introns[-1] = 0  # the last exon ends at the gene's end
        ex_start = g0 + np.concatenate(([0], np.cumsum(ex[:-1] + introns[:-1])))
        ex_end = ex_start + ex
        pool = np.stack([ex_start, ex_end], axis=1)
        runs = [(0, m)]
        for _ in range(int(rng.poisson(3.2))):
            k = min(m, 1 + int(rng.poisson(4.2)))
            a = int(rng.integers(0, m - k + 1))
            runs.append((a, a + k))
        genes.append({"chrom": chrom, "start": g0, "end": int(ex_end[-1]),
                      "strand": str(strands[i]), "type": GENE_TYPES[types[i]],
                      "id": first_id + len(genes), "pool": pool, "runs": runs})  # fmt: skip
    return genes


def _gtf_lines(genes: list[dict], tx_counter: list[int], exon_counter: list[int]) -> str:
    """GENCODE-layout GTF lines (gene, transcript, exon) of ``genes``."""
    out = []
    for g in genes:
        gid, name = f"ENSG{g['id']:011d}.{1 + g['id'] % 7}", f"SG{g['id']:05d}"
        common = f'gene_id "{gid}"; '
        gtype = f'gene_type "{g["type"]}"; gene_name "{name}"; '
        head = f"{g['chrom']}\tHAVANA\t"
        tail = f"\t.\t{g['strand']}\t."
        out.append(f"{head}gene\t{g['start'] + 1}\t{g['end']}{tail}\t{common}{gtype}level 2;")
        for n, (a, b) in enumerate(g["runs"]):
            tx_counter[0] += 1
            tid = f"ENST{tx_counter[0]:011d}.1"
            tx = (f'{common}transcript_id "{tid}"; {gtype}transcript_type "{g["type"]}"; '
                  f'transcript_name "{name}-{201 + n}"; ')  # fmt: skip
            exons = g["pool"][a:b]
            tag = ' tag "basic"; tag "Ensembl_canonical";' if n == 0 else ' tag "basic";'
            s, e = int(exons[0, 0]), int(exons[-1, 1])
            out.append(f"{head}transcript\t{s + 1}\t{e}{tail}\t{tx}level 2;{tag}")
            order = exons if g["strand"] == "+" else exons[::-1]
            for k, (s, e) in enumerate(order.tolist(), 1):
                exon_counter[0] += 1
                out.append(
                    f"{head}exon\t{s + 1}\t{e}{tail}\t{tx}exon_number {k}; "
                    f'exon_id "ENSE{exon_counter[0]:011d}.1"; level 2;{tag}'
                )
    return "".join(line + "\n" for line in out)


def _plants(genes: list[dict], tss: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Positions and bases to plant: GT..AG at every pool intron (strand-aware) and a TATA box
    at -31 of the TATA TSSs. Later entries win where two touch."""
    pos, base = [], []
    for g in genes:
        pool = g["pool"]
        if len(pool) < 2:
            continue
        i_start, i_end = pool[:-1, 1], pool[1:, 0]  # intron [end of exon i, start of exon i+1)
        left, right = (b"GT", b"AG") if g["strand"] == "+" else (b"CT", b"AC")
        for p0, motif in ((i_start, left), (i_end - 2, right)):
            pos.append((p0[:, None] + np.arange(2)).ravel())
            base.append(np.tile(np.frombuffer(motif, np.uint8), p0.size))
    for r in tss:
        if r["tata"]:
            if r["strand"] == "+":
                p0, motif = r["t"] - 31, TATA_BOX
            else:
                p0, motif = r["t"] + 24, TATA_BOX.translate(_COMP)[::-1]
            pos.append(p0 + np.arange(len(motif)))
            base.append(np.frombuffer(motif, np.uint8))
    if not pos:
        return np.empty(0, np.int64), np.empty(0, np.uint8)
    p, b = np.concatenate(pos).astype(np.int64), np.concatenate(base)
    order = np.argsort(p, kind="stable")
    return p[order], b[order]


def _write_chromosome(fh, rng, name, length, n_runs, plants) -> int:
    """Stream one FASTA record to ``fh`` in CHUNK pieces; returns soft-masked bases."""
    n_soft = max(1, length // 1_800)
    soft_len = np.exp(rng.uniform(np.log(100), np.log(5_000), n_soft)).astype(np.int64)
    soft_start = rng.integers(0, length, n_soft)
    soft_end = soft_start + soft_len
    p_pos, p_base = plants
    fh.write(f">{name}\n".encode())
    soft_bases = 0
    for c0 in range(0, length, CHUNK):
        c1 = min(length, c0 + CHUNK)
        letters = _ACGT[rng.integers(0, 4, c1 - c0, dtype=np.uint8)]
        a, b = np.searchsorted(p_pos, [c0, c1])
        letters[p_pos[a:b] - c0] = p_base[a:b]
        soft = _intervals_to_mask(soft_start, soft_end, c0, c1)
        soft_bases += int(soft.sum())
        letters[soft] |= 32  # lower case
        letters[_intervals_to_mask(n_runs[0], n_runs[1], c0, c1)] = ord("N")
        n_full = letters.size // LINE
        body = np.full((n_full, LINE + 1), ord("\n"), dtype=np.uint8)
        body[:, :LINE] = letters[: n_full * LINE].reshape(n_full, LINE)
        fh.write(body.tobytes())
        if letters.size % LINE:
            fh.write(letters[n_full * LINE :].tobytes() + b"\n")
    return soft_bases


def _peaks_text(rng, chroms: list[str], segments: dict, n: int) -> bytes:
    """``n`` narrowPeak rows (summit 100-400 bp into a 200-800 bp peak) in N-free sequence."""
    names = [c for c in chroms if len(segments[c])]
    segs = np.concatenate([segments[c] for c in names])
    seg_chrom = np.concatenate([np.full(len(segments[c]), i) for i, c in enumerate(names)])
    width = rng.integers(200, 801, n)
    starts, seg_of = _place(rng, segs, width, 0)
    ok = starts >= 0
    starts, width, chrom = starts[ok], width[ok], seg_chrom[seg_of[ok]]
    summit = (width * rng.uniform(0.25, 0.75, width.size)).astype(np.int64)
    signal = rng.gamma(2.0, 20.0, width.size) + 5
    pval = signal * rng.uniform(1.5, 3.0, width.size)
    order = np.lexsort((starts, chrom))
    rows = zip(chrom[order].tolist(), starts[order].tolist(), (starts + width)[order].tolist(),
               signal[order].tolist(), pval[order].tolist(), summit[order].tolist(), strict=True)  # fmt: skip
    return "".join(
        f"{names[c]}\t{s}\t{e}\t.\t1000\t.\t{sg:.5f}\t{pv:.5f}\t{pv * 0.85:.5f}\t{sm}\n"
        for c, s, e, sg, pv, sm in rows
    ).encode()


def generate_scale(
    outdir,
    *,
    fraction: float = 0.01,
    seed: int = 11,
    n_tf_experiments: int = 20,
    compresslevel: int = 1,
) -> dict[str, Path]:
    """Write hg38-scale source files into ``outdir`` (atomically) and return their paths.

    Files and keys as :func:`dnabert.demo.generate_demo` (``genome.fa.gz``, ``annotation.gtf.gz``,
    ``epdnew_tss.bed``, ``epdnew_tata.txt``, ``blacklist.bed``, ``tf/DEMOTF{NN}.bed.gz``,
    ``metadata.tsv``, ``MD5SUMS``), plus ``summary.json`` (what was generated: counts) instead of
    ``truth.json``. ``fraction`` in (0, 1] scales chromosome lengths and every count;
    ``compresslevel`` is gzip's (1: fast; real hg38.fa.gz is level 9, decompression costs the same).
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if n_tf_experiments < 1:
        raise ValueError(f"n_tf_experiments must be >= 1, got {n_tf_experiments}")
    t0 = time.perf_counter()
    args = {"fraction": fraction, "seed": seed, "n_tf_experiments": n_tf_experiments}
    log.info("generating hg38-scale data %s (code %s)", args, code_version())
    chroms = [(c, max(200_000, int(n * fraction)), m) for c, n, m in HG38_CHROMOSOMES]
    total = sum(n for _, n, _ in chroms)
    rng = np.random.default_rng(seed)
    gaps_per = rng.multinomial(
        round(N_SCATTERED_GAPS * fraction), [n / total for _, n, _ in chroms]
    )
    genes_per = rng.multinomial(round(N_GENES * fraction), [n / total for _, n, _ in chroms])
    tss_share = N_TSS / N_GENES
    outdir = Path(outdir)
    stats = {"chromosomes": {}, "genes": 0, "transcripts": 0, "exon_lines": 0, "tss": 0,
             "tata": 0, "n_bases": 0, "soft_masked_bases": 0}  # fmt: skip
    md5: dict[str, str] = {}
    segments: dict[str, np.ndarray] = {}
    all_tss: list[dict] = []
    with atomic_path(outdir, is_dir=True) as tmp:
        tmp.chmod(0o755)
        (tmp / "tf").mkdir()
        fa, fa_raw = _gzip_writer(tmp / "genome.fa.gz", compresslevel)
        gtf, gtf_raw = _gzip_writer(tmp / "annotation.gtf.gz", compresslevel)
        gtf.write(
            b"##description: hg38-scale synthetic annotation (dnabert.demo_scale), GENCODE layout\n"
            b"##provider: GENCODE\n##format: gtf\n##date: 2023-06-13\n"
        )
        tx_counter, exon_counter, gene_id = [0], [0], 1
        for ci, (name, length, centre) in enumerate(chroms):
            crng = np.random.default_rng([seed, ci])
            n_runs = _n_runs(crng, name, length, centre, fraction, int(gaps_per[ci]))
            segments[name] = _free_segments(length, *n_runs)
            genes = _genes(crng, name, segments[name], int(genes_per[ci]), gene_id)
            gene_id += len(genes)
            gtf.write(_gtf_lines(genes, tx_counter, exon_counter).encode())
            coding = [g for g in genes if g["type"] in ("protein_coding", "lncRNA")]
            n_tss = min(len(coding), round(len(genes) * tss_share))
            picked = sorted(crng.choice(len(coding), n_tss, replace=False).tolist())
            tss = []
            for i in picked:
                g = coding[i]
                t = g["start"] if g["strand"] == "+" else g["end"] - 1
                tss.append({"chrom": name, "t": t, "strand": g["strand"],
                            "name": f"SG{g['id']:05d}_1",
                            "tata": bool(crng.random() < TATA_FRACTION)})  # fmt: skip
            soft = _write_chromosome(fa, crng, name, length, n_runs, _plants(genes, tss))
            n_bases = int((n_runs[1] - n_runs[0]).sum())
            stats["chromosomes"][name] = length
            stats["genes"] += len(genes)
            stats["transcripts"] += sum(len(g["runs"]) for g in genes)
            stats["tss"] += len(tss)
            stats["tata"] += sum(r["tata"] for r in tss)
            stats["soft_masked_bases"] += soft
            stats["n_bases"] += n_bases  # upper bound (N runs may overlap)
            all_tss += tss
            log.info("%s: %d bp, %d genes, %d TSSs", name, length, len(genes), len(tss))
        stats["exon_lines"] = exon_counter[0]
        for gz, raw, name in ((fa, fa_raw, "genome.fa.gz"), (gtf, gtf_raw, "annotation.gtf.gz")):
            gz.close()
            raw.close()
            md5[name] = raw.md5.hexdigest()
        names = [c for c, _, _ in chroms]
        small = {"epdnew_tss.bed": epd_bed(all_tss), "epdnew_tata.txt": epd_motifs(all_tss)}
        bl_chrom = rng.choice(len(names), max(5, round(N_BLACKLIST * fraction)))
        bl = []
        for c in sorted(set(bl_chrom.tolist())):
            k = int((bl_chrom == c).sum())
            size = rng.integers(1_000, 50_001, k)
            for s, n in zip(_place(rng, segments[names[c]], size, 0)[0].tolist(), size.tolist(),
                            strict=True):  # fmt: skip
                if s >= 0:
                    kind = "High Signal Region" if n % 2 else "Low Mappability"
                    bl.append((c, s, s + n, kind))
        small["blacklist.bed"] = "".join(
            f"{names[c]}\t{s}\t{e}\t{kind}\n" for c, s, e, kind in sorted(bl)
        ).encode()
        meta, peaks = [], {}
        lo, hi = PEAKS_PER_EXPERIMENT
        for i in range(1, n_tf_experiments + 1):
            n = max(50, round(int(rng.integers(lo, hi + 1)) * fraction))
            rel = f"tf/DEMOTF{i:02d}.bed.gz"
            data = gzip.compress(_peaks_text(rng, names, segments, n), compresslevel=6, mtime=0)
            (tmp / rel).write_bytes(data)
            md5[rel] = hashlib.md5(data).hexdigest()
            peaks[rel] = n
            e = {"accession": f"DEMOTF{i:02d}", "target": target_name((i - 1) % 676)}
            meta += experiment_metadata_rows(e, i, rel, data, n_tf_experiments)
        small["metadata.tsv"] = metadata_tsv(meta)
        stats.update(
            args=args, genome_bp=total, blacklist=len(bl), peaks=peaks,
            generator="dnabert.demo_scale.generate_scale",
        )  # fmt: skip
        small["summary.json"] = (json.dumps(stats, indent=2, sort_keys=True) + "\n").encode()
        for name, data in small.items():
            (tmp / name).write_bytes(data)
            md5[name] = hashlib.md5(data).hexdigest()
        (tmp / "MD5SUMS").write_text("".join(f"{md5[n]}  {n}\n" for n in sorted(md5)))
    log.info(
        "wrote %s in %.0f s: %.1f Mbp, %d genes, %d transcripts, %d exons, %d TSSs (%d TATA), %d TF files",
        outdir, time.perf_counter() - t0, total / 1e6, stats["genes"], stats["transcripts"], stats["exon_lines"],
        stats["tss"], stats["tata"], n_tf_experiments,
    )  # fmt: skip
    keys = {"genome.fa.gz": "genome", "annotation.gtf.gz": "annotation", "epdnew_tss.bed": "tss",
            "epdnew_tata.txt": "tata", "blacklist.bed": "blacklist", "metadata.tsv": "metadata",
            "MD5SUMS": "md5sums", "summary.json": "summary"}  # fmt: skip
    return {keys.get(n, Path(n).name.split(".")[0]): outdir / n for n in [*md5, "MD5SUMS"]}

"""Tests of the offline demo data generator (dnabert.demo).

Every check re-reads the written files with its own small parsers (not the generator's
internals), so a generator that writes inconsistent files fails here.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pysam
import pytest
from real_layouts import ENCODE_HEADER_2021

from dnabert.cli import main
from dnabert.demo import generate_demo

SMALL = {"n_chromosomes": 2, "chromosome_length": 200_000, "peaks_per_experiment": 200}
COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(s: str) -> str:
    return s.translate(COMP)[::-1]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "src"
    paths = generate_demo(out, seed=11, **SMALL)
    assert all(
        p.is_file() and p.parent.resolve().is_relative_to(out.resolve()) for p in paths.values()
    )
    return out


@pytest.fixture(scope="module")
def truth(demo) -> dict:
    return json.loads((demo / "truth.json").read_text())


@pytest.fixture(scope="module")
def genome(demo, tmp_path_factory) -> dict[str, str]:
    """Upper-cased sequences, read through pysam from an uncompressed, faidx-indexed copy."""
    fa = tmp_path_factory.mktemp("fa") / "genome.fa"
    fa.write_bytes(gzip.decompress((demo / "genome.fa.gz").read_bytes()))
    pysam.faidx(str(fa))
    with pysam.FastaFile(str(fa)) as fh:
        raw = {name: fh.fetch(name) for name in fh.references}
    return {"raw": raw, "seq": {k: v.upper() for k, v in raw.items()}}


@pytest.fixture(scope="module")
def transcripts(demo) -> dict[str, dict]:
    """transcript_id -> {chrom, strand, gene, start, end (1-based), exons: [(s, e) 1-based]}."""
    tx: dict[str, dict] = {}
    with gzip.open(demo / "annotation.gtf.gz", "rt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            assert len(f) == 9 and f[1] == "DEMO", line
            attrs = dict(re.findall(r'(\S+) "?([^";]*)"?;', f[8]))
            if f[2] == "gene":
                continue
            rec = tx.setdefault(
                attrs["transcript_id"],
                {"chrom": f[0], "strand": f[6], "gene": attrs["gene_name"], "exons": [],
                 "type": attrs["transcript_type"]},
            )  # fmt: skip
            if f[2] == "transcript":
                rec["start"], rec["end"] = int(f[3]), int(f[4])
            else:
                rec["exons"].append((int(f[3]), int(f[4])))
    for rec in tx.values():
        rec["exons"].sort()
    return tx


def read_bed(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]


def read_epd_bed(path: Path) -> list[list[str]]:
    """EPDnew's real BED: single-space delimited, no TAB anywhere."""
    text = path.read_text()
    assert "\t" not in text
    return [line.split(" ") for line in text.splitlines()]


def read_motif_table(path: Path) -> dict[str, str]:
    """EPD's promoter_motifs.txt: {name: TATA-box flag} below the '#Name' TAB header."""
    lines = path.read_text().splitlines()
    assert lines[0] == "#Name\tTATA-box\tInr\tCCAAT-box\tGC-box"
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(r) == 5 and set(r[1:]) <= {"0", "1"} for r in rows)
    return {r[0]: r[1] for r in rows}


def test_same_seed_same_bytes_other_seed_other_genome(demo, tmp_path):
    again = generate_demo(tmp_path / "again", seed=11, **SMALL)
    names = sorted(p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path / "again").as_posix() for p in again.values()) == names
    for name in names:
        assert (demo / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    generate_demo(tmp_path / "other", seed=12, **SMALL)
    a = gzip.decompress((demo / "genome.fa.gz").read_bytes())
    b = gzip.decompress((tmp_path / "other" / "genome.fa.gz").read_bytes())
    assert a != b


def test_fasta_records_lengths_alphabet_and_composition(genome, truth):
    raw = genome["raw"]
    assert list(raw) == ["chr1", "chr2", "chrUn_demo1"]
    assert [len(raw[c]) for c in ("chr1", "chr2")] == [200_000, 200_000]
    assert 40_000 <= len(raw["chrUn_demo1"]) <= 60_000
    assert truth["chromosomes"] == {c: len(s) for c, s in raw.items()}
    everything = "".join(raw.values())
    assert set(everything) <= set("ACGTNacgtn")
    seq = genome["seq"]
    for c in ("chr1", "chr2"):
        assert set(seq[c][:10_000]) == {"N"}
        assert seq[c][10_000] != "N"
    gaps = [g for g in truth["n_gaps"]]
    assert 2 <= len(gaps) <= 4
    for c, s, e in gaps:
        assert 1000 <= e - s <= 5000 and set(seq[c][s:e]) == {"N"}
        assert seq[c][s - 1] != "N" and seq[c][e] != "N"
    n_total = sum(s.count("N") for s in seq.values())
    assert n_total == 2 * 10_000 + sum(e - s for _, s, e in gaps)
    acgt = "".join(seq.values()).replace("N", "")
    gc = (acgt.count("G") + acgt.count("C")) / len(acgt)
    assert 0.37 <= gc <= 0.45
    cpg_oe = acgt.count("CG") * len(acgt) / (acgt.count("C") * acgt.count("G"))
    assert cpg_oe < 0.6  # CpG depleted, like human DNA
    soft = sum(ch.islower() for ch in everything) / len(everything)
    assert 0.05 <= soft <= 0.15


def test_gene_structure(transcripts, truth):
    assert len({t["gene"] for t in transcripts.values()}) == truth["n_genes"] > 20
    assert {t["strand"] for t in transcripts.values()} == {"+", "-"}
    assert {t["type"] for t in transcripts.values()} == {"protein_coding", "lncRNA"}
    spans = defaultdict(list)
    for t in transcripts.values():
        ex = t["exons"]
        assert 2 <= len(ex) <= 8
        assert (t["start"], t["end"]) == (ex[0][0], ex[-1][1])
        assert all(50 <= e - s + 1 <= 300 for s, e in ex)
        assert all(80 <= s2 - e1 - 1 <= 3000 for (_, e1), (s2, _) in pairwise(ex))
        spans[(t["chrom"], t["gene"])].append((t["start"], t["end"]))
    by_chrom = defaultdict(list)
    for (chrom, _), iv in spans.items():
        by_chrom[chrom].append((min(s for s, _ in iv), max(e for _, e in iv)))
    for ivs in by_chrom.values():
        ivs.sort()
        assert all(e1 < s2 for (_, e1), (s2, _) in pairwise(ivs)), "overlapping genes"
    n_tx = defaultdict(int)
    for t in transcripts.values():
        n_tx[t["gene"]] += 1
    assert set(n_tx.values()) <= {1, 2, 3} and max(n_tx.values()) > 1


def test_introns_canonical_except_truth(transcripts, genome, truth):
    seq = genome["seq"]
    found = set()
    n = 0
    for t in transcripts.values():
        s_ = seq[t["chrom"]]
        for (_, e1), (s2, _) in pairwise(t["exons"]):
            if t["strand"] == "+":
                donor, acceptor = s_[e1 : e1 + 2], s_[s2 - 3 : s2 - 1]
            else:
                donor, acceptor = revcomp(s_[s2 - 3 : s2 - 1]), revcomp(s_[e1 : e1 + 2])
            n += 1
            if (donor, acceptor) != ("GT", "AG"):
                found.add((t["chrom"], e1 + 1, s2 - 1, t["strand"], donor, acceptor))
    listed = {
        (r["chrom"], r["start"], r["end"], r["strand"], r["donor"], r["acceptor"])
        for r in truth["noncanonical_introns"]
    }
    assert found == listed
    kinds = {(d, a, st) for *_, st, d, a in listed}
    assert kinds == {(d, a, st) for d, a in (("GC", "AG"), ("AT", "AC")) for st in "+-"}
    assert len(listed) <= max(4, 0.05 * n)


def tss_windows(demo, genome):
    seq = genome["seq"]
    tata = {
        name for name, flag in read_motif_table(demo / "epdnew_tata.txt").items() if flag == "1"
    }
    out = []
    for f in read_epd_bed(demo / "epdnew_tss.bed"):
        chrom, strand = f[0], f[5]
        t = int(f[6]) if strand == "+" else int(f[7]) - 1
        w = seq[chrom][t - 249 : t + 51] if strand == "+" else revcomp(seq[chrom][t - 50 : t + 250])
        out.append((f[3], w, f[3] in tata))
    return out


def has_tata(window: str) -> bool:
    return any(re.match("TATA[AT]A", window[i:]) for i in range(249 - 31, 249 - 27))


def test_tata_promoters_have_tata_at_offset(demo, genome, truth):
    windows = tss_windows(demo, genome)
    assert all(len(w) == 300 and "N" not in w for _, w, _ in windows)
    tata = [w for _, w, is_tata in windows if is_tata]
    other = [w for _, w, is_tata in windows if not is_tata]
    assert len(tata) == truth["n_tata"] and 0.15 <= len(tata) / len(windows) <= 0.45
    assert all(has_tata(w) for w in tata)
    assert sum(has_tata(w) for w in other) <= 0.05 * len(other)
    assert all(w[249] == "A" for _, w, _ in windows)  # Inr: A at the TSS
    flags = read_motif_table(demo / "epdnew_tata.txt")
    assert list(flags) == sorted(flags) and set(flags) == {name for name, _, _ in windows}


def cpg_stats(seq: str) -> tuple[float, float]:
    """GC fraction and CpG observed/expected of ``seq``."""
    c, g, cg = seq.count("C"), seq.count("G"), seq.count("CG")
    return (c + g) / len(seq), cg * len(seq) / max(c * g, 1)


def test_cpg_islands_mark_most_non_tata_promoters(demo, genome, truth):
    windows = tss_windows(demo, genome)
    by_name = {name: w for name, w, _ in windows}
    island_tss = {row[3] for row in truth["cpg_islands"]}
    non_tata = [name for name, _, is_tata in windows if not is_tata]
    assert island_tss <= set(non_tata) and len(island_tss) >= 0.8 * len(non_tata)
    for chrom, start, end, name in truth["cpg_islands"]:
        assert 400 <= end - start <= 800
        assert genome["raw"][chrom][start:end].isupper()  # islands are not soft-masked
        # the -200..+50 core of the promoter lies inside the island: GC-rich, CpG not depleted
        gc, oe = cpg_stats(by_name[name][49:300])
        assert gc > 0.55 and oe > 0.7, (name, gc, oe)
    proximal = {row[3] for row in truth["tata_proximal_regions"]}
    assert proximal == {name for name, _, is_tata in windows if is_tata}
    # TATA promoters: GC-richer than the genome but CpG-depleted (no island)
    gc, oe = cpg_stats("".join(by_name[name] for name in proximal))
    assert 0.44 < gc < 0.56 and oe < 0.45, (gc, oe)
    whole_gc, whole_oe = cpg_stats(genome["seq"]["chr1"].replace("N", ""))
    assert whole_gc < 0.45 and whole_oe < 0.55


DPE = re.compile("[AG]G[AT][CT][ACG]T")  # RGWYVT
MTE = re.compile("C[CG]A[AG]C[CG][CG]AAC")  # CSARCSSAAC (its last two bases may be the DPE's)


def test_downstream_core_elements_in_tata_less_promoters(demo, genome, truth):
    """MTE at +18..+29 and DPE at +28..+33 (the TSS base is +1 = window index 249), only in
    TATA-less promoters, at the fractions the generator documents; absent elsewhere by chance."""
    windows = tss_windows(demo, genome)
    is_tata = {name: t for name, _, t in windows}
    planted = defaultdict(set)
    for name, element, motif in truth["downstream_core_elements"]:
        planted[element].add(name)
        assert not is_tata[name], name
        assert {"DPE": DPE, "MTE": MTE}[element].match(motif), (name, element, motif)
    non_tata = [(n, w) for n, w, t in windows if not t]
    for element, pattern, start, frac in (
        ("DPE", DPE, 249 + 27, 0.5),
        ("MTE", MTE, 249 + 17, 0.25),
    ):
        hits = {n for n, w in non_tata if pattern.match(w, start)}
        assert planted[element] <= hits, (element, planted[element] - hits)
        assert abs(len(planted[element]) / len(non_tata) - frac) < 0.15, element
        # by chance the DPE pattern (1/64) or MTE (1/4096) is rare elsewhere
        assert len(hits - planted[element]) <= 0.1 * len(non_tata), element
    tata_windows = [w for _, w, t in windows if t]
    assert sum(bool(DPE.match(w, 249 + 27)) for w in tata_windows) <= 0.2 * len(tata_windows)


def test_tss_bed_conventions_match_gtf(demo, transcripts, truth):
    rows = read_epd_bed(demo / "epdnew_tss.bed")
    assert len(rows) == truth["n_tss"]
    assert rows == sorted(rows, key=lambda f: (f[0], int(f[1])))
    tss = set()
    for f in rows:
        assert len(f) == 8 and f[4] == "900"
        start, end, ts, te = map(int, (f[1], f[2], f[6], f[7]))
        if f[5] == "+":
            t = ts
            assert (start, end, te) == (t - 49, t + 11, t + 11)
        else:
            t = te - 1
            assert (start, end, ts) == (t - 10, t + 50, t - 10)
        gene, n = f[3].rsplit("_", 1)
        assert int(n) >= 1
        tss.add((f[0], t, f[5], gene))
    from_gtf = {
        (r["chrom"], r["start"] - 1 if r["strand"] == "+" else r["end"] - 1, r["strand"], r["gene"])
        for r in transcripts.values()
    }
    assert tss == from_gtf
    assert len({f[3] for f in rows}) == len(rows)


def test_promoters_and_blacklist_avoid_gaps_and_each_other(demo, truth):
    proms = []
    for f in read_epd_bed(demo / "epdnew_tss.bed"):
        t = int(f[6]) if f[5] == "+" else int(f[7]) - 1
        lo, hi = (t - 300, t + 101) if f[5] == "+" else (t - 100, t + 301)
        proms.append((f[0], lo, hi, f[3].rsplit("_", 1)[0]))
    blocked = [(c, 0, s, e) for c, s, e in truth["n_gaps"]] + [
        (c, 0, s, e) for c, s, e in truth["telomere"]
    ]
    for c, lo, hi, gene in proms:
        assert not any(c == c2 and lo < e and s < hi for c2, _, s, e in blocked)
        assert not any(c == c2 and g2 != gene and lo < h2 and l2 < hi for c2, l2, h2, g2 in proms)
    bl = [(f[0], int(f[1]), int(f[2])) for f in read_bed(demo / "blacklist.bed")]
    assert 5 <= len(bl) <= 10 and bl == sorted(bl)
    assert bl == [tuple(b) for b in truth["blacklist"]]
    assert all(2000 <= e - s <= 20_000 for _, s, e in bl)
    for c, s, e in bl:
        assert not any(c == c2 and lo < e and s < hi for c2, lo, hi, _ in proms)


def read_peaks(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt") as fh:
        return [line.rstrip("\n").split("\t") for line in fh]


def test_narrowpeak_format_and_motifs(demo, genome, truth):
    seq = genome["seq"]
    bl = [(f[0], int(f[1]), int(f[2])) for f in read_bed(demo / "blacklist.bed")]
    blocked = truth["n_gaps"] + truth["telomere"]
    motifs = [e["motif"] for e in truth["tf_experiments"]]
    assert [e["accession"] for e in truth["tf_experiments"]] == ["DEMOTF01", "DEMOTF02", "DEMOTF03"]
    assert len(set(motifs)) == 3
    for exp in truth["tf_experiments"]:
        rows = read_peaks(demo / "tf" / f"{exp['accession']}.bed.gz")
        assert len(rows) == 200
        signal = [float(f[6]) for f in rows]
        assert signal == sorted(signal, reverse=True)
        hits = in_bl = on_un = 0
        summits = []
        for f in rows:
            assert len(f) == 10 and f[3] == "." and f[5] == "."
            chrom, start, end, peak = f[0], int(f[1]), int(f[2]), int(f[9])
            assert 0 <= int(f[4]) <= 1000 and 150 <= end - start <= 600
            assert 0 <= peak < end - start
            assert not any(chrom == c and start < e and s < end for c, s, e in blocked)
            summit = start + peak
            summits.append((chrom, summit))
            m = exp["motif"]
            k = len(m)
            site = seq[chrom][summit - k // 2 : summit - k // 2 + k]
            hits += site in (m, revcomp(m))
            in_bl += any(chrom == c and s <= summit < e for c, s, e in bl)
            on_un += chrom == "chrUn_demo1"
        assert hits >= 0.8 * len(rows)
        assert in_bl >= 1 and on_un >= 1
        assert len(set(summits)) < len(summits)  # exact duplicate summits exist
    # a motif is specific to its experiment: absent from another experiment's summits
    other = read_peaks(demo / "tf" / "DEMOTF02.bed.gz")
    m = motifs[0]
    off = sum(
        seq[f[0]][int(f[1]) + int(f[9]) - len(m) // 2 :][: len(m)] in (m, revcomp(m)) for f in other
    )
    assert off <= 0.05 * len(other)


def test_metadata_is_a_2021_portal_report(demo, truth):
    lines = (demo / "metadata.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert header == ENCODE_HEADER_2021 and len(header) == 59
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    by_acc = {r["File accession"]: r for r in rows}
    assert len(by_acc) == len(rows) == 3 * 12 + 5
    # each experiment: rep1, rep2, pooled IDR, optimal, conservative, archived conservative,
    # each bed with a bigBed twin
    for n, exp in enumerate(truth["tf_experiments"], 1):
        mine = [r for r in rows if r["Experiment accession"] == exp["accession"]]
        assert len(mine) == 12 + (n == 1) + (n == 3)  # + an hg19 file / a revoked file
        assert {r["Experiment target"] for r in mine} == {exp["target"]}
        kinds = sorted((r["File type"], r["Output type"], r["Biological replicate(s)"],
                        r["File analysis status"]) for r in mine if r["File assembly"] == "demo"
                       and r["File Status"] == "released")  # fmt: skip
        assert kinds == sorted(
            (t, o, reps, st)
            for t in ("bed", "bigBed")
            for o, reps, st in [
                ("IDR thresholded peaks", "1", "released"),
                ("IDR thresholded peaks", "2", "released"),
                ("IDR thresholded peaks", "1, 2", "released"),
                ("optimal IDR thresholded peaks", "1, 2", "released"),
                ("conservative IDR thresholded peaks", "1, 2", "released"),
                ("conservative IDR thresholded peaks", "1, 2", "archived"),
            ]
        )
        for r in mine:
            assert r["File format"] == f"{r['File type']} narrowPeak"
            ext = "bigBed" if r["File type"] == "bigBed" else "bed.gz"
            assert re.fullmatch(
                rf"s3://encode-public/2020/07/15/[0-9a-f-]{{36}}/{r['File accession']}\.{ext}",
                r["s3_uri"],
            )
        # the one real peak file: the newest analysis's conservative IDR set
        (real,) = [r for r in mine if (demo / r["File download URL"]).is_file()]
        assert real["File accession"] == exp["file_accession"] == f"DEMOFF0{n}J"
        assert real["File download URL"] == f"tf/{exp['accession']}.bed.gz"
        assert (real["Output type"], real["File type"], real["File analysis title"]) == (
            "conservative IDR thresholded peaks", "bed", "ENCODE4 v1.1.0 demo",
        )  # fmt: skip
        assert real["md5sum"] == md5(demo / real["File download URL"])
    assert by_acc["DEMOFF01N"]["File assembly"] == "hg19"
    assert by_acc["DEMOFF03R"]["File Status"] == "revoked"
    assert by_acc["DEMOFF90J"]["Audit ERROR"] == "extremely low read depth"
    assert by_acc["DEMODS01"]["Assay"] == "DNase-seq"


def test_metadata_selection_one_file_per_experiment(demo):
    from dnabert.datasets.encode import select_encode

    recs, skipped = select_encode(demo / "metadata.tsv", assembly="demo")
    assert [(r["experiment"], r["accession"], r["output_type"]) for r in recs] == [
        (f"DEMOTF0{n}", f"DEMOFF0{n}J", "conservative IDR thresholded peaks") for n in (1, 2, 3)
    ]
    assert all(r["url"] == str(demo / "tf" / f"{r['experiment']}.bed.gz") for r in recs)
    assert all(r["md5"] == md5(demo / "tf" / f"{r['experiment']}.bed.gz") for r in recs)
    expected = {"DEMOFF01N": "other assembly", "DEMOFF03R": "file status revoked",
                "DEMOFF90J": "audit ERROR", "DEMOFF90K": "not bed narrowPeak",
                "DEMODS01": "not TF ChIP-seq assay"}  # fmt: skip
    for n in (1, 2, 3):
        expected |= {f"DEMOFF0{n}{x}": "another file preferred" for x in "ACEG"}
        expected |= {f"DEMOFF0{n}{x}": "not bed narrowPeak" for x in "BDFHKM"}
        expected[f"DEMOFF0{n}L"] = "analysis status archived"
    assert {s["file_accession"]: s["reason"] for s in skipped} == expected
    assert len(skipped) == 41 - 3
    # the Audit ERROR experiment becomes a task only when allowed
    recs = select_encode(demo / "metadata.tsv", assembly="demo", allow_audit_error=True)[0]
    assert [r["experiment"] for r in recs] == ["DEMOTF01", "DEMOSR90", "DEMOTF02", "DEMOTF03"]


def test_md5sums(demo):
    listed = {}
    for line in (demo / "MD5SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        listed[name] = digest
    files = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file()}
    assert set(listed) == files - {"MD5SUMS"}
    assert all(md5(demo / n) == d for n, d in listed.items())
    # only the chosen peak files exist: no file of a never-downloaded metadata row
    assert sorted(n for n in files if n.startswith("tf/")) == [
        "tf/DEMOTF01.bed.gz", "tf/DEMOTF02.bed.gz", "tf/DEMOTF03.bed.gz",
    ]  # fmt: skip


def test_cli_make_demo(tmp_path):
    out = tmp_path / "cli"
    rc = main(["make-demo", "--outdir", str(out), "--seed", "3", "--n-chromosomes", "1",
               "--chromosome-length", "60000", "--n-tf-experiments", "4",
               "--peaks-per-experiment", "50"])  # fmt: skip
    assert rc == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["args"]["seed"] == 3 and truth["chromosomes"]["chr1"] == 60_000
    assert len({e["motif"] for e in truth["tf_experiments"]}) == 4
    assert (out / "tf" / "DEMOTF04.bed.gz").is_file()


def test_bad_arguments_raise(tmp_path):
    with pytest.raises(ValueError, match="chromosome_length"):
        generate_demo(tmp_path / "x", chromosome_length=1000)
    assert not (tmp_path / "x").exists()


def test_same_seed_same_bytes(tmp_path):
    tiny = {"seed": 5, "n_chromosomes": 1, "chromosome_length": 60_000, "peaks_per_experiment": 20}
    a, b = generate_demo(tmp_path / "a", **tiny), generate_demo(tmp_path / "b", **tiny)
    assert a.keys() == b.keys()
    assert all(a[k].read_bytes() == b[k].read_bytes() for k in a)
    assert (
        a["metadata"].read_bytes()
        != generate_demo(tmp_path / "c", **tiny | {"seed": 6})["metadata"].read_bytes()
    )  # the real peak files' md5s and sizes differ

"""Variant effects from a VCF (dnabert.variants): reading real VCFs, windows, scoring, the demo's
planted variants and the score-variants command."""

from __future__ import annotations

import gzip
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from dnabert.demo import generate_demo
from dnabert.genome import GenomeError, chromosome_name_map
from dnabert.variants import (
    SKIP_REASONS,
    VariantError,
    classify,
    effect_ranks,
    log_odds,
    read_vcf,
    score_variants,
    task_window_length,
    variant_windows,
)

REAL = Path(__file__).parent / "data" / "real"
CLINVAR = REAL / "clinvar_20260226_GRCh38.genesubset.head345.vcf"
DBVAR = REAL / "dbvar_GRCh38_sample.vcf"
HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def gc_fraction(seqs):
    """A toy model: P(positive) = the window's GC fraction (known answer for every window)."""
    return np.array([(s.count("G") + s.count("C")) / len(s) for s in seqs])


def write_fasta(path: Path, records: dict[str, str]) -> Path:
    with open(path, "w") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n")
            fh.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    pysam.faidx(str(path))
    return path


def random_seq(n: int, seed: int = 0) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


# ----------------------------------------------------------------------------- small units
@pytest.mark.parametrize(
    "ref, alt, kind",
    [
        ("A", "G", "snv"),
        ("AC", "GT", "mnv"),
        ("G", "GTGCC", "insertion"),
        ("TGGA", "T", "deletion"),
        ("CAG", "TC", "complex"),
        ("N", "<DUP>", "symbolic"),
        ("A", "*", "symbolic"),
        ("G", "G]17:198982]", "symbolic"),
        ("T", ".T", "symbolic"),
        ("A", ".", "no_alt"),
    ],
)
def test_classify(ref, alt, kind):
    assert classify(ref, alt) == kind


def test_chromosome_name_map_clinvar_and_ensembl_naming():
    ucsc = ["chr1", "chr2", "chrM", "chrUn_x"]
    assert chromosome_name_map(["1", "2", "MT", "Z"], ucsc, "c.vcf") == {
        "1": "chr1",
        "2": "chr2",
        "MT": "chrM",
    }
    assert chromosome_name_map(["chr1", "chrM"], ["1", "MT"], "c.vcf") == {
        "chr1": "1",
        "chrM": "MT",
    }
    with pytest.raises(
        GenomeError, match=r"c\.vcf: none of its chromosome names \(\['NC_000001\.11'\]"
    ):
        chromosome_name_map(["NC_000001.11"], ucsc, "c.vcf")
    assert chromosome_name_map([], ucsc, "empty.vcf") == {}


def test_log_odds_and_ranks():
    assert log_odds(np.array([0.5]))[0] == 0
    assert log_odds(np.array([0.0, 1.0])).tolist() == pytest.approx(
        [math.log(1e-6 / (1 - 1e-6)), math.log((1 - 1e-6) / 1e-6)]
    )
    assert effect_ranks(np.array([0.1, -3.0, 2.0, -0.1])).tolist() == [3, 1, 2, 4]


# ----------------------------------------------------------------------------- windows
@pytest.fixture(scope="module")
def toy_genome(tmp_path_factory) -> tuple[Path, str]:
    seq = random_seq(400, seed=1)
    return write_fasta(tmp_path_factory.mktemp("g") / "toy.fa", {"chr1": seq, "chr2": seq}), seq


def test_windows_have_the_task_length_and_centre_the_allele(toy_genome, tmp_path):
    fa, g = toy_genome
    L = 21
    snv, ins, dele = 200, 250, 300  # 0-based
    records = [
        ("1", snv + 1, g[snv], "ACGT".replace(g[snv], "")[0]),
        ("1", ins + 1, g[ins], g[ins] + "TTT"),
        ("1", dele + 1, g[dele : dele + 5], g[dele]),
        ("1", 5, g[4], "ACGT".replace(g[4], "")[0]),  # the window would start before 0
        ("1", 100, "ACGTACGTACGT"[:1] if g[99] != "A" else "C", "G"),  # REF differs
        ("1", 120, g[119:160], g[119]),  # REF of 41 bases: longer than the window
        ("3", 100, "A", "G"),  # no chr3 in the genome
    ]
    vcf = tmp_path / "x.vcf"
    vcf.write_text(HEADER + "".join(f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\n" for c, p, r, a in records))
    table, facts = read_vcf(vcf)
    assert facts == {"n_records": 7, "n_contig_lines": 0, "info_fields_not_in_header": []}
    w, wfacts = variant_windows(table, fa, L)
    assert w["reason"].tolist() == [
        "", "", "", "window_off_chromosome", "ref_mismatch", "too_long", "unknown_chromosome"
    ]  # fmt: skip
    assert wfacts["chromosome_map"] == {"1": "chr1"} and wfacts["unmapped_chromosomes"] == ["3"]
    assert wfacts["ref_mismatch_examples"] == [f"1:100 REF {w['ref'][4]} but chr1 has {g[99]}"]
    scored = w[w["reason"] == ""]
    assert (scored["ref_seq"].str.len() == L).all() and (scored["alt_seq"].str.len() == L).all()
    # SNV: the reference window itself, the alt differs at its centre only
    ref, alt = w.loc[0, "ref_seq"], w.loc[0, "alt_seq"]
    assert ref == g[snv - 10 : snv + 11]
    assert [i for i in range(L) if ref[i] != alt[i]] == [10]
    # insertion of TTT after the anchor: 4 bases centred, flanks from the genome
    assert w.loc[1, "alt_seq"] == g[ins - 8 : ins] + g[ins] + "TTT" + g[ins + 1 : ins + 10]
    assert w.loc[1, "ref_seq"] == g[ins - 10 : ins + 11]
    # deletion of 4 bases: the alt window joins the flanks around the kept anchor
    assert w.loc[2, "ref_seq"] == g[dele - 8 : dele + 13]
    assert w.loc[2, "alt_seq"] == g[dele - 10 : dele + 1] + g[dele + 5 : dele + 15]
    assert w.loc[0, "context"] == f"{g[snv - 10 : snv]}[{g[snv]}>{alt[10]}]{g[snv + 1 : snv + 11]}"


def test_vcf_on_another_assembly_stops_with_a_message(toy_genome, tmp_path):
    fa, _ = toy_genome
    vcf = tmp_path / "refseq.vcf"
    vcf.write_text(HEADER + "NC_000001.11\t10\t.\tA\tG\t.\t.\t.\n")
    with pytest.raises(VariantError, match="none of its chromosome names"):
        score_variants(vcf, fa, tmp_path / "out", predict=gc_fraction, window=21)
    assert not (tmp_path / "out").exists()
    with pytest.raises(VariantError, match="cannot be read as VCF"):
        read_vcf(fa)


def test_scores_are_delta_log_odds_of_the_model(toy_genome, tmp_path, caplog):
    fa, g = toy_genome
    lines = [f"chr2\t{p + 1}\trs{p}\t{g[p]}\t{'G' if g[p] != 'G' else 'A'}\t.\t.\tCLASS=c{p % 2}\n"
             for p in range(150, 250, 7)]  # fmt: skip
    vcf = tmp_path / "s.vcf"
    info = '##INFO=<ID=CLASS,Number=1,Type=String,Description="class">\n'
    vcf.write_text(HEADER.replace("#CHROM", info + "#CHROM") + "".join(lines))
    with caplog.at_level(logging.INFO, logger="dnabert"):
        record = score_variants(
            vcf, fa, tmp_path / "out", predict=gc_fraction, window=31,
            info_fields=["CLASS", "UNDECLARED"], group_by="CLASS", seed=3,
        )  # fmt: skip
    out = pd.read_csv(tmp_path / "out" / "variants.tsv", sep="\t", keep_default_na=False)
    assert list(out.columns) == [
        "chrom", "pos", "id", "ref", "alt", "kind", "p_ref", "p_alt", "delta_log_odds", "rank",
        "context", "CLASS", "UNDECLARED",
    ]  # fmt: skip
    assert len(out) == len(lines) == record["n_scored"] and (out["UNDECLARED"] == "").all()
    for row in out.itertuples():
        p0 = row.pos - 1
        ref = g[p0 - 15 : p0 + 16]
        alt = ref[:15] + row.alt + ref[16:]
        assert row.p_ref == pytest.approx(gc_fraction([ref])[0], abs=1e-6)
        assert row.p_alt == pytest.approx(gc_fraction([alt])[0], abs=1e-6)
        want = math.log(row.p_alt / (1 - row.p_alt)) - math.log(row.p_ref / (1 - row.p_ref))
        assert row.delta_log_odds == pytest.approx(want, abs=1e-4)
    assert out.loc[out["rank"] == 1, "delta_log_odds"].abs().iloc[0] == pytest.approx(
        out["delta_log_odds"].abs().max()
    )
    assert sorted(out["rank"]) == list(range(1, len(out) + 1))
    assert record["info_fields_not_in_header"] == ["UNDECLARED"] and record["seed"] == 3
    assert set(record["by_group"]) == {"c0", "c1"} and record["code_version"]
    for reason in SKIP_REASONS:  # one log line per skip reason, zeros included
        assert f"skipped 0 allele(s): {reason}" in caplog.text
    for name in ("skipped.tsv", "summary.json", "variant_effects.png", "variant_effects.pdf"):
        assert (tmp_path / "out" / name).is_file()


# ----------------------------------------------------------------------------- real VCFs
def test_real_clinvar_excerpt_parses_plain_gzip_and_bgzip(tmp_path):
    """Facts from tests/data/real/SOURCES.md, section 7: 300 records, all on chromosome '1',
    first record '1 45327453 4271998 T C', 44 '##' header lines, no ##contig lines; 11 records
    carry the two-gene GENEINFO 'HPDL:84842|LOC129930440:129930440'."""
    text = CLINVAR.read_text()
    assert sum(line.startswith("##") for line in text.splitlines()) == 44
    gz = tmp_path / "clinvar.vcf.gz"
    gz.write_bytes(gzip.compress(CLINVAR.read_bytes()))
    bgz = tmp_path / "clinvar.bgz.vcf.gz"
    pysam.tabix_compress(str(CLINVAR), str(bgz))
    tables = []
    for path in (CLINVAR, gz, bgz):
        table, facts = read_vcf(path, ["CLNSIG", "GENEINFO"])
        assert facts["n_records"] == 300 and len(table) == 300 and facts["n_contig_lines"] == 0
        tables.append(table)
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    table = tables[0]
    assert set(table["chrom"]) == {"1"}
    first = table.iloc[0]
    assert (first["chrom"], first["pos"], first["id"], first["ref"], first["alt"]) == (
        "1", 45327453, "4271998", "T", "C"
    )  # fmt: skip
    assert first["CLNSIG"] == "Uncertain_significance" and first["GENEINFO"] == "HPDL:84842"
    assert (table["GENEINFO"] == "HPDL:84842|LOC129930440:129930440").sum() == 11
    # kinds, counted on the file with awk (REF/ALT lengths): 264 SNVs, 9 insertions, 25
    # deletions, 2 complex (CAG>TC and a 4285-base REF replaced by TA); 4 alleles over 50 bases
    kinds = pd.Series([classify(r, a) for r, a in zip(table["ref"], table["alt"], strict=True)])
    assert kinds.value_counts().to_dict() == {
        "snv": 264,
        "deletion": 25,
        "insertion": 9,
        "complex": 2,
    }
    assert ((table["ref"].str.len() > 50) | (table["alt"].str.len() > 50)).sum() == 4


def test_real_dbvar_excerpt_is_all_symbolic(tmp_path):
    """SOURCES.md section 8: 172 records on chromosome '1', the first '1 10000 nssv16889290 N
    <DUP>' with END=52000 and SVLEN=42001; every ALT is symbolic (<DUP>, <DEL>, <INS>, <INV>)."""
    table, facts = read_vcf(DBVAR, ["SVTYPE", "SVLEN"])
    assert facts["n_records"] == 172 and set(table["chrom"]) == {"1"}
    first = table.iloc[0]
    assert (first["pos"], first["id"], first["ref"], first["alt"], first["end"]) == (
        10000, "nssv16889290", "N", "<DUP>", 52000
    )  # fmt: skip
    assert first["SVLEN"] == "42001" and first["SVTYPE"] == "DUP"
    fa = write_fasta(tmp_path / "g.fa", {"chr1": random_seq(11_000)})
    record = score_variants(DBVAR, fa, tmp_path / "out", predict=gc_fraction, window=101)
    assert record["n_scored"] == 0 and record["skipped_by_reason"]["symbolic"] == 172
    assert record["by_kind"]["symbolic"] == 172 and record["chromosome_map"] == {"1": "chr1"}
    skipped = pd.read_csv(tmp_path / "out" / "skipped.tsv", sep="\t")
    assert len(skipped) == 172 and skipped["end"].iloc[0] == 52000


def test_real_clinvar_scored_on_its_own_reference(tmp_path):
    """A chr1 holding every ClinVar REF at its position (random bases elsewhere) and the first
    record's base changed: exactly one REF mismatch, the 4 long alleles skipped, 295 scored."""
    table, _ = read_vcf(CLINVAR)
    n = int(table["pos"].max()) + 5_000
    seq = np.frombuffer(b"ACGT", dtype=np.uint8)[np.random.default_rng(0).integers(0, 4, n)]
    seq = seq.copy()
    for pos, ref in zip(table["pos"], table["ref"], strict=True):
        seq[pos - 1 : pos - 1 + len(ref)] = np.frombuffer(ref.encode(), dtype=np.uint8)
    seq[45327453 - 1] = ord("G")  # the first record's REF is T
    fa = tmp_path / "chr1.fa"
    with open(fa, "wb") as fh:
        fh.write(b">chr1\n" + seq.tobytes() + b"\n")
    pysam.faidx(str(fa))
    record = score_variants(
        CLINVAR, fa, tmp_path / "out", predict=gc_fraction, window=101,
        info_fields=["CLNSIG", "GENEINFO"], group_by="CLNSIG",
    )  # fmt: skip
    assert record["n_records"] == 300 and record["n_scored"] == 295
    assert record["skipped_by_reason"] == dict.fromkeys(SKIP_REASONS, 0) | {
        "too_long": 4,
        "ref_mismatch": 1,
    }
    assert record["scored_by_kind"] | {} == {
        "snv": 263, "mnv": 0, "insertion": 9, "deletion": 22, "complex": 1, "symbolic": 0,
        "no_alt": 0,
    }  # fmt: skip
    assert record["ref_mismatch_examples"] == ["1:45327453 REF T but chr1 has G"]
    assert record["by_group"]["Pathogenic"]["n"] > 0


# ----------------------------------------------------------------------------- the demo
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "src"
    generate_demo(
        out, seed=11, n_chromosomes=2, chromosome_length=200_000, peaks_per_experiment=200
    )
    fa = out / "genome.fa"
    fa.write_bytes(gzip.decompress((out / "genome.fa.gz").read_bytes()))
    pysam.faidx(str(fa))
    return out


def test_demo_plants_motif_breaking_and_neutral_variants(demo, tmp_path):
    truth = json.loads((demo / "truth.json").read_text())
    tv = truth["variants"]
    exp = next(e for e in truth["tf_experiments"] if e["accession"] == tv["tf_experiment"])
    assert len(exp["motif"]) == min(len(e["motif"]) for e in truth["tf_experiments"])
    table, facts = read_vcf(demo / "variants.vcf", ["PLANTED", "MOTIF"])
    assert facts["n_records"] == tv["n_records"] and len(table) == tv["n_alleles"]
    assert facts["n_contig_lines"] == 0 and set(table["chrom"]) <= {"1", "2", "3"}
    counts = table["PLANTED"].value_counts().to_dict()
    assert counts["motif_breaking"] == tv["n_motif_breaking"] == 40
    assert counts["neutral"] == tv["n_neutral"] == 40
    motif = exp["motif"]
    rc = motif[::-1].translate(str.maketrans("ACGT", "TGCA"))
    summits = []
    for e in truth["tf_experiments"]:
        with gzip.open(demo / "tf" / f"{e['accession']}.bed.gz", "rt") as fh:
            for line in fh:
                f = line.split("\t")
                summits.append((f[0], int(f[1]) + int(f[9])))
    with pysam.FastaFile(str(demo / "genome.fa")) as fa:
        for row in table[table["PLANTED"] == "motif_breaking"].itertuples():
            c, p0 = "chr" + row.chrom, row.pos - 1
            around = fa.fetch(c, p0 - len(motif), p0 + len(motif)).upper()
            assert motif in around or rc in around, row  # an intact site holds the SNV
            assert around[len(motif)] == row.ref != row.alt
        for row in table[table["PLANTED"] == "neutral"].itertuples():
            c = "chr" + row.chrom
            assert min(abs(s - row.pos) for ch, s in summits if ch == c) >= tv["min_distance"]

    # scored with a model that knows the motif: breaking SNVs lose it, neutral ones do not
    def knows_motif(seqs):
        return np.array([0.95 if motif in s or rc in s else 0.05 for s in seqs])

    record = score_variants(
        demo / "variants.vcf", demo / "genome.fa", tmp_path / "out", predict=knows_motif,
        window=101, info_fields=["PLANTED"], group_by="PLANTED",
    )  # fmt: skip
    skips = {r: n for r, n in record["skipped_by_reason"].items() if n}
    assert skips == {"symbolic": 1, "too_long": 1, "ref_mismatch": 1, "unknown_chromosome": 1}
    groups = record["by_group"]
    assert groups["motif_breaking"]["median_abs_delta"] > 5 > groups["neutral"]["median_abs_delta"]
    assert record["scored_by_kind"]["deletion"] == record["scored_by_kind"]["insertion"] == 1


def test_task_window_length_and_cli(tmp_path, toy_genome):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from dnabert.cli import main
    from dnabert.tokenizer import DNATokenizer, vocab_size

    fa, g = toy_genome
    split = tmp_path / "test.tsv"
    pd.DataFrame({"sequence": ["A" * 41, "C" * 41, "G" * 40], "label": [0, 1, 0]}).to_csv(
        split, sep="\t", index=False
    )
    assert task_window_length(split) == 41
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=vocab_size(3), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=2,
    )  # fmt: skip
    model = tmp_path / "model"
    BertForSequenceClassification(cfg).save_pretrained(model)
    DNATokenizer(k=3).save_pretrained(model)
    vcf = tmp_path / "v.vcf"
    vcf.write_text(HEADER + f"1\t201\tv1\t{g[200]}\t{'A' if g[200] != 'A' else 'C'}\t.\t.\t.\n")
    out = tmp_path / "out"
    args = ["score-variants", "--vcf", str(vcf), "--fasta", str(fa), "--model-dir", str(model),
            "--out-dir", str(out), "--task", "toy", "--device", "cpu"]  # fmt: skip
    assert main([*args, "--task-split", str(split)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["window"] == 41 and summary["k"] == 3 and summary["n_scored"] == 1
    row = pd.read_csv(out / "variants.tsv", sep="\t").iloc[0]
    assert 0 < row["p_ref"] < 1 and row["rank"] == 1
    # a window longer than the model reads (62 tokens + k - 1 = 64 bases) is refused
    assert main([*args, "--window", "65"]) == 1

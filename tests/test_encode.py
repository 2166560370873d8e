"""Selection of TF peak sets: ENCODE portal metadata, UCSC uniform TFBS lists, local files."""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import pytest
from real_layouts import ENCODE_HEADER_2021

from dnabert.datasets.encode import (
    RECORD_FIELDS,
    natural_key,
    read_encode_metadata,
    read_experiment_table,
    read_local_files,
    read_ucsc_uniform,
    select_encode,
    select_encode_files,
    select_experiments,
    select_experiments_with_skipped,
    write_experiment_table,
    write_skipped_table,
)

REAL = Path(__file__).resolve().parent / "data" / "real"
REAL_2019 = REAL / "ENCODE_metadata_2019_histone_H1.metadata.tsv"

V110 = "ENCODE4 v1.1.0 GRCh38 V29"


def _row(acc, exp, out, *, reps="1, 2", big=False, asm="GRCh38", status="released",
         analysis=V110, analysis_status="released", target="CTCF-human", assay="TF ChIP-seq",
         audit_error="", url=None):  # fmt: skip
    """One 2021+ portal row; a bigBed twin when ``big``."""
    ext = "bigBed" if big else "bed.gz"
    row = dict.fromkeys(ENCODE_HEADER_2021, "")
    row |= {
        "File accession": acc, "File format": ("bigBed" if big else "bed") + " narrowPeak",
        "File type": "bigBed" if big else "bed", "File format type": "narrowPeak",
        "Output type": out, "File assembly": asm, "Experiment accession": exp, "Assay": assay,
        "Biosample term name": "K562", "Biosample organism": "Homo sapiens",
        "Experiment target": target, "Biological replicate(s)": reps, "File Status": status,
        "md5sum": "0" * 29 + acc[-3:].lower(), "Lab": "ENCODE Processing Pipeline",
        "File download URL": url or f"https://www.encodeproject.org/files/{acc}/@@download/{acc}.{ext}",
        "s3_uri": f"s3://encode-public/2020/07/15/0000/{acc}.{ext}",
        "File analysis title": analysis, "File analysis status": analysis_status,
        "Audit ERROR": audit_error,
    }  # fmt: skip
    return row


CONS, OPT, IDR = (
    "conservative IDR thresholded peaks", "optimal IDR thresholded peaks", "IDR thresholded peaks",
)  # fmt: skip
ROWS_2021 = [
    # a replicated ENCODE4 TF experiment: rep1, rep2, pooled, optimal, conservative (+ bigBed)
    _row("ENCFF100AAA", "ENCSR000BGZ", IDR, reps="1"),
    _row("ENCFF100AAB", "ENCSR000BGZ", IDR, reps="1", big=True),
    _row("ENCFF100AAC", "ENCSR000BGZ", IDR, reps="2"),
    _row("ENCFF100AAD", "ENCSR000BGZ", IDR),
    _row("ENCFF100AAE", "ENCSR000BGZ", OPT),
    _row("ENCFF100AAF", "ENCSR000BGZ", OPT, big=True),
    _row("ENCFF100AAG", "ENCSR000BGZ", CONS, url="tf/ENCFF100AAG.bed.gz"),  # relative URL
    _row("ENCFF100AAH", "ENCSR000BGZ", CONS, big=True),
    # older analyses of the same experiment: archived ENCODE4 v1.0.0, released ENCODE3
    _row(
        "ENCFF099AAA",
        "ENCSR000BGZ",
        CONS,
        analysis="ENCODE4 v1.0.0 GRCh38 V29",
        analysis_status="archived",
    ),  # fmt: skip
    _row("ENCFF050AAA", "ENCSR000BGZ", CONS, analysis="ENCODE3 GRCh38 V24"),
    _row("ENCFF030AAA", "ENCSR000BGZ", CONS, asm="hg19", analysis="ENCODE3 hg19"),
    # an unreplicated experiment: one IDR thresholded peaks set
    _row("ENCFF200BBA", "ENCSR000UNR", IDR, reps="1", target="ZNF24-human"),
    _row("ENCFF200BBB", "ENCSR000UNR", IDR, reps="1", target="ZNF24-human", big=True),
    # its best file revoked: the optimal set is chosen
    _row("ENCFF300CCA", "ENCSR000REV", CONS, status="revoked", target="MAX-human"),
    _row("ENCFF300CCB", "ENCSR000REV", OPT, target="MAX-human"),
    # an experiment with an Audit ERROR (the portal repeats it on every file row)
    _row(
        "ENCFF400DDA",
        "ENCSR000AUD",
        CONS,
        target="YY1-human",
        audit_error="extremely low read depth",
    ),  # fmt: skip
    _row(
        "ENCFF400DDB",
        "ENCSR000AUD",
        CONS,
        target="YY1-human",
        big=True,
        audit_error="extremely low read depth",
    ),  # fmt: skip
    # not TF ChIP-seq; an unwanted output type
    _row("ENCFF500EEA", "ENCSR000DNS", "peaks", assay="DNase-seq", target=""),
    _row("ENCFF600FFA", "ENCSR000PSU", "pseudoreplicated peaks", target="REST-human"),
]


def _write(path: Path, header: list[str], rows: list[dict], newline: str = "\n") -> Path:
    lines = ["\t".join(header)] + ["\t".join(r[c] for c in header) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


@pytest.fixture
def metadata(tmp_path):
    return _write(tmp_path / "portal" / "metadata.tsv", ENCODE_HEADER_2021, ROWS_2021)


def test_one_file_per_experiment_2021_layout(metadata):
    assert len(ENCODE_HEADER_2021) == 59 and len(set(ENCODE_HEADER_2021)) == 59
    recs, skipped = select_encode(metadata)
    assert [(r["experiment"], r["accession"]) for r in recs] == [
        ("ENCSR000BGZ", "ENCFF100AAG"),  # conservative, newest analysis
        ("ENCSR000UNR", "ENCFF200BBA"),  # the only bed set
        ("ENCSR000REV", "ENCFF300CCB"),  # conservative revoked -> optimal
    ]
    first = recs[0]
    assert first == {
        "experiment": "ENCSR000BGZ", "url": str(metadata.parent / "tf" / "ENCFF100AAG.bed.gz"),
        "md5": "0" * 29 + "aag", "target": "CTCF", "biosample": "K562",
        "accession": "ENCFF100AAG", "source": "encode", "experiment_accession": "ENCSR000BGZ",
        "output_type": CONS, "assembly": "GRCh38", "analysis": V110,
    }  # fmt: skip
    assert set(first) == set(RECORD_FIELDS) and RECORD_FIELDS[0] == "experiment"
    assert recs[1]["url"] == (
        "https://www.encodeproject.org/files/ENCFF200BBA/@@download/ENCFF200BBA.bed.gz"
    )
    assert {s["file_accession"]: s["reason"] for s in skipped} == {
        "ENCFF100AAA": "another file preferred",
        "ENCFF100AAB": "not bed narrowPeak",
        "ENCFF100AAC": "another file preferred",
        "ENCFF100AAD": "another file preferred",
        "ENCFF100AAE": "another file preferred",
        "ENCFF100AAF": "not bed narrowPeak",
        "ENCFF100AAH": "not bed narrowPeak",
        "ENCFF099AAA": "analysis status archived",
        "ENCFF050AAA": "another file preferred",
        "ENCFF030AAA": "other assembly",
        "ENCFF200BBB": "not bed narrowPeak",
        "ENCFF300CCA": "file status revoked",
        "ENCFF400DDA": "audit ERROR",
        "ENCFF400DDB": "not bed narrowPeak",
        "ENCFF500EEA": "not TF ChIP-seq assay",
        "ENCFF600FFA": "output type not preferred",
    }
    assert len(skipped) == len(ROWS_2021) - len(recs)  # every row is chosen or explained
    assert all(s["experiment_accession"].startswith("ENCSR000") for s in skipped)


def test_output_type_preference_and_ranking(metadata):
    def chosen(**kw):
        return {r["experiment"]: r["accession"] for r in select_encode_files(metadata, **kw)}

    # conservative dropped from the list -> optimal; REV has only a revoked conservative too
    assert chosen(output_types=[OPT, IDR]) == {
        "ENCSR000BGZ": "ENCFF100AAE", "ENCSR000UNR": "ENCFF200BBA", "ENCSR000REV": "ENCFF300CCB",
    }  # fmt: skip
    # only IDR thresholded peaks: pooled "1, 2" beats rep1 "1" and rep2 "2"
    assert chosen(output_types=[IDR]) == {
        "ENCSR000BGZ": "ENCFF100AAD",
        "ENCSR000UNR": "ENCFF200BBA",
    }
    # the list's order, not the file's, decides
    assert chosen(output_types=[IDR, CONS])["ENCSR000BGZ"] == "ENCFF100AAD"
    assert chosen(assembly="hg19") == {"ENCSR000BGZ": "ENCFF030AAA"}
    # UCSC and GRC names of one assembly select the same files
    assert chosen(assembly="GRCh37") == chosen(assembly="hg19")
    assert chosen(assembly="hg38") == chosen()
    assert chosen(max_experiments=2) == {"ENCSR000BGZ": "ENCFF100AAG", "ENCSR000UNR": "ENCFF200BBA"}
    _, skipped = select_encode(metadata, max_experiments=2)
    assert [s["file_accession"] for s in skipped if s["reason"] == "over max_experiments"] == [
        "ENCFF300CCB"
    ]


def test_newest_analysis_wins_over_accession_and_row_order(tmp_path):
    rows = [
        _row("ENCFF001AAA", "ENCSR1", CONS, analysis="ENCODE4 v1.9.0 GRCh38 V29"),
        _row("ENCFF002AAA", "ENCSR1", CONS, analysis="ENCODE4 v1.10.0 GRCh38 V29"),
        _row("ENCFF003AAA", "ENCSR1", CONS, analysis="ENCODE3 GRCh38 V24"),
        _row("ENCFF004AAA", "ENCSR1", CONS, analysis=""),
    ]
    for order in (rows, rows[::-1]):
        meta = _write(tmp_path / "m.tsv", ENCODE_HEADER_2021, order)
        recs = select_encode_files(meta)
        assert [(r["accession"], r["analysis"]) for r in recs] == [
            ("ENCFF002AAA", "ENCODE4 v1.10.0 GRCh38 V29")
        ]
    titles = ["ENCODE3 GRCh38 V24", "ENCODE4 v1.10.0 GRCh38 V29", "", "ENCODE4 v1.9.0 GRCh38 V29"]
    assert sorted(titles, key=natural_key) == [
        "", "ENCODE3 GRCh38 V24", "ENCODE4 v1.9.0 GRCh38 V29", "ENCODE4 v1.10.0 GRCh38 V29",
    ]  # fmt: skip
    # equal in everything else: the smaller accession
    ties = [_row("ENCFF009ZZZ", "ENCSR2", OPT), _row("ENCFF008ZZZ", "ENCSR2", OPT)]
    meta = _write(tmp_path / "t.tsv", ENCODE_HEADER_2021, ties)
    assert [r["accession"] for r in select_encode_files(meta)] == ["ENCFF008ZZZ"]


def test_audit_error_and_task_name(metadata, tmp_path):
    recs = select_encode_files(metadata, allow_audit_error=True, task_name="experiment_target")
    assert [r["experiment"] for r in recs] == [
        "ENCSR000BGZ_CTCF", "ENCSR000UNR_ZNF24", "ENCSR000REV_MAX", "ENCSR000AUD_YY1",
    ]  # fmt: skip
    assert recs[3]["accession"] == "ENCFF400DDA"
    with pytest.raises(ValueError, match="unknown tf.task_name 'target'"):
        select_encode(metadata, task_name="target")
    with pytest.raises(ValueError, match="tf.output_types is empty"):
        select_encode(metadata, output_types=[])
    # mouse targets lose their suffix too
    meta = _write(tmp_path / "mm.tsv", ENCODE_HEADER_2021, [_row("ENCFF1", "ENCSR9", CONS, asm="mm10",
                                                          target="Ctcf-mouse")])  # fmt: skip
    (rec,) = select_encode_files(meta, assembly="mm10", task_name="experiment_target")
    assert (rec["experiment"], rec["target"], rec["assembly"]) == ("ENCSR9_Ctcf", "Ctcf", "mm10")


def test_experiment_and_skipped_tables_round_trip(metadata, tmp_path):
    recs, skipped = select_encode(metadata)
    table, skip_table = tmp_path / "t.tsv", tmp_path / "s.tsv"
    write_experiment_table(recs, table)
    assert table.read_text().splitlines()[0].split("\t") == RECORD_FIELDS
    assert read_experiment_table(table) == {r["experiment"]: r for r in recs}
    write_skipped_table(skipped, skip_table)
    lines = skip_table.read_text().splitlines()
    assert lines[0] == "file_accession\texperiment_accession\treason"
    assert "ENCFF300CCA\tENCSR000REV\tfile status revoked" in lines
    assert len(lines) == 1 + len(skipped)
    write_skipped_table([], skip_table)
    assert skip_table.read_text() == "file_accession\texperiment_accession\treason\n"


def test_skipped_counts_are_logged(metadata, caplog):
    with caplog.at_level(logging.INFO, logger="dnabert.datasets.encode"):
        select_encode(metadata)
    (msg,) = [r.getMessage() for r in caplog.records]
    assert "19 rows, 3 experiments chosen" in msg
    assert "another file preferred: 5" in msg and "not bed narrowPeak: 5" in msg


def test_select_encode_missing_columns_and_bad_rows(tmp_path):
    p = tmp_path / "m.tsv"
    p.write_text("File accession\tmd5sum\nENCFF1\tx\n")
    with pytest.raises(ValueError, match=r"m\.tsv: missing ENCODE metadata columns") as err:
        select_encode_files(p)
    assert "'File assembly or Assembly'" in str(err.value)
    assert "'Experiment accession'" in str(err.value) and "'md5sum'" not in str(err.value)
    short = _write(tmp_path / "short.tsv", ENCODE_HEADER_2021, ROWS_2021[:2])
    short.write_text(short.read_text() + "ENCFF9\tbed narrowPeak\n")
    with pytest.raises(ValueError, match=r"short\.tsv:4: 2 fields, expected 59"):
        select_encode_files(short)
    no_exp = _write(tmp_path / "noexp.tsv", ENCODE_HEADER_2021, [_row("ENCFF1", "", CONS)])
    with pytest.raises(ValueError, match=r"noexp\.tsv:2: row without .*Experiment accession"):
        select_encode_files(no_exp)


# --- the real 2019 portal file (tests/data/real/SOURCES.md sections 3 and 4) ---------------
def test_read_real_2019_metadata_crlf():
    assert REAL_2019.read_bytes().count(b"\r\n") == 187  # CRLF on the header and 186 rows
    rows = read_encode_metadata(REAL_2019)
    assert len(rows) == 186 and all(len(r) == 52 for _, r in rows)
    assert not any("\r" in k or "\r" in v for _, r in rows for k, v in r.items())
    lineno, first = rows[0]
    assert (lineno, first["File accession"], first["File format"], first["Output type"]) == (
        2, "ENCFF409RWY", "bigWig", "signal p-value",
    )  # fmt: skip
    assert (first["Assembly"], first["md5sum"]) == ("hg19", "8d841d145932fba0249a28e780226257")
    assert sum(r["Experiment target"] == "H3K4me3-human" for _, r in rows) == 56


def test_select_real_2019_metadata():
    kw = {
        "assay": ["ChIP-seq"],
        "assembly": "GRCh38",
        "output_types": ["replicated peaks", "peaks"],
    }
    recs, skipped = select_encode(REAL_2019, **kw)
    # by hand: awk -F'\t' '$2=="bed narrowPeak" && $44=="GRCh38"{print $4}' | sort -u -> 7
    # experiments; ENCSR443YAS carries Audit ERROR "extremely low read depth"
    assert {r["experiment"]: (r["accession"], r["output_type"]) for r in recs} == {
        "ENCSR571IIS": ("ENCFF431WDM", "peaks"),  # H2AFZ: no replicated peaks; 'stable' not asked
        "ENCSR848DUN": ("ENCFF808BIC", "replicated peaks"),
        "ENCSR019SQX": ("ENCFF408FCY", "replicated peaks"),
        "ENCSR476KTK": ("ENCFF093YFN", "replicated peaks"),
        "ENCSR057BTG": ("ENCFF642IBN", "replicated peaks"),
        "ENCSR815LBP": ("ENCFF851FNE", "replicated peaks"),
    }
    rows = {r["File accession"]: r for _, r in read_encode_metadata(REAL_2019)}
    assert all(rows[r["accession"]]["File format"] == "bed narrowPeak" for r in recs)
    assert all(r["url"].endswith(f"{r['accession']}.bed.gz") and r["analysis"] == "" for r in recs)
    assert Counter(s["reason"] for s in skipped) == {
        "not bed narrowPeak": 132,  # 80 bigWig + 52 bigBed narrowPeak
        "other assembly": 28,  # bed narrowPeak on hg19
        "output type not preferred": 1,  # stable peaks
        "audit ERROR": 4,  # ENCSR443YAS's GRCh38 bed narrowPeak files
        "another file preferred": 15,  # 21 candidates in 6 experiments
    }
    assert len(recs) + len(skipped) == 186
    with_audit = select_encode_files(REAL_2019, allow_audit_error=True, **kw)
    assert len(with_audit) == 7
    assert [r["accession"] for r in with_audit if r["experiment"] == "ENCSR443YAS"] == [
        "ENCFF277AOQ"
    ]
    # the default assay is the 2021+ portal's "TF ChIP-seq": nothing here
    recs, skipped = select_encode(REAL_2019, assembly="GRCh38")
    assert recs == [] and {s["reason"] for s in skipped} == {"not TF ChIP-seq assay"}


def test_real_2019_files_txt_lists_the_metadata_files():
    text = (REAL / "ENCODE_batch_files_2019_H1.files.txt").read_text()
    assert text.count("\n") == 186 and not text.endswith("\n")
    first, *urls = text.split("\n")
    assert first.startswith("https://www.encodeproject.org/metadata/")
    assert len(urls) == 186 and all(
        u.startswith("https://www.encodeproject.org/files/ENCFF") for u in urls
    )
    from_urls = {u.split("/")[4] for u in urls}
    assert from_urls == {r["File accession"] for _, r in read_encode_metadata(REAL_2019)}


@pytest.fixture
def real_list() -> Path:
    for c in (
        os.environ.get("DNABERT_SHARED_DATA"),
        "/work/shared/data/real",
        str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"),
    ):
        if c and (Path(c) / "encode_tfbs.txt").exists():
            return Path(c) / "encode_tfbs.txt"
    pytest.skip("real shared data not available")


def test_690_uniform_sets(real_list, tmp_path):
    recs = read_ucsc_uniform(real_list, base_url="https://example.org/tfbs")
    assert len(recs) == 690 and len({r["experiment"] for r in recs}) == 690
    first = recs[0]
    assert first["experiment"] == "wgEncodeAwgTfbsHaibA549Atf3V0422111Etoh02UniPk"
    assert first["url"] == (
        "https://example.org/tfbs/wgEncodeAwgTfbsHaibA549Atf3V0422111Etoh02UniPk.narrowPeak.gz"
    )
    assert first["target"] == "ATF3" and first["biosample"] == "A549"
    table = tmp_path / "t.tsv"
    write_experiment_table(recs, table)
    back = read_experiment_table(table)
    assert list(back) == [r["experiment"] for r in recs]


def test_ucsc_files_txt_and_md5(tmp_path):
    files = tmp_path / "files.txt"
    files.write_text(
        "wgEncodeAwgTfbsBroadDnd41CtcfUniPk.narrowPeak.gz\tproject=wgEncode; lab=Broad; "
        "cell=Dnd41; antibody=CTCF; type=narrowPeak; md5sum=aaaa\n"
        "wgEncodeAwgTfbsUniform.README\tproject=wgEncode; type=txt\n"
        "wgEncodeAwgTfbsSydhK562Yy1UniPk.narrowPeak.gz\tcell=K562; antibody=YY1; md5sum=bbbb\n"
    )
    md5 = tmp_path / "md5sum.txt"
    md5.write_text("cccc  wgEncodeAwgTfbsSydhK562Yy1UniPk.narrowPeak.gz\n")
    recs = read_ucsc_uniform(files, md5, "http://x/")
    assert [(r["target"], r["biosample"], r["md5"]) for r in recs] == [
        ("CTCF", "Dnd41", "aaaa"),
        ("YY1", "K562", "cccc"),
    ]
    dup = tmp_path / "dup.txt"
    dup.write_text(files.read_text().splitlines()[0] + "\n" + files.read_text().splitlines()[0])
    with pytest.raises(ValueError, match=r"dup\.txt:2: .* listed twice"):
        read_ucsc_uniform(dup)


def test_local_files_and_dispatch(tmp_path, metadata):
    recs = read_local_files(["a/My Peaks (rep1).narrowPeak.gz", "b/other.bed"])
    assert [r["experiment"] for r in recs] == ["My_Peaks_rep1", "other"]
    assert recs[0]["experiment_accession"] == "" and set(recs[0]) == set(RECORD_FIELDS)
    with pytest.raises(ValueError, match="both give task name tf_x"):
        read_local_files(["a/x.narrowPeak", "b/x.bed.gz"])
    cfg = {"source": "encode", "metadata": str(metadata)}
    assert len(select_experiments(cfg)) == 3
    recs, skipped = select_experiments_with_skipped(
        cfg | {"output_types": [IDR], "allow_audit_error": True, "task_name": "experiment_target"}
    )
    assert [r["experiment"] for r in recs] == ["ENCSR000BGZ_CTCF", "ENCSR000UNR_ZNF24"]
    assert len(skipped) == len(ROWS_2021) - 2
    assert select_experiments_with_skipped({"source": "local", "files": ["p.bed"]})[1] == []
    with pytest.raises(ValueError, match="tf.metadata"):
        select_experiments({"source": "encode", "metadata": None})
    with pytest.raises(ValueError, match="tf.output_type was replaced by tf.output_types"):
        select_experiments(cfg | {"output_type": "IDR thresholded peaks"})

"""Species facts live in the config: the TATA-table column (datasets.promoters.tata_column)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnabert.config import load_config
from dnabert.datasets.promoter_io import PromoterInputError, read_tata_names

EPD_MOTIFS = Path(__file__).parent / "data/real/Hs_EPDnew_006_promoter_motifs.head2001.txt"


def test_tata_column_names_the_flag_column():
    """Column sums of the 2000 rows (tests/data/real/SOURCES.md, section 2): TATA-box 186,
    Inr 674, CCAAT-box 334, GC-box 951."""
    assert len(read_tata_names(EPD_MOTIFS)) == 186  # default: the first TATA... column
    assert read_tata_names(EPD_MOTIFS, column="tata-box") == read_tata_names(EPD_MOTIFS)
    assert len(read_tata_names(EPD_MOTIFS, column="Inr")) == 674
    assert len(read_tata_names(EPD_MOTIFS, column="GC-box")) == 951
    with pytest.raises(PromoterInputError, match="no column 'TATA_box'.*tata_column"):
        read_tata_names(EPD_MOTIFS, column="TATA_box")


def test_mouse_config_states_its_species_facts(repo):
    cfg = load_config(repo / "config/mouse.yaml")
    assert cfg["datasets"]["promoters"]["tata_column"] == "TATA-box"
    assert cfg["genome"]["assembly"] == "GRCm38" and cfg["tf"]["assembly"] == "mm10"
    assert "M_musculus" in cfg["promoters"]["tss"]["url"]
    assert load_config(repo / "config/config.yaml")["datasets"]["promoters"]["tata_column"] is None

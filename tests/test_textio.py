"""Reading BED-like files: which lines are data lines, and their 1-based numbers."""

from __future__ import annotations

import gzip

from dnabert.textio import bed_lines

TEXT = (
    "track name=peaks\n"
    "browser position chr1:1-100\n"
    "# a comment\n"
    "chr1\t10\t20\n"
    "\n"
    "   \n"
    "chr2\t5\t9\tname with spaces\n"
)


def test_bed_lines_skips_headers_comments_and_blank_lines_and_keeps_line_numbers(tmp_path):
    plain = tmp_path / "sites.bed"
    plain.write_text(TEXT)
    packed = tmp_path / "sites.bed.gz"
    packed.write_bytes(gzip.compress(TEXT.encode()))
    expected = [(4, "chr1\t10\t20\n"), (7, "chr2\t5\t9\tname with spaces\n")]
    assert list(bed_lines(plain)) == expected
    assert list(bed_lines(packed)) == expected

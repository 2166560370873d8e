"""Downloads: checksums verified, gzip handled, failures leave nothing behind."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from dnabert.cli import main
from dnabert.download import DownloadError, fetch, parse_checksum_list, resolve_url

PAYLOAD = b">chr1\nACGTACGTNNacgt\n" * 1000


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.fixture
def gz_source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    path = src / "genome.fa.gz"
    path.write_bytes(gzip.compress(PAYLOAD, mtime=0))
    return path


def test_file_url_with_right_md5_is_decompressed(tmp_path, gz_source):
    md5 = hashlib.md5(gz_source.read_bytes()).hexdigest()
    dest = tmp_path / "out" / "genome.fa"
    fetch(f"file://{gz_source}", dest, md5=md5)
    assert dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == []


def test_sha256_and_keep_gz_name(tmp_path, gz_source):
    sha = hashlib.sha256(gz_source.read_bytes()).hexdigest()
    dest = tmp_path / "copy.fa.gz"
    fetch(str(gz_source), dest, sha256=sha)
    assert dest.read_bytes() == gz_source.read_bytes()


def test_wrong_checksum_fails_and_leaves_no_output(tmp_path, gz_source):
    dest = tmp_path / "out" / "genome.fa"
    with pytest.raises(DownloadError, match="md5 mismatch"):
        fetch(f"file://{gz_source}", dest, md5="0" * 32)
    assert not dest.exists()
    assert not dest.parent.exists()  # not even the folder made for it


def test_existing_output_is_untouched_by_failed_download(tmp_path, gz_source):
    dest = tmp_path / "genome.fa"
    dest.write_text("previous good copy")
    with pytest.raises(DownloadError):
        fetch(str(gz_source), dest, sha256="1" * 64)
    assert dest.read_text() == "previous good copy"


def test_truncated_gzip_fails_cleanly(tmp_path, gz_source):
    data = gz_source.read_bytes()
    truncated = tmp_path / "src" / "cut.fa.gz"
    truncated.write_bytes(data[: len(data) // 2])
    dest = tmp_path / "out" / "cut.fa"
    with pytest.raises(DownloadError, match="truncated gzip"):
        fetch(str(truncated), dest)
    assert not dest.exists()
    assert not dest.parent.exists()  # not even the folder made for it


def test_corrupt_gzip_fails_cleanly(tmp_path, gz_source):
    data = bytearray(gz_source.read_bytes())
    data[20:40] = b"\xff" * 20
    bad = tmp_path / "src" / "bad.fa.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(DownloadError, match="gzip"):
        fetch(str(bad), tmp_path / "bad.fa")
    assert not (tmp_path / "bad.fa").exists()


def test_multi_member_gzip_is_fully_decompressed(tmp_path):
    src = tmp_path / "multi.gz"
    src.write_bytes(gzip.compress(b"AAAA\n", mtime=0) + gzip.compress(b"CCCC\n", mtime=0))
    fetch(str(src), tmp_path / "multi.txt")
    assert (tmp_path / "multi.txt").read_bytes() == b"AAAA\nCCCC\n"


def test_checksum_list_lookup(tmp_path, gz_source):
    md5 = hashlib.md5(gz_source.read_bytes()).hexdigest()
    listing = tmp_path / "src" / "MD5SUMS"
    listing.write_text(f"{'f' * 32}  other.fa.gz\n{md5}  genome.fa.gz\n")
    fetch(f"file://{gz_source}", tmp_path / "g.fa", checksum_url=f"file://{listing}")
    assert (tmp_path / "g.fa").read_bytes() == PAYLOAD
    listing.write_text(f"{'f' * 32}  genome.fa.gz\n")
    with pytest.raises(DownloadError, match="md5 mismatch"):
        fetch(f"file://{gz_source}", tmp_path / "h.fa", checksum_url=f"file://{listing}")
    listing.write_text(f"{md5}  unrelated.txt\n")
    with pytest.raises(DownloadError, match="no checksum listed for 'genome.fa.gz'"):
        fetch(f"file://{gz_source}", tmp_path / "i.fa", checksum_url=f"file://{listing}")


def test_checksum_list_formats():
    md5 = "a" * 32
    assert parse_checksum_list(f"{md5} *tf/x.bed.gz\n", "x.bed.gz") == md5
    assert parse_checksum_list(f"MD5 (hg38.fa.gz) = {md5}\n", "hg38.fa.gz") == md5


def test_relative_file_url_resolves_against_base(tmp_path):
    kind, path = resolve_url("file:data/x.fa", base_dir=tmp_path)
    assert (kind, path) == ("local", str(tmp_path / "data/x.fa"))
    assert resolve_url("https://example.org/x")[0] == "remote"
    with pytest.raises(DownloadError, match="scheme"):
        resolve_url("gopher://example.org/x")


def test_missing_local_file_is_a_clear_error(tmp_path):
    with pytest.raises(DownloadError, match="no such file"):
        fetch(str(tmp_path / "absent.fa"), tmp_path / "out.fa")


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        if self.path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            return
        super().do_GET()


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_download_streams_and_verifies(tmp_path, http_root):
    root, base = http_root
    (root / "a.fa.gz").write_bytes(gzip.compress(PAYLOAD, mtime=0))
    md5 = hashlib.md5((root / "a.fa.gz").read_bytes()).hexdigest()
    dest = tmp_path / "a.fa"
    fetch(f"{base}/a.fa.gz", dest, md5=md5)
    assert dest.read_bytes() == PAYLOAD


def test_http_short_transfer_fails_after_retries(tmp_path, http_root, monkeypatch):
    monkeypatch.setattr("dnabert.download.time.sleep", lambda s: None)
    _, base = http_root
    dest = tmp_path / "short.bin"
    with pytest.raises(DownloadError):
        fetch(f"{base}/short", dest, retries=2)
    assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_cli_download(tmp_path, gz_source):
    md5 = hashlib.md5(gz_source.read_bytes()).hexdigest()
    assert main(["download", str(gz_source), str(tmp_path / "c.fa"), "--md5", md5]) == 0
    assert main(["download", str(gz_source), str(tmp_path / "d.fa"), "--md5", "0" * 32]) == 1
    assert not (tmp_path / "d.fa").exists()

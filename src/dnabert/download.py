"""Downloads that can be trusted: one code path for http(s)://, ftp://, file:// and local paths.

:func:`fetch` streams the source in chunks with a progress bar, retries transient network
errors, verifies the bytes as served against an md5/sha256 (given directly, or looked up by file
name in a checksum list such as UCSC's ``md5sum.txt`` or GENCODE's ``MD5SUMS``), decompresses
gzip on the fly when the destination is not a ``.gz`` name, and writes to a temporary file that
is renamed onto the destination only when everything checked out. A checksum mismatch, a short
transfer or a truncated gzip raises :class:`DownloadError` and leaves nothing behind.

URLs: ``file:///abs/path`` and absolute or relative local paths are read directly; a relative
``file:relative/path`` (no ``//``) is resolved against ``base_dir`` (default: the working
directory), which is how the offline demo config points at generated files.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from tqdm.auto import tqdm

from dnabert.provenance import atomic_path

log = logging.getLogger(__name__)

CHUNK = 1 << 20
_REMOTE = ("http", "https", "ftp")
_TRANSIENT = (urllib.error.URLError, http.client.HTTPException, socket.timeout, ConnectionError)


class DownloadError(OSError):
    """A download failed verification or could not be completed; no output was written."""


def resolve_url(url: str, base_dir: str | os.PathLike | None = None) -> tuple[str, str]:
    """Classify ``url`` as ``("remote", url)`` or ``("local", path)``.

    ``file:///abs`` and ``file://localhost/abs`` give the absolute path; ``file:rel/path`` and a
    plain relative path are resolved against ``base_dir`` (default: the working directory).
    """
    parsed = urllib.parse.urlparse(url)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if parsed.scheme in _REMOTE:
        return "remote", url
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise DownloadError(f"{url}: file URLs must be file:///absolute/path or file:relative")
        path = urllib.parse.unquote(parsed.path)
        return "local", str(Path(path) if Path(path).is_absolute() else base / path)
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # plain path (or a Windows drive letter)
        return "local", str(Path(url) if Path(url).is_absolute() else base / url)
    raise DownloadError(f"{url}: unsupported URL scheme {parsed.scheme!r}")


def _open(url: str, base_dir, timeout: float) -> tuple[BinaryIO, int | None]:
    kind, where = resolve_url(url, base_dir)
    if kind == "local":
        if not Path(where).is_file():
            raise DownloadError(f"{url}: no such file {where}")
        return open(where, "rb"), Path(where).stat().st_size
    request = urllib.request.Request(where, headers={"User-Agent": "dnabert-pipeline"})
    response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (schemes checked)
    length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
    return response, int(length) if length and length.isdigit() else None


def parse_checksum_list(text: str, name: str, source: str = "checksum list") -> str:
    """Find the checksum of file ``name`` in an ``md5sum``/``sha256sum``-style or BSD-style list.

    Lines look like ``<hex>  <name>``, ``<hex> *<name>`` or ``MD5 (<name>) = <hex>``. An entry
    matches when its name equals ``name`` or ends with ``/<name>`` (or vice versa), so lists with
    relative paths work. Raises :class:`DownloadError` when no entry names the file.
    """
    bsd = re.compile(r"^(?:MD5|SHA256)\s*\((?P<name>.+)\)\s*=\s*(?P<hex>[0-9a-fA-F]+)$")
    plain = re.compile(r"^(?P<hex>[0-9a-fA-F]{32}|[0-9a-fA-F]{64})\s+\*?(?P<name>.+)$")
    for line in text.splitlines():
        m = bsd.match(line.strip()) or plain.match(line.strip())
        if not m:
            continue
        entry = m["name"].strip()
        if entry == name or entry.endswith("/" + name) or name.endswith("/" + entry):
            return m["hex"].lower()
    raise DownloadError(f"{source}: no checksum listed for {name!r}")


def _expected_checksum(url, md5, sha256, checksum_url, base_dir, timeout) -> tuple[str, str] | None:
    if sha256:
        return "sha256", sha256.lower()
    if md5:
        return "md5", md5.lower()
    if not checksum_url:
        return None
    stream, _ = _open(checksum_url, base_dir, timeout)
    with stream:
        text = stream.read().decode("utf-8", errors="replace")
    name = urllib.parse.unquote(urllib.parse.urlparse(url).path).rsplit("/", 1)[-1]
    digest = parse_checksum_list(text, name, source=checksum_url)
    return ("md5" if len(digest) == 32 else "sha256"), digest


class _Gunzip:
    """Streaming gzip decompressor that accepts multi-member (bgzip) input and detects truncation."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(wbits=31)

    def feed(self, data: bytes) -> bytes:
        out = []
        while data:
            out.append(self._d.decompress(data))
            data = self._d.unused_data
            if data:  # next gzip member
                self._d = zlib.decompressobj(wbits=31)
        return b"".join(out)

    def finish(self, source: str) -> bytes:
        tail = self._d.flush()
        if not self._d.eof:
            raise DownloadError(f"{source}: truncated gzip stream (ended before the end marker)")
        return tail


def _copy_once(
    url, tmp: Path, base_dir, timeout, gunzip, algorithm, desc
) -> tuple[str | None, int]:
    stream, total = _open(url, base_dir, timeout)
    hasher = hashlib.new(algorithm) if algorithm else None
    received = 0
    decomp: _Gunzip | None = None
    first = True
    with (
        stream,
        open(tmp, "wb") as out,
        tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=None, leave=False) as bar,
    ):
        while chunk := stream.read(CHUNK):
            if first:
                is_gz = chunk[:2] == b"\x1f\x8b"
                if gunzip is True and not is_gz:
                    raise DownloadError(f"{url}: expected gzip data, got something else")
                decomp = _Gunzip() if (gunzip is None and is_gz) or gunzip is True else None
                first = False
            received += len(chunk)
            bar.update(len(chunk))
            if hasher:
                hasher.update(chunk)
            try:
                out.write(decomp.feed(chunk) if decomp else chunk)
            except zlib.error as exc:
                raise DownloadError(f"{url}: corrupt gzip data: {exc}") from exc
        if decomp:
            try:
                out.write(decomp.finish(url))
            except zlib.error as exc:
                raise DownloadError(f"{url}: corrupt gzip data: {exc}") from exc
    if total is not None and received != total:
        raise DownloadError(f"{url}: transfer ended after {received} of {total} bytes")
    return (hasher.hexdigest() if hasher else None), received


def fetch(
    url: str,
    dest: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    checksum_url: str | None = None,
    gunzip: bool | None = None,
    retries: int = 3,
    timeout: float = 60.0,
    base_dir: str | os.PathLike | None = None,
    validate: Callable[[Path], object] | None = None,
) -> Path:
    """Download ``url`` to ``dest``, verified and atomic; return ``dest``.

    ``validate`` (optional) is called with the complete temporary file before it is renamed
    onto ``dest``: a reader that parses the file to its end (say ``read_narrowpeak``, which also
    decodes gzip to its end marker). Its error becomes a :class:`DownloadError` naming ``url``
    and ``dest``, and nothing is written: with no checksum configured, this is what stops a
    truncated or malformed file from becoming a finished output.

    ``gunzip``: ``None`` (default) decompresses when the data is gzip and ``dest`` does not end
    in ``.gz``; ``True`` requires gzip; ``False`` stores the bytes as served. Checksums apply to
    the bytes as served (before decompression), as published checksum lists do.
    """
    dest = Path(dest)
    if gunzip is None and dest.name.endswith(".gz"):
        gunzip = False
    expected = _expected_checksum(url, md5, sha256, checksum_url, base_dir, timeout)
    algorithm = expected[0] if expected else None
    with atomic_path(dest) as tmp:
        for attempt in range(1, retries + 1):
            try:
                digest, size = _copy_once(url, tmp, base_dir, timeout, gunzip, algorithm, dest.name)
                break
            except _TRANSIENT as exc:
                if attempt == retries:
                    raise DownloadError(f"{url}: failed after {retries} attempts: {exc}") from exc
                wait = 2**attempt
                log.warning("%s: attempt %d failed (%s); retrying in %ds", url, attempt, exc, wait)
                time.sleep(wait)
        if expected and digest != expected[1]:
            raise DownloadError(
                f"{url}: {expected[0]} mismatch: expected {expected[1]}, got {digest} "
                f"({size} bytes); nothing was written to {dest}"
            )
        if validate is not None:
            try:
                validate(tmp)
            except (ValueError, OSError) as exc:
                why = str(exc).replace(str(tmp), str(dest))
                raise DownloadError(
                    f"{url}: the file fails its check: {why}; nothing was written to {dest}"
                ) from exc
        log.info(
            "%s -> %s (%d bytes%s)",
            url,
            dest,
            size,
            f", {expected[0]} verified" if expected else ", no checksum configured",
        )
    return dest

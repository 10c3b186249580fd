"""WARC writing and reading (warcio): the byte-exact record of everything fetched.

Each process appends to its own gzip WARC file; every record is its own gzip member, so a
record is addressed by (file, offset, length) and read back without scanning the file.
Rendered DOMs are `resource` records (they are not what the server sent); server answers are
`response` records with the request that produced them.
"""
from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import __version__


@dataclass(frozen=True)
class WarcRef:
    file: str       # path relative to the WARC directory
    offset: int
    length: int
    record_id: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _warc_date(ts: str | None) -> str:
    if ts:
        return ts.replace("+00:00", "Z")
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcStore:
    """Appends records to `<dir>/<prefix>-<pid>.warc.gz`; one writer per process."""

    def __init__(self, directory: str | Path, prefix: str = "nianbao"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}.warc.gz"
        self._fh = None
        self._writer = None

    def _open(self):
        if self._fh is None:
            self._fh = open(self.dir / self.name, "ab")
            self._writer = WARCWriter(self._fh, gzip=True)
            info = self._writer.create_warcinfo_record(
                self.name, {"software": f"nianbao/{__version__}", "format": "WARC File Format 1.1"})
            self._writer.write_record(info)
        return self._writer

    def write_response(self, url: str, status: int, reason: str, headers: list[tuple[str, str]],
                       body: bytes, fetched_at: str | None = None,
                       request_headers: list[tuple[str, str]] | None = None,
                       method: str = "GET") -> WarcRef:
        writer = self._open()
        date = _warc_date(fetched_at)
        http_headers = StatusAndHeaders(f"{status} {reason or 'OK'}", headers, protocol="HTTP/1.1")
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": record_id,
                               "WARC-Payload-Digest": "sha256:" + sha256(body)})
        ref = self._append(writer, record, record_id)
        if request_headers is not None:
            req = writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""), length=0,
                http_headers=StatusAndHeaders(f"{method} {url} HTTP/1.1", request_headers,
                                              is_http_request=True),
                warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
            self._append(writer, req, "")
        return ref

    def write_request(self, url: str, method: str, headers: list[tuple[str, str]], body: bytes,
                      concurrent_to: str | None = None, fetched_at: str | None = None) -> WarcRef:
        """The request that produced a response record, with its body (a POSTed list query)."""
        writer = self._open()
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        warc_headers = {"WARC-Date": _warc_date(fetched_at), "WARC-Record-ID": record_id}
        if concurrent_to:
            warc_headers["WARC-Concurrent-To"] = concurrent_to
        req = writer.create_warc_record(
            url, "request", payload=io.BytesIO(body or b""), length=len(body or b""),
            http_headers=StatusAndHeaders(f"{method} {url} HTTP/1.1", headers, is_http_request=True),
            warc_headers_dict=warc_headers)
        return self._append(writer, req, record_id)

    def write_resource(self, url: str, body: bytes, content_type: str,
                       fetched_at: str | None = None, concurrent_to: str | None = None) -> WarcRef:
        """A rendered DOM (or other derived bytes): a resource record, never a response."""
        writer = self._open()
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        headers = {"WARC-Date": _warc_date(fetched_at), "WARC-Record-ID": record_id,
                   "WARC-Payload-Digest": "sha256:" + sha256(body)}
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = writer.create_warc_record(url, "resource", payload=io.BytesIO(body),
                                           length=len(body), warc_content_type=content_type,
                                           warc_headers_dict=headers)
        return self._append(writer, record, record_id)

    def _append(self, writer: WARCWriter, record, record_id: str) -> WarcRef:
        self._fh.seek(0, io.SEEK_END)
        start = self._fh.tell()
        writer.write_record(record)
        self._fh.flush()
        return WarcRef(self.name, start, self._fh.tell() - start, record_id)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = self._writer = None


@dataclass
class WarcRecord:
    url: str
    record_type: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    date: str


def read_record(directory: str | Path, file: str, offset: int, length: int | None = None) -> WarcRecord:
    """Read the record at `offset` of `file` and return its payload bytes and HTTP headers."""
    with open(Path(directory) / file, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length) if length else fh.read()
    for rec in ArchiveIterator(io.BytesIO(data)):
        http = rec.http_headers
        status = int(http.get_statuscode()) if http and rec.rec_type == "response" else None
        headers = list(http.headers) if http else []
        body = rec.content_stream().read()
        return WarcRecord(rec.rec_headers.get_header("WARC-Target-URI"), rec.rec_type, status,
                          headers, body, rec.rec_headers.get_header("WARC-Date"))
    raise ValueError(f"no WARC record at {file}:{offset}")

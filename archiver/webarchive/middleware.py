"""Keep what Zhihu served, as a standard WARC 1.1 file per run, and replay a crawl from WARCs.

Two downloader middlewares next to the downloader itself (so they see the bytes as transferred,
before decompression and redirects): WarcCaptureMiddleware writes a request and a response record
for every response; WarcReplayMiddleware answers every request from recorded responses and never
lets one reach the network.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import GzippingWrapper, WARCWriter

from archiver import stats as keys
from archiver.archive.layout import Layout
from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.webarchive.cdxj import (
    Lookup,
    cdxj_line,
    latest_captures,
    write_cdxj,
    write_cdxj_lines,
)
from archiver.webarchive.members import DamagedRecord, Record, warc_time
from archiver.webarchive.records import Capture, WarcReader

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# Request meta: when the response was captured (its record's WARC-Date, a UTC datetime), set by
# capture and replay alike, so a response without a Date header is dated the same both times.
CAPTURED_AT = "archiver_captured_at"
REDACTED = "<redacted>"
# Request meta: (WARC file name, WARC-Record-ID) of the response as captured, for evidence.
WARC_RECORD = "archiver_warc_record"
# Request headers that carry credentials; Set-Cookie values of responses too (names stay).
_SECRET_HEADERS = {"cookie", "authorization", "proxy-authorization"}
# Hop-by-hop framing that no longer describes the (de-chunked) body Scrapy hands us.
_DROPPED = {"transfer-encoding"}


class _FastGzip(GzippingWrapper):
    def __init__(self, out: IO[bytes]) -> None:  # warcio's own, at level 1 instead of 9
        self.compressor = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out


class FastGzipWARCWriter(WARCWriter):
    """warcio's writer, one gzip member per record, compressed at level 1.

    Capture runs on the crawl's path; level 9 cost ~40% more time for ~4% smaller files here
    (measured on 2,499 request/response pairs), and Zhihu's images barely compress at all.
    """

    # Told of each record written, with where its gzip member starts and its length.
    on_record: Callable[[ArcWarcRecord, int, int], None] | None = None

    def _write_warc_record(self, out: IO[bytes], record: ArcWarcRecord) -> None:
        start = out.tell() if self.on_record else 0
        self.gzip = False  # warcio would wrap `out` in its level-9 compressor
        try:
            super()._write_warc_record(_FastGzip(out), record)
        finally:
            self.gzip = True
        if self.on_record:
            self.on_record(record, start, out.tell() - start)


class NotInArchive(IgnoreRequest):
    """A request the replayed WARC files have no response for."""


def redact(name: str, value: str) -> str:
    lower = name.lower()
    if lower in _SECRET_HEADERS or lower.startswith("x-zse-"):
        return REDACTED
    if lower == "set-cookie":
        return value.split("=", 1)[0] + "=" + REDACTED
    return value


def _reads_back(http: StatusAndHeaders | None) -> bool:
    """Whether a reader of the file gets the headers the index is made of: no line break in
    them, a Content-Type of plain ASCII without blanks around it."""
    if http is None:
        return True
    for name, value in http.headers:
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            return False
        if name.lower() == "content-type" and not (value.isascii() and value == value.strip()):
            return False
    return "\r" not in http.statusline and "\n" not in http.statusline


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), redact(name.decode("latin-1"), value.decode("latin-1")))
        for name, values in headers.items()
        for value in values
        if name.decode("latin-1").lower() not in _DROPPED
    ]


class WarcCaptureMiddleware:
    """Every response of the run, with its request, into `<WARC_DIR>/<spider>-<time>-<pid>.warc.gz`;
    past `max_size` bytes the run goes on in `...-<pid>-1.warc.gz`, `-2`... Each file gets its
    CDXJ index once closed."""

    def __init__(self, folder: Path, crawler: Crawler, max_size: int = 0) -> None:
        self.folder = folder
        self.crawler = crawler
        self.max_size = max_size  # 0: one file per run
        self.handle: IO[bytes] | None = None
        self.writer: FastGzipWARCWriter | None = None
        self.path: Path | None = None
        self.part = 0
        self.stem = ""
        # The current file's CDXJ lines, made as its responses are written; None: read it again
        # to index it (a response whose headers the index might read otherwise).
        self.index: list[str] | None = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        # NotConfigured without a message: Scrapy would log a warning for every run otherwise
        if settings.get("ARCHIVE_REPLAY"):
            raise NotConfigured  # replaying: nothing new to capture
        enabled = settings.get("WARC_ENABLED")
        if enabled is None or enabled == "":
            enabled = getattr(crawler.spidercls, "warc_capture", False)
        elif not settings.getbool("WARC_ENABLED"):
            enabled = False
        if not enabled:
            raise NotConfigured
        middleware = cls(Layout.of(settings).warc_dir, crawler, settings.getint("WARC_MAX_SIZE"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.stem = f"{spider.name}-{stamp}-{os.getpid()}"
        self.path = self.folder / f"{self.stem}.warc.gz"

    def _open(self) -> FastGzipWARCWriter:
        """The run's WARC file, made with its first response: a run that fetched nothing (a
        typo, a missing cookie) leaves no empty file behind."""
        assert self.path is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("xb")
        self.writer = FastGzipWARCWriter(self.handle, gzip=True, warc_version="1.1")
        self.index = []
        self.writer.on_record = self._indexed
        info = self.writer.create_warcinfo_record(
            self.path.name,
            {"software": "zhihu-archiver (Scrapy, warcio)", "format": "WARC File Format 1.1"},
        )
        self.writer.write_record(info)
        return self.writer

    def spider_closed(self, spider: Spider) -> None:
        self._close()

    def _close(self) -> None:
        """Close the current file and index it (a crash leaves a file without an index)."""
        if self.handle is None or self.path is None:
            return
        self.handle.close()
        self.handle = self.writer = None
        try:
            if self.index is None:
                write_cdxj(self.path)
            else:
                write_cdxj_lines(self.path, self.index)
        except (OSError, ValueError) as exc:  # the capture stands; replay will scan it
            logger.error("WARC %s could not be indexed: %s", self.path, exc)
        logger.info("WARC capture: %s", self.path)

    def _indexed(self, record: ArcWarcRecord, offset: int, length: int) -> None:
        if record.rec_type != "response" or self.index is None or self.path is None:
            return
        if _reads_back(record.http_headers):
            self.index.append(cdxj_line(record, offset, length, self.path.name))
        else:
            self.index = None

    def _rotate(self) -> None:
        self._close()
        self.part += 1
        self.path = self.folder / f"{self.stem}-{self.part}.warc.gz"

    def process_response(self, request: Request, response: Response) -> Response:
        if self.path is None or "warc" in response.flags:
            return response
        if self.writer is None:
            self._open()
        assert self.writer is not None and self.handle is not None
        url = urlsplit(request.url)
        target = f"{url.path or '/'}" + (f"?{url.query}" if url.query else "")
        request_record = self.writer.create_warc_record(
            request.url,
            "request",
            # A POST's body (the video play-info's JSON) is part of what was asked.
            payload=BytesIO(request.body) if request.body else None,
            length=len(request.body) if request.body else None,
            http_headers=StatusAndHeaders(
                f"{request.method} {target} HTTP/1.1",
                header_pairs(request.headers),
                is_http_request=True,
            ),
        )
        response_record = self.writer.create_warc_record(
            request.url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=StatusAndHeaders(
                f"{response.status} {_reason(response.status)}",
                header_pairs(response.headers),
                protocol="HTTP/1.1",
            ),
        )
        self.writer.write_request_response_pair(request_record, response_record)
        request.meta[CAPTURED_AT] = warc_time(response_record.rec_headers.get_header("WARC-Date"))
        # Each record is a gzip member of its own, flushed: a crash leaves every whole record.
        self.handle.flush()
        assert self.path is not None
        record_id = response_record.rec_headers.get_header("WARC-Record-ID")
        request.meta[WARC_RECORD] = (self.path.name, record_id)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.WARC}/records", 2)
        if self.max_size and self.handle.tell() >= self.max_size:
            self._rotate()  # the next response opens the next part
        return response


class WarcReplayMiddleware:
    """With ARCHIVE_REPLAY set, every request is answered from the WARC files, or fails.

    Each file's captures come from its CDXJ index; only a file without a sound one is read.
    """

    def __init__(self, source: Path, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.reader = WarcReader(limit)
        lookup = Lookup()
        self.responses: dict[str, Capture] = latest_captures(source, lookup, limit)
        assert crawler.stats is not None
        if lookup.damaged:
            crawler.stats.inc_value(f"{keys.REPLAY}/damaged_files", lookup.damaged)
        logger.info(
            "Replaying %d responses from %s (%d file(s) by their index, %d read whole)",
            len(self.responses),
            source,
            lookup.indexed,
            lookup.scanned,
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        source = crawler.settings.get("ARCHIVE_REPLAY")
        if not source:
            raise NotConfigured
        if not Path(source).exists():
            raise ValueError(f"ARCHIVE_REPLAY: no such WARC file or folder: {source}")
        return cls(Path(source), crawler, crawler.settings.getint("ARCHIVE_MAX_READ_SIZE"))

    def process_request(self, request: Request) -> Response:
        stored = self.responses.get(request.url)
        assert self.crawler.stats is not None
        if stored is None:
            self.crawler.stats.inc_value(f"{keys.REPLAY}/missing")
            raise NotInArchive(f"not in the replayed WARC files: {request.url}")
        try:
            record = self.reader.response(stored)
        except DamagedRecord as exc:
            self.crawler.stats.inc_value(f"{keys.REPLAY}/damaged")
            logger.error("WARC %s: %s is damaged: %s", stored.path, request.url, exc)
            raise NotInArchive(f"damaged in the replayed WARC files: {request.url}") from exc
        self.crawler.stats.inc_value(f"{keys.REPLAY}/served")
        request.meta[CAPTURED_AT] = record.captured_at
        return as_response(record, request.url)


def as_response(record: Record, url: str) -> Response:
    """A captured response as the downloader would hand it on (its body still encoded)."""
    headers = Headers(list(record.headers))
    cls = responsetypes.from_args(headers=headers, url=url, body=record.body)
    return cls(url=url, status=record.status, headers=headers, body=record.body, flags=["warc"])


def load_response(stored: Capture, limit: int = DEFAULT_MAX_READ) -> tuple[int, Headers, bytes]:
    """The status, headers and body (as transferred, still content-encoded) of one capture;
    DamagedRecord when it cannot be read (see WarcReader.response)."""
    record = WarcReader(limit).response(stored)
    return record.status, Headers(list(record.headers)), record.body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"

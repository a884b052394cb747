"""A payload as the spider saw it: its Content-Encoding undone, within a bound."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from scrapy.utils.gz import gunzip

from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.webarchive.members import DamagedRecord, Fields, RecordTooLarge


def decoded(fields: Fields, body: bytes, limit: int = DEFAULT_MAX_READ) -> bytes:
    """The body as the spider saw it (captures keep the bytes as transferred), at most `limit`
    bytes of it: DamagedRecord past that, or for a body that cannot be decoded."""
    encoding = (fields.get(b"content-encoding") or b"").decode("latin-1").strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            return _gunzipped(body, limit)
        if encoding == "deflate":
            return _inflated(body, limit)
        if encoding == "br":
            return _unbrotli(body, limit)
    except _TooLarge as exc:
        raise RecordTooLarge(f"its body holds more than {limit} bytes once decoded") from exc
    except (OSError, EOFError, zlib.error, struct.error) as exc:
        raise DamagedRecord(f"its {encoding} body cannot be decoded ({exc})") from exc
    return body


class _TooLarge(ValueError):
    pass


def _gunzipped(body: bytes, limit: int) -> bytes:
    """As Scrapy's HttpCompressionMiddleware reads a gzip body (a bad CRC forgiven)."""
    try:
        return gunzip(body, max_size=limit)
    except ValueError as exc:  # Scrapy's "exceeded the specified maximum"
        raise _TooLarge from exc


def _inflated(body: bytes, limit: int) -> bytes:
    """A deflate body: zlib's format, or the raw deflate some servers send."""
    try:
        return _bounded(zlib.decompressobj(), body, limit)
    except zlib.error:
        return _bounded(zlib.decompressobj(-zlib.MAX_WBITS), body, limit)


def _bounded(inflater: Any, data: bytes, limit: int) -> bytes:
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise _TooLarge
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")
    return out


def _unbrotli(body: bytes, limit: int) -> bytes:
    import brotli  # Scrapy only asks for a br body when brotli is installed

    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise zlib.error(str(exc)) from exc
    if len(out) > limit:
        raise _TooLarge
    if not decompressor.is_finished():
        raise zlib.error("incomplete or truncated stream")
    return out

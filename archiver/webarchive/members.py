"""WARC records from their bytes: a gzip member found and inflated within a bound, a record's
headers split (ours, of the usual shape, here; any other shape through warcio), its digests
checked. archiver.webarchive.records reads them from files."""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from io import BytesIO
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

CHUNK = 64 * 1024
GZIP = b"\x1f\x8b"


# HTTP headers as a record holds them: lower-case names, a repeated one's last value.
Fields = dict[bytes, bytes]


class DamagedRecord(ValueError):
    """A record that cannot be read as it was written: cut short, larger than the read limit
    once decompressed, or not the record its index names."""


class RecordTooLarge(DamagedRecord):
    """A record larger than the read limit once decompressed (a gzip bomb, or a limit set
    below what was captured)."""


@dataclass(frozen=True)
class Record:
    """One WARC record, its payload as transferred (still content-encoded)."""

    kind: str  # WARC-Type
    url: str  # WARC-Target-URI
    warc_date: str  # WARC-Date, as written
    digest: str  # WARC-Payload-Digest
    status: int  # of its HTTP response; 0 for a record of no response
    headers: tuple[tuple[bytes, bytes], ...]  # HTTP headers, Transfer-Encoding left out
    body: bytes

    @cached_property
    def fields(self) -> Fields:
        return {name.lower(): value for name, value in self.headers}

    @property
    def captured_at(self) -> datetime | None:
        """When it was captured (its WARC-Date), which every record carries."""
        return warc_time(self.warc_date)


def warc_time(text: str | None) -> datetime | None:
    """A WARC-Date (`2026-11-29T23:00:00.123456Z`) as a UTC datetime; None for anything else."""
    try:
        moment = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def topped(handle: IO[bytes], pending: bytes) -> bytes:
    """What was read past the last record, with enough more to tell what the next one is (a
    read may have ended one byte into a gzip member's two-byte magic)."""
    while len(pending) < len(b"WARC/") and (more := handle.read(CHUNK)):
        pending += more
    return pending


def inflated_member(
    handle: IO[bytes], pending: bytes, offset: int, limit: int
) -> tuple[bytes, int, bytes]:
    """The gzip member at `offset`, whose first bytes are `pending`, inflated: (its bytes, its
    length in the file, what was read past it)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    parts: list[bytes] = []
    size = read = 0
    data = pending
    try:
        while True:
            part = inflater.decompress(data, limit + 1 - size)
            size += len(part)
            if size > limit:
                raise RecordTooLarge(_too_large(offset, limit))
            parts.append(part)
            read += len(data) - len(inflater.unconsumed_tail)
            if inflater.eof:
                break
            data = inflater.unconsumed_tail or handle.read(CHUNK)
            if not data:
                raise DamagedRecord(f"the record at offset {offset} is cut short")
    except zlib.error as exc:
        raise DamagedRecord(f"the record at offset {offset} cannot be inflated ({exc})") from exc
    past = inflater.unused_data
    return b"".join(parts), read - len(past), past


def whole_member(data: bytes, limit: int) -> bytes | None:
    """`data` inflated when it is exactly one whole gzip member within the limit (a capture
    read at the length its index gives: the usual case, in one step); None otherwise."""
    if data[:2] != GZIP:
        return None
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    whole = inflater.eof and not inflater.unused_data and len(out) <= limit
    return out if whole else None


def _too_large(offset: int, limit: int) -> str:
    return f"the record at offset {offset} holds more than {limit} bytes once decompressed"


def plain_record(handle: IO[bytes], offset: int, limit: int) -> bytes | None:
    """The record of an uncompressed file at `offset` (blank lines before it skipped), or
    None at the end of the file."""
    head = bytearray()
    while True:
        line = handle.readline(limit + 1 - len(head))
        if not line:
            if head:
                raise DamagedRecord(f"the record at offset {offset} is cut short")
            return None
        if not head and line in (b"\r\n", b"\n"):
            continue  # between two records
        head += line
        if len(head) > limit:
            raise RecordTooLarge(_too_large(offset, limit))
        if line in (b"\r\n", b"\n"):
            break
    length = _content_length(bytes(head))
    if not head.startswith(b"WARC/") or length is None:
        raise DamagedRecord(f"no WARC record at offset {offset}")
    if len(head) + length > limit:
        raise RecordTooLarge(_too_large(offset, limit))
    block = handle.read(length)
    if len(block) < length:
        raise DamagedRecord(f"the record at offset {offset} is cut short")
    return bytes(head) + block + handle.read(4)  # and the blank lines that end it


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


def records_in(data: bytes, *, check: bool = False) -> list[Record]:
    """The records these bytes hold: split here when of the usual shape, else by warcio.
    `check`: each record's digests verified (as warcio's check_digests does), DamagedRecord
    at one that fails."""
    split = _split(data)
    if split is not None and (not check or _digests_hold(*split)):
        return [_record(*split)]
    try:
        found = []
        for record in ArchiveIterator(BytesIO(data), check_digests=check):
            found.append(_from_warcio(record))  # read to its end: its digests computed
            if check and not _whole(record):
                raise DamagedRecord(f"a {record.rec_type} record fails its digest")
    except (ArchiveLoadFailed, EOFError, ValueError, zlib.error) as exc:
        if isinstance(exc, DamagedRecord):
            raise
        raise DamagedRecord(f"a record cannot be read ({exc})") from exc
    return found


def _whole(record: ArcWarcRecord) -> bool:
    """A record read to its end with its digests verified (warcio stops quietly at a cut)."""
    passed = record.digest_checker.passed
    if passed is None:  # nothing was checked: fine only for a record that declares no digest
        return not record.rec_headers.get_header("WARC-Block-Digest")
    return passed


def _from_warcio(record: ArcWarcRecord) -> Record:
    warc, http = record.rec_headers, record.http_headers
    status = http.get_statuscode() if http and record.rec_type == "response" else ""
    return Record(
        kind=record.rec_type or "",
        url=warc.get_header("WARC-Target-URI") or "",
        warc_date=warc.get_header("WARC-Date") or "",
        digest=warc.get_header("WARC-Payload-Digest") or "",
        status=int(status) if status and status.isdigit() else 0,
        # As Scrapy's Headers would hold what warcio decoded.
        headers=tuple(
            (name.encode("utf-8"), value.encode("utf-8"))
            for name, value in (http.headers if http else ())
            if name.lower() != "transfer-encoding"
        ),
        body=record.raw_stream.read(),  # within the bytes given, so within the limit
    )


# A WARC record split: its WARC headers (lower-case names), and its block; a response's
# status, HTTP headers and body (0, (), the block itself for another record).
_Split = tuple[dict[bytes, bytes], bytes, int, list[tuple[bytes, bytes]], bytes]


def _split(data: bytes) -> _Split | None:
    """A record of the usual shape, alone in `data`, split; None for anything else (folded
    headers, more than one record, cut short, a response's HTTP head of another shape)."""
    head, found, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    named = _header_lines(lines[1:]) if found and lines[0].startswith(b"WARC/1.") else None
    if named is None:
        return None
    warc = {name.lower(): value for name, value in named}
    length = warc.get(b"content-length", b"")
    if not length.isdigit() or len(rest) < int(length) or rest[int(length) :] not in _ENDS:
        return None
    block = rest[: int(length)]
    if warc.get(b"warc-type") != b"response":
        return warc, block, 0, [], block
    if not warc.get(b"content-type", b"").startswith(b"application/http"):
        return None
    http, found, body = block.partition(b"\r\n\r\n")
    lines = http.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    headers = _header_lines(lines[1:])
    if not found or len(status) < 2 or not status[1].isdigit() or headers is None:
        return None
    return warc, block, int(status[1]), headers, body


_ENDS = (b"", b"\r\n\r\n")


def _record(
    warc: dict[bytes, bytes],
    block: bytes,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> Record:
    return Record(
        kind=_kind(warc),
        url=warc.get(b"warc-target-uri", b"").decode("utf-8", errors="replace"),
        warc_date=warc.get(b"warc-date", b"").decode("latin-1"),
        digest=warc.get(b"warc-payload-digest", b"").decode("latin-1"),
        status=status,
        # Framing that no longer describes the (de-chunked) body.
        headers=tuple(pair for pair in headers if pair[0].lower() != b"transfer-encoding"),
        body=body,
    )


def _digests_hold(
    warc: dict[bytes, bytes],
    block: bytes,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> bool:
    """Whether a record's digests, checked here, hold: the block's over the block, the
    payload's over what follows an HTTP head (as warcio computes them); DamagedRecord when one
    fails. False leaves the record to warcio: a revisit, another algorithm than SHA-1."""
    if warc.get(b"warc-type") == b"revisit":
        return False  # its digests are the original's
    payload = None
    if warc.get(b"content-type", b"").startswith(b"application/http"):
        _, found, payload = block.partition(b"\r\n\r\n")
        if not found:
            return False
    for name, data in ((b"warc-block-digest", block), (b"warc-payload-digest", payload)):
        declared = warc.get(name)
        if declared is None or data is None:
            continue
        algorithm, _, value = declared.partition(b":")
        if algorithm.lower() != b"sha1" or len(value) != 32:
            return False
        if base64.b32encode(hashlib.sha1(data).digest()) != value.upper():
            raise DamagedRecord(f"a {_kind(warc)} record fails its {name[5:].decode()}")
    return True


def _kind(warc: dict[bytes, bytes]) -> str:
    return warc.get(b"warc-type", b"").decode("latin-1")


def split_record(data: bytes) -> Record | None:
    """A WARC response record of the usual shape, alone in `data`, split; None for anything
    else (another type, folded headers, more than one record, cut short)."""
    split = _split(data)
    return _record(*split) if split is not None and split[2] else None


def _header_lines(lines: list[bytes]) -> list[tuple[bytes, bytes]] | None:
    """`Name: value` lines as pairs; None for anything else (a folded line, say)."""
    pairs = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name[:1] in (b" ", b"\t"):
            return None
        pairs.append((name.rstrip(), value.strip()))
    return pairs

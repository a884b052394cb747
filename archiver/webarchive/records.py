"""The one reader of WARC records: the response a capture names, or every record of a file, each
read with a bound.

Whatever reads a capture (replay, rerender, `verify --repair`, `package`) and whatever reads a
whole file (`verify --warc`, a WARC without its index) goes through here. A record is held at
most `limit` bytes (ARCHIVE_MAX_READ_SIZE) once decompressed, its gzip member and then its
Content-Encoding alike: a member of a megabyte can inflate to gigabytes, so the bound is on
what comes out, never on what is read in. A record over it, cut short, or other than the one
its CDXJ line names is `DamagedRecord`, never a traceback.

A record of the usual shape (ours: one per gzip member, `Name: value` headers) is split here
(warcio's record parser took a third of the time of reading thousands of captures); any other
shape is handed to warcio, as the bytes read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.webarchive.encoding import decoded
from archiver.webarchive.members import (
    CHUNK,
    GZIP,
    DamagedRecord,
    Record,
    inflated_member,
    plain_record,
    records_in,
    topped,
    whole_member,
)

logger = logging.getLogger(__name__)


_BUFFER = 1024 * 1024  # a whole file read record by record: few, large reads


MISINDEXED = (
    "its CDXJ index points at other records; read the file to find them "
    "(`verify --warc --repair` indexes it again)"
)


@dataclass(frozen=True)
class Capture:
    """One response record: the WARC file, where its record starts, what it answered."""

    path: Path
    offset: int
    url: str
    status: int = 0
    mime: str = ""
    length: int = 0
    digest: str = ""


class WarcReader:
    """Records of WARC files, each held at most `limit` bytes once decompressed."""

    def __init__(self, limit: int = DEFAULT_MAX_READ, *, warn: bool = True) -> None:
        self.limit = limit
        # Files whose index named another record: where each (URL, digest) really is.
        self._found: dict[Path, dict[tuple[str, str], int]] = {}
        self.misindexed: set[str] = set()  # those files, to be told of
        self.warn = warn  # False: the caller tells of `misindexed` itself (rerender's workers)

    def response(self, capture: Capture) -> Record:
        """The response record a capture names (checked: its URL, and its payload digest when
        the index gives one). Where the index points at another record, the file is read to
        find it (one line says so, once a file); DamagedRecord when it cannot be read."""
        found = self._at(capture.path, capture.offset, capture)
        if found is not None:
            return found
        offset = self._located(capture.path).get((capture.url, capture.digest))
        found = self._at(capture.path, offset, capture) if offset is not None else None
        if found is None:
            raise DamagedRecord(f"no response of {capture.url} in {capture.path.name}")
        return found

    def _at(self, path: Path, offset: int, capture: Capture) -> Record | None:
        """The capture's record, read at `offset`; None when no record starts there, or the
        one there is another."""
        with path.open("rb") as handle:
            handle.seek(offset)
            # The length its index gives, read at once: most records are one read.
            first = handle.read(min(capture.length, self.limit) or CHUNK)
            if first[:2] != GZIP and not first.startswith(b"WARC/"):
                return None
            data = whole_member(first, self.limit)
            if data is None:  # more to read, or not one gzip member: record by record
                read = next(self.raw(handle, first), None)
                if read is None:
                    return None
                data = read[2]
        return next((r for r in records_in(data) if names(r, capture)), None)

    def _located(self, path: Path) -> dict[tuple[str, str], int]:
        """(URL, digest) -> the offset of its response, for a file its index misleads about."""
        if (located := self._found.get(path)) is None:
            self.misindexed.add(str(path))
            if self.warn:
                logger.warning("WARC %s: %s", path, MISINDEXED)
            located = self._found[path] = {}
            with path.open("rb", buffering=_BUFFER) as handle:
                try:
                    for offset, _, data in self.raw(handle):
                        for record in records_in(data):
                            if record.kind == "response":
                                located.setdefault((record.url, record.digest), offset)
                                located.setdefault((record.url, ""), offset)
                except DamagedRecord:
                    pass  # what precedes the damage is found; the rest is lost
        return located

    def raw(self, handle: IO[bytes], first: bytes = b"") -> Iterator[tuple[int, int, bytes]]:
        """(offset, length in the file, bytes) of each record from where `handle` stands to
        the end: a gzip member inflated (several records, if a member holds several), or one
        record of an uncompressed file. DamagedRecord at a record cut short or over the
        limit. `first`: what was read from the handle already, from the first record on."""
        offset = handle.tell() - len(first)
        pending = first
        while pending := topped(handle, pending):
            if pending[:2] == GZIP:
                data, size, pending = inflated_member(handle, pending, offset, self.limit)
            else:
                handle.seek(offset)
                if (plain := plain_record(handle, offset, self.limit)) is None:
                    return
                data, size, pending = plain, handle.tell() - offset, b""
            yield offset, size, data
            offset += size

    def decoded(self, record: Record) -> bytes:
        """The payload as the spider saw it (its Content-Encoding undone), within the limit."""
        return decoded(record.fields, record.body, self.limit)


def names(record: Record, capture: Capture) -> bool:
    """Whether this is the response a capture (a CDXJ line) names."""
    return (
        record.kind == "response"
        and record.url == capture.url
        and (not capture.digest or record.digest == capture.digest)
    )

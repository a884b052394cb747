"""Where each capture is: a CDXJ index beside every WARC file, and the captures of many files.

The index is the format pywb and ReplayWeb.page read (`cdxj-indexer` writes it): one line per
response record, `<SURT> <timestamp> {"url", "mime", "status", "digest", "length", "offset",
"filename"}`, sorted. `<name>.warc.gz` gets `<name>.cdxj`, written atomically once its WARC is
closed, so a WARC without an index is one a run did not finish (a crash): only such a file, or
one whose index does not match it, is scanned record by record.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.recordloader import ArcWarcRecord

from archiver.archive.storage import DEFAULT_MAX_READ, atomic_write
from archiver.webarchive.members import DamagedRecord, Record, RecordTooLarge, records_in
from archiver.webarchive.records import Capture, WarcReader

logger = logging.getLogger(__name__)

# cdxj-indexer's MIME type: a Content-Type up to its first `;` or blank.
_MIME_END = re.compile(r"[;\s]")
# `<spider>-<UTC time>-<pid>[-<part>].warc.gz`: the name the capture gives each file.
_NAME = re.compile(r"^(?P<run>.+-(?P<stamp>\d{8}T\d{6}Z)-\d+)(?:-(?P<part>\d+))?\.warc(?:\.gz)?$")


def warc_files(path: Path) -> list[Path]:
    """The WARC files of a folder in capture order (the latest last), or the one file given."""
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.name.endswith((".warc", ".warc.gz"))]
        return sorted(found, key=capture_order)
    return [path]


def capture_order(path: Path) -> tuple[str, str, int, str]:
    """Runs by their start time, a run's parts in order; other names after, by name."""
    match = _NAME.match(path.name)
    if match is None:
        return ("~", "", 0, path.name)
    return (match["stamp"], match["run"], int(match["part"] or 0), path.name)


def run_name(path: Path) -> str:
    """The run a WARC file is of (`<spider>-<UTC time>-<pid>`, a part's number left out), or
    the file's own name when it is not named as the capture names files."""
    match = _NAME.match(path.name)
    return match["run"] if match else path.name


def cdxj_path(warc: Path) -> Path:
    name = re.sub(r"\.warc(\.gz)?$", "", warc.name)
    return warc.with_name(f"{name}.cdxj")


def write_cdxj(warc: Path) -> Path:
    """Index a closed WARC file beside it (sorted CDXJ, atomically); returns the index's path."""
    # Imported here: cdxj-indexer is a third of a second of imports, and every `scrapy` command
    # imports this module, most of them never to write an index.
    from cdxj_indexer.main import CDXJIndexer

    out = io.StringIO()
    CDXJIndexer(out, [str(warc)], sort=True).process_all()
    target = cdxj_path(warc)
    atomic_write(target, out.getvalue().encode("utf-8"))
    return target


def write_cdxj_lines(warc: Path, lines: list[str]) -> Path:
    """The index of a closed WARC file from its lines (`cdxj_line`), sorted as cdxj-indexer
    sorts them: what write_cdxj would write, without reading the file again."""
    target = cdxj_path(warc)
    atomic_write(target, "".join(sorted(lines)).encode("utf-8"))
    return target


def cdxj_line(record: ArcWarcRecord, offset: int, length: int, filename: str) -> str:
    """The line cdxj-indexer writes for a response record that starts at `offset` of the file
    `filename` and takes `length` bytes there (gzipped): made as the record is written.

    Its fields, in its order: each header as the record holds it, the MIME type up to its first
    `;` or blank, a URL SURT cannot read as the key itself (as cdxj-indexer does).
    """
    from surt import surt  # imported by capture runs only (tldextract: a fifth of a second)
    from warcio.timeutils import iso_date_to_timestamp

    headers = record.rec_headers
    fields: dict[str, str] = {}
    url = headers.get_header("WARC-Target-URI")
    if url is not None:
        fields["url"] = url
    http = record.http_headers
    mime = http.get_header("Content-Type") if http else None
    if mime:
        mime = _MIME_END.split(mime, 1)[0].strip()
    if mime is not None:
        fields["mime"] = mime
    if http:
        fields["status"] = http.get_statuscode()
    digest = headers.get_header("WARC-Payload-Digest")
    if digest is not None:
        fields["digest"] = digest
    fields |= {"length": str(length), "offset": str(offset), "filename": filename}
    try:
        key = surt(url)
    except Exception:  # noqa: BLE001 - cdxj-indexer keys any URL SURT fails on by itself
        key = url
    date = iso_date_to_timestamp(headers.get_header("WARC-Date"))
    return f"{key} {date} {json.dumps(fields)}\n"


def read_cdxj(warc: Path, limit: int = DEFAULT_MAX_READ) -> list[Capture] | None:
    """The captures its index lists, or None when the index is missing or not sound.

    Sound: every line parses, names this file, and ends within it, the index is not older
    than the file (a WARC written after its index was made would have records it lacks), and
    not larger than `limit` bytes (ARCHIVE_MAX_READ_SIZE: it is read whole).
    """
    index = cdxj_path(warc)
    try:
        found = warc.stat()
        listed = index.stat()
        if listed.st_mtime_ns < found.st_mtime_ns or listed.st_size > limit:
            return None
        lines = index.read_text(encoding="utf-8").splitlines()
        # One JSON text for the whole file: a year of runs is tens of thousands of lines.
        rows = json.loads(f"[{','.join(line.split(' ', 2)[2] for line in lines)}]")
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        return None
    if len(rows) != len(lines):  # a line that held more than one JSON value
        return None
    captures = []
    name = warc.name
    for fields in rows:
        try:
            if "url" not in fields:  # the warcinfo record: no capture of anything
                continue
            capture = Capture(
                warc,
                int(fields["offset"]),
                fields["url"],
                int(fields.get("status") or 0),
                fields.get("mime", ""),
                int(fields["length"]),
                fields.get("digest", ""),
            )
        except (KeyError, ValueError, TypeError, AttributeError):
            return None
        if fields.get("filename") != name or capture.offset + capture.length > found.st_size:
            return None
        captures.append(capture)
    return captures


class Damaged(Exception):
    """A WARC file that cannot be read to its end: `whole` records were, then `reason`;
    `too_large`: the record there holds more than the read limit (the rest was not read)."""

    def __init__(self, whole: int, reason: str, too_large: bool = False) -> None:
        super().__init__(f"damaged after {whole} whole records ({reason})")
        self.whole = whole
        self.reason = reason
        self.too_large = too_large


def scan(warc: Path, found: list[Capture], limit: int = DEFAULT_MAX_READ) -> None:
    """Read every record, digests checked, appending its responses to `found`; Damaged at the
    first record that is cut short, fails its digest or holds more than `limit` bytes once
    decompressed (what precedes it stays in `found`)."""
    whole = 0
    with warc.open("rb", buffering=1024 * 1024) as handle:
        try:
            for offset, length, data in WarcReader(limit).raw(handle):
                for record in _checked(data, offset):
                    if record.kind == "response" and record.url:
                        status, digest = record.status, record.digest
                        found.append(Capture(warc, offset, record.url, status, "", length, digest))
                    whole += 1
        except DamagedRecord as exc:
            raise Damaged(whole, str(exc), isinstance(exc, RecordTooLarge)) from exc
        except OSError as exc:
            raise Damaged(whole, str(exc) or type(exc).__name__) from exc


def _checked(data: bytes, offset: int) -> list[Record]:
    """The records of the member at `offset`, digests checked; DamagedRecord says where."""
    try:
        return records_in(data, check=True)
    except DamagedRecord as exc:
        raise DamagedRecord(f"at offset {offset}: {exc}") from exc


@dataclass
class Lookup:
    """How the captures of a set of WARC files were found."""

    indexed: int = 0  # files read through their index
    scanned: int = 0  # files without a sound index, read whole
    damaged: int = 0  # of those, files cut short or with a bad digest


def captures_of(
    source: Path, lookup: Lookup | None = None, limit: int = DEFAULT_MAX_READ
) -> Iterator[Capture]:
    """Every response record of the WARC files at `source`, in capture order, from each file's
    index, or by a scan of a file without a sound one (one line for a damaged file). `limit`:
    ARCHIVE_MAX_READ_SIZE, the most bytes an index or a record is read to."""
    lookup = lookup if lookup is not None else Lookup()
    for warc in warc_files(source):
        listed = read_cdxj(warc, limit)
        if listed is not None:
            lookup.indexed += 1
            yield from sorted(listed, key=lambda c: c.offset)
            continue
        lookup.scanned += 1
        found: list[Capture] = []
        try:
            scan(warc, found, limit)
        except Damaged as exc:
            lookup.damaged += 1
            logger.error(
                "WARC %s is damaged after %d whole records (%s): replaying those, the rest is lost",
                warc,
                exc.whole,
                exc.reason,
            )
        yield from found


def latest_captures(
    source: Path, lookup: Lookup | None = None, limit: int = DEFAULT_MAX_READ
) -> dict[str, Capture]:
    """Each URL's latest capture."""
    return {capture.url: capture for capture in captures_of(source, lookup, limit)}

"""`archiver.webarchive.records`: the one reader of WARC records, every read bounded, every record
checked against the index line that names it."""

from __future__ import annotations

import gzip
import zlib
from io import BytesIO
from pathlib import Path

import brotli
import pytest
from warcio.statusandheaders import StatusAndHeaders

from archiver.archive.index import ArchiveIndex, DamagedRow
from archiver.webarchive.cdxj import Damaged, captures_of, read_cdxj, scan, write_cdxj
from archiver.webarchive.encoding import decoded
from archiver.webarchive.members import DamagedRecord, RecordTooLarge
from archiver.webarchive.middleware import FastGzipWARCWriter
from archiver.webarchive.records import Capture, WarcReader

LIMIT = 64 * 1024


def write_warc(path: Path, responses: list[tuple[str, bytes, list[tuple[str, str]]]]) -> Path:
    """A WARC of responses (URL, body, extra headers), each a gzip member, and its index."""
    with path.open("wb") as handle:
        writer = FastGzipWARCWriter(handle, gzip=True, warc_version="1.1")
        for url, body, extra in responses:
            headers = [("Content-Type", "application/json"), *extra]
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body), http_headers=http
            )
            writer.write_record(record)
    write_cdxj(path)
    return path


def test_a_record_is_read_as_captured_with_its_capture_time(tmp_path):
    warc = write_warc(tmp_path / "a.warc.gz", [("https://x/1", b'{"a": 1}', [])])
    [capture] = read_cdxj(warc) or []
    record = WarcReader().response(capture)
    assert (record.status, record.body, record.url) == (200, b'{"a": 1}', "https://x/1")
    assert record.fields[b"content-type"] == b"application/json"
    assert record.captured_at is not None and record.captured_at.tzinfo is not None


def test_a_record_that_inflates_past_the_limit_is_damaged_not_read(tmp_path):
    bomb = bytes(LIMIT * 16)
    warc = write_warc(
        tmp_path / "a.warc.gz", [("https://x/1", b"{}", []), ("https://x/2", bomb, [])]
    )
    assert warc.stat().st_size < LIMIT  # a few kilobytes on disk
    small, large = read_cdxj(warc) or []
    reader = WarcReader(LIMIT)
    assert reader.response(small).body == b"{}"
    with pytest.raises(RecordTooLarge, match=f"holds more than {LIMIT} bytes once decompressed"):
        reader.response(large)
    with pytest.raises(Damaged, match="damaged after 1 whole records") as caught:
        scan(warc, [], LIMIT)  # the small one read, the large one not
    assert caught.value.too_large


@pytest.mark.parametrize(
    ("encoding", "squeeze"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # the raw deflate some servers send
        ("br", brotli.compress),
    ],
)
def test_a_body_is_decoded_within_the_limit(encoding, squeeze):
    fields = {b"content-encoding": encoding.encode()}
    assert decoded(fields, squeeze(b"x" * LIMIT), LIMIT) == b"x" * LIMIT
    with pytest.raises(RecordTooLarge, match=f"its body holds more than {LIMIT} bytes"):
        decoded(fields, squeeze(b"x" * (LIMIT + 1)), LIMIT)
    with pytest.raises(DamagedRecord):
        decoded(fields, b"not compressed at all", LIMIT)


def test_a_record_cut_short_is_damaged(tmp_path):
    warc = write_warc(tmp_path / "a.warc.gz", [("https://x/1", bytes(range(256)) * 64, [])])
    [capture] = read_cdxj(warc) or []
    warc.write_bytes(warc.read_bytes()[: capture.offset + capture.length // 2])
    with pytest.raises(DamagedRecord, match=f"the record at offset {capture.offset} is cut short"):
        WarcReader().response(capture)


def test_a_capture_pointing_at_another_record_is_found_by_reading_the_file(tmp_path, caplog):
    warc = write_warc(
        tmp_path / "a.warc.gz", [("https://x/1", b'"one"', []), ("https://x/2", b'"two"', [])]
    )
    one, two = read_cdxj(warc) or []
    reader = WarcReader()
    for wrong in (0, two.offset, one.offset + 3, warc.stat().st_size + 10):
        assert reader.response(Capture(warc, wrong, one.url, digest=one.digest)).body == b'"one"'
    assert len([r for r in caplog.records if "points at other records" in r.message]) == 1
    with pytest.raises(DamagedRecord, match="no response of https://x/3"):
        reader.response(Capture(warc, one.offset, "https://x/3"))
    # The right URL, another digest: not the capture the line names.
    with pytest.raises(DamagedRecord):
        reader.response(Capture(warc, one.offset, one.url, digest=two.digest))


def test_an_uncompressed_warc_is_read_and_bounded_too(tmp_path):
    packed = write_warc(
        tmp_path / "a.warc.gz", [("https://x/1", b"{}", []), ("https://x/2", bytes(LIMIT * 2), [])]
    )
    plain = tmp_path / "a.warc"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    found: list[Capture] = []
    with pytest.raises(Damaged, match="holds more than"):
        scan(plain, found, LIMIT)
    [small] = found
    assert WarcReader(LIMIT).response(small).body == b"{}"
    assert [c.url for c in captures_of(plain, limit=LIMIT * 4)] == ["https://x/1", "https://x/2"]


def test_an_index_larger_than_the_limit_is_not_read(tmp_path):
    warc = write_warc(tmp_path / "a.warc.gz", [("https://x/1", b"{}", [])])
    assert read_cdxj(warc, LIMIT) is not None
    assert read_cdxj(warc, 10) is None  # then the file is scanned, record by record


def test_index_rows_larger_than_the_limit_are_not_read(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3", max_read=100)
    with index.db:
        index.db.execute(
            "INSERT INTO versions VALUES ('answer:1', 'p', 1, 'h', ?, 'now')", (b"x" * 101,)
        )
        index.db.execute(
            "INSERT INTO versions VALUES ('answer:1', 'p', 2, 'h', ?, 'now')", (b"y" * 100,)
        )
    assert index.versions("answer:1") == [(2, b"y" * 100)]
    index.record_comments("answer:1", 1, "[" + " " * 200 + "]", "now")
    with pytest.raises(DamagedRow, match="hold more than 100 bytes"):
        index.comments("answer:1")


def test_a_record_whose_bytes_changed_fails_its_digest(tmp_path):
    warc = write_warc(tmp_path / "a.warc.gz", [("https://x/1", b'{"a": "original"}', [])])
    record = gzip.decompress(warc.read_bytes())
    warc.write_bytes(gzip.compress(record.replace(b"original", b"tampered")))
    with pytest.raises(Damaged, match="at offset 0: a response record fails its block-digest"):
        scan(warc, [])
    # A digest of another algorithm is left to warcio, which checks it all the same.
    other = record.replace(b"sha1:", b"md5:", 1)
    warc.write_bytes(gzip.compress(other))
    with pytest.raises(Damaged, match=r"fails its digest|unknown hash algorithm"):
        scan(warc, [])


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64 * 1024])
def test_a_whole_file_is_read_whatever_the_reads_boundaries(tmp_path, monkeypatch, chunk):
    """Reads of any size: a read that ends inside a member's magic bytes (as one of 64 KiB
    did in a year-sized archive) still finds the member."""
    responses = [(f"https://x/{n}", bytes(range(n % 251)) * 3, []) for n in range(40)]
    packed = write_warc(tmp_path / "a.warc.gz", responses)
    plain = tmp_path / "a.warc"
    plain.write_bytes(gzip.decompress(packed.read_bytes()))
    monkeypatch.setattr("archiver.webarchive.members.CHUNK", chunk)
    monkeypatch.setattr("archiver.webarchive.records.CHUNK", chunk)
    for warc in (packed, plain):
        found: list[Capture] = []
        scan(warc, found)
        assert [c.url for c in found] == [url for url, _, _ in responses]
        reader = WarcReader()
        assert [reader.response(c).body for c in found] == [body for _, body, _ in responses]

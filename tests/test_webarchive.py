"""WARC capture and replay: standard files, no secrets, byte-identical re-rendering."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from scrapy.http import Headers
from warcio.archiveiterator import ArchiveIterator

from archiver.webarchive.middleware import header_pairs, redact
from tests.support.crawling import (
    SECRET_MARKERS,
    crawl,
    files,
    posts,
    replay,
)

ARCHIVE_URLS = (
    "https://www.zhihu.com/answer/3100000000000000001",
    "https://zhuanlan.zhihu.com/p/23141946",
)


def test_secrets_are_redacted():
    assert redact("Cookie", "z_c0=abc") == "<redacted>"
    assert redact("authorization", "Bearer x") == "<redacted>"
    assert redact("x-zse-96", "2.0_sig") == "<redacted>"
    assert redact("Set-Cookie", "__zse_ck=001_abc; Path=/") == "__zse_ck=<redacted>"
    assert redact("User-Agent", "Mozilla") == "Mozilla"
    pairs = header_pairs(
        Headers({"Cookie": "a=1", "Transfer-Encoding": "chunked", "Accept": "*/*"})
    )
    assert pairs == [("Cookie", "<redacted>"), ("Accept", "*/*")]


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    archive = tmp_path_factory.mktemp("captured")
    run = crawl(archive)
    assert run.code == 0, run.log
    [warc] = (archive / ".archiver" / "warc").glob("hotlist-*.warc.gz")
    return archive, warc


def test_one_gzipped_warc_per_run_with_request_and_response_records(captured):
    _, warc = captured
    with warc.open("rb") as handle:
        records = list(ArchiveIterator(handle))  # warcio's own reader, digests checked on read
    assert records[0].rec_type == "warcinfo"
    assert {r.rec_headers.protocol for r in records} == {"WARC/1.1"}
    responses = [r for r in records if r.rec_type == "response"]
    requests = [r for r in records if r.rec_type == "request"]
    assert len(responses) == len(requests) >= 16  # the hot list, answers, figures
    for record in responses:
        for header in ("WARC-Target-URI", "WARC-Date", "WARC-Payload-Digest", "WARC-Block-Digest"):
            assert record.rec_headers.get_header(header), header
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in responses}
    assert (
        "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50&desktop=true" in uris
    )
    assert any(u.startswith("https://pic1.zhimg.com/") for u in uris)


def test_warcio_check_passes(captured):
    _, warc = captured
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from warcio.cli import main; main(sys.argv[1:])",
            "check",
            "-v",
            str(warc),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "digest pass" in done.stdout and "fail" not in done.stdout


def test_no_secret_anywhere_in_the_warc(captured):
    _, warc = captured
    raw = warc.read_bytes()
    text = gzip.decompress(raw)
    for secret in (*(m.encode() for m in SECRET_MARKERS), b"z_c0=2|1"):
        assert secret not in raw and secret not in text
    assert b"Cookie: <redacted>" in text
    assert b"x-zse-96: <redacted>" in text.lower()


def test_replay_renders_the_same_posts_and_images_without_the_network(captured, tmp_path):
    archive, warc = captured
    code, log = replay(tmp_path, warc.parent)
    assert code == 0, log
    assert "Replaying 15 responses" in log
    assert files(tmp_path) == files(archive)


def test_archive_and_feed_runs_replay_too(tmp_path):
    first = crawl(tmp_path / "a", command=("archive", *ARCHIVE_URLS))
    assert first.code == 0, first.log
    code, log = replay(
        tmp_path / "b", tmp_path / "a" / ".archiver" / "warc", ("archive", *ARCHIVE_URLS)
    )
    assert code == 0, log
    assert files(tmp_path / "b") == files(tmp_path / "a")
    feed = ("crawl", "feed", "-a", "url=https://blog.example.org/feed/atom")
    first = crawl(tmp_path / "c", command=feed, settings=("WARC_ENABLED=True",))
    assert first.code == 0, first.log
    code, log = replay(tmp_path / "d", tmp_path / "c" / ".archiver" / "warc", feed)
    assert code == 0, log
    assert files(tmp_path / "d") == files(tmp_path / "c")


def test_a_request_missing_from_the_warc_fails_clearly(captured, tmp_path):
    _, warc = captured
    code, log = replay(
        tmp_path, warc, ("archive", "https://www.zhihu.com/answer/3100000000000000001")
    )
    assert code == 1, log
    assert "not in the replayed WARC files" in log
    assert "'archiver/replay/missing': 1" in log


def test_a_truncated_warc_replays_what_is_intact(captured, tmp_path):
    _, warc = captured
    data = warc.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _, log = replay(tmp_path / "archive", cut)
    assert f"WARC {cut} is damaged after" in log and "replaying those, the rest is lost" in log
    assert "'archiver/replay/damaged_files': 1" in log
    assert "not in the replayed WARC files" in log
    served = int(log.split("Replaying ")[1].split(" ")[0])
    assert 0 < served < 15
    assert posts(tmp_path / "archive")  # what was intact still became posts
    for text in posts(tmp_path / "archive").values():
        assert text.endswith(b"  \n</div>\n" + b" " * 12)


def test_a_hot_list_served_without_a_date_replays_to_the_same_bytes(tmp_path, fixture_server):
    """Without a Date header the hot list is dated by its capture (WARC-Date), in the crawl
    and in its replay alike: the history pages and their charts come out the same."""
    live = tmp_path / "live"
    run = crawl(live, server=fixture_server(dated=False))
    assert run.code == 0, run.log
    [warc] = (live / ".archiver" / "warc").glob("hotlist-*.warc.gz")
    assert b"\r\nDate: " not in gzip.decompress(warc.read_bytes())  # served without one
    pages = [p for p in files(live) if "知乎热榜日报" in p or p.startswith("images/hotlist/")]
    assert len(pages) >= 4  # the day's, week's and month's pages, and their charts
    code, log = replay(tmp_path / "again", warc.parent)
    assert code == 0, log
    assert files(tmp_path / "again") == files(live)

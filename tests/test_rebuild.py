"""`archiver.rerender.rebuild`: items again from captured responses, the hot lists read only
when needed."""

from __future__ import annotations

import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from scrapy.settings import Settings

from archiver.archive.index import IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import Publisher
from archiver.pipelines.posts import publish_options
from archiver.rerender.rebuild import Captured
from archiver.webarchive.cdxj import captures_of
from archiver.webarchive.members import records_in, split_record
from archiver.webarchive.records import WarcReader
from tests.support.warcs import HOT, HOT_URL, answers, hot_list, page_url, write_run


@pytest.fixture
def warcs(tmp_path):
    folder = tmp_path / "archive" / ".archiver" / "warc"
    folder.mkdir(parents=True)
    figure = '<p>有图</p><figure><img src="https://pic1.zhimg.com/v2-aa_720w.jpg"></figure>'
    write_run(folder, 0, [(HOT_URL, hot_list(("1", "旧标题", "https://pic1.zhimg.com/old.jpg")))])
    write_run(
        folder,
        1,
        [
            (HOT_URL, hot_list(("1", "新标题", ""), ("2", "第二题", ""))),
            (page_url("1"), answers("1", "11", "", "<p>没有图</p>")),
            (page_url("2"), answers("2", "22", "第二题", figure)),
        ],
    )
    write_run(
        folder, 2, [(HOT_URL, hot_list(("1", "后来的标题", "https://pic1.zhimg.com/new.jpg")))]
    )
    return folder


def entry(key: str, path: str) -> IndexEntry:
    kind, item_id = key.split(":")
    return IndexEntry(key, kind, item_id, "", "", "", path, 0, "")


def test_a_missing_question_title_is_the_hot_lists_of_its_time(warcs):
    captured = Captured(warcs, HOT)
    # The list captured just before the page names the question; a later one does not count.
    assert captured.posts["answer:11"].title == "新标题"
    assert captured.posts["answer:22"].title == "第二题"


@pytest.mark.parametrize(
    ("mode", "wanted"), [("remote", "https://pic1.zhimg.com/new.jpg"), ("local", "")]
)
def test_the_hot_image_is_the_latest_given_and_only_for_a_post_without_a_figure(
    warcs, tmp_path, mode, wanted
):
    settings = Settings()
    settings.setmodule("archiver.settings")
    settings.set("ARCHIVE_DIR", str(tmp_path / "archive"))
    settings.set("ARCHIVE_IMAGES", mode)
    layout = Layout.of(settings)
    publisher = Publisher.open(layout.root, layout.index, publish_options(settings))
    try:
        captured = Captured(warcs, HOT)
        index = publisher.index
        path = "_posts/社交媒体/知乎/知乎热榜/answer-{}.md"
        bare = captured.item_for(entry("answer:11", path.format(11)), index, publisher)
        assert bare is not None and bare.hot_image == wanted
        other = captured.item_for(entry("answer:22", path.format(22)), index, publisher)
        assert other is not None and other.hot_image == ""  # its figure is its head image
        elsewhere = captured.item_for(entry("answer:11", "_posts/x/answer-11.md"), index, publisher)
        assert elsewhere is not None and elsewhere.hot_image == ""  # not the hot list's post
        assert captured.item_for(entry("answer:99", path.format(99)), index, publisher) is None
    finally:
        publisher.close()


def test_records_read_straight_from_their_member_as_warcio_reads_them(warcs):
    reader = WarcReader()
    for capture in captures_of(warcs):
        with capture.path.open("rb") as handle:
            handle.seek(capture.offset)
            _, _, data = next(reader.raw(handle))
        split = split_record(data)
        [read] = records_in(data + b"\r\n")  # no longer the usual shape: warcio reads it
        assert split is not None and split == read


def test_a_record_of_another_shape_is_left_to_warcio(warcs):
    capture = next(iter(captures_of(warcs)))
    with capture.path.open("rb") as handle:
        handle.seek(capture.offset)
        record = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(handle.read(capture.length))
    assert split_record(record) is not None
    folded = record.replace(b"\r\nContent-Type: application/json", b"\r\n  folded", 1)
    assert split_record(folded) is None
    assert split_record(record.replace(b"WARC-Type: response", b"WARC-Type: revisit")) is None
    assert split_record(record[:200]) is None


def test_a_daily_story_is_dated_by_the_listing_it_was_fetched_from(tmp_path):
    """Served just after midnight in Beijing, a story of the day before keeps its listing's day
    and the publication hour the listing gave it, as the crawl dated it."""
    folder = tmp_path / "warc"
    folder.mkdir()
    api = "https://news-at.zhihu.com/api/4"
    story = {"id": 9001, "title": "日报", "body": "<p>正文</p>", "type": 0}
    listing = {"date": "20260101", "stories": [{"id": 9001, "ga_prefix": "010122"}]}
    # Run 8 starts at 16:00 UTC: 00:00 on 2026-01-02 in Beijing.
    write_run(folder, 8, [(f"{api}/stories/latest", listing), (f"{api}/news/9001", story)])
    write_run(folder, 9, [(f"{api}/news/9002", {**story, "id": 9002})])  # listed nowhere
    posts = Captured(folder, HOT).posts
    beijing = ZoneInfo("Asia/Shanghai")
    assert posts["daily:9001"].updated == datetime(2026, 1, 1, 22, tzinfo=beijing).timestamp()
    # Without a listing: the start of the day it was served (18:00 UTC is 02:00 on the 2nd).
    assert posts["daily:9002"].updated == datetime(2026, 1, 2, tzinfo=beijing).timestamp()


def test_a_story_served_without_a_date_is_dated_by_its_capture(tmp_path):
    """No Date header, no listing: the day it was captured (its WARC-Date), as the crawl dated
    it, never the day it is re-rendered."""
    folder = tmp_path / "warc"
    folder.mkdir()
    story = {"id": 9003, "title": "日报", "body": "<p>正文</p>", "type": 0}
    write_run(folder, 9, [("https://news-at.zhihu.com/api/4/news/9003", story)], dated=False)
    posts = Captured(folder, HOT).posts
    beijing = ZoneInfo("Asia/Shanghai")
    assert posts["daily:9003"].updated == datetime(2026, 1, 2, tzinfo=beijing).timestamp()


def test_shares_of_the_captures_hold_each_item_at_its_latest_capture(warcs):
    """Read in two shares, every item is taken once, from the same capture as read whole."""
    whole = Captured(warcs, HOT)
    taken: dict[str, int] = {}
    for number in range(2):
        share = Captured(warcs, HOT, parse=False)
        share.parse(share.sources[number::2])
        for key, place in share.taken.items():
            taken[key] = max(place, taken.get(key, -1))
            if place == whole.taken[key]:
                assert share.posts[key] == whole.posts[key]
    assert taken == whole.taken

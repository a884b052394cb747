"""Zhihu Daily: listings and stories to items (pure), the walk back by day, its argument checks."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

import pytest
from lxml.html import fragment_fromstring
from scrapy.http import TextResponse

from archiver.config import past_day
from archiver.items import Post, Skip
from archiver.post.render import PostOptions, post_text
from archiver.spiders.daily import DailySpider, window_problems
from archiver.zhihu.daily import (
    FIRST_ISSUE,
    ga_prefix_time,
    parse_listing,
    parse_story,
    story_content,
    story_post,
)
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.urls import before_url, latest_url, story_url
from tests.support.fixture_server import FIXTURES
from tests.support.project import PROJECT_SETTINGS, project_crawler

API = FIXTURES / "news-at.zhihu.com/api/4"
DAY = date(2026, 11, 29)


def fixture(name: str) -> str:
    return (API / name).read_text(encoding="utf-8")


def utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


# Listings


def test_the_latest_listing_names_each_story_once_top_stories_after():
    listing = parse_listing(fixture("stories/latest.json"))
    assert listing.day == DAY
    # 9800101 is a story and a top story; 9800090, a top story of the day before, comes last
    assert [s.id for s in listing.stories] == ["9800101", "9800102", "9800103", "9800090"]
    assert listing.stories[3].ga_prefix == "112807"
    assert listing.skipped == []


def test_a_before_listing_is_the_day_before_without_top_stories():
    listing = parse_listing(fixture("stories/before/20261129.json"))
    assert listing.day == date(2026, 11, 28)
    assert [s.id for s in listing.stories] == ["9800091", "9800090"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<html>502</html>", "malformed_json"),
        ("[]", "unexpected_shape"),
        ('{"stories": []}', "unexpected_shape"),
        ('{"date": "20261332", "stories": []}', "unexpected_shape"),
        ('{"date": 20261129, "stories": []}', "unexpected_shape"),
        ('{"date": "20261129"}', "unexpected_shape"),
        ('{"date": "20261129", "stories": {}}', "unexpected_shape"),
    ],
)
def test_what_is_no_listing_raises_with_a_reason(text, reason):
    with pytest.raises(ZhihuFormatError) as raised:
        parse_listing(text)
    assert raised.value.reason == reason


def test_entries_without_an_id_are_skipped_and_the_rest_kept():
    text = json.dumps(
        {
            "date": "20261129",
            "stories": [{"title": "无 id"}, "not a story", {"id": "12a"}, {"id": 7}],
            "top_stories": "not a list",
        }
    )
    listing = parse_listing(text)
    assert [s.id for s in listing.stories] == ["7"]
    assert [s.reason for s in listing.skipped] == ["missing_field"] * 3


def test_urls():
    assert latest_url() == "https://news-at.zhihu.com/api/4/stories/latest"
    assert before_url(DAY) == "https://news-at.zhihu.com/api/4/stories/before/20261129"
    assert story_url("9800101") == "https://news-at.zhihu.com/api/4/news/9800101"


# Stories


def test_a_story_becomes_a_daily_post():
    post = parse_story(fixture("news/9800101.json"), DAY, "112907")
    assert isinstance(post, Post)
    assert (post.kind, post.id, post.url) == (
        "daily",
        "9800101",
        "https://daily.zhihu.com/story/9800101",
    )
    assert post.title == "为什么冬天的星星看起来更亮？"
    assert utc(post.updated) == "2026-11-28T23:00:12+00:00"  # publish_time: 07:00:12 in Beijing
    assert post.author == ""


def test_the_head_image_fills_the_placeholder_before_every_other_image():
    post = parse_story(fixture("news/9800101.json"), DAY)
    assert isinstance(post, Post)
    head = "https://pic1.zhimg.com/v2-fcd92463b870c38a82edf389dd8061ab.jpg?source=8673f162"
    holder = f'<div class="img-place-holder"><img src="{head}" alt="">'
    assert holder in post.content
    assert post.content.index(holder) < post.content.index('class="avatar"')
    assert '<span class="img-source">图片：日报编辑 / 自摄</span>' in post.content


def test_the_apps_script_hook_is_dropped_and_the_answers_kept():
    post = parse_story(fixture("news/9800101.json"), DAY)
    assert isinstance(post, Post)
    assert "<script" not in post.content and "window.daily" not in post.content
    assert post.content.count('<div class="answer">') == 2
    assert "林间观星" in post.content and "北纬三十度" in post.content


def test_a_story_of_the_older_shape_is_dated_by_its_ga_prefix():
    # No publish_time: 2026-11-28 07:00 in Beijing, whichever day's listing named it.
    for listed in (date(2026, 11, 28), DAY):
        post = parse_story(fixture("news/9800090.json"), listed, "")
        assert isinstance(post, Post)
        assert utc(post.updated) == "2026-11-27T23:00:00+00:00"


def test_the_listings_ga_prefix_stands_in_for_a_missing_one():
    story = {"id": 5, "title": "t", "body": "<p>x</p>"}
    post = story_post(story, DAY, "112915")
    assert isinstance(post, Post)
    assert utc(post.updated) == "2026-11-29T07:00:00+00:00"


@pytest.mark.parametrize(
    ("ga_prefix", "day", "expected"),
    [
        ("112907", date(2026, 11, 29), "2026-11-28T23:00:00+00:00"),
        ("123122", date(2027, 1, 1), "2026-12-31T14:00:00+00:00"),  # a top story of last year
        ("010107", date(2026, 12, 31), "2026-12-31T23:00:00+00:00"),  # never: next year's
        ("022907", date(2028, 3, 1), "2028-02-28T23:00:00+00:00"),
        ("022907", date(2027, 3, 1), "2028-02-28T23:00:00+00:00"),  # the nearest Feb 29
        ("112924", date(2026, 11, 29), "2026-11-28T16:00:00+00:00"),  # no hour 24: the day
        ("1129", date(2026, 11, 29), "2026-11-28T16:00:00+00:00"),
        ("", date(2026, 11, 29), "2026-11-28T16:00:00+00:00"),
    ],
)
def test_ga_prefix_time_in_beijing_in_the_nearest_year(ga_prefix, day, expected):
    assert utc(ga_prefix_time(ga_prefix, day)) == expected


def test_a_publish_time_before_the_first_issue_is_not_believed():
    story = {"id": 5, "title": "t", "body": "<p>x</p>", "ga_prefix": "112907"}
    for bogus in (0, 1, FIRST_ISSUE - 1, "soon", True):
        post = story_post({**story, "publish_time": bogus}, DAY)
        assert isinstance(post, Post)
        assert utc(post.updated) == "2026-11-28T23:00:00+00:00"


@pytest.mark.parametrize(
    ("story", "reason", "says"),
    [
        (
            {"id": 9, "type": 1, "title": "t", "share_url": "https://example.org/x"},
            "external_link",
            "story 9 links to https://example.org/x",
        ),
        ({"id": 9, "type": 1, "title": "t", "body": "<p>x</p>"}, "external_link", "story 9"),
        ({"id": 9, "type": 0, "title": "t"}, "missing_field", "story 9 has no body"),
        ({"id": 9, "title": "t", "body": "  \n"}, "missing_field", "story 9 has no body"),
        ({"id": 9, "title": "t", "body": ["<p>"]}, "missing_field", "story 9 has no body"),
        ({"id": 9, "title": " ", "body": "<p>x</p>"}, "missing_field", "story 9 has no title"),
        ({"id": "x9", "title": "t", "body": "<p>x</p>"}, "missing_field", "without a usable id"),
    ],
)
def test_a_story_that_cannot_be_archived_is_a_skip_with_its_reason(story, reason, says):
    skip = story_post(story, DAY)
    assert isinstance(skip, Skip)
    assert skip.reason == reason and says in skip.detail


def test_the_external_link_fixture_is_skipped():
    skip = parse_story(fixture("news/9800103.json"), DAY)
    assert skip == Skip(
        "external_link",
        "story 9800103 links to https://www.example.org/zhihu-daily/year-end-books: "
        "nothing to archive",
    )


def test_a_story_that_is_not_json_raises():
    with pytest.raises(ZhihuFormatError):
        parse_story("<html>", DAY)


def test_the_listing_thumbnail_stands_in_for_a_missing_head_image():
    story = {"id": 5, "title": "t", "body": "<p>x</p>", "images": ["https://pic1.zhimg.com/t.jpg"]}
    post = story_post(story, DAY)
    assert isinstance(post, Post)
    assert post.content.startswith('<div class="img-place-holder"><img src="https://pic1.zh')
    for image in ({"image": "javascript:alert(1)"}, {"image": 5}, {}):
        post = story_post({**story, "images": [], **image}, DAY)
        assert isinstance(post, Post)
        assert post.content == "<p>x</p>"


@pytest.mark.parametrize(
    "image",
    [
        "https://pic1.zhimg.com/v2-aa\x01.jpg",
        "https://pic1.zhimg.com/\x00v2-aa.jpg",
        "https://pic1.zhimg.com/v2-aa.jpg\ufffe",
    ],
)
def test_a_head_image_with_a_control_character_costs_only_that(image):
    # As a body's image: the character goes (the sanitizer's, the body rules'), the image stays.
    story = {
        "id": 5,
        "title": "t",
        "body": "<p>正文</p>",
        "image": image,
        "image_source": "来\x01源",
    }
    post = story_post(story, DAY)
    assert isinstance(post, Post)
    assert post.content == (
        '<div class="img-place-holder"><img src="https://pic1.zhimg.com/v2-aa.jpg" alt="">'
        '<span class="img-source">图片：来源</span></div><p>正文</p>'
    )
    assert "\nheadimg: 'https://pic1.zhimg.com/v2-aa.jpg'\n" in post_text(post, PostOptions())


def test_a_body_without_a_placeholder_gets_the_image_first():
    html = story_content("text first <p>then</p><script>x()</script>tail", "https://p/i.jpg")
    assert html == (
        '<div class="img-place-holder"><img src="https://p/i.jpg" alt=""></div>'
        "text first <p>then</p>tail"
    )


def test_the_image_url_and_credit_are_escaped():
    url = 'https://p/i.jpg?a="b"&c\'onerror=x'
    html = story_content('<div class="img-place-holder"></div>', url, "<b>")
    [img] = fragment_fromstring(html).iter("img")
    assert dict(img.attrib) == {"src": url, "alt": ""}
    assert "图片：&lt;b&gt;" in html


def test_the_post_has_no_prefix_and_the_head_image_is_its_headimg():
    post = parse_story(fixture("news/9800101.json"), DAY)
    assert isinstance(post, Post)
    post.categories = ("社交媒体", "知乎", "知乎日报")
    text = post_text(post, PostOptions())
    head = "https://pic1.zhimg.com/v2-fcd92463b870c38a82edf389dd8061ab.jpg?source=8673f162"
    assert f"\nheadimg: '{head}'\n" in text and f"\nthumbnail: '{head}'\n" in text
    assert "\ndate: Sat, 28 Nov 2026 23:00:12 GMT\n" in text
    assert text.split("---\n")[2].startswith('\n<div>   \n<div class="main-wrap content-wrap">')
    # FORMAT.md's content rules: images, the redirector, braces
    assert 'referrerpolicy="no-referrer"' in text
    assert 'href="https://www.example.org/seeing?city=beijing"' in text
    assert "&#123;&#123; brightness &#125;&#125;" in text


# Arguments


@pytest.mark.parametrize("value", ["2026-11-29", "2013-05-19", " 2026-01-01 "])
def test_past_days_are_accepted(value):
    assert past_day("Asia/Shanghai")(value) is None


@pytest.mark.parametrize("value", ["2026-02-30", "20261129", "2026-1-1", "", "2999-01-01"])
def test_what_is_no_past_day_is_refused(value):
    assert (
        past_day("Asia/Shanghai")(value) == "a day YYYY-MM-DD, today in Asia/Shanghai at the latest"
    )


def test_the_walk_is_at_most_366_days_back_from_its_start():
    today = date(2026, 11, 30)
    assert window_problems(None, None, today) == []
    assert window_problems(date(2025, 11, 29), None, today) == []
    assert window_problems(date(2025, 1, 1), date(2025, 12, 31), today) == []
    [line] = window_problems(date(2025, 11, 28), None, today)
    assert line == (
        "-a since='2025-11-28' is not accepted: expected a day from 2025-11-29 to 2026-11-30 "
        "(at most 366 days before -a until, by default today in Asia/Shanghai)"
    )
    [line] = window_problems(date(2026, 11, 29), date(2026, 11, 28), today)
    assert "expected a day from 2025-11-27 to 2026-11-28" in line


def test_a_day_that_is_no_day_is_said_once():
    problems = DailySpider.argument_problems({"since": "2026-02-30", "until": "2026-11-01"})
    assert problems == [
        "-a since='2026-02-30' is not accepted: expected a day YYYY-MM-DD, today in "
        "Asia/Shanghai at the latest"
    ]
    assert DailySpider.argument_problems({"since": "2026-10-01", "until": "2026-11-01"}) == []


# The walk, with responses built from the fixtures


def response(url: str, name: str) -> TextResponse:
    return TextResponse(url, body=fixture(name).encode(), encoding="utf-8")


def daily_spider(**args: str) -> DailySpider:
    crawler = project_crawler()
    return DailySpider.from_crawler(crawler, **args)


def test_without_since_the_latest_day_is_all():
    spider = daily_spider()
    out = list(spider.parse_listing(response(latest_url(), "stories/latest.json"), None))
    assert [r.url for r in out] == [
        story_url(i) for i in ("9800101", "9800102", "9800103", "9800090")
    ]


def test_since_walks_back_a_day_at_a_time_and_stops_there():
    spider = daily_spider(since="2026-11-27")
    latest = list(spider.parse_listing(response(latest_url(), "stories/latest.json"), None))
    assert latest[-1].url == before_url(DAY)
    assert latest[-1].cb_kwargs == {"before": DAY}
    day28 = list(
        spider.parse_listing(response(latest[-1].url, "stories/before/20261129.json"), DAY)
    )
    # 9800090 was asked for already, through the latest's top stories
    assert [r.url for r in day28] == [story_url("9800091"), before_url(date(2026, 11, 28))]
    day27 = list(
        spider.parse_listing(
            response(day28[-1].url, "stories/before/20261128.json"), date(2026, 11, 28)
        )
    )
    assert [r.url for r in day27] == [story_url("9800080")]  # 2026-11-27 is `since`: the end


def test_a_listing_not_before_the_day_asked_for_stops_the_walk():
    spider = daily_spider(since="2026-11-01")
    out = list(spider.parse_listing(response(before_url(DAY), "stories/latest.json"), DAY))
    assert all("/stories/" not in r.url for r in out)
    assert spider.crawler.stats.get_value("archiver/skipped/unexpected_shape") == 1


def first_requests(spider: DailySpider) -> list[str]:
    async def collect() -> list[str]:
        return [request.url async for request in spider.start()]

    return asyncio.run(collect())


def test_the_walk_starts_at_the_latest_or_at_the_day_after_until():
    assert first_requests(daily_spider()) == [latest_url()]
    assert first_requests(daily_spider(until="2026-11-29")) == [before_url(date(2026, 11, 30))]


def test_the_project_settings_hold_the_category_path():
    assert PROJECT_SETTINGS["ZHIHU_DAILY_CATEGORIES"] == "社交媒体/知乎/知乎日报"

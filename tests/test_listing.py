"""Lists (columns, collections, people, topics) and pins: pure parsing, from plain strings."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from archiver.items import ItemRef, Post, Skip
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.listing import (
    LIST_PATH,
    Listing,
    listing_entry,
    listing_item,
    listings_of,
    next_url,
    parse_follow_config,
    parse_listing_page,
    with_params,
)
from archiver.zhihu.pins import TITLE_LENGTH, first_line, parse_pin, pin_post
from archiver.zhihu.targets import parse_target

BASE = "https://www.zhihu.com"
COLUMN = listings_of(parse_target("https://zhuanlan.zhihu.com/dushu-biji"))[0]
ANSWER = {
    "id": 1,
    "type": "answer",
    "question": {"id": 2, "title": "问题"},
    "author": {"name": "某人"},
    "content": "<p>答</p>",
    "updated_time": 1700000000,
}
ARTICLE = {
    "id": 3,
    "type": "article",
    "title": "文章",
    "content": "<p>文</p>",
    "updated": 1700000000,
}
PIN = {"id": "4", "type": "pin", "content": [{"type": "text", "content": "想"}], "updated": 1}


def page(data, paging=None) -> str:
    return json.dumps({"data": data, "paging": paging or {"is_end": True, "next": ""}})


def test_the_lists_of_each_kind_of_url():
    def paths(url):
        return [(x.path, x.referer) for x in listings_of(parse_target(url))]

    assert paths("https://zhuanlan.zhihu.com/dushu-biji") == [
        ("/api/v4/columns/dushu-biji/items", "https://zhuanlan.zhihu.com/dushu-biji")
    ]
    assert [p for p, _ in paths("https://www.zhihu.com/people/lin")] == [
        "/api/v4/members/lin/answers",
        "/api/v4/members/lin/articles",
        "/api/v4/v2/members/lin/pins",  # where Zhihu moved them (issue 25.6)
    ]
    [pins] = listings_of(parse_target("https://www.zhihu.com/people/lin/pins"))
    assert pins.fallback is not None and pins.fallback.path == "/api/v4/members/lin/pins"
    assert pins.fallback.referer == "https://www.zhihu.com/people/lin/pins"
    assert paths("https://www.zhihu.com/people/lin/posts") == [
        ("/api/v4/members/lin/articles", "https://www.zhihu.com/people/lin/posts")
    ]
    assert paths("https://www.zhihu.com/topic/19550517/top-answers") == [
        (
            "/api/v5.1/topics/19550517/feeds/top_activity/v2",
            "https://www.zhihu.com/topic/19550517/top-answers",
        )
    ]
    first = listings_of(parse_target("https://www.zhihu.com/collection/7"))[0].first_url(BASE)
    assert first == "https://www.zhihu.com/api/v4/collections/7/items?offset=0&limit=20"


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        (ANSWER, "answer"),
        (ARTICLE, "article"),
        (PIN, "pin"),
        ({"created": "2026-01-01", "content": ANSWER}, "answer"),  # a collection's entry
        ({"type": "topic_feed", "target": ARTICLE}, "article"),  # a topic feed's entry
    ],
)
def test_entries_are_unwrapped_to_their_item(entry, kind):
    result = listing_item(entry)
    assert isinstance(result, Post) and result.kind == kind


@pytest.mark.parametrize(
    "item",
    [
        {"id": "9", "type": "zvideo", "title": "视频"},
        {"id": "9", "type": "live", "subject": "直播"},
        {"id": "9", "type": "ebook", "title": "书"},
        {"id": 9, "type": "question", "title": "问"},
        {"id": 9},
    ],
)
def test_other_kinds_are_skipped_with_their_reason(item):
    result = listing_item({"content": item})
    assert isinstance(result, Skip) and result.reason == "unsupported_kind"
    assert "9" in result.detail


def test_a_page_its_skips_and_its_next_page():
    nxt = "http://www.zhihu.com/api/v4/columns/dushu-biji/items?limit=20&offset=20"
    result = parse_listing_page(
        page([ANSWER, {"id": "5", "type": "zvideo"}], {"is_end": False, "next": nxt}),
        COLUMN,
        "https://mirror.example",
    )
    assert [p.id for p in result.items] == ["1"]
    assert [s.reason for s in result.skipped] == ["unsupported_kind"]
    # rebased onto the base URL, Zhihu's own query kept (offset or cursor)
    assert (
        result.next_url
        == "https://mirror.example/api/v4/columns/dushu-biji/items?limit=20&offset=20"
    )


def test_the_end_of_a_list():
    assert parse_listing_page(page([ANSWER]), COLUMN, BASE).next_url is None
    # an empty page says is_end false: stop rather than loop
    empty = parse_listing_page(
        page([], {"is_end": False, "next": BASE + COLUMN.path}), COLUMN, BASE
    )
    assert empty.next_url is None and empty.items == [] and empty.refused_next == ""


@pytest.mark.parametrize(
    "raw",
    [
        "https://evil.example/api/v4/columns/dushu-biji/items?offset=20",
        "https://www.zhihu.com.evil.example/api/v4/columns/dushu-biji/items",
        "https://www.zhihu.com/api/v4/columns/other/items?offset=20",
        "https://www.zhihu.com/api/v4/me",
        "https://user@www.zhihu.com/api/v4/columns/dushu-biji/items",
        "https://www.zhihu.com:8443/api/v4/columns/dushu-biji/items",
        "file:///api/v4/columns/dushu-biji/items",
    ],
)
def test_a_paging_link_elsewhere_is_never_followed(raw):
    assert next_url(raw, COLUMN, BASE) is None
    result = parse_listing_page(page([ANSWER], {"is_end": False, "next": raw}), COLUMN, BASE)
    assert result.next_url is None and result.refused_next == raw
    assert [p.id for p in result.items] == ["1"]  # the page's own items still count


TOPIC = listings_of(parse_target("https://www.zhihu.com/topic/19554298/top-answers"))[0]
ARTICLES = listings_of(parse_target("https://www.zhihu.com/people/chen/posts"))[0]
INCLUDE = dict(ARTICLES.endpoint.query)["include"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Zhihu's internal origin, never requested: its path is read on the public API (25.3)
        (
            "https://172.16.201.121:80/topics/19554298/feeds/essence_v4?offset=20&limit=20",
            "https://www.zhihu.com/api/v4/topics/19554298/feeds/essence_v4?offset=20&limit=20",
        ),
        (
            "http://www.zhihu.com/api/v4/topics/19554298/feeds/essence_v4?offset=40&limit=20",
            "https://www.zhihu.com/api/v4/topics/19554298/feeds/essence_v4?offset=40&limit=20",
        ),
        (
            "https://www.zhihu.com/api/v5.1/topics/19554298/feeds/top_activity/v2?cursor=a%2Bb",
            "https://www.zhihu.com/api/v5.1/topics/19554298/feeds/top_activity/v2?cursor=a%2Bb",
        ),
    ],
)
def test_a_topic_feed_goes_on_where_zhihu_moves_it(raw, expected):
    assert next_url(raw, TOPIC, BASE) == expected


@pytest.mark.parametrize(
    "raw",
    [
        # an internal link to another list, or to another topic: never followed
        "https://172.16.201.121:80/topics/19554298/feeds/timeline_activity?offset=20",
        "https://172.16.201.121:80/topics/1/feeds/essence_v4?offset=20&limit=20",
        "https://172.16.201.121:80/me?offset=20",
        # a name is no internal address, whatever it spells
        "https://172.16.201.121.evil.example/topics/19554298/feeds/essence_v4?offset=20",
        "https://8.8.8.8/topics/19554298/feeds/essence_v4?offset=20",
        "https://www.zhihu.com/topics/19554298/feeds/essence_v4/../../../me",
    ],
)
def test_an_internal_link_elsewhere_is_refused(raw):
    assert next_url(raw, TOPIC, BASE) is None


def test_every_page_carries_the_parameters_of_the_first():
    # Zhihu's link to page 2 of a person's articles leaves out our include (25.2)
    raw = "https://www.zhihu.com/api/v4/members/chen/articles?offset=20&limit=20&sort_by=created"
    url = next_url(raw, ARTICLES, BASE)
    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query == {
        "offset": ["20"],
        "limit": ["20"],
        "sort_by": ["created"],
        "include": [INCLUDE],
    }
    # ours win over the link's, in the link's place; a page's own offset and cursor stay
    raw = "http://www.zhihu.com/members/chen/articles?include=data%5B*%5D.excerpt&offset=40&sort_by=voteups"
    url = next_url(raw, ARTICLES, BASE)
    assert url is not None and urlsplit(url).path == "/api/v4/members/chen/articles"
    assert parse_qsl(urlsplit(url).query) == [
        ("include", INCLUDE),
        ("offset", "40"),
        ("sort_by", "created"),
    ]


def test_with_params():
    assert with_params("", (("a", "1"),)) == "a=1"
    assert with_params("cursor=x%2By&a=2&a=3", (("a", "1"),)) == "cursor=x%2By&a=1"
    assert with_params("b=&&c", ()) == "b=&c"
    assert with_params("include=old", (("include", "data[*].content"),)) == (
        "include=data%5B%2A%5D.content"
    )


def test_a_paging_link_with_escaped_ampersands():
    # `\u0026` in the JSON text is a plain `&` once decoded
    text = (
        '{"data": [{"id": 1, "type": "answer", "question": {"id": 2, "title": "问"},'
        ' "content": "<p>答</p>", "updated_time": 1}], "paging": {"is_end": false, "next":'
        ' "http://www.zhihu.com/api/v4/columns/dushu-biji/items?limit=20\\u0026offset=20"}}'
    )
    result = parse_listing_page(text, COLUMN, BASE)
    assert result.next_url == f"{BASE}/api/v4/columns/dushu-biji/items?limit=20&offset=20"


CUT = {**ANSWER, "id": "1940000000000000001", "content_need_truncated": True}
EXCERPT_ONLY = {k: v for k, v in ARTICLE.items() if k != "content"} | {"excerpt": "文…"}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            CUT,
            ItemRef(
                "answer",
                "1940000000000000001",
                "https://www.zhihu.com/question/2/answer/1940000000000000001",
                "the list cuts its content",
                "2",
                1700000000,
            ),
        ),
        (
            {"created": "2026-01-01T10:00:00+08:00", "content": EXCERPT_ONLY},
            ItemRef(
                "article",
                "3",
                "https://zhuanlan.zhihu.com/p/3",
                "the list gives no content",
                updated=1700000000,
            ),
        ),
        (
            {"type": "topic_feed", "target": {**ANSWER, "content": ""}},
            ItemRef(
                "answer",
                "1",
                "https://www.zhihu.com/question/2/answer/1",
                "the list gives no content",
                "2",
                1700000000,
            ),
        ),
        (
            {"id": "4", "type": "pin", "updated": 5},
            ItemRef(
                "pin", "4", "https://www.zhihu.com/pin/4", "the list gives no content", updated=5
            ),
        ),
    ],
)
def test_an_entry_cut_or_without_content_is_read_on_its_own(entry, expected):
    assert listing_entry(entry) == expected
    # what a captured list page holds for it is no post (rerender reads the item's own capture)
    assert isinstance(listing_item(entry), Skip)


@pytest.mark.parametrize(
    "entry",
    [
        {"id": "5", "type": "pin", "updated": 1, "content": [], "origin_pin": PIN},  # a repin
        {"id": "6", "type": "pin", "updated": 1, "content": [], "is_deleted": True},
        {"type": "answer", "content_need_truncated": True},  # no id: its parser says why
    ],
)
def test_entries_whose_list_copy_is_final(entry):
    assert not isinstance(listing_entry(entry), ItemRef)


def test_not_a_list():
    with pytest.raises(ZhihuFormatError) as info:
        parse_listing_page('{"error": "x"}', COLUMN, BASE)
    assert info.value.reason == "unexpected_shape"


def test_a_pin_of_every_block_kind():
    pin = parse_pin(
        json.dumps(
            {
                "id": "18",
                "type": "pin",
                "author": {"name": "林小舒"},
                "created": 1,
                "updated": 2,
                "content": [
                    {"type": "text", "content": "第一行<br>第二行 &amp; 更多"},
                    {"type": "image", "url": "https://pic2.zhimg.com/v2-a_qhd.jpg", "width": 3},
                    {"type": "link", "url": "https://hexo.io/?a=1&b=2", "title": "<Hexo>"},
                    {
                        "type": "video",
                        "video_id": "15",
                        "thumbnail": "https://pic4.zhimg.com/t.jpg",
                    },
                    {"type": "poll", "title": "未知的块"},
                ],
            }
        )
    )
    assert isinstance(pin, Post)
    assert (pin.kind, pin.id, pin.title, pin.updated) == ("pin", "18", "第一行", 2)
    assert pin.url == "https://www.zhihu.com/pin/18"
    assert pin.content.startswith("<p>第一行<br>第二行 &amp; 更多</p><figure><img ")
    assert 'data-original="https://pic2.zhimg.com/v2-a_qhd.jpg"' in pin.content
    assert 'data-rawwidth="3"' in pin.content
    assert '<a href="https://hexo.io/?a=1&amp;b=2">&lt;Hexo&gt;</a>' in pin.content
    assert '<a href="https://www.zhihu.com/video/15">视频</a>' in pin.content
    assert "未知的块" not in pin.content


def test_a_pin_title_is_its_first_line_cut():
    long = "字" * (TITLE_LENGTH + 10)
    assert first_line([{"type": "text", "content": f"<p>  </p><p>{long}</p>"}]) == (
        "字" * TITLE_LENGTH + "…"
    )
    assert first_line([{"type": "image", "url": "x"}]) == ""
    only_image = pin_post(
        {
            "id": "1",
            "author": {"name": "甲"},
            "updated": 1,
            "content": [{"type": "image", "url": "u"}],
        }
    )
    assert isinstance(only_image, Post) and only_image.title == "甲的想法"


def test_a_repin_quotes_its_origin():
    repin = pin_post(
        {
            "id": "2",
            "updated": 1,
            "content": [],
            "origin_pin": {"id": "1", "author": {"name": "乙"}, "content": [PIN["content"][0]]},
        }
    )
    assert isinstance(repin, Post) and repin.title == "想"
    assert '<a href="https://www.zhihu.com/pin/1">乙的想法</a>' in repin.content


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ({"id": "1", "is_deleted": True, "updated": 1, "content": []}, "not_found"),
        ({"id": "1", "updated": 1, "content": []}, "missing_field"),
        ({"id": "1", "content": PIN["content"]}, "missing_field"),
        ({"content": PIN["content"], "updated": 1}, "missing_field"),
        ([], "unexpected_shape"),
    ],
)
def test_pins_that_cannot_be_archived(pin, reason):
    result = pin_post(pin)
    assert isinstance(result, Skip) and result.reason == reason


def test_a_follow_config():
    [column, person] = parse_follow_config(
        '[[source]]\nurl = "https://zhuanlan.zhihu.com/dushu-biji"\n'
        '[[source]]\nurl = "https://www.zhihu.com/people/lin/pins"\n'
        'categories = "朋友/林"\nlimit = 5\n'
    )
    assert (column.target.kind, column.categories, column.limit) == ("column", "", None)
    assert (person.target.tab, person.categories, person.limit) == ("pins", "朋友/林", 5)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no [[source]] table"),
        ("[[source]]\nlimit = 1\n", "source 1 has no url"),
        ('[[source]]\nurl = "https://example.com/x"\n', "not a Zhihu URL"),
        ('[[source]]\nurl = "https://www.zhihu.com/answer/1"\n', "is not a list"),
        ('[[source]]\nurl = "https://zhuanlan.zhihu.com/a"\nlimit = 0\n', "limit is a whole"),
        ('[[source]]\nurl = "https://zhuanlan.zhihu.com/a"\ncategories = "/"\n', "category"),
        ('[[source]]\nurl = "https://zhuanlan.zhihu.com/a"\nfull = 1\n', "unknown key(s) full"),
        ("[[source]\n", "not valid TOML"),
    ],
)
def test_a_bad_follow_config_says_what(text, says):
    with pytest.raises(ValueError, match=None) as info:
        parse_follow_config(text)
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("path", "is_list"),
    [
        ("/api/v4/columns/c_1290000000000000001/items", True),
        ("/api/v4/collections/795000001/items", True),
        ("/api/v4/members/lin/answers", True),
        ("/api/v4/v2/members/lin/pins", True),
        ("/api/v4/members/lin/pins", True),  # the old endpoint, still read where it answers
        ("/api/v5.1/topics/19554298/feeds/top_activity/v2", True),
        ("/api/v4/topics/19554298/feeds/essence_v4", True),
        ("/api/v4/members/lin/followers", False),
        ("/api/v4/columns/a/items/x", False),
    ],
)
def test_which_captures_are_pages_of_a_list(path, is_list):
    assert bool(LIST_PATH.match(path)) is is_list


def test_listing_is_hashable_and_named_by_its_path():
    listing = Listing(COLUMN.endpoint, "a/b")
    assert listing.path == "/api/v4/columns/a%2Fb/items" and str(listing) == listing.path

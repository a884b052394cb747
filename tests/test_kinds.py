"""The one table of Zhihu's kinds (archiver/zhihu/kinds.py): each kind's URLs, endpoint, fallback,
category setting and body prefix are read from its row, by the spiders and rerender alike."""

import pytest

from archiver import stats as keys
from archiver.items import Post, PostKind
from archiver.zhihu.kinds import ITEMS, KINDS, captured
from archiver.zhihu.schema import Call
from archiver.zhihu.targets import parse_target

BASE = "http://127.0.0.1:1"


def test_a_post_s_kind_names_every_kind():
    assert Post.__dataclass_fields__["kind"].type in (PostKind, "PostKind")
    assert {str(kind) for kind in PostKind} == {"answer", "article", "pin", "daily", "feed", "page"}
    # Each kind of Zhihu's that is one post is a row of the table, named as its posts are.
    assert set(ITEMS) == {PostKind.ANSWER, PostKind.ARTICLE, PostKind.PIN, PostKind.DAILY}


@pytest.mark.parametrize(
    ("url", "kind", "setting", "first"),
    [
        (
            "https://www.zhihu.com/question/1/answer/2",
            "answer",
            "ZHIHU_ANSWER_CATEGORIES",
            "/api/v4/answers/2?include=",
        ),
        (
            "https://www.zhihu.com/question/1",
            "question",
            "ZHIHU_ANSWER_CATEGORIES",
            "/api/v4/questions/1/answers?include=",
        ),
        (
            "https://zhuanlan.zhihu.com/p/3",
            "article",
            "ZHIHU_ARTICLE_CATEGORIES",
            "/api/v4/articles/3",
        ),
        ("https://www.zhihu.com/pin/4", "pin", "ZHIHU_PIN_CATEGORIES", "/api/v4/pins/4"),
        (
            "https://daily.zhihu.com/story/5",
            "daily",
            "ZHIHU_DAILY_CATEGORIES",
            "https://news-at.zhihu.com/api/4/news/5",
        ),
        (
            "https://zhuanlan.zhihu.com/slug",
            "column",
            "ZHIHU_COLUMN_CATEGORIES",
            "/api/v4/columns/slug/items?",
        ),
        (
            "https://www.zhihu.com/topic/6/top-answers",
            "topic",
            "ZHIHU_TOPIC_CATEGORIES",
            "/api/v5.1/topics/6/feeds/top_activity/v2?",
        ),
    ],
)
def test_a_url_s_row_says_where_it_is_read_and_filed(url, kind, setting, first):
    target = parse_target(url)
    row = KINDS[target.kind]
    assert (row.name, row.categories) == (kind, setting)
    asked = Call(row.endpoint, target.id, target.question_id).first_url(BASE)
    assert asked.removeprefix(BASE).startswith(first)


def test_every_fallback_is_a_row_s_and_counted_under_the_stats_prefix():
    fallbacks = {
        endpoint.fallback.stat: (
            Call(endpoint, "7").path,
            Call(endpoint.fallback.endpoint, "7").path,
        )
        for kind in KINDS.values()
        for endpoint in kind.endpoints
        if endpoint.fallback is not None
    }
    assert fallbacks == {
        "question_feeds": ("/api/v4/questions/7/answers", "/api/v4/questions/7/feeds"),
        "article_page": ("/api/v4/articles/7", "/p/7"),
        "old_list_endpoint": ("/api/v4/v2/members/7/pins", "/api/v4/members/7/pins"),
        "hot_list_app": ("/api/v3/feed/topstory/hot-lists/total", "/topstory/hot-lists/total"),
    }
    assert keys.FALLBACK == "archiver/fallback"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v4/questions/1/answers", "question"),
        ("/api/v4/questions/1/feeds", "question"),
        ("/api/v4/answers/2", "answer"),
        ("/api/v4/articles/3", "article"),
        ("/api/v4/pins/4", "pin"),
        ("/api/4/news/5", "daily"),
        ("/api/v4/members/chen/pins", "people"),
        ("/api/v4/topics/6/feeds/essence_v4", "topic"),
        ("/topstory/hot-lists/total", "hot_list"),
        ("/api/4/stories/before/20261129", "daily_listing"),
        ("/p/3", None),  # an article's page, read where its API refused: not a source of rerender
        ("/api/v4/answers/2/voters", None),
    ],
)
def test_a_capture_is_read_by_the_row_of_its_path(path, kind):
    found = captured(path)
    assert (found[0].name if found else None) == kind

"""Zhihu JSON to items: both hot-list shapes, answer pages, and what is skipped and why."""

import json

import pytest

from archiver.items import HotQuestion, Post, Skip
from archiver.zhihu.answers import answer_post, parse_answers_page
from archiver.zhihu.hotlist import parse_hot_list
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.urls import (
    answers_url,
    app_hot_list_url,
    hot_list_url,
    question_feeds_url,
    rebase,
)


def desktop_entry(qid, title="标题", heat="1233 万热度"):
    return {
        "type": "hot_list_feed",
        "card_id": f"Q_{qid}",
        "detail_text": heat,
        "target": {
            "id": qid,
            "title": title,
            "type": "question",
            "url": f"https://api.zhihu.com/questions/{qid}",
        },
    }


def area_entry(qid, title="区域标题", heat="4975 万热度"):
    return {
        "type": "hot_list_feed",
        "card_id": f"Q_{qid}",
        "target": {
            "title_area": {"text": title},
            "metrics_area": {"text": heat},
            "excerpt_area": {"text": ""},
            "image_area": {"url": ""},
            "link": {"url": f"https://www.zhihu.com/question/{qid}"},
        },
    }


def test_hot_list_desktop_shape_with_numeric_and_19_digit_ids():
    text = json.dumps(
        {
            "data": [desktop_entry(444936831), desktop_entry("2088649572151194406")],
            "paging": {"is_end": True},
        }
    )
    questions, skipped = parse_hot_list(text)
    assert questions == [
        HotQuestion(1, "444936831", "标题", "1233 万热度"),
        HotQuestion(2, "2088649572151194406", "标题", "1233 万热度"),
    ]
    assert skipped == []


def test_hot_list_entry_image_is_its_first_childs_thumbnail():
    thumb = "https://pic1.zhimg.com/80/v2-ba441e_720w.jpg?source=1940ef5c"
    entries = [
        {**desktop_entry(1), "children": [{"type": "answer", "thumbnail": thumb}]},
        {**desktop_entry(2), "children": []},
        {**desktop_entry(3), "children": [{"type": "answer", "thumbnail": "javascript:x"}]},
        desktop_entry(4),
    ]
    questions, _ = parse_hot_list(json.dumps({"data": entries}))
    assert [q.image for q in questions] == [thumb, "", "", ""]  # kept as Zhihu gives it


def test_hot_list_area_shape():
    questions, _ = parse_hot_list(json.dumps({"data": [area_entry(438830539)]}))
    assert questions == [HotQuestion(1, "438830539", "区域标题", "4975 万热度")]


def test_hot_list_area_shape_image_is_its_image_area():
    image = "https://pic3.zhimg.com/50/v2-4201aa2f_b.jpg"
    with_image = area_entry(302347850)
    with_image["target"]["image_area"] = {"url": image}
    entries = [with_image, area_entry(301329162), {**area_entry(5), "children": []}]
    questions, _ = parse_hot_list(json.dumps({"data": entries}))
    assert [(q.question_id, q.image) for q in questions] == [
        ("302347850", image),
        ("301329162", ""),  # "" where the entry shows no picture
        ("5", ""),
    ]


def test_hot_list_of_the_app_host_in_the_flat_shape():
    # RSSHub reads api.zhihu.com's list by `target.url` (an API URL) or `target.id`.
    entry = desktop_entry("2088649572151194406")
    del entry["target"]["type"]
    questions, _ = parse_hot_list(json.dumps({"data": [entry]}))
    assert [q.question_id for q in questions] == ["2088649572151194406"]


def test_hot_list_entry_with_only_a_card_id_and_no_optional_fields():
    entry = {"card_id": "Q_302347850", "target": {"title_area": {"text": "只有卡片"}}}
    questions, _ = parse_hot_list(json.dumps({"data": [entry]}))
    assert questions == [HotQuestion(1, "302347850", "只有卡片", "")]


def test_hot_list_skips_what_is_not_a_question():
    zvideo = {"card_id": "ZV_1", "target": {"id": "1", "type": "zvideo", "title": "视频"}}
    no_title = {"card_id": "Q_5", "target": {"id": 5, "type": "question"}}
    questions, skipped = parse_hot_list(json.dumps({"data": [zvideo, no_title, "junk"]}))
    assert questions == []
    assert [s.reason for s in skipped] == ["not_a_question", "missing_field", "unexpected_shape"]


@pytest.mark.parametrize("text", ["", "<html>维护中</html>", "[1, 2]", '{"data": {}}', '{"error"'])
def test_hot_list_that_is_not_one(text):
    with pytest.raises(ZhihuFormatError):
        parse_hot_list(text)


def answer(**changes):
    base = {
        "id": 123,
        "type": "answer",
        "author": {"name": "答主"},
        "content": "<p>正文</p>",
        "question": {"id": 9, "title": "问题？"},
        "created_time": 1,
        "updated_time": 2,
    }
    return {**base, **changes}


def test_answer_ids_as_numbers_or_strings():
    assert answer_post(answer(id=300534572)).id == "300534572"
    assert answer_post(answer(id="1936787046304842491")).id == "1936787046304842491"
    big = json.loads('{"id": 1936787046304842491}')["id"]  # beyond a double: must stay exact
    assert answer_post(answer(id=big)).id == "1936787046304842491"


def test_answer_fields():
    post = answer_post(answer())
    assert post == Post(
        kind="answer",
        id="123",
        url="https://www.zhihu.com/question/9/answer/123",
        title="问题？",
        author="答主",
        updated=2,
        content="<p>正文</p>",
        question_id="9",
    )


def test_answer_with_missing_optional_fields():
    bare = {"id": 7, "content": "<p>x</p>", "created_time": 5}
    post = answer_post(bare, fallback_title="热榜标题")
    assert (post.author, post.title, post.updated, post.url) == (
        "匿名用户",
        "热榜标题",
        5,
        "https://www.zhihu.com/answer/7",
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"content_need_truncated": True}, "truncated"),
        ({"content": ""}, "missing_field"),
        ({"content": None}, "missing_field"),
        ({"id": None}, "missing_field"),
        ({"id": "abc"}, "missing_field"),
        ({"updated_time": None, "created_time": None}, "missing_field"),
        ({"question": {"id": 9}}, "missing_field"),
    ],
)
def test_answers_that_are_skipped(changes, reason):
    result = answer_post(answer(**changes))
    assert isinstance(result, Skip) and result.reason == reason


def test_answers_page_paging():
    nxt = "http://www.zhihu.com/api/v4/questions/9/answers?limit=1&offset=1"
    page = parse_answers_page(
        json.dumps({"data": [answer()], "paging": {"is_end": False, "next": nxt}})
    )
    assert [p.id for p in page.answers] == ["123"] and page.next_url == nxt
    end = parse_answers_page(
        json.dumps({"data": [answer()], "paging": {"is_end": True, "next": nxt}})
    )
    assert end.next_url is None
    # an empty page that claims more would loop for ever
    empty = parse_answers_page(json.dumps({"data": [], "paging": {"is_end": False, "next": nxt}}))
    assert empty.next_url is None


def test_answers_page_with_feed_wrapped_answers_and_skips():
    data = [{"type": "feed", "target": answer(id=1)}, answer(id=2, content_need_truncated=True), 3]
    page = parse_answers_page(json.dumps({"data": data}))
    assert [p.id for p in page.answers] == ["1"]
    assert [s.reason for s in page.skipped] == ["truncated", "unexpected_shape"]


def test_answers_page_of_question_feed_cards():
    # /api/v4/questions/{id}/feeds: each answer a card; cards of other kinds are no answers.
    data = [
        {
            "type": "question_feed_card",
            "target_type": "answer",
            "position": 0,
            "cursor": "4fc59e44",
            "target": answer(id="2090000000000000001"),
        },
        {
            "type": "question_feed_card",
            "target_type": "zvideo",
            "position": 1,
            "target": {"id": "2090000000000000777", "type": "zvideo"},
        },
        {"type": "question_feed_card", "target": answer(id=7)},  # target_type left out
    ]
    nxt = "https://www.zhihu.com/api/v4/questions/9/feeds?cursor=4fc59e44&limit=5&offset=2"
    page = parse_answers_page(
        json.dumps({"data": data, "paging": {"page": 2, "is_end": False, "next": nxt}})
    )
    assert [p.id for p in page.answers] == ["2090000000000000001", "7"]
    assert page.next_url == nxt
    [skip] = page.skipped
    assert (skip.reason, skip.detail) == (
        "not_an_answer",
        "a question's feed card of zvideo 2090000000000000777",
    )


def test_answers_page_that_is_not_one():
    with pytest.raises(ZhihuFormatError) as info:
        parse_answers_page('{"data": [{"id": 1, "content": "<p>断')
    assert info.value.reason == "malformed_json"


def test_urls_follow_the_base():
    assert hot_list_url("http://127.0.0.1:5/", 50) == (
        "http://127.0.0.1:5/api/v3/feed/topstory/hot-lists/total?limit=50&desktop=true"
    )
    url = answers_url("https://www.zhihu.com", "9", 30)
    assert url.startswith("https://www.zhihu.com/api/v4/questions/9/answers?include=")
    assert "limit=20&offset=0&sort_by=default" in url
    feeds = question_feeds_url("https://www.zhihu.com", "2088649572151194406", 30)
    assert feeds.startswith(
        "https://www.zhihu.com/api/v4/questions/2088649572151194406/feeds?include="
    )
    assert "limit=20&offset=0&order=default&platform=desktop" in feeds
    # Zhihu's own host, whatever ZHIHU_BASE_URL (as RSSHub asks it)
    assert app_hot_list_url(50) == (
        "https://api.zhihu.com/topstory/hot-lists/total?limit=50&reverse_order=0"
    )
    assert rebase("http://www.zhihu.com/api/v4/q?a=1&b=2", "http://127.0.0.1:5") == (
        "http://127.0.0.1:5/api/v4/q?a=1&b=2"
    )


def test_article_from_its_page():
    from archiver.zhihu.pages import parse_article_page
    from tests.support.fixture_server import FIXTURES

    page = (FIXTURES / "zhuanlan.zhihu.com/p/23141946.html").read_text()
    post = parse_article_page(page, "23141946")
    assert (post.kind, post.title, post.author, post.updated) == (
        "article",
        "用 {{ 模板 }} 写博客时要注意的转义",
        "写博客的人",
        1478000000,
    )
    assert post.content.startswith("<p>Hexo 会把 <code>")
    assert isinstance(parse_article_page(page, "1"), Skip)
    with pytest.raises(ZhihuFormatError) as info:
        parse_article_page("<html>你似乎来到了没有知识存在的荒原</html>", "1")
    assert info.value.reason == "not_found"

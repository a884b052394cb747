"""Lists and pins end to end (`scrapy archive` and `scrapy crawl follow`), through the fixture
proxy and its gate: columns, collections, people, a topic's essence, pins."""

from __future__ import annotations

import json

import pytest
from crawling import crawl, mtimes, posts
from fixture_server import FIXTURES

ROOT = "_posts/社交媒体/知乎"
COLUMN = "https://zhuanlan.zhihu.com/dushu-biji"
COLLECTION = "https://www.zhihu.com/collection/700000001"
PRIVATE = "https://www.zhihu.com/collection/700000002"
EMPTY = "https://www.zhihu.com/collection/700000003"
PERSON = "https://www.zhihu.com/people/lin-xiao-shu"
TOPIC = "https://www.zhihu.com/topic/19550517/top-answers"
PIN = "https://www.zhihu.com/pin/1800000000000000001"
DELETED_PIN = "https://www.zhihu.com/pin/1800000000000000404"
GOOD = (COLUMN, COLLECTION, EMPTY, PERSON, TOPIC, PIN)
EXPECTED = {
    f"{ROOT}/知乎专栏/article-4100000001.md",
    f"{ROOT}/知乎专栏/answer-4100000002.md",  # a column may hold answers too
    f"{ROOT}/知乎专栏/article-4100000003.md",  # its second page (offset paging)
    f"{ROOT}/知乎收藏夹/answer-4200000001.md",
    f"{ROOT}/知乎收藏夹/pin-1800000000000000002.md",
    f"{ROOT}/知乎收藏夹/article-4200000002.md",
    f"{ROOT}/知乎用户/answer-4300000001.md",
    f"{ROOT}/知乎用户/article-4300000002.md",
    f"{ROOT}/知乎用户/pin-1800000000000000003.md",
    f"{ROOT}/知乎话题精华/answer-4400000001.md",
    f"{ROOT}/知乎话题精华/article-4400000002.md",
    f"{ROOT}/知乎话题精华/answer-4400000003.md",  # its second page (cursor paging)
    f"{ROOT}/知乎想法/pin-1800000000000000001.md",
}


def archive(path, *urls, scenarios=(), options=()):
    return crawl(path, *scenarios, command=("archive", *options, *urls))


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    path = tmp_path_factory.mktemp("lists")
    return path, archive(path, *GOOD, PRIVATE, DELETED_PIN)


def test_every_kind_of_list_is_archived_under_its_own_category(lists):
    path, run = lists
    assert set(posts(path)) == EXPECTED
    assert run.server.gate.refused == []  # signed, logged in, as Zhihu's web client
    assert "Progress: 6/8 archived, 2 failed" in run.log


def test_kinds_not_archived_are_skipped_with_their_reason(lists):
    _, run = lists
    for what in (
        "zvideo 1500000000000000009",
        "zvideo 1500000000000000011",
        "live 1100000000000000001",
        "question 650000005",
        "ebook 1200000000000000001",
    ):
        assert f"Skipped (unsupported_kind): {what}" in run.log
    assert "'archiver/skipped/unsupported_kind': 5" in run.log
    assert "Traceback" not in run.log


def test_a_private_collection_is_skipped_and_not_archived(lists):
    _, run = lists
    assert f"Skipped (private): {PRIVATE}: Zhihu refuses its items (HTTP 403" in run.log
    assert f"failed ({PRIVATE})" in run.log
    assert "Blocked:" not in run.log  # the crawl went on
    assert run.code == 1  # `archive` archives every URL it is given, or says it did not


def test_a_deleted_pin_fails_its_url(lists):
    _, run = lists
    assert "Failed https://www.zhihu.com/api/v4/pins/1800000000000000404: HTTP 404" in run.log
    assert f"failed ({DELETED_PIN})" in run.log


def test_each_api_call_names_the_page_it_belongs_to(lists):
    _, run = lists
    referers = {s.path.split("?")[0]: s.headers.get("Referer") for s in run.server.seen}
    assert referers["/api/v4/columns/dushu-biji/items"] == COLUMN
    assert referers["/api/v4/collections/700000001/items"] == COLLECTION
    assert referers["/api/v4/members/lin-xiao-shu/answers"] == f"{PERSON}/answers"
    assert referers["/api/v4/members/lin-xiao-shu/articles"] == f"{PERSON}/posts"
    assert referers["/api/v4/members/lin-xiao-shu/pins"] == f"{PERSON}/pins"
    assert referers["/api/v5.1/topics/19550517/feeds/top_activity/v2"] == TOPIC
    assert referers["/api/v4/pins/1800000000000000001"] == PIN


def test_a_pin_post(lists):
    path, _ = lists
    text = posts(path)[f"{ROOT}/知乎想法/pin-1800000000000000001.md"].decode()
    assert "title: '把博客迁到了 Hexo，记录三步：'\n" in text
    assert "\n - 知乎想法\n" in text
    assert "date: Wed, 31 Dec 2025 16:53:20 GMT\n" in text
    assert "<div>   \n林小舒的想法<br><br><p>把博客迁到了 Hexo" in text
    assert "headimg: 'https://pic2.zhimg.com/v2-18000000000000000000000000000001_1440w.jpg'" in text
    assert '<a href="https://hexo.io/docs/">Hexo 文档</a>' in text  # the redirector undone
    assert (path / "images/zhimg").is_dir()  # its figure archived as any other


def test_a_repin_in_a_persons_pins(lists):
    path, _ = lists
    text = posts(path)[f"{ROOT}/知乎用户/pin-1800000000000000003.md"].decode()
    assert "林小舒的想法<br><br><p>下周也去。</p><blockquote><p>转发 " in text
    assert "周末去爬了香山" in text


def test_a_second_run_changes_nothing_and_an_edit_is_picked_up(tmp_path):
    first = archive(tmp_path, *GOOD)
    assert first.code == 0, first.log
    assert "Progress: 6/6 archived, 0 failed" in first.log
    before, times = posts(tmp_path), mtimes(tmp_path / "_posts")
    again = archive(tmp_path, *GOOD)
    assert again.code == 0 and posts(tmp_path) == before
    assert mtimes(tmp_path / "_posts") == times
    assert f"Summary: 0 new, 0 updated, {len(EXPECTED)} unchanged" in again.log
    edited = archive(tmp_path, COLUMN, scenarios=("edited-column",))
    assert edited.code == 0, edited.log
    assert "Summary: 0 new, 1 updated, 2 unchanged" in edited.log
    text = posts(tmp_path)[f"{ROOT}/知乎专栏/article-4100000001.md"].decode()
    assert "五千余里" in text and "补记" in text


def test_a_limit_bounds_what_a_list_yields(tmp_path):
    run = archive(tmp_path, COLUMN, TOPIC, options=("-a", "limit=1"))
    assert run.code == 0, run.log
    assert set(posts(tmp_path)) == {
        f"{ROOT}/知乎专栏/article-4100000001.md",
        f"{ROOT}/知乎话题精华/answer-4400000001.md",
    }
    assert not any("offset=20" in p for p in run.requested("www.zhihu.com"))


def test_a_limit_is_checked_before_anything_is_sent(tmp_path):
    run = archive(tmp_path, COLUMN, options=("-a", "limit=0"))
    assert run.code == 2
    assert "-a limit='0' is not accepted: expected a whole number from 1 up" in run.log
    assert run.server.seen == []


def test_a_paging_link_off_the_api_is_never_followed(tmp_path):
    run = archive(tmp_path, "https://zhuanlan.zhihu.com/bad-paging")
    assert run.code == 1, run.log
    assert "Skipped (unexpected_paging): https://zhuanlan.zhihu.com/bad-paging" in run.log
    assert {s.host for s in run.server.seen} <= {
        "www.zhihu.com",
        "pic1.zhimg.com",
        "pic2.zhimg.com",
        "pic3.zhimg.com",
        "pic4.zhimg.com",
        "picx.zhimg.com",
    }
    assert set(posts(tmp_path)) == {f"{ROOT}/知乎专栏/article-4100000009.md"}


# `scrapy crawl follow`
FOLLOW = f"""
[[source]]
url = "{COLUMN}"

[[source]]
url = "{COLLECTION}"
categories = "收藏/知乎"
limit = 2
"""


def follow(path, config, *args, scenarios=()):
    return crawl(
        path / "archive",
        *scenarios,
        command=("crawl", "follow", "-a", f"config={config}", *args),
    )


def column_pages(run):
    return [p for p in run.requested("www.zhihu.com") if p.startswith("/api/v4/columns/")]


def test_follow_reads_new_items_and_stops_early_on_an_unchanged_list(tmp_path):
    config = tmp_path / "follow.toml"
    config.write_text(FOLLOW, encoding="utf-8")
    first = follow(tmp_path, config)
    assert first.code == 0, first.log
    assert first.server.gate.refused == []
    assert len(column_pages(first)) == 2
    assert (
        f"Source {COLUMN}: 2 request(s), 3 item(s), 3 new or edited; read to its end" in first.log
    )
    assert (
        f"Source {COLLECTION}: 1 request(s), 2 item(s), 2 new or edited; limit reached" in first.log
    )
    assert "Summary: 5 new, 0 updated, 0 unchanged" in first.log
    assert sorted(p for p in posts(tmp_path / "archive") if "收藏" in p) == [
        "_posts/收藏/知乎/answer-4200000001.md",
        "_posts/收藏/知乎/pin-1800000000000000002.md",
    ]
    assert list((tmp_path / "archive/.archiver/warc").glob("follow-*.warc.gz"))

    routine = follow(tmp_path, config)
    assert routine.code == 0, routine.log
    assert column_pages(routine) == ["/api/v4/columns/dushu-biji/items?offset=0&limit=20"]
    assert f"Source {COLUMN}: 1 request(s), 2 item(s), 0 new or edited; stopped at a page" in (
        routine.log
    )
    assert "Summary: 0 new, 0 updated, 4 unchanged" in routine.log
    assert "Progress: 2/2 lists done, 0 failed" in routine.log

    edited = follow(tmp_path, config, scenarios=("edited-column",))
    assert edited.code == 0, edited.log
    assert "Summary: 0 new, 1 updated" in edited.log
    assert len(column_pages(edited)) == 2  # a page with an edit: the next one is read too

    full = follow(tmp_path, config, "-a", "full=1")
    assert full.code == 0 and len(column_pages(full)) == 2
    assert "Following 2 list(s) (full walk)" in full.log


def test_follow_config_mistakes_are_one_line_and_nothing_is_sent(tmp_path):
    config = tmp_path / "follow.toml"
    config.write_text('[[source]]\nurl = "https://www.zhihu.com/answer/1"\n', encoding="utf-8")
    run = follow(tmp_path, config)
    assert run.code == 2, run.log
    assert "is not a list (a column, collection, person or topic)" in run.log
    assert run.server.seen == []
    missing = crawl(tmp_path / "a2", command=("crawl", "follow"))
    assert missing.code == 2 and "follow needs -a config=" in missing.log


def _edit_first(node: object) -> bool:
    """Append a paragraph to the first HTML `content` in a Zhihu response, and move its date."""
    if isinstance(node, dict):
        if isinstance(node.get("content"), str):
            node["content"] += "<p>补记：编辑过</p>"
            for key in ("updated_time", "updated"):
                if isinstance(node.get(key), int):
                    node[key] += 1000
            return True
        return any(_edit_first(value) for value in node.values())
    return isinstance(node, list) and any(_edit_first(value) for value in node)


@pytest.mark.parametrize(
    ("url", "fixture"),
    [
        (COLLECTION, "www.zhihu.com/api/v4/collections/700000001/items@offset=0&limit=20.json"),
        (
            PERSON,
            "www.zhihu.com/api/v4/members/lin-xiao-shu/answers"
            "@offset=0&limit=20&sort_by=created.json",
        ),
        (
            TOPIC,
            "www.zhihu.com/api/v5.1/topics/19550517/feeds/top_activity/v2@offset=0&limit=20.json",
        ),
        (PIN, "www.zhihu.com/api/v4/pins/1800000000000000001.json"),
    ],
)
def test_an_edit_is_picked_up_for_every_kind(tmp_path, url, fixture):
    first = archive(tmp_path / "archive", url)
    assert first.code == 0, first.log
    before = posts(tmp_path / "archive")
    edited = tmp_path / "edited" / fixture
    edited.parent.mkdir(parents=True)
    data = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    assert _edit_first(data)
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = crawl(tmp_path / "archive", command=("archive", url), extra_roots=(tmp_path / "edited",))
    assert run.code == 0, run.log
    after = posts(tmp_path / "archive")
    changed = [path for path in after if after[path] != before.get(path)]
    assert len(changed) == 1 and set(after) == set(before), changed
    assert "补记：编辑过".encode() in after[changed[0]]
    assert "1 updated" in run.log

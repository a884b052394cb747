"""Lists and pins end to end (`scrapy archive` and `scrapy crawl follow`), through the fixture
proxy and its gate: columns, collections, people, a topic's essence, pins."""

from __future__ import annotations

import json
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.crawling import crawl, mtimes, posts, scrapy_command
from tests.support.fixture_server import FIXTURES

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


def archive(path, *urls, scenarios=(), options=(), **kwargs):
    return crawl(path, *scenarios, command=("archive", *options, *urls), **kwargs)


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
    assert referers["/api/v4/v2/members/lin-xiao-shu/pins"] == f"{PERSON}/pins"
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
    run = archive(tmp_path, COLUMN, options=("-a", "limit=0"), in_subprocess=True)
    assert run.code == 2
    assert "-a limit='0' is not accepted: expected a whole number from 1 up" in run.log
    assert run.server.seen == []


def test_a_paging_link_off_the_api_is_never_followed(tmp_path):
    run = archive(tmp_path, "https://zhuanlan.zhihu.com/bad-paging")
    assert run.code == 1, run.log
    # a list not read whole is a failure (24.2), not a skip
    assert (
        "Failed list https://zhuanlan.zhihu.com/bad-paging, not archived whole: its paging.next "
        "is not this list's API, not followed: https://evil.example/" in run.log
    )
    assert "'archiver/failed/list/unexpected_paging': 1" in run.log
    assert {s.host for s in run.server.seen} <= {
        "www.zhihu.com",
        "pic1.zhimg.com",
        "pic2.zhimg.com",
        "pic3.zhimg.com",
        "pic4.zhimg.com",
        "picx.zhimg.com",
    }
    assert set(posts(tmp_path)) == {f"{ROOT}/知乎专栏/article-4100000009.md"}


# Lists on the shapes Zhihu really serves (issue 25): several pages each, entries whose content
# the list cuts or leaves out, http:// and \u0026 links, Zhihu's internal next link, a link without
# /api/v4, a next link without our include, a person's pins where Zhihu moved them.
REAL_COLUMN = "https://www.zhihu.com/column/c_1290000000000000001"
REAL_COLLECTION = "https://www.zhihu.com/collection/795000001"
REAL_PERSON = "https://www.zhihu.com/people/chen-mo-ran"
REAL_TOPIC = "https://www.zhihu.com/topic/19554298/top-answers"
REAL = (REAL_COLUMN, REAL_COLLECTION, REAL_PERSON, REAL_TOPIC)
# (category folder, kind-id, a phrase only the item's own endpoint has, or "" when whole)
REAL_POSTS = [
    ("知乎专栏", "article-1920000000000000001", "最后一章我读了两遍"),  # cut by the list
    ("知乎专栏", "answer-2980000001", ""),
    ("知乎专栏", "article-38000001", "老人和牛一起走进了黄昏"),  # an excerpt only
    ("知乎专栏", "article-1920000000000000002", ""),
    ("知乎专栏", "article-37000001", "我不同意什么"),  # page 3, cut
    ("知乎收藏夹", "answer-1930000000000000001", "省下的不是钱"),
    ("知乎收藏夹", "pin-1930000000000000002", ""),
    ("知乎收藏夹", "article-39000001", ""),
    ("知乎收藏夹", "answer-2990000001", "两个菜一个汤"),
    ("知乎收藏夹", "article-1930000000000000003", "不是放坏的"),
    ("知乎收藏夹", "answer-2990000002", ""),
    ("知乎用户", "answer-1940000000000000001", ""),
    ("知乎用户", "answer-2970000001", "鞋套比什么都管用"),
    ("知乎用户", "answer-1940000000000000002", ""),
    ("知乎用户", "answer-2970000002", ""),  # page 3: Zhihu's link left out /api/v4
    ("知乎用户", "article-1940000000000000011", ""),
    ("知乎用户", "article-36000001", ""),  # page 2: Zhihu's link left out our include
    ("知乎用户", "pin-1940000000000000021", ""),
    ("知乎用户", "pin-1940000000000000022", "今天顺风"),  # no blocks in the list
    ("知乎用户", "pin-1940000000000000023", ""),  # a repin
    ("知乎话题精华", "answer-1950000000000000001", "晃而不散"),
    ("知乎话题精华", "article-35000001", ""),
    ("知乎话题精华", "answer-2960000001", ""),  # page 2: Zhihu's internal next link
    ("知乎话题精华", "article-1950000000000000002", "那是1937年的夏天"),
    ("知乎话题精华", "answer-2960000002", ""),
]
READ_APART = [post for _, post, phrase in REAL_POSTS if phrase]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    path = tmp_path_factory.mktemp("real")
    return path, archive(path, *REAL)


def list_pages(run, prefix):
    return [p for p in run.requested("www.zhihu.com") if p.startswith(prefix)]


def test_every_kind_of_list_on_real_shapes_is_read_to_its_end(real):
    path, run = real
    assert run.code == 0, run.log
    assert set(posts(path)) == {f"{ROOT}/{folder}/{post}.md" for folder, post, _ in REAL_POSTS}
    assert "Progress: 4/4 archived, 0 failed" in run.log
    assert run.server.gate.refused == []  # every page and item signed, logged in
    pages = {
        "/api/v4/columns/c_1290000000000000001/items": 3,
        "/api/v4/collections/795000001/items": 3,
        "/api/v4/members/chen-mo-ran/answers": 3,
        "/api/v4/members/chen-mo-ran/articles": 2,
        "/api/v4/v2/members/chen-mo-ran/pins": 2,
        "/api/v5.1/topics/19554298/feeds/top_activity/v2": 1,
        "/api/v4/topics/19554298/feeds/essence_v4": 2,
    }
    assert {prefix: len(list_pages(run, prefix + "?")) for prefix in pages} == pages
    assert "Skipped (unsupported_kind): zvideo 1920000000000000009" in run.log
    assert "Skipped (unsupported_kind): question 660000014" in run.log


def test_an_entry_the_list_cuts_is_archived_from_its_own_endpoint(real):
    path, run = real
    archived = posts(path)
    for folder, post, phrase in REAL_POSTS:
        if phrase:
            assert phrase in archived[f"{ROOT}/{folder}/{post}.md"].decode(), post
    assert "Skipped (truncated)" not in run.log and "Failed" not in run.log
    assert f"'archiver/lists/read_apart': {len(READ_APART)}" in run.log
    seen = {s.path.split("?")[0]: s for s in run.server.seen if s.host == "www.zhihu.com"}
    # as `archive URL` asks for it: its own page as Referer, an answer with our include
    article = seen["/api/v4/articles/1920000000000000001"]
    assert article.headers["Referer"] == "https://zhuanlan.zhihu.com/p/1920000000000000001"
    answer = seen["/api/v4/answers/1930000000000000001"]
    assert answer.headers["Referer"] == "https://www.zhihu.com/question/2088600000000000001"
    assert "include=content%2Cexcerpt" in answer.path
    assert seen["/api/v4/pins/1940000000000000022"].headers["Referer"] == (
        "https://www.zhihu.com/pin/1940000000000000022"
    )
    # what a list gives whole is not asked for again
    fetched = {
        p.rsplit("/", 1)[1]
        for p in seen
        if p.startswith(("/api/v4/articles/", "/api/v4/answers/", "/api/v4/pins/"))
    }
    assert fetched == {post.split("-", 1)[1] for post in READ_APART}


def test_every_page_of_a_list_asks_for_what_the_first_did(real):
    _, run = real
    first, second = list_pages(run, "/api/v4/members/chen-mo-ran/articles?")
    include = parse_qs(urlsplit(first).query)["include"]
    assert include[0].startswith("data[*].content,")
    # Zhihu's link to page 2 left our include out: it is put back
    assert parse_qs(urlsplit(second).query) == {
        "offset": ["20"],
        "limit": ["20"],
        "sort_by": ["created"],
        "include": include,
    }
    for page in list_pages(run, "/api/v4/members/chen-mo-ran/answers?"):
        assert "include=data%5B%2A%5D.content%2C" in page and "sort_by=created" in page


def test_a_topics_essence_goes_on_at_zhihus_public_api(real):
    _, run = real
    assert list_pages(run, "/api/v5.1/topics/19554298/") + list_pages(
        run, "/api/v4/topics/19554298/"
    ) == [
        "/api/v5.1/topics/19554298/feeds/top_activity/v2?offset=0&limit=20",
        "/api/v4/topics/19554298/feeds/essence_v4?offset=20&limit=20",
        "/api/v4/topics/19554298/feeds/essence_v4?offset=40&limit=20",
    ]
    assert {s.host for s in run.server.seen if "172.16" in s.host} == set()
    topic = [s for s in run.server.seen if "/topics/19554298/" in s.path]
    assert {s.headers["Referer"] for s in topic} == {REAL_TOPIC}
    # a person's list whose next link leaves out /api/v4
    assert list_pages(run, "/api/v4/members/chen-mo-ran/answers?limit=20&offset=40")


def test_a_rerender_reads_every_post_of_every_list_again_and_changes_nothing(real, tmp_path):
    """Items of the lists' new pages (v2 pins, the v4 essence feed) and those read on their own
    are found in the captures as the crawl read them."""
    path, _ = real
    copy = tmp_path / "archive"
    shutil.copytree(path, copy)
    done = scrapy_command(copy, "rerender")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"Rerender: {len(REAL_POSTS)} posts: 0 changed, {len(REAL_POSTS)} unchanged, 0 failed"
        in (done.stdout)
    )
    assert posts(copy) == posts(path)


def test_an_internal_link_to_another_list_is_never_requested(tmp_path):
    run = archive(tmp_path, REAL_TOPIC, scenarios=("topic-internal-elsewhere",))
    assert run.code == 1, run.log
    assert (
        f"Failed list {REAL_TOPIC}, not archived whole: its paging.next is not this list's API, "
        "not followed: https://172.16.201.121:80/topics/19554298/feeds/timeline_activity"
    ) in run.log
    assert {s.host for s in run.server.seen if "172.16" in s.host} == set()
    assert not list_pages(run, "/api/v4/topics/")
    assert f"Progress: 0/1 archived, 1 failed ({REAL_TOPIC})" in run.log


def test_a_persons_pins_are_read_where_zhihu_moved_them(real):
    _, run = real
    assert list_pages(run, "/api/v4/v2/members/chen-mo-ran/pins") == [
        "/api/v4/v2/members/chen-mo-ran/pins?offset=0&limit=20",
        "/api/v4/v2/members/chen-mo-ran/pins?offset=20&limit=20",
    ]
    assert not list_pages(run, "/api/v4/members/chen-mo-ran/pins")
    pins = [s for s in run.server.seen if s.path.startswith("/api/v4/v2/members/")]
    assert {s.headers["Referer"] for s in pins} == {f"{REAL_PERSON}/pins"}


def test_the_old_pins_endpoint_is_read_while_the_new_one_is_not_there(tmp_path):
    run = archive(tmp_path, f"{REAL_PERSON}/pins", scenarios=("pins-old-endpoint",))
    assert run.code == 0, run.log
    assert list_pages(run, "/api/v4/members/chen-mo-ran/pins") == [
        "/api/v4/members/chen-mo-ran/pins?offset=0&limit=20"
    ]
    assert "reading /api/v4/members/chen-mo-ran/pins" in run.log
    assert "'archiver/fallback/old_list_endpoint': 1" in run.log
    assert set(posts(tmp_path)) == {
        f"{ROOT}/知乎用户/pin-1940000000000000021.md",
        f"{ROOT}/知乎用户/pin-1940000000000000023.md",
    }
    assert "Summary: 2 new, 0 updated, 0 unchanged, 0 skipped, 0 failed" in run.log


# `scrapy crawl follow`
FOLLOW = f"""
[[source]]
url = "{COLUMN}"

[[source]]
url = "{COLLECTION}"
categories = "收藏/知乎"
limit = 2
"""


def follow(path, config, *args, scenarios=(), **kwargs):
    return crawl(
        path / "archive",
        *scenarios,
        command=("crawl", "follow", "-a", f"config={config}", *args),
        **kwargs,
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
    run = follow(tmp_path, config, in_subprocess=True)
    assert run.code == 2, run.log
    assert "is not a list (a column, collection, person or topic)" in run.log
    assert run.server.seen == []
    missing = crawl(tmp_path / "a2", command=("crawl", "follow"), in_subprocess=True)
    assert missing.code == 2 and "follow needs -a config=" in missing.log


def _edit_first(node: object) -> bool:
    """Append a paragraph to the first HTML `content` in a Zhihu response, and move its date."""
    if isinstance(node, dict):
        if isinstance(node.get("content"), str):
            node["content"] += "<p>补记：编辑过</p>"
            if isinstance(node.get("own_text"), str):  # a pin's text block: its author's text
                node["own_text"] += "<p>补记：编辑过</p>"
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


def test_follow_fails_for_a_list_it_did_not_read_whole(tmp_path):
    config = tmp_path / "follow.toml"
    config.write_text(
        f'[[source]]\nurl = "https://zhuanlan.zhihu.com/bad-paging"\n\n'
        f'[[source]]\nurl = "{COLLECTION}"\n',
        encoding="utf-8",
    )
    run = follow(tmp_path, config)
    assert run.code == 1, run.log
    assert (
        "Failed list https://zhuanlan.zhihu.com/bad-paging, not archived whole: its paging.next "
        "is not this list's API" in run.log
    )
    assert "Progress: 2/2 lists done, 1 failed" in run.log
    assert "Summary: 4 new, 0 updated, 0 unchanged, 2 skipped, 1 failed" in run.log


@pytest.mark.parametrize("command", ["archive", "follow"])
def test_a_list_whose_item_cannot_be_had_whole_fails_and_says_which(tmp_path, command):
    if command == "archive":
        run = archive(tmp_path, REAL_COLUMN, scenarios=("column-cut-again",))
    else:
        config = tmp_path / "follow.toml"
        config.write_text(f'[[source]]\nurl = "{REAL_COLUMN}"\n', encoding="utf-8")
        run = follow(tmp_path, config, scenarios=("column-cut-again",))
    assert run.code == 1, run.log
    assert "Skipped (truncated): article 1920000000000000001: content truncated" in run.log
    assert (
        f"Failed list {REAL_COLUMN}, not archived whole: "
        "https://zhuanlan.zhihu.com/p/1920000000000000001 not archived" in run.log
    )
    assert "'archiver/failed/list/truncated': 1" in run.log
    assert "Summary: 4 new, 0 updated, 0 unchanged, 2 skipped, 1 failed" in run.log


def test_follow_reads_a_cut_entry_again_only_when_it_changed(tmp_path):
    config = tmp_path / "follow.toml"
    config.write_text(f'[[source]]\nurl = "{REAL_COLUMN}"\n', encoding="utf-8")
    first = follow(tmp_path, config)
    assert first.code == 0, first.log
    assert len(list_pages(first, "/api/v4/articles/")) == 3
    assert f"Source {REAL_COLUMN}: 6 request(s), 5 item(s), 5 new or edited; read to its end" in (
        first.log
    )
    routine = follow(tmp_path, config)
    assert routine.code == 0, routine.log
    assert routine.requested("www.zhihu.com") == [
        "/api/v4/columns/c_1290000000000000001/items?offset=0&limit=20"
    ]
    assert f"Source {REAL_COLUMN}: 1 request(s), 2 item(s), 0 new or edited; stopped" in (
        routine.log
    )

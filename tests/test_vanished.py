"""What vanished, kept and shown: the index's record of checks and goings
(archiver/vanishings.py), the note on a vanished post and the month's page
(archiver/post/vanished.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import frontmatter
import pytest

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.schema import SCHEMA_VERSION
from archiver.archive.vanishings import CheckLog
from archiver.items import Checked
from archiver.post.daily import page_text
from archiver.post.periods import month_of
from archiver.post.render import PostOptions, post_text
from archiver.post.vanished import (
    KEY,
    NOTE_CLASS,
    Gone,
    Note,
    kept_author,
    month_page,
    note_html,
    with_note,
)
from tests.support.project import make_post

SHANGHAI = ZoneInfo("Asia/Shanghai")
GONE = Note("gone", "answer", date(2026, 12, 2), date(2026, 11, 25), 404, "4041", "资源不存在")


def entry(key: str, first_seen: str = "2026-11-25T02:00:00+00:00", **changes: object) -> IndexEntry:
    kind, item_id = key.split(":")
    fields = dict(
        key=key,
        kind=kind,
        item_id=item_id,
        url=f"https://www.zhihu.com/answer/{item_id}",
        question_id="9",
        title=f"问题 {item_id}",
        path=f"_posts/知乎/{kind}-{item_id}.md",
        updated_time=1700000000,
        content_hash="0" * 64,
        first_seen=first_seen,
        last_seen=first_seen,
    )
    return IndexEntry(**{**fields, **changes})


@pytest.fixture
def index(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    yield index
    index.close()


def check(key: str, state: str, at: str = "2026-12-02T01:00:00+00:00", **more: object) -> Checked:
    return Checked(key, state, at, **{"status": 404, "code": "4041", "message": "m", **more})


def test_an_old_index_gains_the_tables_and_a_schema_version(tmp_path):
    path = tmp_path / "index.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE posts (key TEXT PRIMARY KEY)")
    old.commit()
    old.close()
    ArchiveIndex(path).close()
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"checks", "vanished", "check_sources"} <= tables
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_never_checked_first_then_the_longest_unchecked(index):
    for n, key in enumerate(["answer:1", "answer:2", "article:3", "pin:4", "page:x", "feed:y"]):
        index.record(entry(key), f"2026-11-2{n}T00:00:00+00:00")
    log = CheckLog(index)
    log.record([check("answer:1", "unchanged", "2026-12-01T00:00:00+00:00")], {})
    log.record([check("answer:2", "unchanged", "2026-11-30T00:00:00+00:00")], {})
    assert [d.entry.key for d in log.due(10)] == ["article:3", "pin:4", "answer:2", "answer:1"]
    assert [d.entry.key for d in log.due(3)] == ["article:3", "pin:4", "answer:2"]
    assert [d.checked_at for d in log.due(4)][2:] == [
        "2026-11-30T00:00:00+00:00",
        "2026-12-01T00:00:00+00:00",
    ]
    since = [d.entry.key for d in log.due(10, since="2026-11-22T00:00:00+00:00")]
    assert since == ["article:3", "pin:4"]


def test_a_going_keeps_its_first_noticed_date_and_ends_when_the_item_is_back(index):
    index.record(entry("answer:1"), "2026-11-25T02:00:00+00:00")
    log = CheckLog(index)
    [change] = log.record([check("answer:1", "gone", warc_file="r.warc.gz")], {"answer:1": "甲"})
    assert change.how == "new"
    assert (change.vanishing.author, change.vanishing.warc_file) == ("甲", "r.warc.gz")
    assert log.record([check("answer:1", "gone", "2026-12-03T01:00:00+00:00")], {}) == []
    assert log.current("answer:1").noticed_at == "2026-12-02T01:00:00+00:00"
    assert log.record([check("answer:1", "unknown", "2026-12-04T01:00:00+00:00")], {}) == []
    [back] = log.record([check("answer:1", "unchanged", "2026-12-05T01:00:00+00:00")], {})
    assert back.how == "back" and back.vanishing.ended_at == "2026-12-05T01:00:00+00:00"
    assert log.current("answer:1") is None
    [(going, kept)] = log.of_question("9")
    assert (going.state, going.ended_as, kept.key) == ("gone", "back", "answer:1")


def test_a_going_of_another_kind_ends_the_one_before(index):
    index.record(entry("answer:1"), "2026-11-25T02:00:00+00:00")
    log = CheckLog(index)
    log.record([check("answer:1", "hidden", status=200, code="suggest_edit")], {})
    ended, opened = log.record([check("answer:1", "gone", "2026-12-09T00:00:00+00:00")], {})
    assert (ended.how, ended.vanishing.state) == ("ended", "hidden")
    assert ended.vanishing.ended_as == "gone"
    assert (opened.how, opened.vanishing.state) == ("changed", "gone")
    assert list(log.lasting()) == ["answer:1"]
    assert len(log.noticed_between("2026-12-01", "2027-01-01")) == 2


def test_folded_is_there_and_no_going(index):
    index.record(entry("answer:1"), "2026-11-25T02:00:00+00:00")
    log = CheckLog(index)
    assert log.record([check("answer:1", "folded", status=200, code="is_collapsed")], {}) == []
    assert log.lasting() == {}


def rendered(**changes: object) -> str:
    return post_text(make_post(**changes), PostOptions(**changes.pop("options", {})))


@pytest.mark.parametrize(
    "options",
    [{}, {"updated": True, "title_display": True, "braces": "raw"}],
    ids=["seed", "theme-keys-raw"],
)
def test_a_note_and_its_key_go_and_come_back_off_byte_for_byte(options):
    text = post_text(make_post(content="<p>{{ 正文 }}</p>"), PostOptions(**options))
    noted = with_note(text, GONE)
    assert noted is not None and noted != text
    assert with_note(noted, GONE) == noted  # idempotent
    assert with_note(noted, None) == text
    assert with_note(text, None) == text
    meta = frontmatter.loads(noted.lstrip("\n"))
    assert meta[KEY] == "gone"
    assert meta["title"] == "问题"
    body = noted.split("\n<div>   \n", 1)[1]
    first, rest = body.split("\n", 1)
    assert first == note_html(GONE) and first.startswith(f'<p class="{NOTE_CLASS}">')
    assert rest == text.split("\n<div>   \n", 1)[1]


def test_the_note_says_how_it_went_when_and_keeps_from_nunjucks():
    line = note_html(GONE)
    assert "这篇回答已从知乎删除（HTTP 404，错误码 4041，2026-12-02 发现）" in line
    assert "2026-11-25 存档" in line
    hidden = Note("hidden", "article", date(2026, 12, 2), date(2026, 11, 1), 200, "", "{{ 理由 }}")
    line = note_html(hidden)
    assert "这篇文章被知乎隐藏" in line and "知乎：&#123;&#123; 理由 &#125;&#125;" in line
    assert "\n" not in line
    author = note_html(Note("author_gone", "pin", date(2026, 12, 2), date(2026, 11, 1)))
    assert "这篇想法的作者帐号已注销" in author


def test_a_text_of_another_shape_is_left_alone():
    assert with_note("just some text", GONE) is None
    assert with_note("\n---\ntitle: 'x'\n---\nno wrapper", GONE) is None


@pytest.mark.parametrize("braces", ["entities", "raw"])
def test_the_kept_post_names_its_author(braces):
    text = post_text(make_post(author="<林> {小舒}"), PostOptions(braces=braces))
    assert kept_author(text) == "<林> {小舒}"
    assert kept_author(with_note(text, GONE)) == "<林> {小舒}"
    assert kept_author("nothing") == ""


def going(title: str, noticed: str, **changes: object) -> Gone:
    fields = dict(
        title=title,
        author="某人",
        kind="answer",
        url="https://www.zhihu.com/question/9/answer/31",
        state="gone",
        archived=datetime(2026, 11, 25, 2, tzinfo=UTC),
        noticed=datetime.fromisoformat(noticed),
        slug="社交媒体/知乎/知乎热榜/answer-31",
    )
    return Gone(**{**fields, **changes})


def test_the_month_page_lists_what_vanished_with_links_to_the_kept_posts():
    goings = [
        going("后发现的 {% raw %}", "2026-12-20T01:00:00+00:00", state="hidden"),
        going("先发现的", "2026-12-02T01:00:00+00:00"),
        going(
            "回来了的",
            "2026-12-05T01:00:00+00:00",
            slug="",
            ended=datetime(2026, 12, 9, 1, tzinfo=UTC),
            ended_as="back",
        ),
    ]
    page = month_page(month_of(date(2026, 12, 1)), SHANGHAI, goings, ("知乎", "消失"))
    assert page is not None
    assert page.post.id == "vanished-2026-12"
    assert page.post.title == "知乎上消失的内容 2026 年 12 月"
    assert page.post.updated == int(datetime(2026, 12, 20, 1, tzinfo=UTC).timestamp())
    text = page_text(page, PostOptions())
    assert text.index("先发现的") < text.index("回来了的") < text.index("后发现的")
    assert "某人的回答，已从知乎删除；2026-11-25 存档，2026-12-02 09:00 发现" in text
    assert "被知乎隐藏（建议修改）" in text
    assert "2026-12-09 又回到了知乎" in text
    assert text.count("{% post_link 社交媒体/知乎/知乎热榜/answer-31 %}") == 2  # not the one gone
    assert "{% raw %}" not in text  # a title is never a tag
    assert month_page(month_of(date(2026, 12, 1)), SHANGHAI, [], ()) is None
    again = month_page(month_of(date(2026, 12, 1)), SHANGHAI, goings[::-1], ("知乎", "消失"))
    assert page_text(again, PostOptions()) == text  # the same rows, the same bytes

"""Safe under cron: history of edits, vanished answers, overlapping and killed runs, the daily
hot-list page, and the cookie check."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import frontmatter
import pytest

from tests.support.crawling import (
    SECRET,
    SECRET_MARKERS,
    crawl,
    mtimes,
    posts,
    slow_crawl,
    wait_for,
)

SEED = "_posts/社交媒体/知乎/知乎热榜/answer-2583412650.md"
DAILY = "_posts/社交媒体/知乎/知乎热榜日报"


def index(archive: Path) -> sqlite3.Connection:
    return sqlite3.connect(archive / ".archiver" / "index.sqlite3")


def test_an_edit_keeps_the_previous_version(tmp_path):
    crawl(tmp_path)
    original = posts(tmp_path)[SEED]
    assert crawl(tmp_path, "edited").code == 0
    assert posts(tmp_path)[SEED] != original
    rows = (
        index(tmp_path)
        .execute("SELECT path, updated_time, text FROM versions WHERE key = 'answer:2583412650'")
        .fetchall()
    )
    assert rows == [(SEED, 1658628417, original)]


def test_a_vanished_answer_keeps_its_post(tmp_path):
    crawl(tmp_path)
    before = posts(tmp_path)[SEED]
    run = crawl(tmp_path, "vanished")
    assert run.code == 0, run.log
    assert "HTTP 404 (deleted, or never existed)" in run.log
    # /feeds is asked too (a 404 to a logged-in request may be an endpoint Zhihu moved); it
    # answers 404 as well: the failure said is the first one's.
    assert "Failed https://www.zhihu.com/api/v4/questions/546512789/answers?" in run.log
    assert "'archiver/fallback/question_feeds': 1" in run.log
    assert posts(tmp_path)[SEED] == before
    assert index(tmp_path).execute(
        "SELECT count(*) FROM posts WHERE key = 'answer:2583412650'"
    ).fetchone() == (1,)


def test_a_second_run_on_a_busy_archive_exits_at_once(tmp_path, fixture_server):
    server = fixture_server(delay=0.3)
    first = slow_crawl(tmp_path, server)
    try:
        wait_for(lambda: bool(server.seen))  # the first run holds the lock by now
        started = time.monotonic()
        second = crawl(tmp_path, in_subprocess=True)  # a lock between two processes
        assert second.code == 4, second.log
        assert "Another run is using the archive" in second.log and "pid" in second.log
        assert time.monotonic() - started < 30
        assert second.server.seen == []
    finally:
        output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output


def test_a_killed_run_leaves_nothing_broken_and_the_next_one_completes(tmp_path, fixture_server):
    victim = slow_crawl(tmp_path, fixture_server(delay=0.4))
    wait_for(lambda: bool(posts(tmp_path)) or victim.poll() is not None)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    for path, data in posts(tmp_path).items():  # whole posts or none
        text = data.decode()
        assert text.endswith("  \n</div>\n" + " " * 12), path
        assert frontmatter.loads(text.lstrip("\n"))["title"]
    assert index(tmp_path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = crawl(tmp_path)
    assert again.code == 0, again.log
    assert len([p for p in posts(tmp_path) if "/知乎热榜/" in p]) == 3
    assert not list(tmp_path.rglob("*.tmp"))


def test_every_hot_list_is_recorded_and_the_daily_page_lists_it(tmp_path):
    first = crawl(tmp_path)
    page_path = next(p for p in posts(tmp_path) if p.startswith(DAILY))
    page_before = mtimes(tmp_path)[str(tmp_path / page_path)]
    second = crawl(tmp_path)
    assert first.code == second.code == 0
    rows = (
        index(tmp_path)
        .execute("SELECT rank, question_id, title, heat FROM hotlist ORDER BY fetched_at, rank")
        .fetchall()
    )
    assert len(rows) == 8  # two runs of four questions
    assert rows[0] == (1, "546512789", "ai作画到了什么水平了？目前有哪些应用？", "1233 万热度")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert page_path == f"{DAILY}/page-hotlist-{today}.md"
    # the same hot list seen again: the page does not change
    assert mtimes(tmp_path)[str(tmp_path / page_path)] == page_before
    page = frontmatter.loads(posts(tmp_path)[page_path].decode().lstrip("\n"))
    assert page["title"] == f"知乎热榜 {today}"
    assert page.content.count("<li>") == 4
    assert "{% post_link 社交媒体/知乎/知乎热榜/answer-2583412650 %}" in page.content
    assert "1233 万热度" in page.content
    # questions whose answers were not archived are listed without a link
    assert page.content.count("post_link") == 3


def test_the_history_command_writes_any_day(tmp_path):
    crawl(tmp_path)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    for path in (tmp_path / DAILY).glob("*.md"):
        path.unlink()
    run = crawl(tmp_path, command=("history", "--date", today), in_subprocess=True)
    assert run.code == 0, run.log
    assert f"page-hotlist-{today}.md" in run.log
    empty = crawl(tmp_path, command=("history", "--date", "2001-01-01"), in_subprocess=True)
    assert empty.code == 1 and "no hot list was recorded on 2001-01-01" in empty.log
    bad = crawl(tmp_path, command=("history", "--date", "yesterday"), in_subprocess=True)
    assert bad.code == 2 and "YYYY-MM-DD" in bad.log


@pytest.mark.parametrize(
    ("scenario", "env", "code", "says"),
    [
        ((), {}, 0, "The cookie works: Zhihu sees you as 档案管理员 (dang-an-guan)"),
        (("logged-out",), {}, 3, "Blocked: the Zhihu login in ZHIHU_COOKIE has expired"),
        ((), {"ZHIHU_COOKIE": ""}, 3, "checkcookie: ZHIHU_COOKIE is not set. To fix: log in"),
        (
            (),
            {"ZHIHU_COOKIE": SECRET.replace("d_c0=", "x=")},
            3,
            "checkcookie: ZHIHU_COOKIE has no d_c0 (the device id",
        ),
        (
            (),
            {"https_proxy": "http://127.0.0.1:9"},
            5,
            "checkcookie: could not reach Zhihu (",
        ),
        (  # pasted with the header's name, the login first: read as meant
            (),
            {"ZHIHU_COOKIE": "Cookie: " + "; ".join(reversed(SECRET.split("; ")))},
            0,
            "Zhihu sees you as 档案管理员",
        ),
        (
            ("me-server-error",),
            {},
            1,
            "checkcookie: Zhihu was reached, but it answered HTTP 500 (/api/v4/me). To fix: ",
        ),
        (
            ("me-no-account",),
            {},
            1,
            "checkcookie: Zhihu was reached, but its answer names no account (/api/v4/me).",
        ),
    ],
)
def test_checkcookie(tmp_path, scenario, env, code, says):
    run = crawl(tmp_path, *scenario, command=("checkcookie",), env=env, in_subprocess=True)
    assert run.code == code, run.log
    assert says in run.log
    assert "Traceback" not in run.log
    for marker in SECRET_MARKERS:
        assert marker not in run.log
    if code != 3:  # a refusal before sending says nothing about what was sent
        assert "checkcookie: __zse_ck (the token of Zhihu's JavaScript challenge): present" in (
            run.log
        )
    if "has no" in says:
        assert run.server.seen == []
    if code == 0:
        assert "checkcookie: challenge solver: " in run.log  # available, or why not
        assert "checkcookie: solved challenge token: none" in run.log


def test_checkcookie_signs_its_request(tmp_path):
    run = crawl(tmp_path, command=("checkcookie",), in_subprocess=True)
    assert run.code == 0 and run.server.gate.refused == []
    [me] = run.server.seen
    assert me.path.startswith("/api/v4/me") and me.headers["X-Zse-96"].startswith("2.0_")

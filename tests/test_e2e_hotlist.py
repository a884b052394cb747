"""`scrapy crawl hotlist` in a subprocess, against saved responses served on 127.0.0.1."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SEED_POST
from fixture_server import FIXTURES, FixtureServer

PROJECT = Path(__file__).parent.parent
SECRET = "z_c0=2|1:0|10:1700000000|4:z_c0|80:TOPSECRETVALUE|abc; d_c0=DC0SECRET=|1700000000"
CATEGORY = "_posts/社交媒体/知乎/知乎热榜"
EXPECTED = {
    f"{CATEGORY}/answer-{i}.md" for i in ("2583412650", "1937000000000000123", "3012345678")
}


@dataclass
class Run:
    code: int
    log: str
    server: FixtureServer


def crawl(
    archive: Path,
    *scenarios: str,
    base_url: str | None = None,
    env: dict[str, str] | None = None,
    settings: tuple[str, ...] = (),
) -> Run:
    roots = [FIXTURES / "scenarios" / name for name in scenarios] + [FIXTURES]
    with FixtureServer(roots) as server:
        clean_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        args = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "hotlist",
            "-s",
            f"ZHIHU_BASE_URL={base_url or server.base_url}",
            "-s",
            f"ARCHIVE_DIR={archive}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "RETRY_BACKOFF_BASE=0.01",
            "-s",
            "TELNETCONSOLE_ENABLED=False",
        ]
        for setting in settings:
            args += ["-s", setting]
        done = subprocess.run(
            args,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**clean_env, "ZHIHU_COOKIE": SECRET, **(env or {})},
        )
    return Run(done.returncode, done.stdout + done.stderr, server)


def posts(archive: Path) -> dict[str, bytes]:
    return {
        p.relative_to(archive).as_posix(): p.read_bytes()
        for p in sorted(archive.glob("_posts/**/*.md"))
    }


def mtimes(archive: Path) -> dict[str, int]:
    return {p.as_posix(): p.stat().st_mtime_ns for p in archive.glob("_posts/**/*.md")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Run]:
    archive = tmp_path_factory.mktemp("archive")
    return archive, crawl(archive)


def test_hot_list_becomes_posts(first_run):
    archive, run = first_run
    assert run.code == 0, run.log
    assert set(posts(archive)) == EXPECTED
    assert "Summary: 3 new, 0 updated, 0 unchanged, 3 skipped, 0 failed, blocked: no" in run.log


def test_seed_answer_front_matter_is_the_seeds(first_run):
    archive, _ = first_run
    ours = posts(archive)[f"{CATEGORY}/answer-2583412650.md"].decode()
    seed = SEED_POST.read_text(encoding="utf-8")
    assert ours.split("<div>", 1)[0] == seed.split("<div>", 1)[0]


def test_skips_are_logged_with_their_reasons(first_run):
    _, run = first_run
    assert "Skipped (not_a_question)" in run.log
    assert "Skipped (truncated): answer 1936787046304842491" in run.log
    assert "Skipped (malformed_json): answers of question 623456789" in run.log
    assert "'archiver/skipped/truncated': 1" in run.log


def test_paging_is_followed_to_the_next_answer(first_run):
    _, run = first_run
    assert any("answers?" in s.path and "offset=1" in s.path for s in run.server.seen)


def test_5xx_is_retried(first_run):
    archive, run = first_run
    q3 = [s for s in run.server.seen if "/questions/612345678/" in s.path]
    assert len(q3) == 2
    assert f"{CATEGORY}/answer-3012345678.md" in posts(archive)


def test_requests_look_like_a_browser_from_zhihu(first_run):
    _, run = first_run
    for seen in run.server.seen:
        assert seen.headers["User-Agent"].startswith("Mozilla/5.0")
        assert seen.headers["Referer"].startswith("https://www.zhihu.com/")
        assert seen.headers["Cookie"] == SECRET


def test_cookie_never_reaches_logs_or_archive(first_run):
    archive, run = first_run
    assert "TOPSECRETVALUE" not in run.log and "DC0SECRET" not in run.log
    for path in archive.rglob("*"):
        if path.is_file():
            assert b"TOPSECRETVALUE" not in path.read_bytes(), path


def test_index_records_every_archived_answer(first_run):
    archive, _ = first_run
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    rows = db.execute("SELECT item_id, path, updated_time FROM posts ORDER BY item_id").fetchall()
    assert {row[1] for row in rows} == EXPECTED
    assert ("2583412650", f"{CATEGORY}/answer-2583412650.md", 1658628417) in rows


def test_second_run_changes_nothing(tmp_path):
    crawl(tmp_path)
    before, times = posts(tmp_path), mtimes(tmp_path)
    again = crawl(tmp_path)
    assert again.code == 0, again.log
    assert posts(tmp_path) == before and mtimes(tmp_path) == times
    assert "Summary: 0 new, 0 updated, 3 unchanged" in again.log


def test_edited_answer_is_rewritten_in_place(tmp_path):
    crawl(tmp_path)
    edited = crawl(tmp_path, "edited")
    assert edited.code == 0, edited.log
    assert set(posts(tmp_path)) == EXPECTED
    text = posts(tmp_path)[f"{CATEGORY}/answer-2583412650.md"].decode()
    assert "（编辑：补充了一段）" in text
    assert "date: Sun, 24 Jul 2022 22:00:00 GMT" in text
    assert "Summary: 0 new, 1 updated, 2 unchanged" in edited.log


def test_two_answers_to_one_question_get_two_posts(tmp_path):
    run = crawl(tmp_path, "two-answers", settings=("ZHIHU_ANSWERS_PER_QUESTION=2",))
    assert run.code == 0, run.log
    texts = list(posts(tmp_path).values())
    assert len(texts) == 2
    assert all(b"title: 'ai\xe4\xbd\x9c\xe7\x94\xbb" in t for t in texts)
    assert any("另一位答主的回答".encode() in t for t in texts)


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        ("login-required", "Blocked: Zhihu requires a login for this request (HTTP 401, code 101"),
        ("login-expired", "Blocked: the Zhihu login in ZHIHU_COOKIE has expired or is invalid"),
        ("signature", "Blocked: Zhihu rejected the request signature"),
        (
            "risk-control",
            "Blocked: Zhihu's risk control is limiting this client (HTTP 403, code 40362",
        ),
        ("challenge", "Blocked: Zhihu served its JavaScript challenge page"),
        ("signin-redirect", "Blocked: Zhihu redirected to its sign-in page (HTTP 302"),
    ],
)
def test_blocked_runs_stop_loudly_and_write_nothing(tmp_path, scenario, says):
    run = crawl(tmp_path, scenario)
    assert run.code == 3, run.log
    assert says in run.log
    assert "To fix:" in run.log and "exit status 3" in run.log
    assert posts(tmp_path) == {}
    assert "TOPSECRETVALUE" not in run.log


def test_a_block_in_the_middle_of_the_crawl_stops_it(tmp_path):
    run = crawl(tmp_path, "risk-control-answers")
    assert run.code == 3, run.log
    assert run.log.count("Blocked: Zhihu's risk control") == 1
    assert "Spider closed (blocked)" in run.log
    assert posts(tmp_path) == {}


def test_a_hot_list_that_is_not_json_fails_the_run(tmp_path):
    run = crawl(tmp_path, "not-json")
    assert run.code == 1, run.log
    assert "Skipped (malformed_json): hot list" in run.log
    assert posts(tmp_path) == {}


def test_requests_go_through_the_proxy_from_the_environment(tmp_path):
    # The fixture server doubles as the proxy: Scrapy sends it absolute-form requests for
    # www.zhihu.com, which it answers from the same files. Nothing leaves this machine.
    with FixtureServer([FIXTURES]) as proxy:
        proxy_env = {"http_proxy": proxy.base_url, "no_proxy": ""}
        run = crawl(tmp_path, base_url="http://www.zhihu.com", env=proxy_env)
        seen = list(proxy.seen)
    assert run.code == 0, run.log
    assert set(posts(tmp_path)) == EXPECTED
    assert seen and all(s.path.startswith("http://www.zhihu.com/api/") for s in seen)

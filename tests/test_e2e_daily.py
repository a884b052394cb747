"""`scrapy crawl daily` end to end, against saved Zhihu Daily responses on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.crawling import (
    Run,
    assert_no_secret,
    assert_refused_before_anything,
    crawl,
    posts,
    replay,
    scrapy_command,
)

CATEGORY = "_posts/社交媒体/知乎/知乎日报"
API = "/api/4"
LATEST = {f"{CATEGORY}/daily-{i}.md" for i in ("9800101", "9800102", "9800090")}
WALK = ("crawl", "daily", "-a", "since=2026-11-27", "-a", "until=2026-11-29")
HEAD = "https://pic1.zhimg.com/v2-fcd92463b870c38a82edf389dd8061ab.jpg?source=8673f162"


def daily(archive: Path, *scenarios: str, args: tuple[str, ...] = (), **kwargs) -> Run:
    return crawl(archive, *scenarios, command=("crawl", "daily", *args), **kwargs)


def text(archive: Path, story: str) -> str:
    return posts(archive)[f"{CATEGORY}/daily-{story}.md"].decode("utf-8")


def listings(run: Run) -> list[str]:
    return [p for p in run.requested("news-at.zhihu.com") if "/stories/" in p]


def stories(run: Run) -> list[str]:
    return [p for p in run.requested("news-at.zhihu.com") if "/news/" in p]


def files(archive: Path) -> dict[str, tuple[bytes, int]]:
    """Posts and figures: their bytes and modification times."""
    paths = [*archive.glob("_posts/**/*.md"), *archive.glob("images/**/*")]
    return {p.as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Run]:
    archive = tmp_path_factory.mktemp("archive")
    return archive, daily(archive)


def test_the_latest_day_becomes_posts(first_run):
    archive, run = first_run
    assert run.code == 0, run.log
    assert set(posts(archive)) == LATEST
    assert "Summary: 3 new, 0 updated, 0 unchanged, 1 skipped, 0 failed, blocked: no" in run.log
    assert "Zhihu Daily of 2026-11-29: 4 stories" in run.log
    assert run.server.gate.refused == []


def test_stories_and_top_stories_are_each_fetched_once(first_run):
    _, run = first_run
    assert listings(run) == [f"{API}/stories/latest"]
    assert sorted(stories(run)) == [
        f"{API}/news/{i}" for i in ("9800090", "9800101", "9800102", "9800103")
    ]


def test_an_external_link_story_is_skipped_with_its_reason(first_run):
    archive, run = first_run
    assert "Skipped (external_link): story 9800103 links to https://www.example.org/" in run.log
    assert "'archiver/skipped/external_link': 1" in run.log
    assert not any("9800103" in path for path in posts(archive))


def test_a_story_is_a_post_with_its_head_image_and_no_prefix(first_run):
    archive, _ = first_run
    post = text(archive, "9800101")
    assert post.startswith("\n---\ntitle: '为什么冬天的星星看起来更亮？'\ncategories: \n")
    assert " - 社交媒体\n - 知乎\n - 知乎日报\n" in post
    assert f"\nheadimg: '{HEAD}'\n" in post and f"\nthumbnail: '{HEAD}'\n" in post
    assert "\nauthor: 知乎\n" in post
    assert "\ndate: Sat, 28 Nov 2026 23:00:12 GMT\n" in post  # its publish_time
    assert '---\n\n<div>   \n<div class="main-wrap content-wrap">' in post
    assert "林间观星" in post and "北纬三十度" in post
    assert "<script" not in post
    assert post.endswith("  \n</div>\n" + " " * 12)


def test_a_top_story_of_the_day_before_is_dated_by_its_ga_prefix(first_run):
    archive, _ = first_run
    assert "\ndate: Fri, 27 Nov 2026 23:00:00 GMT\n" in text(archive, "9800090")


def test_figures_of_the_body_are_archived(first_run):
    archive, run = first_run
    assert "figures: 10 stored, 0 failed, 0 refused" in run.log
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    urls = {row[0] for row in db.execute("SELECT url FROM figures")}
    assert HEAD in urls  # the head image, and the answers' avatars and figures
    assert len(urls) == 10


def test_each_run_is_captured_in_a_warc(first_run):
    archive, _ = first_run
    [warc] = (archive / ".archiver" / "warc").glob("daily-*.warc.gz")
    assert warc.stat().st_size > 0


def test_news_at_is_never_sent_the_cookie(first_run):
    archive, run = first_run
    sent = [s for s in run.server.seen if s.host == "news-at.zhihu.com"]
    assert sent
    for seen in sent:
        headers = {name.lower() for name in seen.headers}
        assert "cookie" not in headers and not any(h.startswith("x-zse") for h in headers)
    assert all("Cookie" not in s.headers for s in run.server.seen)
    assert_no_secret(run, archive)


def test_no_cookie_is_needed(first_run, tmp_path):
    archive, _ = first_run
    run = daily(tmp_path, env={"ZHIHU_COOKIE": ""})
    assert run.code == 0, run.log
    assert posts(tmp_path) == posts(archive)


def test_a_second_run_changes_nothing(tmp_path):
    assert daily(tmp_path).code == 0
    before = files(tmp_path)
    again = daily(tmp_path)
    assert again.code == 0, again.log
    assert files(tmp_path) == before
    assert "Summary: 0 new, 0 updated, 3 unchanged, 1 skipped" in again.log
    assert "figures: 0 stored" in again.log


def test_an_edited_story_is_rewritten_in_place(tmp_path):
    daily(tmp_path)
    unchanged = posts(tmp_path)[f"{CATEGORY}/daily-9800102.md"]
    edited = daily(tmp_path, "daily-edited")
    assert edited.code == 0, edited.log
    assert set(posts(tmp_path)) == LATEST
    assert "（更新：补充了一段观测建议" in text(tmp_path, "9800101")
    assert posts(tmp_path)[f"{CATEGORY}/daily-9800102.md"] == unchanged
    assert "Summary: 0 new, 1 updated, 2 unchanged" in edited.log
    db = sqlite3.connect(tmp_path / ".archiver" / "index.sqlite3")
    [(kept,)] = db.execute("SELECT COUNT(*) FROM versions WHERE key = 'daily:9800101'")
    assert kept == 1  # the replaced text stays in the index


def test_since_walks_back_day_by_day_and_stops(tmp_path):
    run = crawl(tmp_path, command=WALK)
    assert run.code == 0, run.log
    assert listings(run) == [
        f"{API}/stories/before/20261130",
        f"{API}/stories/before/20261129",
        f"{API}/stories/before/20261128",
    ]
    assert len(stories(run)) == len(set(stories(run))) == 6
    ids = ("9800101", "9800102", "9800090", "9800091", "9800080")
    assert set(posts(tmp_path)) == {f"{CATEGORY}/daily-{i}.md" for i in ids}
    assert "Summary: 5 new, 0 updated, 0 unchanged, 1 skipped" in run.log
    assert "\ndate: Thu, 26 Nov 2026 23:00:44 GMT\n" in text(tmp_path, "9800080")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("-a", "since=2026-02-30"), "-a since='2026-02-30' is not accepted: expected a day"),
        (("-a", "since=last week"), "-a since='last week' is not accepted"),
        (("-a", "since=2999-01-01"), "today in Asia/Shanghai at the latest"),
        (("-a", "since=2001-01-01"), "-a since='2001-01-01' is not accepted: expected a day from"),
        (("-a", "since=2026-11-20", "-a", "until=2026-11-10"), "to 2026-11-10 (at most 366"),
        (("-a", "sinse=2026-11-20"), "-a sinse='2026-11-20': daily has no such argument"),
    ],
)
def test_a_bad_since_is_one_line_exit_2_and_nothing_sent(tmp_path, args, says):
    run = daily(tmp_path / "archive", args=args, in_subprocess=True)
    assert_refused_before_anything(run, says, tmp_path / "archive")


def test_local_images_point_at_the_archive(tmp_path):
    run = daily(tmp_path, settings=("ARCHIVE_IMAGES=local",))
    assert run.code == 0, run.log
    post = text(tmp_path, "9800101")
    headimg = post.split("\nheadimg: '", 1)[1].split("'", 1)[0]
    assert headimg.startswith("/images/") and (tmp_path / headimg.lstrip("/")).is_file()
    sources = re.findall(r' src="([^"]*)"', post)
    assert len(sources) == 5 and all(src.startswith("/images/") for src in sources), sources


def test_a_replay_of_the_warc_writes_the_same_posts(first_run, tmp_path):
    archive, _ = first_run
    code, log = replay(tmp_path, archive / ".archiver" / "warc", ("crawl", "daily"))
    assert code == 0, log
    assert posts(tmp_path) == posts(archive)


def test_a_rerender_dates_each_story_by_its_listing_and_changes_nothing(first_run, tmp_path):
    """The top story of the day before gets its date from the listing's ga_prefix, as the
    crawl gave it: rendered again from the captures, every post keeps its bytes."""
    archive, _ = first_run
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    done = scrapy_command(copy, "rerender")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.match(r"Rerender: \d+ posts: 0 changed, 3 unchanged, 0 failed", done.stdout)
    assert posts(copy) == posts(archive)


# One story by its URL (`archive`), as `crawl daily` archives it.
STORY_URLS = (
    "https://daily.zhihu.com/story/9800101",
    "http://news-at.zhihu.com/api/4/news/9800102",
    "http://daily.zhihu.com/story/9800091?utm_source=wechat",  # a story's share_url
)


def test_a_story_by_its_url_is_the_post_crawl_daily_makes(first_run, tmp_path):
    crawled, _ = first_run
    run = crawl(tmp_path, command=("archive", *STORY_URLS), env={"ZHIHU_COOKIE": ""})
    assert run.code == 0, run.log
    assert "Progress: 3/3 archived, 0 failed" in run.log
    made = posts(tmp_path)
    assert set(made) == {f"{CATEGORY}/daily-{i}.md" for i in ("9800101", "9800102", "9800091")}
    for story in ("9800101", "9800102"):  # same file, same bytes as the day's crawl wrote
        assert (
            made[f"{CATEGORY}/daily-{story}.md"] == posts(crawled)[f"{CATEGORY}/daily-{story}.md"]
        )
    # Dated by its publish_time, as the crawl of its day would.
    assert "\ndate: Sat, 28 Nov 2026 02:00:31 GMT\n" in text(tmp_path, "9800091")
    assert sorted(stories(run)) == [f"{API}/news/{i}" for i in ("9800091", "9800101", "9800102")]
    assert listings(run) == []


def test_a_story_that_only_links_elsewhere_fails_its_url(tmp_path):
    run = crawl(tmp_path, command=("archive", "https://daily.zhihu.com/story/9800103"))
    assert run.code == 1
    # ZHIHU_COOKIE is set: news-at.zhihu.com is sent none of it all the same.
    [seen] = [s for s in run.server.seen if s.host == "news-at.zhihu.com"]
    assert "cookie" not in {name.lower() for name in seen.headers}
    assert "Skipped (external_link): story 9800103 links to https://www.example.org/" in run.log
    assert "Progress: 0/1 archived, 1 failed (https://daily.zhihu.com/story/9800103)" in run.log

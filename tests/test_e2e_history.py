"""The hot list over time, end to end: three crawls through the fixture server at faked times
(the hot list's Date header, which dates what a crawl records), then the pages, their charts and
`scrapy history --question`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frontmatter
import pytest

from tests.support.crawling import crawl, mtimes, posts
from tests.support.fixture_server import FIXTURES

HOT = Path("www.zhihu.com/api/v3/feed/topstory/hot-lists/total@limit=50&desktop=true.json")
DAILY = "_posts/社交媒体/知乎/知乎热榜日报"
AI = "546512789"  # first on the base hot list
# (when, the order of the base list's entries): the first question falls, then comes back.
RUNS = (
    ("Fri, 20 Nov 2026 01:00:00 GMT", (0, 1, 2, 3, 4)),
    ("Fri, 20 Nov 2026 03:00:00 GMT", (1, 2, 3, 0, 4)),
    ("Sat, 21 Nov 2026 02:00:00 GMT", (2, 0, 1, 3, 4)),
)


def hot_list_at(root: Path, date: str, order: tuple[int, ...]) -> Path:
    """A fixture root whose hot list is the base one reordered, served with this Date."""
    data = json.loads((FIXTURES / HOT).read_text(encoding="utf-8"))
    data["data"] = [data["data"][i] for i in order]
    target = root / HOT
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    target.with_name(target.name + ".headers").write_text(f"Date: {date}\n")
    return root


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    for number, (date, order) in enumerate(RUNS):
        root = hot_list_at(tmp_path_factory.mktemp(f"run{number}"), date, order)
        run = crawl(archive, extra_roots=(root,))
        assert run.code == 0, run.log
    return archive


def test_three_faked_times_are_recorded(archive):
    import sqlite3

    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    times = [row[0] for row in db.execute("SELECT DISTINCT fetched_at FROM hotlist ORDER BY 1")]
    assert times == [
        "2026-11-20T01:00:00+00:00",
        "2026-11-20T03:00:00+00:00",
        "2026-11-21T02:00:00+00:00",
    ]


def test_each_day_week_and_month_has_its_page_and_chart(archive):
    pages = posts(archive)
    for name in ("2026-11-20", "2026-11-21", "week-2026-W47", "month-2026-11"):
        page = pages[f"{DAILY}/page-hotlist-{name}.md"].decode()
        assert f'<img src="/images/hotlist/{name}.svg"' in page, name
        svg = (archive / "images" / "hotlist" / f"{name}.svg").read_bytes()
        assert svg.startswith(b"<?xml") and b"<svg" in svg
    week = frontmatter.loads(pages[f"{DAILY}/page-hotlist-week-2026-W47.md"].decode().lstrip("\n"))
    assert week["title"] == "知乎热榜 2026 年第 47 周"
    assert "{% post_link 社交媒体/知乎/知乎热榜日报/page-hotlist-2026-11-20 %}" in week.content
    assert "{% post_link 社交媒体/知乎/知乎热榜/answer-2583412650 %}" in week.content
    assert "1233 万热度（最高）" in week.content


def test_the_history_command_tells_a_question_s_story_and_draws_it(archive, tmp_path):
    chart = tmp_path / "ai.svg"
    run = crawl(
        archive, command=("history", "--question", AI, "--chart", str(chart)), in_subprocess=True
    )
    assert run.code == 0, run.log
    assert f"question {AI}: ai作画到了什么水平了？目前有哪些应用？" in run.log
    assert "first seen 2026-11-20 09:00, last seen 2026-11-21 10:00 (Asia/Shanghai)" in run.log
    assert "best rank 1;" in run.log and "in 3 hot lists" in run.log
    for line in (
        "2026-11-20 09:00     1  1233 万热度",
        "2026-11-20 11:00     4",
        "2026-11-21 10:00     2",
    ):
        assert line in run.log
    assert "archived: _posts/社交媒体/知乎/知乎热榜/answer-" in run.log
    assert chart.read_bytes().startswith(b"<?xml")
    unknown = crawl(archive, command=("history", "--question", "1"), in_subprocess=True)
    assert unknown.code == 1 and "question 1 was never on a recorded hot list" in unknown.log
    bad = crawl(archive, command=("history", "--chart", str(chart)), in_subprocess=True)
    assert bad.code == 2 and "--chart FILE.svg goes with --question ID" in bad.log


def test_writing_a_day_again_changes_nothing(archive):
    before = mtimes(archive)
    run = crawl(archive, command=("history", "--date", "2026-11-20"))
    assert run.code == 0, run.log
    assert "unchanged: " in run.log and "new: " not in run.log and "updated: " not in run.log
    after = {k: v for k, v in mtimes(archive).items() if ".archiver" not in k}
    assert after == {k: v for k, v in before.items() if ".archiver" not in k}


def test_a_copy_of_the_archive_regenerates_the_same_chart_bytes(archive, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    for svg in (copy / "images" / "hotlist").glob("*.svg"):
        svg.unlink()
    run = crawl(copy, command=("history", "--date", "2026-11-21"))
    assert run.code == 0, run.log
    for name in ("2026-11-21", "week-2026-W47", "month-2026-11"):
        again = (copy / "images" / "hotlist" / f"{name}.svg").read_bytes()
        assert again == (archive / "images" / "hotlist" / f"{name}.svg").read_bytes(), name

"""The hot-list charts and the week and month pages, on plain data: deterministic bytes, drawn
only when their data changed, a clear fallback without a CJK font."""

from __future__ import annotations

import logging
import os
import pickle
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archiver.archive.history import (
    record_hot_list,
    trajectory,
    trajectory_text,
    write_day,
    write_period,
)
from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.items import HotQuestion
from archiver.post import charts
from archiver.post.daily import Sighting, day_chart
from archiver.post.periods import (
    heat_value,
    month_of,
    period_page,
    question_times,
    time_on_list,
    week_of,
)
from archiver.post.render import PostOptions

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 25)
CATS = ("社交媒体", "知乎", "知乎热榜日报")
DAILY = "_posts/社交媒体/知乎/知乎热榜日报"


def at(hour: int, day: int = 25) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)  # 08:00-ish in Shanghai


def hot_list(hour: int, day: int = 25, size: int = 5) -> list[HotQuestion]:
    """`size` questions whose ranks move with the hour; a new one comes in every hour."""
    return [
        HotQuestion(
            (q + hour) % size + 1,
            str(100 + q + hour // 3),
            f"问题 {q} 为什么？",
            f"{9 - q} 万热度",
            "",
        )
        for q in range(size)
    ]


def archive(root: Path, hours: range = range(4), days: tuple[int, ...] = (25,)) -> PostWriter:
    index = ArchiveIndex(root / ".archiver" / "index.sqlite3")
    for day in days:
        for hour in hours:
            record_hot_list(index, at(hour, day), hot_list(hour, day))
    return PostWriter(root, index)


def sightings() -> list[Sighting]:
    return [
        Sighting(at(h), q.rank, q.question_id, q.title, q.heat)
        for h in range(4)
        for q in hot_list(h)
    ]


def test_the_same_data_give_the_same_bytes_in_another_process(tmp_path):
    chart = day_chart(DAY, ZONE, sightings())
    assert chart is not None
    svg = charts.draw(chart)
    assert svg == charts.draw(chart)
    script = (
        "import pickle, sys; from archiver.post.charts import draw;"
        "sys.stdout.buffer.write(draw(pickle.loads(sys.stdin.buffer.read())))"
    )
    again = subprocess.run(
        [sys.executable, "-c", script], input=pickle.dumps(chart), capture_output=True, check=True
    )
    assert again.stdout == svg
    text = svg.decode("utf-8")
    assert "<dc:date>" not in text and "2026-11-25" in text.split("<metadata>")[0] + text
    assert "<text" not in text  # glyphs as paths: a reader needs no font
    assert charts.is_drawn(svg, chart)


def test_a_font_installed_after_matplotlib_built_its_cache_is_used(tmp_path):
    """matplotlib's font list is a cache, built once: a CJK font installed later is not in it.
    The font is found through fontconfig instead, so the chart is the same as anywhere else."""
    if not charts._fontconfig_cjk_files():
        pytest.skip("no CJK font here (CI installs fonts-wqy-microhei)")
    chart = day_chart(DAY, ZONE, sightings())
    assert chart is not None
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}
    stale = (  # the cache of a machine where no CJK font was installed yet
        "from matplotlib import font_manager as fm;"
        "from archiver.post.charts import CJK_FAMILIES;"
        "fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist "
        "if 'CJK' not in f.name and f.name not in CJK_FAMILIES and 'Hei' not in f.name];"
        "import matplotlib, pathlib;"
        "fm.json_dump(fm.fontManager, pathlib.Path(matplotlib.get_cachedir(), "
        "f'fontlist-v{fm.FontManager.__version__}.json'))"
    )
    subprocess.run([sys.executable, "-c", stale], env=env, check=True)
    draw = (
        "import pickle, sys; from archiver.post.charts import draw, cjk_family;"
        "svg = draw(pickle.loads(sys.stdin.buffer.read())); print(cjk_family(), file=sys.stderr);"
        "sys.stdout.buffer.write(svg)"
    )
    done = subprocess.run(
        [sys.executable, "-c", draw],
        input=pickle.dumps(chart),
        capture_output=True,
        env=env,
        check=True,
    )
    assert done.stderr.decode().strip() == charts.cjk_family()
    assert "no font with Chinese glyphs" not in done.stderr.decode()
    assert done.stdout == charts.draw(chart)


def test_the_day_chart_has_one_line_per_question_rank_one_on_top():
    chart = day_chart(DAY, ZONE, sightings())
    assert chart is not None
    assert len(chart.times) == 4 and len(chart.lines) == len({s.question_id for s in sightings()})
    best = chart.lines[0]
    assert best.label.startswith("1. 问题") and 1 in best.ranks
    assert all(len(line.ranks) == 4 for line in chart.lines)
    assert any(None in line.ranks for line in chart.lines)  # off the list: a gap in its line
    assert chart.span == (at(16, 24), at(16, 25))  # the whole day, in Shanghai


def test_a_chart_is_written_once_and_redrawn_only_when_its_day_changes(tmp_path):
    writer = archive(tmp_path)
    first = write_day(writer, DAY, ZONE, CATS, PostOptions())
    assert first is not None and first.chart == ("new", "images/hotlist/2026-11-25.svg")
    svg = tmp_path / first.chart[1]
    before = svg.stat().st_mtime_ns, svg.read_bytes()
    page = (tmp_path / first.page[1]).read_text()
    assert '<img src="/images/hotlist/2026-11-25.svg" alt="2026-11-25 知乎热榜排名变化">' in page
    again = write_day(writer, DAY, ZONE, CATS, PostOptions())
    assert again is not None and again.page[0] == again.chart[0] == "unchanged"
    assert (svg.stat().st_mtime_ns, svg.read_bytes()) == before
    record_hot_list(writer.index, at(5), hot_list(5))
    later = write_day(writer, DAY, ZONE, CATS, PostOptions())
    assert later is not None and later.chart[0] == "updated" and svg.read_bytes() != before[1]
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_same_hot_list_seen_again_changes_no_file(tmp_path):
    writer = archive(tmp_path, days=(24, 25))
    first = [write_day(writer, DAY, ZONE, CATS, PostOptions())]
    first += [write_period(writer, p(DAY), ZONE, CATS, PostOptions()) for p in (week_of, month_of)]
    record_hot_list(writer.index, at(9), hot_list(3))  # the 03:00 list, seen again at 09:00
    again = [write_day(writer, DAY, ZONE, CATS, PostOptions())]
    again += [write_period(writer, p(DAY), ZONE, CATS, PostOptions()) for p in (week_of, month_of)]
    for done in again:
        assert done is not None and done.page[0] == "unchanged" and done.chart[0] == "unchanged"


def test_charts_off_leaves_the_page_without_an_image(tmp_path):
    writer = archive(tmp_path)
    done = write_day(writer, DAY, ZONE, CATS, PostOptions(), charts=False)
    assert done is not None and done.chart is None
    assert "<img" not in (tmp_path / done.page[1]).read_text()
    assert not (tmp_path / "images" / "hotlist").exists()


def test_without_a_cjk_font_one_warning_and_a_chart_all_the_same(monkeypatch, caplog):
    from matplotlib import font_manager

    latin = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setattr(charts, "_fontconfig_cjk_files", list)  # and fontconfig knows none
    charts.cjk_family.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert charts.cjk_family() is None
            assert charts.cjk_family() is None
            chart = day_chart(DAY, ZONE, sightings())
            assert chart is not None
            svg = charts.draw(chart)
    finally:
        charts.cjk_family.cache_clear()
    warned = [r for r in caplog.records if "no font with Chinese glyphs" in r.getMessage()]
    assert len(warned) == 1 and "fonts-wqy-microhei" in warned[0].getMessage()
    # English axes, questions named #1, #2...: no Chinese glyph drawn as an empty box
    assert b"<!-- Zhihu hot list -->" in svg and b"<!-- #1 -->" in svg and b"<!-- \xe7" not in svg
    assert charts.is_drawn(svg, chart)


def test_time_on_the_list_counts_the_usual_interval_at_most():
    runs = [at(0), at(1), at(2), at(12), at(13)]  # a night without runs
    assert time_on_list(runs, [at(0), at(1)]) == timedelta(hours=2)
    assert time_on_list(runs, [at(2)]) == timedelta(hours=1)  # not 10 hours
    assert time_on_list(runs, [at(13)]) == timedelta(hours=1)  # the last list
    assert time_on_list([at(0)], [at(0)]) == timedelta()
    assert heat_value("1233 万热度") == 12_330_000 and heat_value("") == 0


def test_weeks_and_months():
    week = week_of(date(2026, 11, 25))
    assert (week.start, week.end, week.name) == (date(2026, 11, 23), date(2026, 11, 30), "2026-W48")
    month = month_of(date(2026, 12, 31))
    assert (month.start, month.end, month.name) == (date(2026, 12, 1), date(2027, 1, 1), "2026-12")
    assert week_of(date(2027, 1, 1)).name == "2026-W53"


def test_the_week_page_lists_questions_by_time_on_the_list_with_links():
    seen = sightings()
    questions = question_times(seen, ZONE)
    assert [q.hours for q in questions] == sorted((q.hours for q in questions), reverse=True)
    slug = f"{DAILY[len('_posts/') :]}/page-hotlist-2026-11-25"
    page = period_page(
        week_of(DAY),
        ZONE,
        seen,
        {questions[0].question_id: ["社交媒体/知乎/知乎热榜/answer-1"]},
        {DAY: slug},
        CATS,
        "/images/hotlist/week-2026-W48.svg",
    )
    assert page is not None
    assert page.post.id == "hotlist-week-2026-W48" and page.post.title == "知乎热榜 2026 年第 48 周"
    assert '<img src="/images/hotlist/week-2026-W48.svg"' in page.markup
    assert page.markup.count(f"{{% post_link {slug} %}}") == len(questions)
    assert "{% post_link 社交媒体/知乎/知乎热榜/answer-1 %}" in page.markup
    first = re.search(r"<li>.*?</li>", page.markup)
    assert first and f"上榜约 {questions[0].hours:g} 小时" in first[0]


def test_week_and_month_pages_and_charts_are_written(tmp_path):
    writer = archive(tmp_path, days=(24, 25))
    for day in (24, 25):
        write_day(writer, date(2026, 11, day), ZONE, CATS, PostOptions())
    week = write_period(writer, week_of(DAY), ZONE, CATS, PostOptions())
    month = write_period(writer, month_of(DAY), ZONE, CATS, PostOptions())
    assert week and month
    assert week.page == ("new", f"{DAILY}/page-hotlist-week-2026-W48.md")
    assert month.chart == ("new", "images/hotlist/month-2026-11.svg")
    text = (tmp_path / week.page[1]).read_text()
    assert "page-hotlist-2026-11-24 %}" in text and "page-hotlist-2026-11-25 %}" in text
    again = write_period(writer, week_of(DAY), ZONE, CATS, PostOptions())
    assert again and again.page[0] == again.chart[0] == "unchanged"


def test_a_question_s_trajectory(tmp_path):
    writer = archive(tmp_path)
    story = trajectory(writer.index, "100", ZONE)
    assert story is not None
    text = trajectory_text(story, ZONE)
    assert text.startswith("question 100: 问题 0 为什么？\n")
    assert "first seen 2026-11-25 08:00, last seen 2026-11-25 10:00 (Asia/Shanghai)" in text
    assert "best rank 1; on the list about 3 hours, in 3 hot lists; highest heat 9 万热度" in text
    assert "2026-11-25 09:00     2  9 万热度" in text
    assert trajectory(writer.index, "999", ZONE) is None


@pytest.fixture(autouse=True)
def _fresh_font_cache():
    yield
    charts.cjk_family.cache_clear()

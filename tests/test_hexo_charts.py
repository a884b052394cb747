"""The hot-list charts in a real Hexo build: the daily, week and month pages show their SVG
charts in headless Chromium (screenshots in tests/artifacts/). Slow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archiver.archive.history import record_hot_list, write_day, write_period
from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.items import HotQuestion
from archiver.post.periods import month_of, week_of
from archiver.post.render import PostOptions
from tests.support.hexo_site import chromium_on, generate, make_site

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
ZONE = ZoneInfo("Asia/Shanghai")
CATS = ("社交媒体", "知乎", "知乎热榜日报")
DAYS = (date(2026, 11, 24), date(2026, 11, 25))
PAGES = ("2026-11-24", "2026-11-25", "week-2026-W48", "month-2026-11")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = make_site(tmp_path_factory.mktemp("hexo") / "site")
    source = site / "source"
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    for day in DAYS:
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        for hour in range(0, 12, 2):
            record_hot_list(index, start + timedelta(hours=hour), hot_list(day.day + hour))
    writer = PostWriter(source, index)
    for day in DAYS:
        assert write_day(writer, day, ZONE, CATS, PostOptions())
    for period in (week_of(DAYS[0]), month_of(DAYS[0])):
        assert write_period(writer, period, ZONE, CATS, PostOptions())
    index.close()
    done = generate(site)
    assert done.returncode == 0, done.stderr
    return site


def hot_list(shift: int) -> list[HotQuestion]:
    return [
        HotQuestion(
            (q + shift) % 20 + 1,
            str(300 + q),
            f"问题{q}：“热榜”上的它为什么？",
            f"{90 - q} 万热度",
            "",
        )
        for q in range(20)
    ]


def test_every_chart_is_copied_into_the_built_site(site):
    for name in PAGES:
        built = site / "public" / "images" / "hotlist" / f"{name}.svg"
        assert (
            built.read_bytes()
            == (site / "source" / "images" / "hotlist" / f"{name}.svg").read_bytes()
        )


def test_chromium_shows_each_page_s_chart(site):
    public = site / "public"
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_on(public) as (browser, base):
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        for name in PAGES:
            [built] = public.glob(f"**/page-hotlist-{name}/index.html")
            page.goto(f"{base}/{built.parent.relative_to(public).as_posix()}/", wait_until="load")
            charts = page.eval_on_selector_all(
                "img[src^='/images/hotlist/']",
                "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth,"
                " i.naturalHeight, i.getBoundingClientRect().width])",
            )
            page.screenshot(path=str(ARTIFACTS / f"hexo-chart-{name}.png"), full_page=True)
            assert [c[0] for c in charts] == [f"/images/hotlist/{name}.svg"], name
            for src, complete, width, height, shown in charts:
                assert complete and width > 0 and height > 0 and shown > 0, src

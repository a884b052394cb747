"""Record every hot list in the index; at the end of a run, refresh the pages (day, week, month)
of the days it saw, with their charts."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from zoneinfo import ZoneInfo

from scrapy.exceptions import NotConfigured

from archiver.archive.history import Written, record_hot_list, write_day, write_period
from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import Layout
from archiver.archive.writer import PostWriter
from archiver.hexo.site import named_zone
from archiver.items import HotListSnapshot
from archiver.pipelines.posts import post_options
from archiver.post.periods import month_of, week_of
from archiver.post.render import PostOptions
from archiver.spiders.base import categories_setting

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def history_zone(name: str) -> ZoneInfo:
    return named_zone(name, "HISTORY_TIMEZONE")


class HotListPipeline:
    def __init__(
        self,
        archive_dir: Path,
        index_file: Path,
        zone: ZoneInfo,
        categories: tuple[str, ...],
        options: PostOptions,
        daily_page: bool,
        period_pages: bool = False,
        charts: bool = False,
    ) -> None:
        self.archive_dir = archive_dir
        self.index_file = index_file
        self.zone = zone
        self.categories = categories
        self.options = options
        self.daily_page = daily_page
        self.period_pages = period_pages
        self.charts = charts
        self.index: ArchiveIndex | None = None
        self.fetched: set[datetime] = set()  # when this run saw hot lists

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("HISTORY_ENABLED"):
            raise NotConfigured("HISTORY_ENABLED is off")
        archive_dir = Path(settings["ARCHIVE_DIR"])
        return cls(
            archive_dir,
            Layout.of(settings).index,
            history_zone(settings["HISTORY_TIMEZONE"]),
            categories_setting(settings["HISTORY_CATEGORIES"]),
            post_options(settings),
            settings.getbool("HISTORY_DAILY_PAGE"),
            settings.getbool("HISTORY_PERIOD_PAGES"),
            settings.getbool("HISTORY_CHARTS"),
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        self.index = ArchiveIndex(self.index_file)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, HotListSnapshot):
            assert self.index is not None
            record_hot_list(self.index, item.fetched_at, list(item.questions))
            self.fetched.add(item.fetched_at)
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.index is None:
            return
        # After the posts: the page links the answers archived in this very run.
        # Only the pages of the days this run saw: a chart is drawn once a run, when its data
        # changed, never for every day of the archive.
        days = sorted({moment.astimezone(self.zone).date() for moment in self.fetched})
        writer = PostWriter(self.archive_dir, self.index)
        if self.daily_page:
            for day in days:
                _log("Daily", write_day(writer, day, *self._page_args()))
        if self.period_pages:
            for period in sorted({p(day) for day in days for p in (week_of, month_of)}):
                _log(period.kind.title(), write_period(writer, period, *self._page_args()))
        self.index.close()

    def _page_args(self) -> tuple[ZoneInfo, tuple[str, ...], PostOptions, bool]:
        return self.zone, self.categories, self.options, self.charts


def _log(what: str, done: Written | None) -> None:
    """One line per page written, naming its chart when that was drawn anew too."""
    if done is None:
        return
    chart = done.chart if done.chart and done.chart[0] != "unchanged" else None
    if done.page[0] != "unchanged":
        drawn = f" (chart {chart[0]}: {chart[1]})" if chart else ""
        logger.info("%s page %s: %s%s", what, *done.page, drawn)
    elif chart:
        logger.info("%s chart %s: %s", what, *chart)

"""What `recheck` found, kept: each item's last check and its goings in the index, the page of
each month that saw something vanish, and (ARCHIVE_VANISHED_NOTE) the note on vanished posts.

All of it at the end of the run, in one go, and only for a run Zhihu did not block: a block
mid-run records nothing, so no half-run is taken for what Zhihu holds.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import NotConfigured

from archiver import stats as keys
from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.storage import read_bytes
from archiver.archive.vanishings import Change, CheckLog, Vanishing, note_of
from archiver.archive.writer import PostWriter
from archiver.assets import install_shipped_image
from archiver.hexo.site import named_zone
from archiver.items import Checked, Post
from archiver.pipelines.posts import post_options
from archiver.post.daily import page_text
from archiver.post.paths import categories_of, post_slug
from archiver.post.periods import month_of, period_bounds
from archiver.post.render import PostOptions, shipped_default
from archiver.post.vanished import Gone, kept_author, month_page, with_note
from archiver.spiders.base import categories_setting
from archiver.zhihu.gone import VANISHED

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from archiver.post.periods import Period

logger = logging.getLogger(__name__)


class RecheckPipeline:
    def __init__(
        self,
        archive_dir: Path,
        index_file: Path,
        stats: StatsCollector,
        options: PostOptions,
        categories: tuple[str, ...],
        zone: ZoneInfo,
        note: bool = False,
    ) -> None:
        self.archive_dir = archive_dir
        self.index_file = index_file
        self.stats = stats
        self.options = options
        self.categories = categories  # of the month pages
        self.zone = zone  # where a month (and a note's day) starts and ends
        self.note = note
        self.checks: list[Checked] = []
        self.archived: set[str] = set()  # edited items written again (past the post pipeline)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not getattr(crawler.spidercls, "records_checks", False):
            raise NotConfigured  # without a message: every other run would log a warning
        settings = crawler.settings
        archive_dir = Path(settings["ARCHIVE_DIR"])
        assert crawler.stats is not None
        return cls(
            archive_dir,
            Layout.of(settings).index,
            crawler.stats,
            post_options(settings),
            categories_setting(settings["ARCHIVE_VANISHED_CATEGORIES"]),
            named_zone(settings["HISTORY_TIMEZONE"], "HISTORY_TIMEZONE"),
            settings.getbool("ARCHIVE_VANISHED_NOTE"),
        )

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, Checked):
            self.checks.append(item)
        elif isinstance(item, Post):  # after the post pipeline: it was written
            self.archived.add(f"{item.kind}:{item.id}")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if not self.checks:
            return
        blocked = self.stats.get_value(keys.BLOCKED) is not None
        index = ArchiveIndex(self.index_file)
        try:
            # Where the posts written again came from, blocked or not: rerender reads them so.
            sources = {
                c.key: c.warc_file
                for c in self.checks
                if c.state == "edited" and c.key in self.archived and c.warc_file
            }
            CheckLog(index).record_sources(sources)
            if blocked:
                logger.warning(
                    "Nothing recorded: Zhihu blocked the run (%d check(s) left out)",
                    len(self.checks),
                )
            else:
                self.recorded(index)
        finally:
            index.close()

    def recorded(self, index: ArchiveIndex) -> list[Change]:
        """The run's checks in the index, then what they change for readers."""
        log = CheckLog(index)
        authors = {c.key: self._author(index, c.key) for c in self.checks if c.state in VANISHED}
        changes = log.record(self.checks, authors)
        for change in changes:
            self._tell(index, change)
        if self.note:
            self._notes(index, log, sorted({c.key for c in self.checks}))
        months = {
            month_of(_moment(c.vanishing.noticed_at).astimezone(self.zone).date()) for c in changes
        }
        for month in sorted(months):
            self._month(index, log, month)
        return changes

    def _author(self, index: ArchiveIndex, key: str) -> str:
        entry = index.get(key)
        data = read_bytes(self.archive_dir / entry.path) if entry else None
        return kept_author(data.decode("utf-8", errors="replace")) if data else ""

    def _tell(self, index: ArchiveIndex, change: Change) -> None:
        going = change.vanishing
        entry = index.get(going.key)
        title = entry.title if entry else ""
        if change.how == "back":
            self.stats.inc_value(f"{keys.CHECKS}/back")
            logger.info(
                "Back on Zhihu: %s (%r), %s since %s",
                going.key,
                title,
                going.state,
                going.noticed_at,
            )
        elif change.how != "ended":
            logger.info(
                "Vanished (%s): %s (%r), HTTP %d%s%s",
                going.state,
                going.key,
                title,
                going.status,
                f", {going.code}" if going.code else "",
                f": {going.message}" if going.message else "",
            )

    def _notes(self, index: ArchiveIndex, log: CheckLog, checked: list[str]) -> None:
        """Each checked item's post with the note its state wants (none once it is back)."""
        lasting = log.lasting()
        writer = PostWriter(self.archive_dir, index)
        writer.rerendering()  # a note is no edit of Zhihu's: no version kept, last_seen stays
        for key in checked:
            entry = index.get(key)
            current = read_bytes(self.archive_dir / entry.path) if entry else None
            if entry is None or current is None:
                continue
            going = lasting.get(key)
            note = note_of(going, entry, self.zone) if going else None
            text = with_note(current.decode("utf-8"), note)
            if text is not None and text.encode("utf-8") != current:
                writer.write(_as_post(entry), text.encode("utf-8"))
                logger.info("Noted %s: %s", entry.path, going.state if going else "back")
        for path, exc in writer.flush():
            self.stats.inc_value(f"{keys.FAILED}/write_failed")
            logger.error("Not noted: %s: %s", path, exc)

    def _month(self, index: ArchiveIndex, log: CheckLog, month: Period) -> None:
        start, end = (t.isoformat(timespec="seconds") for t in period_bounds(month, self.zone))
        goings = [self._gone(going, entry) for going, entry in log.noticed_between(start, end)]
        page = month_page(month, self.zone, goings, self.categories)
        if page is None:
            return
        if shipped_default(self.options):  # the page has no image of its own
            install_shipped_image(self.archive_dir)
        writer = PostWriter(self.archive_dir, index)
        state, path = writer.write(page.post, page_text(page, self.options).encode("utf-8"))
        if state != "unchanged":
            logger.info("%s %s: %s", state.capitalize(), path, page.post.title)

    def _gone(self, going: Vanishing, entry: IndexEntry) -> Gone:
        kept = (self.archive_dir / entry.path).is_file()  # a link to no post breaks a build
        return Gone(
            entry.title,
            going.author,
            entry.kind,
            entry.url,
            going.state,
            _moment(entry.first_seen or going.noticed_at),
            _moment(going.noticed_at),
            post_slug(entry.path) if kept else "",
            _moment(going.ended_at) if going.ended_at else None,
            going.ended_as,
        )


def _as_post(entry: IndexEntry) -> Post:
    """The item of an index entry as the writer records it (its row stays as it is)."""
    return Post(
        kind=entry.kind,
        id=entry.item_id,
        url=entry.url,
        title=entry.title,
        author="",
        updated=entry.updated_time,
        content="",
        categories=categories_of(entry.path),
        question_id=entry.question_id,
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)

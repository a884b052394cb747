"""The run's outcome: one summary line at the end, and the exit status cron can alert on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from scrapy import signals

from archiver import stats as keys
from archiver.zhihu.gone import CLASSES

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1  # nothing archived, or the run was cut short
EXIT_USAGE = 2  # bad command line or input (Scrapy's own convention)
EXIT_BLOCKED = 3  # Zhihu refused us: the user must act (cookie, pause)
EXIT_LOCKED = 4  # another run is using the same archive
EXIT_UNREACHABLE = 5  # checkcookie: Zhihu could not be reached at all


class RunSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.exit_code = EXIT_FAILED  # until the spider closes normally

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        counts = {
            state: stats.get(f"{keys.POSTS}/{state}", 0)
            for state in ("new", "updated", "unchanged")
        }
        skipped = _sum_prefixed(stats, keys.SKIPPED)
        failed = _sum_prefixed(stats, keys.FAILED)
        blocked = stats.get(keys.BLOCKED)
        # Anything lost (a request that failed for good, a post that could not be written) fails
        # the run, but content Zhihu no longer has (404) is not ours to lose; a strict spider
        # (scrapy archive) fails for every URL not archived, that one included.
        archived, checks = sum(counts.values()), ""
        if getattr(spider, "checks", False):
            # recheck: its checks are the run, so archiving nothing fails nothing, nor does an
            # item found gone; an item it could not check (a failed request, an answer nothing
            # explains) does.
            checks = checks_part(stats)
            archived, incomplete = 1, failed + _count(stats, f"{keys.CHECKS}/unknown")
        elif getattr(spider, "strict", False):
            incomplete = failed + getattr(spider, "incomplete", 0)
        else:
            incomplete = failed - stats.get(f"{keys.FAILED}/not_found", 0)
        self.exit_code = outcome(reason, blocked, archived, incomplete)
        self.crawler.stats.set_value(keys.EXIT_CODE, self.exit_code)
        figures = (
            stats.get(f"{keys.FIGURES}/stored", 0),
            _sum_prefixed(stats, f"{keys.FIGURES}/failed"),
            stats.get(f"{keys.FIGURES}/refused_host", 0),
        )
        logger.log(
            logging.INFO if self.exit_code == EXIT_OK else logging.ERROR,
            "Summary: %(checks)s%(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d skipped, %(failed)d failed, blocked: %(blocked)s; "
            "figures: %(stored)d stored, %(figures_failed)d failed, %(refused)d refused; "
            "%(videos)sexit status %(code)d",
            {
                **counts,
                "checks": checks,
                "skipped": skipped,
                "failed": failed,
                "blocked": blocked or "no",
                "stored": figures[0],
                "figures_failed": figures[1],
                "refused": figures[2],
                "videos": _videos(stats),
                "code": self.exit_code,
            },
        )


def _videos(stats: dict[str, object]) -> str:
    """The summary's videos part, only for a run that archives videos (ARCHIVE_VIDEOS=download)."""
    if not any(k.startswith(f"{keys.VIDEOS}/") for k in stats):
        return ""
    stored = stats.get(f"{keys.VIDEOS}/stored", 0)
    failed = _sum_prefixed(stats, f"{keys.VIDEOS}/failed")
    return f"videos: {stored} stored, {failed} failed; "


def checks_part(stats: dict[str, object]) -> str:
    """The summary's count of each class of check (recheck), and of the items back on Zhihu."""
    counts = {name: _count(stats, f"{keys.CHECKS}/{name}") for name in CLASSES}
    each = ", ".join(f"{n} {name}" for name, n in counts.items())
    back = _count(stats, f"{keys.CHECKS}/back")
    return f"{sum(counts.values())} checked ({each}; {back} back); "


def _count(stats: dict[str, object], key: str) -> int:
    value = stats.get(key, 0)
    return value if isinstance(value, int) else 0


def outcome(reason: str, blocked: str | None, archived: int, incomplete: int = 0) -> int:
    if blocked:
        return EXIT_BLOCKED
    if reason != "finished" or archived == 0 or incomplete:
        return EXIT_FAILED
    return EXIT_OK


def _sum_prefixed(stats: dict[str, object], prefix: str) -> int:
    return sum(v for k, v in stats.items() if k.startswith(prefix + "/") and isinstance(v, int))

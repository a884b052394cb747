"""The run's outcome: one summary line at the end, and the exit status cron can alert on; and
how a run ends when it is interrupted (Ctrl-C, SIGTERM from systemd or Scrapyd)."""

from __future__ import annotations

import logging
import signal
import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.http.request import NO_CALLBACK
from twisted.python.failure import Failure

from archiver import stats as keys
from archiver.downloader.meta import Interrupted, interrupted
from archiver.zhihu.gone import CLASSES

if TYPE_CHECKING:
    from types import FrameType

    from scrapy import Request, Spider
    from scrapy.core.downloader import Downloader
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1  # nothing archived, or the run was cut short
EXIT_USAGE = 2  # bad command line or input (Scrapy's own convention)
EXIT_BLOCKED = 3  # Zhihu refused us: the user must act (cookie, pause)
EXIT_LOCKED = 4  # another run is using the same archive
EXIT_UNREACHABLE = 5  # checkcookie: Zhihu could not be reached at all

# The summary's log level: above CRITICAL, so that every LOG_LEVEL lets it through (a cron job
# run with LOG_LEVEL=WARNING still ends with it); its record is named INFO or ERROR by outcome.
SUMMARY_LEVEL = logging.CRITICAL + 10
# The summary's reason for a run whose spider never closed: the reactor was stopped under it.
UNFINISHED = "unfinished"


class RunSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.exit_code = EXIT_FAILED  # until the spider closes normally
        self.reason: str | None = None  # why the spider closed, once it has
        self.checks = False  # a recheck: its checks are the run
        self.reported = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        """An exception in a pipeline lost this item. Scrapy has logged it, named by
        ArchiveLogFormatter (kind, id, title) with its traceback; it fails the run."""
        self._count(f"{keys.FAILED}/item_error")

    def spider_error(self, failure: Failure, response: Any, spider: Spider) -> None:
        """An exception in a spider callback lost what that response held (logged by Scrapy)."""
        self._count(f"{keys.FAILED}/spider_error")

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """The exit status, in the stats Scrapy dumps next; the line itself comes last."""
        assert self.crawler.stats is not None
        self.reason = reason
        stats = self.crawler.stats.get_stats()
        archived = sum(stats.get(f"{keys.POSTS}/{s}", 0) for s in ("new", "updated", "unchanged"))
        failed = _sum_prefixed(stats, keys.FAILED)
        # Anything lost (a request that failed for good, a post that could not be written) fails
        # the run, but content Zhihu no longer has (404) is not ours to lose; a strict spider
        # (scrapy archive) fails for every URL not archived, that one included.
        self.checks = getattr(spider, "checks", False)
        if self.checks:
            # recheck: its checks are the run, so archiving nothing fails nothing, nor does an
            # item found gone; an item it could not check (a failed request, an answer nothing
            # explains) does.
            archived, incomplete = 1, failed + _count(stats, f"{keys.CHECKS}/unknown")
        elif getattr(spider, "strict", False):
            incomplete = failed + getattr(spider, "incomplete", 0)
        else:
            incomplete = failed - stats.get(f"{keys.FAILED}/not_found", 0)
        self.exit_code = outcome(reason, stats.get(keys.BLOCKED), archived, incomplete)
        self.crawler.stats.set_value(keys.EXIT_CODE, self.exit_code)

    def engine_stopped(self) -> None:
        """After Scrapy's last line of the run: the summary is the run's last word."""
        if self.reason is not None:
            self.report(self.reason)

    def report(self, reason: str) -> None:
        """The summary line (once), from the stats as they are."""
        if self.reported:
            return
        self.reported = True
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        checks = checks_part(stats) if self.checks else ""
        text = summary_line(stats, reason, self.exit_code, checks)
        record = logger.makeRecord(
            logger.name, SUMMARY_LEVEL, __file__, 0, "%s", (text,), None, "report"
        )
        record.levelname = logging.getLevelName(
            logging.INFO if self.exit_code == EXIT_OK else logging.ERROR
        )
        logger.handle(record)


def summary_line(stats: dict[str, Any], reason: str, code: int, checks: str = "") -> str:
    """The summary; `checks` (a recheck's count of its checks) comes first."""
    counts = [stats.get(f"{keys.POSTS}/{s}", 0) for s in ("new", "updated", "unchanged")]
    figures = (
        stats.get(f"{keys.FIGURES}/stored", 0),
        _sum_prefixed(stats, f"{keys.FIGURES}/failed"),
        stats.get(f"{keys.FIGURES}/refused_host", 0),
    )
    return (
        f"Summary: {checks}"
        + "{} new, {} updated, {} unchanged, ".format(*counts)
        + f"{_sum_prefixed(stats, keys.SKIPPED)} skipped, "
        + f"{_sum_prefixed(stats, keys.FAILED)} failed, "
        + f"blocked: {stats.get(keys.BLOCKED) or 'no'}; "
        + "figures: {} stored, {} failed, {} refused; ".format(*figures)
        + f"{_videos(stats)}{_ending(stats, reason)}exit status {code}"
    )


def _videos(stats: dict[str, Any]) -> str:
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


def _ending(stats: dict[str, Any], reason: str) -> str:
    """Why a run that did not finish ended: interrupted (by which signal, and what it left
    undone), or Scrapy's reason (a CLOSESPIDER_* limit...). A block says itself above."""
    if reason in ("finished", "blocked"):
        return ""
    signame = stats.get(keys.INTERRUPTED)
    if reason == UNFINISHED and not signame:
        return "stopped before the spider closed; "
    if reason not in ("shutdown", UNFINISHED) and not signame:
        return f"stopped ({reason}); "
    by = f" ({signame})" if signame else ""
    # A second signal stops the reactor before the spider can close: Scrapy's forced stop.
    how = ", then stopped at once" if reason == UNFINISHED else ""
    abandoned = stats.get(f"{keys.INTERRUPTED}/abandoned", 0)
    return f"interrupted{by}{how}: {abandoned} request(s) abandoned; "


def outcome(reason: str, blocked: str | None, archived: int, incomplete: int = 0) -> int:
    if blocked:
        return EXIT_BLOCKED
    if reason != "finished" or archived == 0 or incomplete:
        return EXIT_FAILED
    return EXIT_OK


def _sum_prefixed(stats: dict[str, object], prefix: str) -> int:
    return sum(v for k, v in stats.items() if k.startswith(prefix + "/") and isinstance(v, int))


class Interruption:
    """The first SIGINT or SIGTERM ends the run cleanly and soon.

    Scrapy's own handler stops taking requests from the scheduler and closes the spider once
    what is in flight is done: it stays in charge (a second signal still stops at once). But
    "in flight" includes every request the downloader holds and has not sent yet (up to
    CONCURRENT_REQUESTS, each after DOWNLOAD_DELAY: tens of seconds of crawling, scrapy/scrapy
    #4749), and callbacks go on scheduling more. So, from the first signal on: the spider's
    requests not yet sent are dropped, none is scheduled, and `interrupted` is sent; an item
    already in the pipelines completes with its own downloads (figures, comments, videos), so
    every post is written whole or not at all. The signal and what was dropped go to the stats
    (`archiver/interrupted`), which the summary reads.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.signame: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler)
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        return ext

    def engine_started(self) -> None:
        """Note which signal arrives, in front of Scrapy's handlers (installed by now)."""
        if threading.current_thread() is not threading.main_thread():
            return  # a crawler run in a thread (tests): Python lets only the main one handle
        for signum in (signal.SIGINT, signal.SIGTERM):
            handler = signal.getsignal(signum)
            if callable(handler) and handler is not signal.default_int_handler:
                signal.signal(signum, partial(self._received, handler))

    def _received(self, scrapys: Any, signum: int, frame: FrameType | None) -> None:
        # A signal handler: nothing here may log or touch the crawl (the interrupted code may
        # be in the middle of either); the reactor runs the rest, before Scrapy's shutdown.
        if self.signame is None:
            from twisted.internet import reactor

            self.signame = signal.Signals(signum).name
            reactor.callFromThread(self._stop_new_work)  # type: ignore[attr-defined]
        scrapys(signum, frame)  # it replaces this handler: a second signal is Scrapy's alone

    def _stop_new_work(self) -> None:
        assert self.crawler.stats is not None and self.crawler.engine is not None
        self.crawler.stats.set_value(keys.INTERRUPTED, self.signame)
        dropped = drop_unsent(self.crawler.engine.downloader)
        self._abandoned(dropped)
        logger.warning(
            "Interrupted (%s): %d request(s) not sent are dropped; the posts in progress are "
            "finished, then the run ends (%s again: at once)",
            self.signame,
            dropped,
            self.signame,
        )
        self.crawler.signals.send_catch_log(interrupted, signame=self.signame)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Nothing new is scheduled once interrupted (Scrapy drops a request on IgnoreRequest)."""
        if self.signame is not None:
            self._abandoned(1)
            raise Interrupted(f"interrupted ({self.signame})")

    def _abandoned(self, count: int) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.INTERRUPTED}/abandoned", count)


def drop_unsent(downloader: Downloader) -> int:
    """Fail with Interrupted the spider's requests the downloader holds but has not sent (they
    wait out a slot's delay or concurrency); an item's own downloads (NO_CALLBACK: figures,
    comments, videos) stay, so the item completes. How many were dropped.

    Scrapy 2.19 has no public call for this (scrapy/scrapy#7455 adds one to a later Scrapy):
    the slots' queues of (request, deferred) are read as its Downloader keeps them.
    """
    dropped = 0
    for slot in list(getattr(downloader, "slots", {}).values()):
        queued = list(slot.queue)
        slot.queue.clear()
        for request, deferred in queued:
            if request.callback is NO_CALLBACK:
                slot.queue.append((request, deferred))
                continue
            deferred.errback(Failure(Interrupted("interrupted before it was sent")))
            dropped += 1
    return dropped

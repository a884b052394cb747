"""What a run says where cron reads it: the project's own lines (a post written, a skip, a block,
a failure, progress), then the summary, last.

Scrapy's start-up banner (its version and those of its libraries, the overridden settings, every
enabled component), its engine's "Spider opened/closed", its signal notices and its stats dump
help whoever debugs a run, not whoever reads the cron mail: a hot-list run printed ~100 such
lines around a dozen of its own. A logging filter on those loggers logs them at DEBUG instead of
INFO, so `LOG_LEVEL=DEBUG` shows them (marked DEBUG), and `ARCHIVE_LOG_SCRAPY = True` leaves them
as Scrapy logs them. Scrapy itself is untouched; its warnings and errors are never lowered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

# Scrapy's loggers whose INFO lines are start-up, shutdown or bookkeeping, not news of the run.
CHATTY = (
    "scrapy.utils.log",  # "Scrapy 2.x started", versions
    "scrapy.addons",  # enabled add-ons
    "scrapy.middleware",  # enabled extensions, middlewares, pipelines
    "scrapy.crawler",  # overridden settings; "Received SIGINT" (our own line says it)
    "scrapy.core.engine",  # spider opened, closing, closed
    "scrapy.statscollectors",  # the stats dump (the summary says what matters of it)
    "scrapy.extensions.logstats",  # "Crawled N pages": kept once there is progress to tell
    "scrapy.extensions.telnet",
)


class ScrapyChatter(logging.Filter):
    """Lowers an INFO record of Scrapy's bookkeeping to DEBUG (a filter on a logger may change
    the record before any handler judges its level)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and not record.exc_info and not _progress(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def _progress(record: logging.LogRecord) -> bool:
    """LogStats's line once pages were crawled: every LOGSTATS_INTERVAL (a minute) of a long
    run. Its first line, at the start of every run, says 0 pages: not progress."""
    args = record.args
    return (
        record.name == "scrapy.extensions.logstats"
        and isinstance(args, dict)
        and bool(args.get("pages"))
    )


_CHATTER = ScrapyChatter()


def quiet_scrapy(settings: BaseSettings) -> None:
    """Install the filter (once per process), before Scrapy logs its banner: from a command's
    `process_options`, which runs before Scrapy makes its crawler process. With
    `ARCHIVE_LOG_SCRAPY` it is taken off again: loggers outlive a run, and a process may run
    several (Scrapyd's are one each, a test's or an embedding program's are not)."""
    keep_scrapy = settings.getbool("ARCHIVE_LOG_SCRAPY")
    for name in CHATTY:
        chatty = logging.getLogger(name)
        if keep_scrapy:
            chatty.removeFilter(_CHATTER)
        else:
            chatty.addFilter(_CHATTER)  # logging adds a filter once, however often it is asked

"""`scrapy crawl`, with an exit status that says how the run went (see RunSummary)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import BaseRunSpiderCommand
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from archiver.extensions import EXIT_FAILED, EXIT_LOCKED, RunSummary
from archiver.lock import ArchiveBusy, ArchiveLock
from archiver.storage import sweep_temporaries

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def run_and_report(
    command: BaseRunSpiderCommand, spider: str, **spider_args: Any
) -> Crawler | None:
    """Run one spider to its end, alone on its archive; the exit status is the run's.

    Returns the crawler, or None when another run holds the archive (exit status 4).
    """
    assert command.crawler_process is not None and command.settings is not None
    archive_dir = Path(command.settings["ARCHIVE_DIR"])
    try:
        with ArchiveLock(archive_dir / ".archiver" / "lock"):
            if removed := sweep_temporaries(archive_dir):
                logger.warning("Removed %d temporary file(s) left by an interrupted run", removed)
            crawler = command._create_crawler(spider)
            command.crawler_process.crawl(crawler, **spider_args)
            command.crawler_process.start()
    except ArchiveBusy as exc:
        print(f"{command.settings['BOT_NAME']}: {exc}", file=sys.stderr)
        command.exitcode = EXIT_LOCKED
        return None
    summary = crawler.get_extension(RunSummary) if crawler.extensions else None
    if command.crawler_process.bootstrap_failed or summary is None:
        command.exitcode = EXIT_FAILED
    else:
        command.exitcode = summary.exit_code
    return crawler


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 0 archived, 1 failed, 2 usage, 3 blocked, 4 archive busy"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl hotlist`")
        run_and_report(self, args[0], **opts.spargs)

"""`scrapy crawl`, with an exit status that says how the run went (see RunSummary)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.commands import BaseRunSpiderCommand
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from archiver.extensions import EXIT_FAILED, RunSummary

if TYPE_CHECKING:
    import argparse


def run_and_report(command: BaseRunSpiderCommand, spider: str, **spider_args: Any) -> None:
    """Run one spider to its end; the command's exit status is the run's (see RunSummary)."""
    assert command.crawler_process is not None
    crawler = command._create_crawler(spider)
    command.crawler_process.crawl(crawler, **spider_args)
    command.crawler_process.start()
    summary = crawler.get_extension(RunSummary) if crawler.extensions else None
    if command.crawler_process.bootstrap_failed or summary is None:
        command.exitcode = EXIT_FAILED
    else:
        command.exitcode = summary.exit_code


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 0 archived, 1 failed, 2 usage, 3 blocked by Zhihu"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl hotlist`")
        run_and_report(self, args[0], **opts.spargs)

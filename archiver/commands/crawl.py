"""`scrapy crawl`, with an exit status that says how the run went (see RunSummary)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from archiver.extensions import EXIT_FAILED, RunSummary

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 0 archived, 1 failed, 2 usage, 3 blocked by Zhihu"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl hotlist`")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        summary = crawler.get_extension(RunSummary) if crawler.extensions else None
        if self.crawler_process.bootstrap_failed or summary is None:
            self.exitcode = EXIT_FAILED
        else:
            self.exitcode = summary.exit_code

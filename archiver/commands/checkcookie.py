"""`scrapy checkcookie`: does ZHIHU_COOKIE still log us in? Exit 0 yes, 3 no (with what to do)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver import stats as keys
from archiver.extensions import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK
from archiver.middlewares import COOKIE_ENV
from archiver.spiders.cookie import CookieSpider

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True

    def short_desc(self) -> str:
        return "Check that ZHIHU_COOKIE still logs in (exit 0 yes, 3 no, 1 unknown)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not os.environ.get(COOKIE_ENV, "").strip():
            print(
                f"checkcookie: {COOKIE_ENV} is not set. Copy the Cookie header of a logged-in "
                "browser session on www.zhihu.com into it (it must contain z_c0 and d_c0).",
                file=sys.stderr,
            )
            self.exitcode = EXIT_BLOCKED
            return
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(CookieSpider)
        self.crawler_process.crawl(crawler)
        self.crawler_process.start()
        spider = crawler.spider
        if crawler.stats is not None and crawler.stats.get_value(keys.BLOCKED):
            self.exitcode = EXIT_BLOCKED
        elif isinstance(spider, CookieSpider) and spider.user:
            self.exitcode = EXIT_OK
        else:
            self.exitcode = EXIT_FAILED

"""Scrapy's log lines about items, naming an item instead of dumping it.

A post carries a whole answer's HTML: Scrapy's default lines ("Dropped: ...", "Error processing
...") would print all of it. A kind, an id and a title say which item it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

from archiver.utils.logtext import describe

__all__ = ["ArchiveLogFormatter", "describe"]

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.http import Response
    from twisted.python.failure import Failure


def _named(result: LogFormatterResult) -> LogFormatterResult:
    args = dict(result["args"])
    args["item"] = describe(args["item"])
    return {**result, "args": args}


class ArchiveLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> Any:
        return _named(super().scraped(item, response, spider))

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> Any:
        return _named(super().dropped(item, exception, response, spider))

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> Any:
        return _named(super().item_error(item, exception, response, spider))

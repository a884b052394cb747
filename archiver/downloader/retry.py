"""Scrapy's retry policy, with a longer wait before each retry (exponential backoff)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response

from archiver.downloader.meta import interrupted

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy (RETRY_TIMES, RETRY_HTTP_CODES), waiting longer before each retry.

    Zhihu answers bursts with 429 and 5xx; retrying at once only prolongs them.
    """

    backoff_base: float
    backoff_max: float
    stopping = False  # the run is interrupted: no more waiting
    waiting: set[asyncio.Future[None]]  # the backoffs under way

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        mw.backoff_max = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        mw.waiting = set()
        crawler.signals.connect(mw.interrupted, signal=interrupted)
        return mw

    def interrupted(self, signame: str) -> None:
        """No backoff waits out an interrupted run (the retry it delays is never scheduled)."""
        self.stopping = True
        for waiting in self.waiting:
            _done(waiting)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        return await self._after_backoff(super().process_response(request, response))

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        return await self._after_backoff(super().process_exception(request, exception))

    async def _after_backoff(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request):
            delay = backoff_delay(
                result.meta.get("retry_times", 1), self.backoff_base, self.backoff_max
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await self._backoff(delay)
        return result

    async def _backoff(self, delay: float) -> None:
        """`asyncio.sleep(delay)`, over at once when the run is interrupted."""
        if self.stopping:
            return
        waiting = asyncio.get_running_loop().create_future()
        timer = asyncio.get_running_loop().call_later(delay, _done, waiting)
        self.waiting.add(waiting)
        try:
            await waiting
        finally:
            timer.cancel()
            self.waiting.discard(waiting)


def _done(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, retry_times - 1))

"""Downloader middlewares: Zhihu's session headers, block detection, retry with backoff."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from archiver import stats as keys
from archiver.zhihu.blocks import Block, detect_block

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

COOKIE_ENV = "ZHIHU_COOKIE"
DEFAULT_REFERER = "https://www.zhihu.com/"


class ZhihuHosts:
    """Which requests go to Zhihu itself: the configured base host and *.zhihu.com.

    Image hosts (zhimg.com) and feed hosts are not Zhihu for this purpose: they never get the
    login cookie, and their refusals are failed downloads, not a blocked crawl.
    """

    def __init__(self, base_url: str) -> None:
        self.base_host = urlsplit(base_url).netloc

    def __contains__(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return parts.netloc == self.base_host or host == "zhihu.com" or host.endswith(".zhihu.com")


class ZhihuSessionMiddleware:
    """A Zhihu Referer on every request; the login cookie and API headers on Zhihu's own hosts."""

    def __init__(self, hosts: ZhihuHosts, cookie: str) -> None:
        self.hosts = hosts
        self.cookie = cookie

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        cookie = os.environ.get(COOKIE_ENV, "").strip()
        return cls(ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"]), cookie)

    def process_request(self, request: Request) -> None:
        request.headers.setdefault("Referer", DEFAULT_REFERER)
        if request.url not in self.hosts:
            return
        if urlsplit(request.url).path.startswith("/api/"):
            request.headers.setdefault("x-requested-with", "fetch")
            request.headers.setdefault("x-api-version", "3.0.91")
        if self.cookie:
            # CookiesMiddleware has already written the jar's cookies; ours go after them.
            jar = request.headers.get("Cookie", b"").decode("latin-1")
            request.headers["Cookie"] = f"{jar}; {self.cookie}" if jar else self.cookie


FALLBACK_ON = "archiver_fallback_on"  # request meta: block causes the spider works around


class Refused(IgnoreRequest):
    """A refusal the request's spider has a fallback for (see FALLBACK_ON)."""

    def __init__(self, block: Block) -> None:
        super().__init__(block.message)
        self.block = block


class ZhihuBlockMiddleware:
    """Stop the whole crawl, with one clear message, the first time Zhihu refuses us.

    An error page must never reach a callback (and so never become a post): blocked responses are
    dropped here, before the spider sees them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.hosts = ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"])
        self.block: Block | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        # Figures (equation images live on www.zhihu.com) fail on their own; they never block.
        if request.url not in self.hosts or "archiver_figure" in request.meta:
            return response
        location = response.headers.get("Location", b"").decode("latin-1")
        block = detect_block(response.status, response.url, response.body, location)
        if block is None:
            return response
        if block.cause in request.meta.get(FALLBACK_ON, ()):
            # The spider has another way to this content (an article's page when its API wants
            # a signature): this refusal is the spider's to handle, not the end of the crawl.
            raise Refused(block)
        self._stop(block)
        raise IgnoreRequest(block.message)

    def _stop(self, block: Block) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"{keys.BLOCKED}/{block.cause}")
        if self.block is not None:
            return
        self.block = block
        stats.set_value(keys.BLOCKED, block.cause)
        logger.error(block.message)
        assert self.crawler.engine is not None
        # Not awaited: closing waits for in-flight downloads, this response among them.
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="blocked"))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy (RETRY_TIMES, RETRY_HTTP_CODES), waiting longer before each retry.

    Zhihu answers bursts with 429 and 5xx; retrying at once only prolongs them.
    """

    backoff_base: float
    backoff_max: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        mw.backoff_max = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        return mw

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
            await asyncio.sleep(delay)
        return result


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, retry_times - 1))

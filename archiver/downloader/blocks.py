"""Zhihu's refusals: the first one stops the crawl with one `Blocked:` line, unless the
request's spider has another way to the same content (a fallback)."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Self

from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from archiver import stats as keys
from archiver.downloader.hosts import ZhihuHosts
from archiver.downloader.meta import (
    CHALLENGE_UNSOLVED,
    FALLBACK_ON,
    FALLBACK_URL,
    FIGURE_META,
    VIDEO_META,
    Blocked,
    Refused,
)
from archiver.zhihu.blocks import Block, detect_block
from archiver.zhihu.cookies import (
    LOGIN,
    cookie_value,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def stop_crawl(crawler: Crawler, block: Block) -> None:
    """Count a refusal; the first one of a run is logged and closes the spider."""
    stats = crawler.stats
    assert stats is not None
    stats.inc_value(f"{keys.BLOCKED}/{block.cause}")
    if stats.get_value(keys.BLOCKED) is not None:
        return
    stats.set_value(keys.BLOCKED, block.cause)
    logger.error(block.message)
    assert crawler.engine is not None
    # Not awaited: closing waits for in-flight downloads, possibly the caller's own.
    deferred_from_coro(crawler.engine.close_spider_async(reason="blocked"))


def sent_login(request: Request) -> bool:
    """Whether the request went out with the login cookie (as sent, after every middleware)."""
    return cookie_value(request.headers.get("Cookie", b"").decode("latin-1"), LOGIN) is not None


class ZhihuBlockMiddleware:
    """Stop the whole crawl, with one clear message, the first time Zhihu refuses us.

    An error page must never reach a callback (and so never become a post): blocked responses are
    dropped here, before the spider sees them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.hosts = ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        # Figures (equation images live on www.zhihu.com) and videos (the web player's
        # play-info) fail on their own; they never block.
        if request.url not in self.hosts or _media(request):
            return response
        location = response.headers.get("Location", b"").decode("latin-1")
        block = detect_block(response.status, response.url, response.body, location)
        if block is None:
            return response
        if block.cause == "challenge" and (why := request.meta.get(CHALLENGE_UNSOLVED)):
            block = dataclasses.replace(block, what=f"{challenge_line(block)}, and {why}")
        if block.cause in request.meta.get(FALLBACK_ON, ()) and (
            FALLBACK_URL not in request.meta or sent_login(request)
        ):
            # The spider has another way to this content (an article's page when its API wants
            # a signature, an endpoint Zhihu moved to): this refusal is the spider's to handle,
            # not the end of the crawl, unless the other way fails too (FALLBACK_OF).
            raise Refused(block)
        stop_crawl(self.crawler, block)
        raise Blocked(block.message)


def _media(request: Request) -> bool:
    """A figure or a video's request: never a block of the crawl."""
    return FIGURE_META in request.meta or VIDEO_META in request.meta


def challenge_line(block: Block) -> str:
    return f"Zhihu served its JavaScript challenge page (HTTP {block.status}, at {block.url})"

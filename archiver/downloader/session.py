"""The user's identity on Zhihu's own hosts: the cookie (over https only) and User-Agent."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.http import Request

from archiver.downloader.blocks import stop_crawl
from archiver.downloader.hosts import ZhihuHosts
from archiver.downloader.meta import Blocked
from archiver.zhihu.blocks import Block
from archiver.zhihu.cookies import (
    CHALLENGE,
    Identity,
    merge_cookie_header,
    missing_message,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


COOKIE_ENV = "ZHIHU_COOKIE"
USER_AGENT_ENV = "ZHIHU_USER_AGENT"
DEFAULT_REFERER = "https://www.zhihu.com/"


class ZhihuSessionMiddleware:
    """The user's identity on Zhihu's own hosts: the cookie (over https only) and User-Agent.

    ZHIHU_COOKIE is parsed once. A spider names the cookies it cannot work without
    (`zhihu_cookies`); a run that lacks one is stopped as blocked before it sends anything.
    """

    def __init__(
        self, crawler: Crawler, hosts: ZhihuHosts, identity: Identity, user_agent: str
    ) -> None:
        self.crawler = crawler
        self.hosts = hosts
        self.identity = identity
        self.user_agent = user_agent
        self.refused = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(
            crawler,
            ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"]),
            Identity.from_header(os.environ.get(COOKIE_ENV, "").strip()),
            os.environ.get(USER_AGENT_ENV, "").strip(),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        if self.crawler.settings["ARCHIVE_REPLAY"]:
            return  # a replay sends nothing: it needs no identity
        needed = getattr(spider, "zhihu_cookies", ())
        if missing := self.identity.missing(needed):
            self.refused = True
            what = missing_message(missing, f"`{spider.name}`")
            stop_crawl(self.crawler, Block("missing_cookie", what=what))
            return

    def use_challenge_token(self, value: str) -> None:
        """From now on send this `__zse_ck` (a solved challenge) instead of the one given."""
        self.identity = self.identity.with_cookie(CHALLENGE, value)

    def process_request(self, request: Request) -> None:
        if self.refused:
            raise Blocked("the run lacks a cookie it needs")
        request.headers.setdefault("Referer", DEFAULT_REFERER)
        if self.hosts.is_open(request.url):
            # Not even a .zhihu.com cookie that www.zhihu.com set in the jar (a refreshed d_c0).
            request.headers.pop("Cookie", None)
            return
        if request.url not in self.hosts:
            return
        if self.user_agent:
            request.headers["User-Agent"] = self.user_agent
        if urlsplit(request.url).scheme != "https":
            # Never a credential in clear text, not even one Zhihu set in the jar.
            request.headers.pop("Cookie", None)
            return
        # CookiesMiddleware has already written the jar's cookies; ours fill in the rest.
        jar = request.headers.get("Cookie", b"").decode("latin-1")
        if header := merge_cookie_header(jar, list(self.identity.pairs)):
            request.headers["Cookie"] = header

"""The request behind `scrapy checkcookie`: who Zhihu thinks we are."""

from __future__ import annotations

from collections.abc import AsyncIterator

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archiver.downloader.meta import Blocked
from archiver.downloader.tls import CertificateRefused
from archiver.spiders.base import ArchiverSpider, body_text
from archiver.zhihu.jsonutil import ZhihuFormatError, get_path, load_object, text_of
from archiver.zhihu.schema import api_url


class CookieSpider(ArchiverSpider):
    # No `name`: Scrapy's spider loader lists (and `scrapy crawl` runs) only spiders with one,
    # and this one is `checkcookie`'s, not a user's; the command names it when it runs it.
    internal_name = "cookie"
    # Nothing is archived: no index, no summary line about posts.
    custom_settings = {  # noqa: RUF012 (Scrapy's class attribute)
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {"archiver.extensions.RunSummary": None},
        # One quick answer: a network that is down is said at once, not after minutes of backoff.
        "RETRY_TIMES": 1,
    }
    zhihu_cookies = ("z_c0", "d_c0")
    user: str = ""  # who Zhihu says we are
    unreachable: str = ""  # why no answer came at all (network, proxy, DNS)
    unusable: str = ""  # what was wrong with the answer that came (HTTP error, no account)
    untrusted: str = ""  # why Zhihu's TLS certificate was refused (nothing was sent)

    async def start(self) -> AsyncIterator[Request]:
        yield Request(
            api_url(self.base_url, "/api/v4/me", include="is_realname"),
            callback=self.parse_me,
            errback=self.me_failed,
            headers={"Referer": "https://www.zhihu.com/"},
        )

    def parse_me(self, response: Response) -> None:
        try:
            me = load_object(body_text(response))
        except ZhihuFormatError as exc:
            self.unusable = f"its answer is not usable ({exc})"
            return
        name, token = text_of(me.get("name")), text_of(get_path(me, "url_token"))
        if not name:
            self.unusable = "its answer names no account"
            return
        self.user = f"{name} ({token})" if token else name
        self.logger.info("The cookie works: Zhihu sees you as %s", self.user)

    def me_failed(self, failure: Failure) -> None:
        self.request_failed(failure)
        if failure.check(HttpError):
            self.unusable = f"it answered HTTP {failure.value.response.status}"
        elif failure.check(CertificateRefused):
            self.untrusted = failure.getErrorMessage()
        elif not failure.check(Blocked):
            self.unreachable = failure.getErrorMessage().rstrip(".")

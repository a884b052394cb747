"""Zhihu's API headers on every API request, `x-zse-96` signed over the request as sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.http import Request

from archiver.downloader.hosts import ZhihuHosts
from archiver.utils.wire import wire_target
from archiver.zhihu.cookies import (
    DEVICE,
    cookie_value,
)
from archiver.zhihu.signing import ZSE_93, sign

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


# What Zhihu's web client sends with every API call, besides the signature.
API_HEADERS = {
    "x-zse-93": ZSE_93,
    "x-api-version": "3.0.91",
    "x-app-za": "OS=Web",
    "x-requested-with": "fetch",
}


class ZhihuSigningMiddleware:
    """Zhihu's API headers on every API request, with `x-zse-96` signed over the request as sent.

    It runs after every middleware that may change a request's URL or cookies, so it signs the
    path and query as the HTTP client will put them on the wire and the `d_c0` the Cookie header
    carries (Zhihu may refresh it with Set-Cookie during a run). Retries and redirects come
    through here again and are signed again.
    """

    def __init__(self, hosts: ZhihuHosts, signature_byte: int) -> None:
        self.hosts = hosts
        self.signature_byte = signature_byte

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        value = crawler.settings.getint("ZHIHU_SIGNATURE_BYTE")
        if not 0 <= value <= 255:
            raise ValueError(f"ZHIHU_SIGNATURE_BYTE is a byte (0-255), not {value}")
        return cls(ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"]), value)

    def process_request(self, request: Request) -> None:
        if not self.hosts.is_api(request.url):
            return
        for name, value in API_HEADERS.items():
            request.headers[name] = value
        d_c0 = cookie_value(request.headers.get("Cookie", b"").decode("latin-1"), DEVICE)
        if d_c0 is None:
            # Nothing to sign with (a spider that needs no identity): Zhihu will say no.
            request.headers.pop("x-zse-96", None)
            return
        # A body (the video play-info's JSON) is signed too, as Zhihu's web client signs it.
        body = request.body.decode("utf-8", errors="replace")
        request.headers["x-zse-96"] = sign(
            wire_target(request.url), d_c0, self.signature_byte, body=body
        )

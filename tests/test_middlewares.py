"""The downloader middlewares, built from a crawler as Scrapy builds them."""

import asyncio

import pytest
from conftest import project_crawler
from scrapy import Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, TextResponse
from twisted.internet import defer

from archiver.middlewares import (
    BackoffRetryMiddleware,
    ZhihuBlockMiddleware,
    ZhihuHosts,
    ZhihuSessionMiddleware,
    backoff_delay,
)

BASE = "https://www.zhihu.com"


def test_zhihu_hosts():
    hosts = ZhihuHosts("http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/api/v4/x" in hosts
    assert "https://zhuanlan.zhihu.com/p/1" in hosts
    assert "https://pic1.zhimg.com/a.jpg" not in hosts
    assert "https://evil.example/zhihu.com" not in hosts
    assert "https://notzhihu.com/" not in hosts


def session(monkeypatch, cookie="z_c0=secret"):
    monkeypatch.setenv("ZHIHU_COOKIE", cookie)
    return ZhihuSessionMiddleware.from_crawler(project_crawler(ZHIHU_BASE_URL=BASE))


def test_cookie_only_to_zhihu_and_after_the_jar(monkeypatch):
    mw = session(monkeypatch)
    api = Request(f"{BASE}/api/v4/questions/1/answers", headers={"Cookie": "_xsrf=1"})
    mw.process_request(api)
    assert api.headers["Cookie"] == b"_xsrf=1; z_c0=secret"
    assert api.headers["x-requested-with"] == b"fetch"
    image = Request("https://pic1.zhimg.com/v2-a_r.jpg")
    mw.process_request(image)
    assert b"Cookie" not in image.headers
    assert image.headers["Referer"] == b"https://www.zhihu.com/"


def test_no_cookie_no_header(monkeypatch):
    mw = session(monkeypatch, cookie="")
    request = Request(f"{BASE}/api/v3/feed/topstory/hot-lists/total")
    mw.process_request(request)
    assert b"Cookie" not in request.headers


def test_explicit_referer_is_kept(monkeypatch):
    request = Request(f"{BASE}/api/x", headers={"Referer": "https://www.zhihu.com/hot"})
    session(monkeypatch).process_request(request)
    assert request.headers["Referer"] == b"https://www.zhihu.com/hot"


class FakeEngine:
    def __init__(self):
        self.closed = []

    def close_spider_async(self, *, reason):
        self.closed.append(reason)
        return defer.succeed(None)


def block_middleware():
    crawler = project_crawler(ZHIHU_BASE_URL=BASE)
    crawler.engine = FakeEngine()
    return ZhihuBlockMiddleware.from_crawler(crawler), crawler


def test_block_stops_the_crawl_once_and_counts(caplog):
    mw, crawler = block_middleware()
    url = f"{BASE}/api/v3/feed/topstory/hot-lists/total"
    body = b'{"error":{"code":101,"name":"AuthenticationError","message":"x"}}'
    for _ in range(2):
        with pytest.raises(IgnoreRequest):
            mw.process_response(Request(url), TextResponse(url, status=401, body=body))
    assert crawler.engine.closed == ["blocked"]
    assert crawler.stats.get_value("archiver/blocked") == "login_required"
    assert crawler.stats.get_value("archiver/blocked/login_required") == 2
    assert len([r for r in caplog.records if r.message.startswith("Blocked:")]) == 1


def test_other_hosts_are_never_a_block():
    mw, crawler = block_middleware()
    url = "https://pic1.zhimg.com/a.jpg"
    response = TextResponse(url, status=403, body=b"<html>forbidden</html>")
    assert mw.process_response(Request(url), response) is response
    assert crawler.engine.closed == []


def test_timeouts_and_5xx_are_retried_after_a_backoff():
    crawler = project_crawler(RETRY_BACKOFF_BASE=0.01, RETRY_TIMES=2)
    crawler.spider = Spider("test")
    crawler.spider.crawler = crawler
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request(f"{BASE}/api/v4/questions/1/answers")
    retried = asyncio.run(mw.process_exception(request, TimeoutError()))
    assert isinstance(retried, Request) and retried.meta["retry_times"] == 1
    again = asyncio.run(mw.process_response(retried, TextResponse(request.url, status=503)))
    assert isinstance(again, Request) and again.meta["retry_times"] == 2
    assert crawler.stats.get_value("retry/backoff_seconds") == pytest.approx(0.03)
    gave_up = asyncio.run(mw.process_response(again, TextResponse(request.url, status=503)))
    assert isinstance(gave_up, TextResponse)


def test_backoff_grows_and_is_capped():
    assert [backoff_delay(n, 2.0, 10.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]

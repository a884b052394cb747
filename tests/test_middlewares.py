"""The downloader middlewares, built from a crawler as Scrapy builds them."""

import asyncio

import pytest
from scrapy import Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, TextResponse
from twisted.internet import defer

from archiver.downloader.allowlist import FigureAllowlistMiddleware
from archiver.downloader.blocks import ZhihuBlockMiddleware
from archiver.downloader.hosts import ZhihuHosts
from archiver.downloader.meta import FALLBACK_ON, FALLBACK_URL, VIDEO_META, Refused, RefusedFigure
from archiver.downloader.retry import BackoffRetryMiddleware, backoff_delay
from archiver.downloader.session import ZhihuSessionMiddleware
from archiver.downloader.signing import ZhihuSigningMiddleware
from archiver.utils.wire import wire_target
from archiver.zhihu.signing import verify
from tests.support.project import project_crawler

BASE = "https://www.zhihu.com"


def test_zhihu_hosts():
    hosts = ZhihuHosts("http://127.0.0.1:8080")
    assert "http://127.0.0.1:8080/api/v4/x" in hosts
    assert "https://zhuanlan.zhihu.com/p/1" in hosts
    assert "https://pic1.zhimg.com/a.jpg" not in hosts
    assert "https://evil.example/zhihu.com" not in hosts
    assert "https://notzhihu.com/" not in hosts


def session(monkeypatch, cookie="z_c0=secret", user_agent=""):
    monkeypatch.setenv("ZHIHU_COOKIE", cookie)
    monkeypatch.setenv("ZHIHU_USER_AGENT", user_agent)
    return ZhihuSessionMiddleware.from_crawler(project_crawler(ZHIHU_BASE_URL=BASE))


def test_cookie_only_to_zhihu_and_after_the_jar(monkeypatch):
    mw = session(monkeypatch)
    api = Request(f"{BASE}/api/v4/questions/1/answers", headers={"Cookie": "_xsrf=1"})
    mw.process_request(api)
    assert api.headers["Cookie"] == b"_xsrf=1; z_c0=secret"
    image = Request("https://pic1.zhimg.com/v2-a_r.jpg")
    mw.process_request(image)
    assert b"Cookie" not in image.headers
    assert image.headers["Referer"] == b"https://www.zhihu.com/"


def test_no_cookie_no_header(monkeypatch):
    mw = session(monkeypatch, cookie="")
    request = Request(f"{BASE}/api/v3/feed/topstory/hot-lists/total")
    mw.process_request(request)
    assert b"Cookie" not in request.headers


def test_what_zhihu_set_during_the_run_wins(monkeypatch):
    mw = session(monkeypatch, cookie='d_c0="old"; z_c0=secret')
    request = Request(f"{BASE}/api/v4/me", headers={"Cookie": 'd_c0="refreshed"'})
    mw.process_request(request)
    assert request.headers["Cookie"] == b'd_c0="refreshed"; z_c0=secret'


def test_never_a_cookie_over_plain_http(monkeypatch):
    mw = session(monkeypatch)
    request = Request("http://www.zhihu.com/question/1", headers={"Cookie": "_xsrf=from-jar"})
    mw.process_request(request)
    assert b"Cookie" not in request.headers


def test_zhihu_dailys_open_api_gets_no_cookie_and_no_signature(monkeypatch):
    # Not the login, nor a .zhihu.com cookie www.zhihu.com set in the jar (a refreshed d_c0).
    mw = session(monkeypatch, cookie='d_c0="device"; z_c0=secret')
    url = "https://news-at.zhihu.com/api/4/stories/latest"
    assert url not in ZhihuHosts(BASE) and ZhihuHosts.is_open(url)
    request = Request(url, headers={"Cookie": 'd_c0="from-jar"'})
    mw.process_request(request)
    signer().process_request(request)
    assert b"Cookie" not in request.headers
    assert not any(name.lower().startswith(b"x-zse") for name in request.headers)


def test_the_browsers_user_agent_on_zhihu_only(monkeypatch):
    mw = session(monkeypatch, user_agent="Mozilla/5.0 (Their Browser) Firefox/140.0")
    api, image = Request(f"{BASE}/api/v4/me"), Request("https://pic1.zhimg.com/a.jpg")
    mw.process_request(api)
    mw.process_request(image)
    assert api.headers["User-Agent"] == b"Mozilla/5.0 (Their Browser) Firefox/140.0"
    assert b"User-Agent" not in image.headers  # Scrapy's UserAgentMiddleware sets the default


def test_a_run_without_the_cookies_its_spider_needs_sends_nothing(monkeypatch, caplog):
    monkeypatch.setenv("ZHIHU_COOKIE", "_xsrf=1; z_c0=secret")
    crawler = project_crawler(ZHIHU_BASE_URL=BASE)
    crawler.engine = FakeEngine()
    mw = ZhihuSessionMiddleware.from_crawler(crawler)
    spider = Spider("hotlist")
    spider.zhihu_cookies = ("z_c0", "d_c0")
    mw.spider_opened(spider)
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request(f"{BASE}/api/v3/feed/topstory/hot-lists/total"))
    assert crawler.engine.closed == ["blocked"]
    assert crawler.stats.get_value("archiver/blocked") == "missing_cookie"
    [line] = [r.message for r in caplog.records if r.message.startswith("Blocked:")]
    assert line.startswith("Blocked: ZHIHU_COOKIE has no d_c0 (the device id")
    assert "secret" not in line


def signer(signature_byte=210):
    crawler = project_crawler(ZHIHU_BASE_URL=BASE, ZHIHU_SIGNATURE_BYTE=signature_byte)
    return ZhihuSigningMiddleware.from_crawler(crawler)


D_C0 = '"AGBQsigned=|1700000000"'


@pytest.mark.parametrize(
    ("url", "wire"),
    [
        (f"{BASE}/api/v4/answers/1?include=content#top", "/api/v4/answers/1?include=content"),
        (
            f"{BASE}/api/v4/search_v3?q=知乎 日报",
            "/api/v4/search_v3?q=%E7%9F%A5%E4%B9%8E%20%E6%97%A5%E6%8A%A5",
        ),
        (f"{BASE}/api/v4/x?a=[*]&b=%2A", "/api/v4/x?a=%5B*%5D&b=%2A"),
        (f"{BASE}/api/v4/x?", "/api/v4/x"),
        (f"{BASE}/api/v4/x;p?q=1", "/api/v4/x;p?q=1"),
        ("https://www.zhihu.com", "/"),
    ],
)
def test_the_signed_target_is_the_wire_target(url, wire):
    request = Request(url)  # Scrapy normalises the URL here, as it does for every request
    assert wire_target(request.url) == wire


def test_api_requests_are_signed_over_what_is_sent():
    request = Request(
        f"{BASE}/api/v4/questions/1/answers?include=data[*].content&offset=0",
        headers={"Cookie": f"_xsrf=1; d_c0={D_C0}; z_c0=x"},
    )
    signer().process_request(request)
    headers = {k.decode(): v[0].decode() for k, v in request.headers.items()}
    assert headers["X-Zse-93"] == "101_3_3.0"
    assert headers["X-Api-Version"] == "3.0.91"
    assert headers["X-App-Za"] == "OS=Web"
    assert headers["X-Requested-With"] == "fetch"
    assert verify(headers["X-Zse-96"], wire_target(request.url), D_C0)
    assert not verify(headers["X-Zse-96"], wire_target(request.url), D_C0.strip('"'))


def test_a_body_is_signed_with_the_target():
    # The video play-info's POST: Zhihu's client signs its JSON body after d_c0.
    url = "https://www.zhihu.com/api/v4/video/play_info?r=1"
    body = b'{"content_id":"2","video_id":"1"}'
    request = Request(url, method="POST", body=body, headers={"Cookie": 'd_c0="dev"'})
    signer().process_request(request)
    header = request.headers["x-zse-96"].decode()
    assert verify(header, "/api/v4/video/play_info?r=1", '"dev"', body=body.decode())
    assert not verify(header, "/api/v4/video/play_info?r=1", '"dev"')


def test_a_retry_or_a_new_d_c0_is_signed_again():
    mw = signer()
    first = Request(f"{BASE}/api/v4/me", headers={"Cookie": f"d_c0={D_C0}"})
    mw.process_request(first)
    again = first.replace(url=f"{BASE}/api/v4/me?again=1")
    again.headers["Cookie"] = 'd_c0="fresh"'
    mw.process_request(again)
    assert verify(again.headers["x-zse-96"].decode(), "/api/v4/me?again=1", '"fresh"')


def test_only_zhihus_api_is_signed():
    mw = signer()
    for url in (f"{BASE}/question/1", "https://pic1.zhimg.com/api/v4/x.jpg"):
        request = Request(url, headers={"Cookie": f"d_c0={D_C0}"})
        mw.process_request(request)
        assert b"x-zse-96" not in request.headers


def test_no_d_c0_no_signature():
    request = Request(f"{BASE}/api/v4/me", headers={"x-zse-96": "2.0_stale"})
    signer().process_request(request)
    assert b"x-zse-96" not in request.headers


def test_the_signature_byte_is_a_setting():
    request = Request(f"{BASE}/api/v4/me", headers={"Cookie": f"d_c0={D_C0}"})
    signer(0).process_request(request)
    other = request.copy()
    signer(210).process_request(other)
    assert request.headers["x-zse-96"] != other.headers["x-zse-96"]
    with pytest.raises(ValueError, match="ZHIHU_SIGNATURE_BYTE"):
        signer(256)


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


@pytest.mark.parametrize(
    ("cookie", "status", "body", "worked_around"),
    [
        ("z_c0=ticket; d_c0=device", 401, b'{"error":{"code":101,"message":"x"}}', True),
        ("z_c0=ticket; d_c0=device", 403, b'{"error":{"code":403,"message":"x"}}', True),
        # without the login, a 401 or 403 means what it says: no other endpoint would answer
        ("d_c0=device", 401, b'{"error":{"code":101,"message":"x"}}', False),
        ("d_c0=device", 403, b"{}", False),
        # a block of another cause is never worked around this way
        ("z_c0=ticket", 403, b'{"error":{"code":40362,"message":"x"}}', False),
    ],
)
def test_another_endpoint_takes_refusals_of_a_logged_in_request(
    cookie, status, body, worked_around
):
    mw, crawler = block_middleware()
    url = f"{BASE}/api/v4/questions/1/answers"
    request = Request(
        url,
        headers={"Cookie": cookie},
        meta={FALLBACK_ON: ("login_required", "forbidden"), FALLBACK_URL: f"{url}/feeds"},
    )
    with pytest.raises(IgnoreRequest) as info:
        mw.process_response(request, TextResponse(url, status=status, body=body))
    assert isinstance(info.value, Refused) is worked_around
    assert crawler.engine.closed == ([] if worked_around else ["blocked"])


def test_a_fallback_of_the_spiders_own_takes_its_refusals_as_declared():
    # A private collection's 403 is the collection's, login or not (listings.py).
    mw, crawler = block_middleware()
    url = f"{BASE}/api/v4/collections/7/items"
    request = Request(url, headers={"Cookie": "d_c0=device"}, meta={FALLBACK_ON: ("forbidden",)})
    with pytest.raises(Refused):
        mw.process_response(request, TextResponse(url, status=403, body=b"{}"))
    assert crawler.engine.closed == []


def test_a_figure_or_a_video_is_never_a_block():
    # The web player's play-info lives on www.zhihu.com: its refusal is the video's alone.
    mw, crawler = block_middleware()
    url = f"{BASE}/api/v4/video/play_info?r=1"
    response = TextResponse(url, status=401, body=b'{"error":{"code":101,"message":"x"}}')
    assert mw.process_response(Request(url, meta={VIDEO_META: "1"}), response) is response
    assert crawler.engine.closed == []


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


def test_the_video_play_info_is_open_no_cookie_and_no_signature(monkeypatch):
    # lens.zhihu.com (archiver/zhihu/videos.py): what public clients send, no more.
    mw = session(monkeypatch, cookie='d_c0="device"; z_c0=secret')
    url = "https://lens.zhihu.com/api/v4/videos/1400000000000000001"
    assert url not in ZhihuHosts(BASE) and ZhihuHosts.is_open(url)
    request = Request(url, headers={"Cookie": 'd_c0="from-jar"'})
    mw.process_request(request)
    signer().process_request(request)
    assert b"Cookie" not in request.headers
    assert not any(name.lower().startswith(b"x-") for name in request.headers)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/v.mp4",  # a play-info's or a redirect's target
        "https://pic1.zhimg.com/a.mp4",  # a figure host is no video host
        "https://www.zhihu.com/api/v4/me",
        "https://www.zhihu.com/api/v4/video/play_info/../../me",
        "https://vzuu.com.evil.example/HD/a.mp4",
    ],
)
def test_video_requests_go_to_the_video_hosts_only(url):
    crawler = project_crawler()
    middleware = FigureAllowlistMiddleware.from_crawler(crawler)
    with pytest.raises(RefusedFigure):
        middleware.process_request(Request(url, meta={VIDEO_META: "1"}))
    assert crawler.stats.get_value("archiver/videos/refused_host") == 1
    for allowed in (
        "https://vdn1.vzuu.com/HD/a.mp4?auth_key=1-0-0-ab",
        "https://lens.zhihu.com/api/v4/videos/1",
        "https://www.zhihu.com/api/v4/video/play_info?r=1",  # the web player's, that path only
    ):
        assert middleware.process_request(Request(allowed, meta={VIDEO_META: "1"})) is None


def test_a_download_over_its_size_limit_is_one_typed_error():
    """Cancelled by the download handler for its size, or inflating past it: TooLarge, whose
    type is what spiders and pipelines count as too_large (no message is read there)."""
    import gzip

    import pytest
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
    from scrapy.http import Request, Response
    from scrapy.utils.test import get_crawler

    from archiver.downloader.limits import (
        DecompressionLimitMiddleware,
        SizeLimitMiddleware,
        TooLarge,
    )

    request = Request("https://pic1.zhimg.com/v2-a.jpg", meta={"download_maxsize": 1000})
    cancelled = DownloadCancelledError(
        f"Received 2048 bytes which is larger than download max size (1000) in request {request}."
    )
    with pytest.raises(TooLarge):
        SizeLimitMiddleware().process_exception(request, cancelled)
    assert SizeLimitMiddleware().process_exception(request, DownloadCancelledError("x")) is None
    bomb = Response(
        request.url, body=gzip.compress(b"0" * 10_000), headers={"Content-Encoding": "gzip"}
    )
    middleware = DecompressionLimitMiddleware.from_crawler(get_crawler())
    with pytest.raises(TooLarge) as caught:
        middleware.process_response(request, bomb)
    assert isinstance(caught.value, IgnoreRequest)  # dropped, never retried

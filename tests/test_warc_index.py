"""The CDXJ index a capture run writes as it goes is the one cdxj-indexer makes of the file."""

from __future__ import annotations

import io

import pytest
from cdxj_indexer.main import CDXJIndexer
from scrapy import Spider
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from archiver.webarchive.cdxj import cdxj_path
from archiver.webarchive.middleware import WarcCaptureMiddleware


class Hotlist(Spider):
    name = "hotlist"


RESPONSES = [
    ("https://www.zhihu.com/api/v4/answers/1?include=a,b&x=%E4%BD%A0", 200, "application/json"),
    ("https://pic1.zhimg.com/v2-0123456789abcdef_r.jpg?source=1", 200, "image/jpeg"),
    ("https://www.zhihu.com/question/2", 302, "text/html; charset=utf-8"),
    ("https://www.zhihu.com/equation?tex=a%2Bb", 200, "image/svg+xml;charset=UTF-8"),
    ("https://www.zhihu.com/api/v4/x", 403, ""),
    ("https://www.zhihu.com/api/v4/y", 404, None),
    ("https://WWW.Zhihu.com:443/a/../b/", 200, "text/html"),
    ("https://www.zhihu.com/api/v4/answers/1?include=a,b&x=%E4%BD%A0", 200, "application/json"),
]


def capture(tmp_path, responses, max_size: int = 0) -> WarcCaptureMiddleware:
    settings = {"WARC_ENABLED": True, "ARCHIVE_DIR": str(tmp_path), "WARC_MAX_SIZE": max_size}
    crawler = get_crawler(Hotlist, settings)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    crawler.stats.open_spider()
    spider = Hotlist()
    middleware.spider_opened(spider)
    for n, (url, status, mime) in enumerate(responses):
        headers = {"Date": "Sun, 29 Nov 2026 23:00:00 GMT", "Set-Cookie": "a=b"}
        if mime is not None:
            headers["Content-Type"] = mime
        request = Request(url, headers={"Cookie": "z_c0=secret", "User-Agent": "Mozilla/5.0"})
        body = f'{{"n": {n}}}'.encode() * (n + 1)
        response = Response(url, status=status, body=body, headers=headers, request=request)
        middleware.process_response(request, response)
    middleware.spider_closed(spider)
    return middleware


def read_again(warc) -> str:
    out = io.StringIO()
    CDXJIndexer(out, [str(warc)], sort=True).process_all()
    return out.getvalue()


@pytest.mark.parametrize("max_size", [0, 1500])
def test_the_index_made_while_writing_is_cdxj_indexers(tmp_path, max_size):
    middleware = capture(tmp_path, RESPONSES, max_size)
    assert middleware.index is not None  # made while writing, not by reading the file again
    warcs = sorted((tmp_path / ".archiver" / "warc").glob("*.warc.gz"))
    assert len(warcs) == (1 if not max_size else 4)  # past WARC_MAX_SIZE: parts, each indexed
    lines = 0
    for warc in warcs:
        written = cdxj_path(warc).read_text(encoding="utf-8")
        assert written == read_again(warc)
        lines += len(written.splitlines())
    assert lines == len(RESPONSES)


def test_headers_a_reader_might_read_otherwise_index_the_file_itself(tmp_path):
    middleware = capture(tmp_path, [*RESPONSES[:2], ("https://www.zhihu.com/z", 200, " text/html")])
    assert middleware.index is None
    assert cdxj_path(middleware.path).read_text(encoding="utf-8") == read_again(middleware.path)

"""The figures pipeline and the allowlist middleware, without a crawl: caps, retries, mapping."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.http import Request, Response

from archiver.downloader.allowlist import FigureAllowlistMiddleware
from archiver.downloader.meta import RefusedFigure
from archiver.items import StoredFigure
from archiver.pipelines.figures import FigureFailed, FiguresPipeline
from archiver.post.figures import figure_key
from tests.support import images
from tests.support.project import make_post, project_crawler

HASH = "158d1e80ca704d318c85b6d27958c439"
START = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def pipeline(archive: Path, **settings: object) -> FiguresPipeline:
    crawler = project_crawler(ARCHIVE_DIR=str(archive), **settings)
    crawler.spider = Spider("test")
    pipe = FiguresPipeline.from_crawler(crawler)
    pipe.open_spider()
    return pipe


def stat(pipe: FiguresPipeline, what: str) -> int:
    return pipe.crawler.stats.get_value(f"archiver/figures/{what}", 0)


def post_with(*urls: str, id: str = "1") -> object:
    return make_post(id=id, content="".join(f'<p><img src="{url}"></p>' for url in urls))


def download(pipe: FiguresPipeline, request: Request, body: bytes) -> object:
    response = Response(request.url, body=body, request=request)
    return asyncio.run(pipe.media_downloaded(response, request, pipe.spiderinfo))


def test_results_are_mapped_back_by_the_requests_made(tmp_path):
    # Scrapy requests these URLs normalised; a string comparison with the post's URLs failed
    # with StopIteration and dropped the post.
    written = [
        f"https://PIC1.ZHIMG.COM/v2-{HASH}_r.jpg",
        "https://pic2.zhimg.com/a b.jpg",
        "https://pic3.zhimg.com/图片.jpg",
        "https://pic4.zhimg.com/dir\\b.jpg",
    ]
    pipe = pipeline(tmp_path)
    item = post_with(*written)
    requests = pipe.get_media_requests(item, pipe.spiderinfo)
    assert [r.url for r in requests] != written  # normalised
    for url in written:
        pipe.index.record_figure(StoredFigure(figure_key(url), url, "images/x", "0"), "now")
    results = [(True, {"url": r.url, "path": "images/x", "checksum": "0"}) for r in requests]
    done = pipe.item_completed(results, item, pipe.spiderinfo)
    assert sorted(done.stored_figures) == sorted(figure_key(url) for url in written)


def test_figures_over_the_per_post_cap_fail_and_the_post_goes_on(tmp_path, caplog):
    pipe = pipeline(tmp_path, FIGURES_MAX_PER_POST=2)
    urls = [f"https://pic1.zhimg.com/v2-{c * 32}_r.jpg" for c in "abc"]
    requests = pipe.get_media_requests(post_with(*urls), pipe.spiderinfo)
    assert [r.url for r in requests] == urls[:2]
    assert stat(pipe, "failed/too_many_figures") == 1
    assert caplog.text.count("too_many_figures") == 1  # one line for the post


def test_figures_over_the_byte_caps_fail_with_their_own_reasons(tmp_path):
    photo = images.jpeg(400, 300)
    pipe = pipeline(
        tmp_path,
        FIGURES_MAX_BYTES_PER_POST=len(photo) * 3 // 2,
        FIGURES_MAX_BYTES_PER_RUN=len(photo) * 5 // 2,
    )
    first = pipe.get_media_requests(
        post_with(*(f"https://pic1.zhimg.com/v2-{c * 32}_r.jpg" for c in "ab")), pipe.spiderinfo
    )
    download(pipe, first[0], photo)
    with pytest.raises(FigureFailed, match="over_post_bytes"):
        download(pipe, first[1], photo)
    [second] = pipe.get_media_requests(
        post_with(f"https://pic1.zhimg.com/v2-{'c' * 32}_r.jpg", id="2"), pipe.spiderinfo
    )
    download(pipe, second, photo)  # a new post: its own budget, the run's still has room
    [third] = pipe.get_media_requests(
        post_with(f"https://pic1.zhimg.com/v2-{'d' * 32}_r.jpg", id="3"), pipe.spiderinfo
    )
    with pytest.raises(FigureFailed, match="over_run_bytes"):
        download(pipe, third, photo)
    assert stat(pipe, "stored") == 2
    # caps of this run say nothing about the figures: they are not remembered as failed
    assert pipe.index.figure_failure(figure_key(third.url)) is None


def test_too_many_pixels_is_a_failed_figure(tmp_path):
    pipe = pipeline(tmp_path, FIGURES_MAX_PIXELS=1_000_000)
    [request] = pipe.get_media_requests(
        post_with(f"https://pic1.zhimg.com/v2-{HASH}_r.png"), pipe.spiderinfo
    )
    with pytest.raises(FigureFailed, match="too_many_pixels"):
        download(pipe, request, images.big_png(1200))
    assert stat(pipe, "failed/too_many_pixels") == 1


def test_a_failed_figure_is_retried_after_a_day_a_week_then_a_month(tmp_path, caplog):
    clock = Clock()
    pipe = pipeline(tmp_path)
    pipe.clock = clock
    url = f"https://pic1.zhimg.com/v2-{HASH}_r.jpg"

    def run_at(delta: timedelta, body: bytes | None = None) -> bool:
        """Whether the figure is requested at START + delta; `body` is what it answers."""
        clock.now = START + delta
        requests = pipe.get_media_requests(post_with(url), pipe.spiderinfo)
        if requests and body is not None:
            with contextlib.suppress(FigureFailed):
                download(pipe, requests[0], body)
        return bool(requests)

    bad = images.truncated_jpeg()
    assert run_at(timedelta(0), bad)
    failure = pipe.index.figure_failure(figure_key(url))
    assert (failure.reason, failure.failures) == ("truncated", 1)
    caplog.clear()
    assert not run_at(timedelta(hours=23))
    assert stat(pipe, "deferred") == 1
    assert "deferred" not in caplog.text  # nothing noisy: a debug line at most
    assert run_at(timedelta(days=1), bad)  # a day after the first failure
    assert not run_at(timedelta(days=7, hours=23))
    assert run_at(timedelta(days=8), bad)  # a week after the second
    assert not run_at(timedelta(days=37, hours=23))
    assert run_at(timedelta(days=38), images.jpeg(400, 300))  # a month after the third
    assert pipe.index.figure_failure(figure_key(url)) is None  # stored: forgotten
    assert run_at(timedelta(days=38, hours=1))  # stored figures are requested (and up to date)
    assert stat(pipe, "deferred") == 3


def test_a_mpo_photo_is_stored_as_jpg(tmp_path):
    pipe = pipeline(tmp_path)
    [request] = pipe.get_media_requests(
        post_with(f"https://pic1.zhimg.com/v2-{HASH}_r.jpg"), pipe.spiderinfo
    )
    download(pipe, request, images.mpo())
    stored = pipe.index.figure(f"zhimg/v2-{HASH}.jpg")
    assert stored.path == f"images/zhimg/v2-{HASH}.jpg"
    assert (tmp_path / stored.path).read_bytes() == images.mpo()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/secret.jpg",  # a redirect's target
        "http://[::1]/x.jpg",
        "https://www.zhihu.com/api/v4/me",
        "https://www.zhihu.com/equation/../api/v4/me",
    ],
)
def test_the_middleware_refuses_figure_requests_off_the_allowlist(url):
    crawler = project_crawler()
    middleware = FigureAllowlistMiddleware.from_crawler(crawler)
    with pytest.raises(RefusedFigure):
        middleware.process_request(Request(url, meta={"archiver_figure": None}))
    assert crawler.stats.get_value("archiver/figures/refused_host") == 1
    assert middleware.process_request(Request(url)) is None  # not a figure: not its business
    allowed = Request("https://pic1.zhimg.com/a.jpg", meta={"archiver_figure": None})
    assert middleware.process_request(allowed) is None

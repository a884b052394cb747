"""The figures pipeline's worker threads: off the caller's thread, results in order, bounded."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from scrapy import Spider
from scrapy.http import Response

from archiver.pipelines.figures import FiguresPipeline
from archiver.pipelines.workers import FigureWorkers
from tests.support import images
from tests.support.project import make_post, project_crawler


def started(threads: int, places: int = 4) -> FigureWorkers:
    workers = FigureWorkers(threads, places)
    workers.start()
    return workers


def test_jobs_run_off_the_callers_thread_and_come_back_in_the_order_given():
    workers = started(2)
    finished: list[int] = []

    def job(number: int, seconds: float) -> str:
        time.sleep(seconds)  # the first job is the slowest: it ends last in its thread
        finished.append(number)
        return threading.current_thread().name

    async def main() -> list[tuple[int, str]]:
        handed_back: list[tuple[int, str]] = []

        async def one(number: int, seconds: float) -> None:
            handed_back.append((number, await workers.run(lambda: job(number, seconds))))

        await asyncio.gather(one(0, 0.3), one(1, 0.0), one(2, 0.0))
        return handed_back

    try:
        handed_back = asyncio.run(main())
    finally:
        workers.stop()
    assert finished[-1] == 0  # done last...
    assert [n for n, _ in handed_back] == [0, 1, 2]  # ...yet handed back first
    assert all(name.startswith("figures") for _, name in handed_back)


def test_a_failing_job_raises_in_order_and_does_not_hold_up_the_next():
    workers = started(1)

    def fail() -> None:
        raise ValueError("bad")

    async def main() -> str:
        with pytest.raises(ValueError, match="bad"):
            await workers.run(fail)
        return await workers.run(lambda: "next")

    try:
        assert asyncio.run(main()) == "next"
    finally:
        workers.stop()


def test_without_threads_jobs_run_on_the_callers_thread_and_take_no_place():
    workers = started(0)

    async def main() -> tuple[bool, str]:
        return await workers.enter(), await workers.run(lambda: threading.current_thread().name)

    assert asyncio.run(main()) == (False, threading.current_thread().name)


def test_figures_wait_for_a_place_once_all_are_taken():
    workers = started(1, places=2)

    async def main() -> list[str]:
        events: list[str] = []

        async def figure(name: str) -> None:
            assert await workers.enter()
            events.append(f"{name} in")
            await asyncio.sleep(0.05)
            events.append(f"{name} out")
            workers.leave()

        await asyncio.gather(figure("a"), figure("b"), figure("c"))
        return events

    try:
        events = asyncio.run(main())
    finally:
        workers.stop()
    assert events.index("c in") > min(events.index("a out"), events.index("b out"))


def test_the_pipeline_stores_a_figure_through_its_threads(tmp_path):
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path), FIGURES_THREADS=2)
    crawler.spider = Spider("test")
    pipe = FiguresPipeline.from_crawler(crawler)
    pipe.open_spider()
    url = "https://pic1.zhimg.com/v2-" + "a" * 32 + "_r.jpg"
    [request] = pipe.get_media_requests(
        make_post(content=f'<p><img src="{url}"></p>'), pipe.spiderinfo
    )
    response = Response(url, body=images.jpeg(1200, 800), request=request)

    async def download() -> object:
        assert await pipe.media_to_download(request, pipe.spiderinfo) is None
        return await pipe.media_downloaded(response, request, pipe.spiderinfo)

    try:
        result = asyncio.run(download())
    finally:
        pipe.close_spider()
    assert result["path"] == "images/zhimg/v2-" + "a" * 32 + ".jpg"
    assert (tmp_path / result["path"]).read_bytes() == response.body
    assert (tmp_path / "images/thumbs/400x300/zhimg" / f"v2-{'a' * 32}.jpg").is_file()
    assert pipe.workers.places.tokens == pipe.workers.places.limit  # its place given back

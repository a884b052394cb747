"""Where the figures pipeline's slow work runs: a bounded pool of threads, off the reactor.

Decoding and thumbnailing a photo takes milliseconds of CPU (Pillow releases the GIL meanwhile)
and writing it waits on the disk; on the reactor thread both stop every download and parse.
Here they run in FIGURES_THREADS threads while the crawl goes on, and come back to the reactor
thread in the order they were handed over: figures complete, and the posts waiting for them go
on to be written, in the order their downloads completed, as when the work ran on the reactor
thread itself. A figure holds a place from before its download until its work is done: the
bytes downloaded and not yet processed are never more than `places` figures' worth, however far
downloads outrun the threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredSemaphore, succeed

T = TypeVar("T")


class FigureWorkers:
    """`threads` worker threads and `places` figures in flight; 0 threads: the caller's thread."""

    def __init__(self, threads: int, places: int) -> None:
        self.threads = threads
        self.places = DeferredSemaphore(max(1, places))
        self._pool: ThreadPoolExecutor | None = None
        self._last: Deferred[None] = succeed(None)  # fired once the latest job is handed back

    def start(self) -> None:
        if self.threads and self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="figures")

    def stop(self) -> None:
        """Wait for the jobs under way (none once the crawl is idle) and end the threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    async def enter(self) -> bool:
        """Wait for a place for one more figure; whether one was taken (none without threads)."""
        if self._pool is None:
            return False
        await maybe_deferred_to_future(self.places.acquire())
        return True

    def leave(self) -> None:
        """Give back a place that `enter` took."""
        self.places.release()

    async def run(self, job: Callable[[], T]) -> T:
        """`job()` in a worker thread; its result (or exception) once earlier jobs' are back."""
        if self._pool is None:
            return job()
        previous, done = self._last, Deferred()
        self._last = done
        try:
            return await self._call(self._pool.submit(job))
        finally:
            try:
                await maybe_deferred_to_future(previous)
            finally:
                done.callback(None)

    @staticmethod
    def _call(future: Future[T]) -> asyncio.Future[T] | Deferred[T]:
        if is_asyncio_available():
            return asyncio.wrap_future(future)
        from twisted.internet import reactor  # a non-asyncio reactor (TWISTED_REACTOR)

        result: Deferred[T] = Deferred()
        future.add_done_callback(lambda f: reactor.callFromThread(_settle, result, f))
        return result


def _settle(result: Deferred[T], future: Future[T]) -> None:
    error = future.exception()
    if error is None:
        result.callback(future.result())
    else:
        result.errback(error)

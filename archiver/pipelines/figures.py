"""Download every figure once, keep its original bytes, make thumbnails.

Built on Scrapy's FilesPipeline rather than ImagesPipeline: the latter re-encodes everything to
JPEG (GIFs lose their animation, PNGs their transparency); an archive keeps what was served.
The archive's index says which figures are already stored, so a re-run downloads nothing new,
and which failed, so a re-run retries them only after a day, a week, then a month.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from io import BytesIO
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK

from archiver import stats as keys
from archiver.archive.images import BadImage, Processed, parse_size, process_figure
from archiver.archive.index import FigureFailure, utc_now
from archiver.archive.layout import figure_path, thumbnail_path
from archiver.downloader.meta import FIGURE_META
from archiver.items import Post, StoredFigure
from archiver.pipelines.media import IndexedMediaPipeline, MediaFailed, file_info
from archiver.pipelines.workers import FigureWorkers
from archiver.post.figures import Figure
from archiver.utils.allowlist import is_allowed

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.pipelines.media import FileInfo, MediaPipeline
    from scrapy.settings import BaseSettings
    from scrapy.spiders import Spider
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


class FigureFailed(MediaFailed):
    """A figure that could not be archived; its message is the reason (a stats key)."""


FIGURE = FIGURE_META  # request meta: the Figure a media request is for
PROCESSED = "archiver_processed"  # request meta: the checked image and its thumbnails
POST = "archiver_post"  # request meta: the _PostFigures of the post the request is for
PLACE = "archiver_place"  # request meta: True while the request holds a place of the workers


@dataclass
class _PostFigures:
    """What one post's figure requests share: the bytes downloaded."""

    downloaded: int = 0


class FiguresPipeline(IndexedMediaPipeline):
    ALLOWLIST_SETTING = "FIGURES_ALLOWED_HOSTS"
    MAX_SIZE_SETTING = "FIGURES_MAX_SIZE"
    STATS_PREFIX = keys.FIGURES
    FAILED_META = "archiver_failed"
    RUN_SCOPED = frozenset(
        {
            "not_in_warc",
            "filtered",
            "refused_host",
            "too_many_figures",
            "over_post_bytes",
            "over_run_bytes",
            "tls",  # a certificate refused on this run's network says nothing of the figure
        }
    )
    FAILURE = FigureFailed

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.sizes: list[str] = settings.getlist("FIGURES_THUMB_SIZES")
        for size in self.sizes:
            parse_size(size)  # a typo in the setting fails the start, not every figure
        self.max_per_post = settings.getint("FIGURES_MAX_PER_POST")
        self.max_bytes_per_post = settings.getint("FIGURES_MAX_BYTES_PER_POST")
        self.max_bytes_per_run = settings.getint("FIGURES_MAX_BYTES_PER_RUN")
        self.max_pixels = settings.getint("FIGURES_MAX_PIXELS")
        # Decoding, thumbnailing and writing off the reactor thread; the figures in flight are
        # at most those the downloader takes at once plus one per thread.
        threads = settings.getint("FIGURES_THREADS")
        self.workers = FigureWorkers(threads, settings.getint("CONCURRENT_REQUESTS") + threads)
        self.run_bytes = 0  # figure bytes downloaded in this run

    @classmethod
    def _require_enabled(cls, settings: BaseSettings) -> None:
        if not settings.getbool("FIGURES_ENABLED"):
            raise NotConfigured("FIGURES_ENABLED is off: figures stay on Zhihu's servers")

    def open_spider(self, spider: Spider | None = None) -> None:
        super().open_spider()
        self.workers.start()

    def close_spider(self, spider: Spider | None = None) -> None:
        self.workers.stop()
        super().close_spider()

    # Overridable Interface of FilesPipeline

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if not isinstance(item, Post):
            return []
        requests: list[Request] = []
        seen: set[str] = set()
        post = _PostFigures()
        wanted: list[str] = []
        self.posts[id(item)] = wanted  # filled below, as requests are made
        over_count = 0
        # Parsed once a crawl, here or by the pipelines after it (archive.publish.Bodies).
        assert self.bodies is not None
        body = self.bodies.body(item)
        # The images the sanitizer refused in the post are refused here too, and counted.
        for figure in body.figures + body.refused:
            if figure.key in seen:
                continue
            seen.add(figure.key)
            if not is_allowed(figure.url, self.allowlist):
                self._count("refused_host")
                logger.warning(
                    "Figure not fetched (host not on FIGURES_ALLOWED_HOSTS): %s in %s %s",
                    figure.url,
                    item.kind,
                    item.id,
                )
                continue
            if self._deferred(figure.key):
                continue
            if len(requests) >= self.max_per_post:
                over_count += 1
                continue
            requests.append(self._request(figure, post))
            wanted.append(figure.key)
        if over_count:
            # One line for the post, not one per figure: a post of 5000 images is not 5000 lines.
            self._count("failed/too_many_figures", over_count)
            logger.warning(
                "Figure failed (too_many_figures): %d figures of %s %s over FIGURES_MAX_PER_POST",
                over_count,
                item.kind,
                item.id,
            )
        return requests

    async def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo | None:
        stored = self._on_disk(request)
        if stored is None:
            # Held from before the download to the end of its processing (media_downloaded)
            # or its failure (media_failed): what bounds the figure bytes held in memory.
            request.meta[PLACE] = await self.workers.enter()
            return None
        await self._complete_thumbnails(stored, info)
        self.inc_stats("uptodate")
        return file_info(request.url, stored, "uptodate")

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        if response.status != 200:
            self._fail(request, f"http_{response.status}")
        if not response.body:
            self._fail(request, "empty")
        self._spend(request, len(response.body))
        try:
            request.meta[PROCESSED] = await self.workers.run(
                partial(
                    process_figure,
                    response.body,
                    self.sizes,
                    equation=request.meta[FIGURE].equation,
                    max_pixels=self.max_pixels,
                )
            )
        except BadImage as exc:
            self._fail(request, exc.reason, str(exc))
        done = await super().media_downloaded(response, request, info, item=item)
        self._leave(request)  # a failure (an exception here) gives it back in media_failed
        return done

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        self._leave(request)
        super().media_failed(failure, request, info)

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        figure: Figure = request.meta[FIGURE]
        stem, ext = figure.key.rsplit(".", 1)
        processed: Processed | None = request.meta.get(PROCESSED)
        return figure_path(stem, processed.ext if processed else ext)

    async def file_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> str:
        figure: Figure = request.meta[FIGURE]
        path = self.file_path(request, response, info)
        processed: Processed = request.meta.pop(PROCESSED)
        stored = await self.workers.run(
            partial(self._write, figure, request.url, path, response.body, processed, info)
        )
        self._record(stored)
        return stored.sha256

    # What the shared media flow asks of us

    def _key(self, request: Request) -> str:
        return request.meta[FIGURE].key

    def _log_failure(self, request: Request, url: str, reason: str, detail: str) -> None:
        logger.warning("Figure failed (%s): %s%s", reason, url, detail)

    def _log_deferred(self, failure: FigureFailure) -> None:
        logger.debug(
            "Figure deferred (%s, failed %d times): %s",
            failure.reason,
            failure.failures,
            failure.url,
        )

    # Our own helpers

    def _request(self, figure: Figure, post: _PostFigures) -> Request:
        return Request(
            figure.url,
            callback=NO_CALLBACK,
            headers={"Referer": "https://www.zhihu.com/"},
            meta={FIGURE: figure, POST: post, "download_maxsize": self.max_size},
        )

    def _spend(self, request: Request, size: int) -> None:
        """Count a download against its post's and the run's byte caps; fail it past one."""
        post: _PostFigures = request.meta[POST]
        if post.downloaded + size > self.max_bytes_per_post:
            self._fail(request, "over_post_bytes", f"{size} bytes")
        if self.run_bytes + size > self.max_bytes_per_run:
            self._fail(request, "over_run_bytes", f"{size} bytes")
        post.downloaded += size
        self.run_bytes += size

    def _write(
        self,
        figure: Figure,
        url: str,
        path: str,
        body: bytes,
        processed: Processed,
        info: MediaPipeline.SpiderInfo,
    ) -> StoredFigure:
        """Store the figure and its thumbnails (a worker's job): what the index is to record."""
        self.store.persist_file(path, BytesIO(body), info)
        return StoredFigure(
            key=figure.key,
            url=url,
            path=path,
            sha256=hashlib.sha256(body).hexdigest(),
            width=processed.width,
            height=processed.height,
            thumbnails=self._persist_thumbnails(figure.key, processed, info),
        )

    def _persist_thumbnails(
        self, key: str, processed: Processed, info: MediaPipeline.SpiderInfo
    ) -> dict[str, str]:
        stem = key.rsplit(".", 1)[0]
        paths: dict[str, str] = {}
        for thumb in processed.thumbnails:
            paths[thumb.size] = thumbnail_path(thumb.size, stem, thumb.ext)
            self.store.persist_file(paths[thumb.size], BytesIO(thumb.data), info)
        return paths

    async def _complete_thumbnails(
        self, stored: StoredFigure, info: MediaPipeline.SpiderInfo
    ) -> None:
        """A stored figure gets the thumbnails of sizes added to the setting since it was stored."""
        missing = [
            s
            for s in self.sizes
            if s not in stored.thumbnails or not (self.archive_dir / stored.thumbnails[s]).is_file()
        ]
        if not missing or stored.key.startswith("equation/"):
            return
        try:
            made = await self.workers.run(partial(self._rethumbnail, stored, missing, info))
        except BadImage as exc:
            logger.warning("Stored figure %s cannot be thumbnailed: %s", stored.path, exc)
            return
        thumbnails = {**stored.thumbnails, **made}
        assert self.index is not None
        self.index.record_figure(dataclasses.replace(stored, thumbnails=thumbnails), utc_now())

    def _rethumbnail(
        self, stored: StoredFigure, sizes: list[str], info: MediaPipeline.SpiderInfo
    ) -> dict[str, str]:
        """Make and store thumbnails of a stored figure (a worker's job); BadImage."""
        data = (self.archive_dir / stored.path).read_bytes()
        return self._persist_thumbnails(stored.key, process_figure(data, sizes), info)

    def _leave(self, request: Request) -> None:
        if request.meta.pop(PLACE, False):
            self.workers.leave()

    def _fail(self, request: Request, reason: str, detail: str = "") -> NoReturn:
        # The checked image and its thumbnails are not held by a request that has failed.
        request.meta.pop(PROCESSED, None)
        super()._fail(request, reason, detail)

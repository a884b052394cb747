"""Archive the video file behind each video card (ARCHIVE_VIDEOS = "download").

For each lens id a post's body names (archiver/post/rich.py), the play-info is fetched
(`lens.zhihu.com/api/v4/videos/<id>`, archiver/zhihu/videos.py), its best MP4 no larger than
ARCHIVE_VIDEO_MAX_SIZE is downloaded (the cap also cuts the download itself) from a host of
ARCHIVE_VIDEO_HOSTS, and kept as `videos/<id>.mp4`, written atomically and recorded in the
index beside the figures (key `video/<id>.mp4`), so `verify` and re-runs know it. A failure is
logged, counted as `archiver/videos/failed/<reason>` and remembered for retries with backoff, as
a figure's; the post is still written, with the card as its poster linking to Zhihu.

A FilesPipeline like the figures', for the same reasons: one download per video however many
posts show it, the index consulted before anything is fetched, results mapped back to the item.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Self

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline

from archiver import stats as keys
from archiver.index import ArchiveIndex, index_path, utc_now
from archiver.items import Post, StoredFigure
from archiver.middlewares import VIDEO_META, RefusedFigure
from archiver.pipelines.figures import (
    FigureFailed,
    FiguresPipeline,
    failure_reason,
    waiting_for_retry,
)
from archiver.pipelines.posts import rich_options
from archiver.post.figures import is_allowed
from archiver.post.render import body_for
from archiver.post.rich import video_key
from archiver.zhihu.videos import NoVariant, choose, looks_like_mp4, play_info_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.pipelines.media import FileInfo, FileInfoOrError, MediaPipeline
    from scrapy.spiders import Spider
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

REFERER = "https://www.zhihu.com/"  # the page the player runs in
PLAY_INFO_MAX_SIZE = 1024 * 1024  # a play-info is a few kilobytes of JSON
FAILED = "archiver_video_failed"  # request meta: the reason, once a failure has been counted
FILE_URL = "archiver_video_url"  # request meta: the MP4 chosen, for the log and the index
# Failures that say nothing about the video, only about this run: never remembered.
_RUN_SCOPED = frozenset({"not_in_warc", "filtered"})


class VideoFailed(FigureFailed):
    """A video that could not be archived; its message is the reason (a stats key)."""


class VideosPipeline(FilesPipeline):
    STORE_SCHEMES = FiguresPipeline.STORE_SCHEMES  # atomic writes, as for figures

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        settings = crawler.settings
        self.archive_dir = Path(store_uri)
        self.allowlist: list[str] = settings.getlist("ARCHIVE_VIDEO_HOSTS")
        self.max_size = settings.getint("ARCHIVE_VIDEO_MAX_SIZE")
        self.rich = rich_options(settings)
        self.index_file = index_path(self.archive_dir, settings["ARCHIVE_INDEX"])
        self.index: ArchiveIndex | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests set a fake
        # Each post's lens ids, by the post's id(), from get_media_requests to item_completed.
        self.posts: dict[int, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings["ARCHIVE_VIDEOS"] != "download":
            # Off by default: without a message, so Scrapy logs no warning on every run.
            raise NotConfigured
        cls._update_stores(crawler.settings)
        return cls(crawler.settings["ARCHIVE_DIR"], crawler=crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        super().open_spider()
        self.index = ArchiveIndex(self.index_file)
        # A figure row lost to a power cut only means one download again next run.
        self.index.sync_at_checkpoints()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.index is not None:
            self.index.close()

    # Overridable Interface of FilesPipeline

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if not isinstance(item, Post):
            return []
        # The body the figures pipeline parsed (parsed here when figures are off).
        item.body = body_for(item, rich=self.rich)
        wanted = [lens_id for lens_id in item.body.videos if not self._deferred(lens_id)]
        self.posts[id(item)] = wanted
        return [self._play_info_request(lens_id) for lens_id in wanted]

    def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo | None:
        assert self.index is not None
        stored = self.index.figure(video_key(request.meta[VIDEO_META]))
        if stored is None or not (self.archive_dir / stored.path).is_file():
            return None
        self._count("uptodate")
        return {
            "url": stored.url,
            "path": stored.path,
            "checksum": stored.sha256,
            "status": "uptodate",
        }

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        """`response` is the play-info: the MP4 it names is fetched and stored from here."""
        if response.status != 200:
            self._fail(request, f"play_info_http_{response.status}")
        try:
            variant = choose(response.body, self.max_size)
        except NoVariant as exc:
            self._fail(request, exc.reason, str(exc))
        request.meta[FILE_URL] = variant.url
        if not is_allowed(variant.url, self.allowlist):
            self._refuse(request, variant.url)
        assert self.crawler.engine is not None
        # A failed download raises here, and FilesPipeline hands it to media_failed.
        video = await self.crawler.engine.download_async(self._file_request(request, variant.url))
        if video.status != 200:
            self._fail(request, f"http_{video.status}")
        if not looks_like_mp4(video.body):
            self._fail(request, "not_mp4", f"{len(video.body)} bytes")
        return self._store(request, video, variant.width, variant.height, info)

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        if FAILED in request.meta:
            raise VideoFailed(request.meta[FAILED])
        if failure.check(RefusedFigure):
            # A redirect off the allowlist: the middleware has counted and logged it.
            raise VideoFailed("refused_host")
        self._fail(request, failure_reason(failure), failure.getErrorMessage())

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        return f"videos/{request.meta[VIDEO_META]}.mp4"

    def item_completed(
        self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo
    ) -> Any:
        # Failures were logged and counted when they happened; the post keeps the poster form.
        if isinstance(item, Post):
            assert self.index is not None
            wanted = self.posts.pop(id(item), [])
            for lens_id, (ok, _) in zip(wanted, results, strict=True):
                key = video_key(lens_id)
                if ok and (stored := self.index.figure(key)):
                    item.stored_figures[key] = stored
        return item

    # Our own helpers

    def _play_info_request(self, lens_id: str) -> Request:
        return Request(
            play_info_url(lens_id),
            callback=NO_CALLBACK,
            headers={"Referer": REFERER},
            meta={VIDEO_META: lens_id, "download_maxsize": PLAY_INFO_MAX_SIZE},
        )

    def _file_request(self, play_info: Request, url: str) -> Request:
        return Request(
            url,
            callback=NO_CALLBACK,
            headers={"Referer": REFERER},
            # Sent as the player would: redirects followed (and judged again by the allowlist
            # middleware), the whole download cut at the cap.
            meta={VIDEO_META: play_info.meta[VIDEO_META], "download_maxsize": self.max_size},
        )

    def _store(
        self,
        request: Request,
        video: Response,
        width: int,
        height: int,
        info: MediaPipeline.SpiderInfo,
    ) -> FileInfo:
        path = self.file_path(request)
        self.store.persist_file(path, BytesIO(video.body), info)
        stored = StoredFigure(
            key=video_key(request.meta[VIDEO_META]),
            url=request.meta[FILE_URL],
            path=path,
            sha256=hashlib.sha256(video.body).hexdigest(),
            width=width,
            height=height,
        )
        assert self.index is not None
        self.index.record_figure(stored, utc_now())  # after the file: a crash means re-download
        self.index.forget_figure_failure(stored.key)
        self._count("stored")
        logger.info("Video stored: %s (%d bytes)", path, len(video.body))
        return {"url": stored.url, "path": path, "checksum": stored.sha256, "status": "downloaded"}

    def _deferred(self, lens_id: str) -> bool:
        """Whether a video that failed before waits for its next retry (counted, not logged)."""
        assert self.index is not None
        if waiting_for_retry(self.index, video_key(lens_id), self.clock()) is None:
            return False
        self._count("deferred")
        return True

    def _refuse(self, request: Request, url: str) -> NoReturn:
        """A play-info naming a host off ARCHIVE_VIDEO_HOSTS: nothing is sent there."""
        request.meta[FAILED] = "refused_host"
        self._count("refused_host")
        logger.warning(
            "Video not fetched (host not on ARCHIVE_VIDEO_HOSTS): %s for %s",
            url,
            request.meta[VIDEO_META],
        )
        raise VideoFailed("refused_host")

    def _fail(self, request: Request, reason: str, detail: str = "") -> NoReturn:
        """Count and log a failed video once, then fail its download with the reason."""
        request.meta[FAILED] = reason
        self._count(f"failed/{reason}")
        lens_id = request.meta[VIDEO_META]
        url = request.meta.get(FILE_URL, request.url)
        if reason not in _RUN_SCOPED:
            assert self.index is not None
            now = self.clock().isoformat(timespec="seconds")
            self.index.record_figure_failure(video_key(lens_id), url, reason, now)
        logger.warning(
            "Video failed (%s): %s (%s)%s", reason, lens_id, url, f": {detail}" if detail else ""
        )
        raise VideoFailed(reason)

    def _count(self, what: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.VIDEOS}/{what}")

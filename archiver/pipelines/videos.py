"""Archive the video file behind each video card (ARCHIVE_VIDEOS = "download").

For each lens id a post's body names (archiver/post/rich.py), the play-info is fetched as Zhihu's
web player asks it (a signed POST to `www.zhihu.com/api/v4/video/play_info`, with the login),
else, where that is refused (401, 403, 404) or for a post that is no answer, article or pin,
from `lens.zhihu.com/api/v4/videos/<id>` (archiver/zhihu/videos.py). Its best MP4 no larger
than ARCHIVE_VIDEO_MAX_SIZE is downloaded (the cap also cuts the download itself) from a host of
ARCHIVE_VIDEO_HOSTS, its mirrors tried in turn, and kept as `videos/<id>.mp4`, written
atomically and recorded in the index beside the figures (key `video/<id>.mp4`), so `verify` and
re-runs know it. A failure is logged, counted as `archiver/videos/failed/<reason>` and
remembered for retries with backoff, as a figure's; the post is still written, with the card as
its poster linking to Zhihu. A refused play-info never stops the crawl: a video, like a figure,
fails alone (ZhihuBlockMiddleware).

A FilesPipeline like the figures', for the same reasons: one download per video however many
posts show it, the index consulted before anything is fetched, results mapped back to the item.
"""

from __future__ import annotations

import hashlib
import logging
from io import BytesIO
from typing import TYPE_CHECKING, Any, NoReturn

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK

from archiver import stats as keys
from archiver.archive.layout import video_path
from archiver.downloader.meta import VIDEO_META
from archiver.items import Post, StoredFigure
from archiver.pipelines.media import IndexedMediaPipeline, MediaFailed, file_info
from archiver.post.rich import video_key
from archiver.utils.allowlist import is_allowed
from archiver.zhihu.videos import (
    NoVariant,
    Variant,
    choose,
    lens_url,
    looks_like_mp4,
    play_info_call,
)

if TYPE_CHECKING:
    from scrapy.pipelines.media import FileInfo, MediaPipeline
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

REFERER = "https://www.zhihu.com/"  # the page the player runs in
PLAY_INFO_MAX_SIZE = 1024 * 1024  # a play-info is a few kilobytes of JSON
FILE_URL = "archiver_video_url"  # request meta: the MP4 chosen, for the log and the index
WEB_PLAY_INFO = "archiver_video_web"  # request meta: the web player's play-info (lens as fallback)
# The web play-info's refusals that the lens endpoint is asked after (the endpoint, not the video).
REFUSED = (401, 403, 404)
# A mirror that cannot be reached: the next one is tried.
_UNREACHABLE = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)


class VideoFailed(MediaFailed):
    """A video that could not be archived; its message is the reason (a stats key)."""


class VideosPipeline(IndexedMediaPipeline):
    ALLOWLIST_SETTING = "ARCHIVE_VIDEO_HOSTS"
    MAX_SIZE_SETTING = "ARCHIVE_VIDEO_MAX_SIZE"
    STATS_PREFIX = keys.VIDEOS
    FAILED_META = "archiver_video_failed"
    RUN_SCOPED = frozenset({"not_in_warc", "filtered", "tls"})
    FAILURE = VideoFailed

    def __init__(self, store_uri: str, *, crawler: Any) -> None:
        super().__init__(store_uri, crawler=crawler)
        self.base_url: str = crawler.settings["ZHIHU_BASE_URL"]
        # lens id -> the first post of this run that shows it: every later post asks the same
        # play-info (one request, one download per video).
        self.shown_in: dict[str, Post] = {}

    @classmethod
    def _require_enabled(cls, settings: BaseSettings) -> None:
        if settings["ARCHIVE_VIDEOS"] != "download":
            # Off by default: without a message, so Scrapy logs no warning on every run.
            raise NotConfigured

    # Overridable Interface of FilesPipeline

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if not isinstance(item, Post):
            return []
        # The body the figures pipeline parsed (parsed here when figures are off).
        assert self.bodies is not None
        videos = self.bodies.body(item).videos
        wanted = [lens_id for lens_id in videos if not self._deferred(video_key(lens_id))]
        self.posts[id(item)] = [video_key(lens_id) for lens_id in wanted]
        return [self._play_info_request(lens_id, item) for lens_id in wanted]

    def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo | None:
        stored = self._on_disk(request)
        if stored is None:
            return None
        self._count("uptodate")
        return file_info(stored.url, stored, "uptodate")

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        """`response` is the play-info: the MP4 it names is fetched and stored from here."""
        if request.meta.get(WEB_PLAY_INFO) and response.status in REFUSED:
            response = await self._lens_instead(request, response)
        if response.status != 200:
            self._fail(request, f"play_info_http_{response.status}")
        try:
            variant = choose(response.body, self.max_size, request.meta[VIDEO_META])
        except NoVariant as exc:
            self._fail(request, exc.reason, str(exc))
        urls = [url for url in variant.urls if is_allowed(url, self.allowlist)]
        if not urls:
            self._refuse(request, variant.url)
        video = await self._download(request, urls)
        return self._store(request, video, variant, info)

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        return video_path(request.meta[VIDEO_META])

    # What the shared media flow asks of us

    def _key(self, request: Request) -> str:
        return video_key(request.meta[VIDEO_META])

    def _url(self, request: Request) -> str:
        # The MP4's, once the play-info has named it.
        return request.meta.get(FILE_URL, request.url)

    def _log_failure(self, request: Request, url: str, reason: str, detail: str) -> None:
        logger.warning(
            "Video failed (%s): %s (%s)%s", reason, request.meta[VIDEO_META], url, detail
        )

    # Our own helpers

    def _play_info_request(self, lens_id: str, post: Post) -> Request:
        """The web player's play-info request, as the post's page sends it; the lens one for a
        post the player never shows videos of."""
        shown_in = self.shown_in.setdefault(lens_id, post)
        call = play_info_call(self.base_url, lens_id, shown_in.kind, shown_in.id)
        if call is None:
            return self._lens_request(lens_id)
        return Request(
            call.url,
            method="POST",
            body=call.body,
            callback=NO_CALLBACK,
            headers={"Referer": shown_in.url, "Content-Type": "application/json"},
            meta={
                VIDEO_META: lens_id,
                WEB_PLAY_INFO: True,
                "download_maxsize": PLAY_INFO_MAX_SIZE,
            },
        )

    def _lens_request(self, lens_id: str) -> Request:
        return Request(
            lens_url(lens_id),
            callback=NO_CALLBACK,
            headers={"Referer": REFERER},
            meta={VIDEO_META: lens_id, "download_maxsize": PLAY_INFO_MAX_SIZE},
        )

    async def _lens_instead(self, request: Request, refused: Response) -> Response:
        """The lens play-info, where the web one was refused; counted, said once a run. Should
        it fail too, the video fails as the web play-info did."""
        key = f"{keys.FALLBACK}/video_lens"
        assert self.crawler.stats is not None and self.crawler.engine is not None
        if not self.crawler.stats.get_value(key):
            logger.warning(
                "Zhihu turned the web player's play-info away (HTTP %d at %s); reading videos' "
                "play-info from lens.zhihu.com (each time counted as %s)",
                refused.status,
                request.url,
                key,
            )
        self.crawler.stats.inc_value(key)
        lens = await self.crawler.engine.download_async(
            self._lens_request(request.meta[VIDEO_META])
        )
        if lens.status != 200:
            detail = f"lens.zhihu.com answered HTTP {lens.status} too"
            self._fail(request, f"play_info_http_{refused.status}", detail)
        return lens

    async def _download(self, request: Request, urls: list[str]) -> Response:
        """The MP4, from the first of its mirrors that serves one; the last one's failure."""
        assert self.crawler.engine is not None
        for n, url in enumerate(urls, start=1):
            request.meta[FILE_URL] = url
            last = n == len(urls)
            try:
                video = await self.crawler.engine.download_async(self._file_request(request, url))
            except _UNREACHABLE:
                # A failed download of the last mirror raises on: FilesPipeline hands it to
                # media_failed.
                if last:
                    raise
                continue
            if video.status != 200:
                if last:
                    self._fail(request, f"http_{video.status}")
                continue
            if not looks_like_mp4(video.body):
                if last:
                    self._fail(request, "not_mp4", f"{len(video.body)} bytes")
                continue
            return video
        raise AssertionError("no mirror")  # pragma: no cover (urls is never empty)

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
        variant: Variant,
        info: MediaPipeline.SpiderInfo,
    ) -> FileInfo:
        path = self.file_path(request)
        self.store.persist_file(path, BytesIO(video.body), info)
        stored = StoredFigure(
            key=self._key(request),
            url=request.meta[FILE_URL],
            path=path,
            sha256=hashlib.sha256(video.body).hexdigest(),
            width=variant.width,
            height=variant.height,
        )
        self._record(stored)
        logger.info("Video stored: %s (%d bytes)", path, len(video.body))
        return file_info(stored.url, stored, "downloaded")

    def _refuse(self, request: Request, url: str) -> NoReturn:
        """A play-info naming a host off ARCHIVE_VIDEO_HOSTS: nothing is sent there."""
        request.meta[self.FAILED_META] = "refused_host"
        self._count("refused_host")
        logger.warning(
            "Video not fetched (host not on ARCHIVE_VIDEO_HOSTS): %s for %s",
            url,
            request.meta[VIDEO_META],
        )
        raise VideoFailed("refused_host")

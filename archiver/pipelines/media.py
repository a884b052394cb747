"""What the figures and videos pipelines share: a media file recorded in the archive's index.

Both keep their files in the index's figures table, so a re-run downloads nothing it has, and
remember a failure there, so a re-run retries it only when its backoff is over. A subclass says
what differs: its settings and stats prefix, a request's index key, how a failure is logged,
and how a download is checked and stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Self

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.pipelines.files import FilesPipeline, FSFilesStore
from scrapy.pipelines.media import FileException

from archiver.archive.index import ArchiveIndex, FigureFailure, utc_now
from archiver.archive.layout import Layout
from archiver.archive.publish import Bodies
from archiver.archive.storage import UnsafePath, atomic_write, inside
from archiver.downloader.limits import TooLarge
from archiver.downloader.meta import RefusedFigure
from archiver.downloader.tls import CertificateRefused
from archiver.items import Post, StoredFigure
from archiver.pipelines.posts import bodies_of
from archiver.post.figures import retry_due
from archiver.webarchive.middleware import NotInArchive

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.pipelines.media import FileInfo, FileInfoOrError, MediaPipeline
    from scrapy.settings import BaseSettings
    from scrapy.spiders import Spider
    from twisted.python.failure import Failure


class MediaFailed(FileException):
    """A file that could not be archived; its message is the reason (a stats key)."""


class _SaidAlready(logging.Filter):
    """MediaPipeline logs a failed download with its traceback at ERROR (all but the requests
    Scrapy itself filtered out); ours were said in one line and counted when they happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], MediaFailed))


_SAID_ALREADY = _SaidAlready()


class AtomicFSFilesStore(FSFilesStore):
    """The file-system store, but a crash never leaves half a file that looks stored."""

    def persist_file(
        self,
        path: str,
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        atomic_write(self._get_filesystem_path(path), buf.getvalue())


class IndexedMediaPipeline(FilesPipeline):
    """A FilesPipeline whose files, and whose failures, are rows of the archive's index."""

    STORE_SCHEMES = {  # noqa: RUF012 (Scrapy's own class attribute, extended)
        **FilesPipeline.STORE_SCHEMES,
        "": AtomicFSFilesStore,
        "file": AtomicFSFilesStore,
    }
    ALLOWLIST_SETTING: ClassVar[str]  # the hosts a file may come from
    MAX_SIZE_SETTING: ClassVar[str]  # the largest file downloaded, in bytes
    STATS_PREFIX: ClassVar[str]
    FAILED_META: ClassVar[str]  # request meta: the reason, once a failure has been counted
    # Failures that say nothing about the file itself, only about this run: never remembered.
    RUN_SCOPED: ClassVar[frozenset[str]]
    FAILURE: ClassVar[type[MediaFailed]]

    def __init__(self, store_uri: str, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        media_log = logging.getLogger("scrapy.pipelines.media")  # where MediaPipeline logs
        if _SAID_ALREADY not in media_log.filters:
            media_log.addFilter(_SAID_ALREADY)
        settings = crawler.settings
        self.archive_dir = Path(store_uri)
        self.allowlist: list[str] = settings.getlist(self.ALLOWLIST_SETTING)
        self.max_size = settings.getint(self.MAX_SIZE_SETTING)
        self.index_file = Layout.of(settings).index
        self.index: ArchiveIndex | None = None
        self.bodies: Bodies | None = None  # the post pipeline's, once open (`bodies_of`)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests set a fake
        # Each post's requested keys in order, by the post's id(), from get_media_requests to
        # item_completed.
        self.posts: dict[int, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        cls._require_enabled(crawler.settings)
        cls._update_stores(crawler.settings)
        return cls(crawler.settings["ARCHIVE_DIR"], crawler=crawler)

    @classmethod
    def _require_enabled(cls, settings: BaseSettings) -> None:
        """Raise NotConfigured unless the settings ask for this pipeline."""
        raise NotImplementedError

    def open_spider(self, spider: Spider | None = None) -> None:
        super().open_spider()
        # Each post's body, parsed once for this pipeline, the others and the post it makes.
        self.bodies = bodies_of(self.crawler)
        self.index = ArchiveIndex(self.index_file)
        # A figure row lost to a power cut only means one download again next run.
        self.index.sync_at_checkpoints()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.index is not None:
            self.index.close()

    # Overridable Interface of FilesPipeline

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        if self.FAILED_META in request.meta:
            raise self.FAILURE(request.meta[self.FAILED_META])
        if failure.check(RefusedFigure):
            # A redirect off the allowlist: the middleware has counted and logged it.
            raise self.FAILURE("refused_host")
        self._fail(request, failure_reason(failure), failure.getErrorMessage())

    def item_completed(
        self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo
    ) -> Any:
        # Failures were logged and counted when they happened; the post still gets written,
        # with what failed left pointing at Zhihu.
        if isinstance(item, Post):
            assert self.index is not None
            # Results come in the order of the requests: mapped back by position, never by URL
            # (Scrapy's URL is normalised, the post's is as written).
            for key, (ok, _) in zip(self.posts.pop(id(item), []), results, strict=True):
                if ok and (stored := self.index.figure(key)):
                    item.stored_figures[key] = stored
        return item

    # What a subclass says

    def _key(self, request: Request) -> str:
        """The index key of the file a request is for."""
        raise NotImplementedError

    def _url(self, request: Request) -> str:
        """The URL a failure of this request is remembered and logged with."""
        return request.url

    def _log_failure(self, request: Request, url: str, reason: str, detail: str) -> None:
        """One warning line for a failure counted now (`detail` is empty or ": ...")."""
        raise NotImplementedError

    def _log_deferred(self, failure: FigureFailure) -> None:
        """Say that a file waits for its retry: by default nothing (it is counted)."""

    # Our own helpers

    def _on_disk(self, request: Request) -> StoredFigure | None:
        """The index's row for the request's file, if the file is still there."""
        assert self.index is not None
        stored = self.index.figure(self._key(request))
        try:  # a path that leads out of the archive is never looked at: fetched again instead
            there = stored is not None and inside(self.archive_dir, stored.path).is_file()
        except UnsafePath:
            there = False
        return stored if there else None

    def _record(self, stored: StoredFigure) -> None:
        """Record a stored file, called after its files: a crash means a download again."""
        assert self.index is not None
        self.index.record_figure(stored, utc_now())
        self.index.forget_figure_failure(stored.key)
        self._count("stored")

    def _deferred(self, key: str) -> bool:
        """Whether a file that failed before waits for its next retry (counted)."""
        assert self.index is not None
        failure = waiting_for_retry(self.index, key, self.clock())
        if failure is None:
            return False
        self._count("deferred")
        self._log_deferred(failure)
        return True

    def _fail(self, request: Request, reason: str, detail: str = "") -> NoReturn:
        """Count and log a failed file once, then fail its download with the reason."""
        request.meta[self.FAILED_META] = reason
        self._count(f"failed/{reason}")
        url = self._url(request)
        if reason not in self.RUN_SCOPED:
            assert self.index is not None
            now = self.clock().isoformat(timespec="seconds")
            self.index.record_figure_failure(self._key(request), url, reason, now)
        self._log_failure(request, url, reason, f": {detail}" if detail else "")
        raise self.FAILURE(reason)

    def _count(self, what: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{self.STATS_PREFIX}/{what}", count)


def file_info(url: str, stored: StoredFigure, status: str) -> FileInfo:
    """A stored file as FilesPipeline reports it (item_completed reads only success)."""
    return {"url": url, "path": stored.path, "checksum": stored.sha256, "status": status}


def waiting_for_retry(index: ArchiveIndex, key: str, now: datetime) -> FigureFailure | None:
    """The failure remembered for a file not stored yet, while its next retry is not due."""
    failure = index.figure_failure(key)
    if failure is None or index.figure(key) is not None:
        return None
    if retry_due(failure.failures, datetime.fromisoformat(failure.last_failed), now):
        return None
    return failure


def failure_reason(failure: Failure) -> str:
    if failure.check(NotInArchive):
        return "not_in_warc"
    if failure.check(CertificateRefused):
        return "tls"
    if failure.check(TooLarge):
        return "too_large"
    if failure.check(IgnoreRequest):
        return "filtered"
    return failure.type.__name__ if failure.type else "error"

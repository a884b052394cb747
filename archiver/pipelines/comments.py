"""The top root comments of an answer, article or pin (ZHIHU_COMMENTS), captured once per
version of the item.

Comments are asked for when an item is new to the archive or edited since (its `updated_time`
differs from the index's), never for an item the archive has unchanged: its comments are
those captured before, kept in the index (table `comments`), so its post renders to the same
bytes and is not rewritten. The request goes through the downloader like a figure's (signed,
captured in the WARC, replayed from it); a failure is counted and the post is written all the
same, with the comments captured before, if any. Runs before the figure pipeline, which archives
the comments' images with the body's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK

from archiver import stats as keys
from archiver.archive.index import ArchiveIndex, utc_now
from archiver.archive.layout import Layout
from archiver.archive.publish import stored_comments
from archiver.downloader.meta import FALLBACK_ON, Blocked, Refused
from archiver.downloader.tls import CertificateRefused
from archiver.items import Comment, Post, Skip
from archiver.post.comments import cleaned
from archiver.webarchive.middleware import NotInArchive
from archiver.zhihu.comments import (
    commented,
    comments_json,
    comments_url,
    read_comments,
)
from archiver.zhihu.jsonutil import ZhihuFormatError

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CommentFailed(Exception):
    """The comments of an item could not be captured; the message is the reason (a stats key)."""


class CommentsPipeline:
    def __init__(self, crawler: Crawler, wanted: int, index_file: Path) -> None:
        self.crawler = crawler
        self.wanted = wanted  # ZHIHU_COMMENTS: 0 captures none (those captured before stay)
        self.base_url: str = crawler.settings["ZHIHU_BASE_URL"]
        self.index_file = index_file
        self.index: ArchiveIndex | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        index_file = Layout.of(settings).index
        return cls(crawler, settings.getint("ZHIHU_COMMENTS"), index_file)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.index = ArchiveIndex(self.index_file)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.index is not None:
            self.index.close()

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Post) or not commented(item.kind):
            return item
        assert self.index is not None
        key = f"{item.kind}:{item.id}"
        if self.wanted and self._new_or_edited(key, item):
            try:
                captured, skipped = await self._fetch(item)
            except CommentFailed as exc:
                self._count(f"failed/{exc}")
                logger.warning(
                    "Comments failed (%s): %s %s (%s)", exc, item.kind, item.id, item.url
                )
            else:
                self._skip(item, skipped)
                self.index.record_comments(key, item.updated, comments_json(captured), utc_now())
                self._count("captured")
                item.comments = tuple(captured)
                return item
        item.comments = stored_comments(self.index, key)
        return item

    def _new_or_edited(self, key: str, item: Post) -> bool:
        assert self.index is not None
        known = self.index.get(key)
        return known is None or known.updated_time != item.updated

    async def _fetch(self, item: Post) -> tuple[list[Comment], list[Skip]]:
        request = Request(
            comments_url(self.base_url, item.kind, item.id),
            callback=NO_CALLBACK,
            headers={"Referer": item.url},
            # A plain 403 (comments closed to this reader) is about the comments, not a block.
            meta={FALLBACK_ON: ("forbidden",)},
        )
        assert self.crawler.engine is not None
        try:
            response = await self.crawler.engine.download_async(request)
        except Refused as exc:
            raise CommentFailed("forbidden") from exc
        except Blocked as exc:
            raise CommentFailed("blocked") from exc  # said once, in the Blocked: line
        except NotInArchive as exc:
            raise CommentFailed("not_in_warc") from exc
        except IgnoreRequest as exc:
            raise CommentFailed("ignored") from exc
        except CertificateRefused as exc:
            raise CommentFailed("tls") from exc
        except Exception as exc:  # the downloader's own (timeouts, refused connections...)
            raise CommentFailed(type(exc).__name__) from exc
        return self._parse(response)

    def _parse(self, response: Response) -> tuple[list[Comment], list[Skip]]:
        if response.status == 404:
            return [], []  # Zhihu's answer for content without comments
        if response.status != 200:
            raise CommentFailed(f"http_{response.status}")
        try:
            comments, skipped = read_comments(response.text, self.wanted)
        except (ZhihuFormatError, AttributeError) as exc:  # AttributeError: not a text response
            raise CommentFailed(getattr(exc, "reason", "not_text")) from exc
        return cleaned(comments), skipped  # what a post may show of each is what is kept

    def _skip(self, item: Post, skipped: list[Skip]) -> None:
        """A comment passed over (a number that is no number) is counted as a skip of its own."""
        assert self.crawler.stats is not None
        for skip in skipped:
            self.crawler.stats.inc_value(f"{keys.SKIPPED}/{skip.reason}")
            logger.warning("Skipped (%s): %s %s: %s", skip.reason, item.kind, item.id, skip.detail)

    def _count(self, what: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.COMMENTS}/{what}")

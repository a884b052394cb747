"""Render each item as a post and write it into the archive, idempotently and atomically."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Self

from scrapy.exceptions import DropItem

from archiver import stats as keys
from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.storage import UnsafePath
from archiver.archive.vanishings import CheckLog, Vanishing, note_of
from archiver.archive.writer import PostWriter
from archiver.assets import install_shipped_image
from archiver.hexo.site import named_zone, site_timezone
from archiver.items import Post
from archiver.logformatter import describe
from archiver.post.content import Body
from archiver.post.figures import DEFAULT_ALLOWED_HOSTS, DEFAULT_VIDEO_HOSTS, refuser
from archiver.post.render import PostOptions, body_for, needs_shipped_image, render
from archiver.post.rich import RichOptions
from archiver.post.vanished import with_note

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# The reason a post that could not be written is counted under, most specific first.
_WRITE_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (UnsafePath, "unsafe_path"),
    (OSError, "write_failed"),
    (sqlite3.Error, "index_failed"),
    (UnicodeError, "encoding"),
    (OverflowError, "out_of_range"),
    (ValueError, "bad_value"),
)


def post_options(settings: BaseSettings) -> PostOptions:
    return PostOptions(
        source=settings["ARCHIVE_SOURCE_LABEL"],
        default_image=settings["ARCHIVE_DEFAULT_IMAGE"],
        timezone=site_timezone(settings["ARCHIVE_TIMEZONE"], Path(settings["ARCHIVE_DIR"])),
        local_images=settings["ARCHIVE_IMAGES"] == "local",
        updated=settings.getbool("ARCHIVE_FRONT_MATTER_UPDATED"),
        title_display=settings.getbool("ARCHIVE_FRONT_MATTER_TITLE_DISPLAY"),
        braces=settings["ARCHIVE_BODY_BRACES"],
        rich=rich_options(settings),
    )


def refusals(settings: BaseSettings) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """What a post may not send a reader's browser to, for the sanitizer: images and posters off
    FIGURES_ALLOWED_HOSTS, video files off ARCHIVE_VIDEO_HOSTS."""
    return (
        refuser(settings.getlist("FIGURES_ALLOWED_HOSTS")),
        refuser(settings.getlist("ARCHIVE_VIDEO_HOSTS")),
    )


def rich_options(settings: BaseSettings) -> RichOptions:
    """ARCHIVE_FORMULAS, ARCHIVE_LINK_CARDS, ARCHIVE_REFERENCES, ARCHIVE_VIDEOS."""
    return RichOptions(
        formulas=settings["ARCHIVE_FORMULAS"],
        link_cards=settings["ARCHIVE_LINK_CARDS"],
        references=settings["ARCHIVE_REFERENCES"],
        videos=settings["ARCHIVE_VIDEOS"],
    )


class PostPipeline:
    """Post text → `<ARCHIVE_DIR>/_posts/...`, recorded in the index.

    The bytes on disk are compared before writing, so an unchanged item is never rewritten (its
    modification time stays), and the index keeps one path per item for ever.
    """

    def __init__(
        self,
        archive_dir: Path,
        index_file: Path,
        options: PostOptions,
        stats: StatsCollector,
        local_thumbnail: str | None = None,
        allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS,
        vanished_note: ZoneInfo | None = None,
        video_hosts: tuple[str, ...] = DEFAULT_VIDEO_HOSTS,
    ) -> None:
        self.archive_dir = archive_dir
        self.index_file = index_file
        self.options = options
        self.stats = stats
        # Local-image mode, with the thumbnail size the front matter names; None: remote mode.
        self.local_thumbnail = local_thumbnail
        # A reader's browser is never sent anywhere else (the sanitizer refuses it)
        self.refused = refuser(allowed_hosts)
        self.refused_video = refuser(video_hosts)
        # ARCHIVE_VANISHED_NOTE: the zone of the note's days; None: no note.
        self.vanished_note = vanished_note
        self.vanished: dict[str, Vanishing] = {}  # the goings that last, by post key
        self.index: ArchiveIndex | None = None
        self.writer: PostWriter | None = None
        self.shipped_image_installed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        archive_dir = Path(settings["ARCHIVE_DIR"])
        options = post_options(settings)
        mode = settings["ARCHIVE_IMAGES"]
        if mode not in ("remote", "local"):
            raise ValueError(f"ARCHIVE_IMAGES is 'remote' or 'local', not {mode!r}")
        sizes = settings.getlist("FIGURES_THUMB_SIZES")
        assert crawler.stats is not None
        return cls(
            archive_dir,
            Layout.of(settings).index,
            options,
            crawler.stats,
            local_thumbnail=(sizes[0] if sizes else "") if mode == "local" else None,
            allowed_hosts=tuple(settings.getlist("FIGURES_ALLOWED_HOSTS")),
            vanished_note=(
                named_zone(settings["HISTORY_TIMEZONE"], "HISTORY_TIMEZONE")
                if settings.getbool("ARCHIVE_VANISHED_NOTE")
                else None
            ),
            video_hosts=tuple(settings.getlist("ARCHIVE_VIDEO_HOSTS")),
        )

    def open_spider(self, spider: Spider | None = None, *, read_only: bool = False) -> None:
        """`read_only`: only to render (`rendered`), beside a process that writes."""
        self.index = ArchiveIndex(self.index_file, read_only=read_only)
        if not read_only:
            # A post's path is its kind and id, so a row a power cut loses is recorded again
            # by the next run (the file there already holds the same bytes): no sync per post.
            self.index.sync_at_checkpoints()
        self.writer = PostWriter(self.archive_dir, self.index)
        if self.vanished_note is not None:
            self.vanished = CheckLog(self.index).lasting()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.index is not None:
            self.index.close()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Post):
            return item
        with self.failures(item):
            self.written(item, *self.rendered(item))
        self._count_unusable(item)
        return item

    @contextmanager
    def failures(self, item: Post) -> Iterator[None]:
        """Whatever stops this one post (a full disk, a locked index, a title that cannot be
        encoded, a date out of range) is counted with its reason: DropItem, the run fails."""
        try:
            yield
        except (OSError, sqlite3.Error, ValueError, OverflowError) as exc:
            reason = next(r for kind, r in _WRITE_FAILURES if isinstance(exc, kind))
            self._drop(reason, f"{describe(item)}: {exc}")

    def rendered(self, item: Post) -> tuple[bytes, bool]:
        """The post's bytes, and whether it shows the shipped default image; DropItem for an
        item with nothing to show."""
        assert self.writer is not None
        body = self.body(item)
        if body.blank:
            self._drop("empty_body", f"{item.kind} {item.id} has no text and no image")
        if not item.dated and (known := self.writer.known(item)):
            # An undated feed item keeps the date of its first crawl: re-runs change nothing.
            item.updated = known.updated_time
        thumbnail = ""
        if self.local_thumbnail is not None:
            body, thumbnail = self._localised(item)
        data = render(item, body, self.options, thumbnail).encode("utf-8")
        return self._noted(item, data), needs_shipped_image(item, body, self.options)

    def _noted(self, item: Post, data: bytes) -> bytes:
        """ARCHIVE_VANISHED_NOTE: the post of an item gone from Zhihu says so (the index's
        record, archiver/vanishings.py), whoever renders it: a crawl, rerender, repair."""
        vanishing = self.vanished.get(f"{item.kind}:{item.id}")
        if vanishing is None or self.vanished_note is None:
            return data
        assert self.writer is not None
        entry = self.writer.known(item)
        if entry is None:
            return data
        noted = with_note(data.decode("utf-8"), note_of(vanishing, entry, self.vanished_note))
        return data if noted is None else noted.encode("utf-8")

    def body(self, item: Post) -> Body:
        """The item's body as the figures pipeline made it, or made here with the same settings."""
        return body_for(item, None, self.refused, self.options.rich, self.refused_video)

    def written(self, item: Post, data: bytes, shipped: bool = False) -> Post:
        """The rendered post in the archive (`shipped`: with the default image beside it)."""
        assert self.writer is not None
        if shipped and not self.shipped_image_installed:
            self.written_shipped_image()
        state, relpath = self.writer.write(item, data)
        self._count(state, relpath, item.title)
        return item

    def placed(self, entry: IndexEntry) -> None:
        """A post rendered anew that another process put in place (see PostWriter.plan)."""
        assert self.writer is not None
        self.writer.placed(entry)
        self._count("updated", entry.path, entry.title)

    def _count_unusable(self, item: Post) -> None:
        """The video cards and references the post shows as Zhihu had them, their number being
        none: a skip each (said once per run that writes the post)."""
        for detail in body_for(item, rich=self.options.rich).unusable:
            self.stats.inc_value(f"{keys.SKIPPED}/bad_number")
            logger.warning("Skipped (bad_number): %s %s: %s", item.kind, item.id, detail)

    def _count(self, state: str, relpath: str, title: str) -> None:
        self.stats.inc_value(f"{keys.POSTS}/{state}")
        if state != "unchanged":
            logger.info("%s %s: %s", state.capitalize(), relpath, title)

    def written_shipped_image(self) -> None:
        """The default image in the archive, before the first post that shows it (as figures
        are); once per run."""
        install_shipped_image(self.archive_dir)
        self.shipped_image_installed = True

    def _localised(self, item: Post) -> tuple[Body, str]:
        """The body with archived figures as site paths, refused ones as their alt text (their
        URL in a data attribute), and the first figure's thumbnail. A figure that failed on an
        allowed host keeps its remote URL until a later run stores it."""
        stored = item.stored_figures
        # A second parse, in local mode only: the remote body is what Zhihu's HTML gives.
        body = body_for(
            item,
            {key: f"/{f.path}" for key, f in stored.items()},
            self.refused,
            self.options.rich,
            self.refused_video,
        )
        # The head image's own thumbnail: the body's first figure, never a comment's image.
        head = body.figures[0] if body.figures and body.figures[0].src == body.first_image else None
        first = stored.get(head.key) if head else None
        thumb = first.thumbnails.get(self.local_thumbnail or "") if first else None
        return body, f"/{thumb}" if thumb else ""

    def _drop(self, reason: str, detail: str) -> NoReturn:
        self.stats.inc_value(f"{keys.FAILED}/{reason}")
        raise DropItem(f"{reason}: {detail}")

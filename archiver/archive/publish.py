"""Item → post bytes → placed file: the one step by which a crawl, rerender and repair each put a
post in the archive.

`Publisher` renders an item as FORMAT.md has it (its body through the sanitizer and the content
rules, local-image links and thumbnail, the note of an item gone from Zhihu) and writes it with
the archive's `PostWriter`, which keeps one path per item for ever and writes only what changed.
What came of it is an `Outcome`, counted by whoever called: the posts pipeline into Scrapy's
stats, rerender into its summary. A post that cannot be published raises `NotPublished` with
its reason (the last part of a stats key under `archiver/failed/`).

Options come in as plain data (`PublishOptions`), read from the settings once by the caller;
nothing here knows Scrapy.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.storage import UnsafePath
from archiver.archive.vanishings import CheckLog, Vanishing, note_of
from archiver.archive.writer import Outcome, PostWriter
from archiver.assets import install_shipped_image
from archiver.post.render import PostOptions, body_for, needs_shipped_image, render
from archiver.post.rich import RichOptions
from archiver.post.vanished import with_note
from archiver.utils.allowlist import DEFAULT_ALLOWED_HOSTS, DEFAULT_VIDEO_HOSTS, refuser
from archiver.utils.logtext import describe
from archiver.zhihu.comments import comments_from_json

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from archiver.items import Comment, Post
    from archiver.post.content import Body

__all__ = ["Bodies", "NotPublished", "Outcome", "PublishOptions", "Published", "Publisher"]

# Posts have been said under this name since the crawl alone wrote them; whoever writes one now
# (a crawl, rerender, repair) says it the same way, so log filters and greps keep working.
logger = logging.getLogger("archiver.pipelines.posts")

# The reason a post that could not be written is counted under, most specific first.
_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (UnsafePath, "unsafe_path"),
    (OSError, "write_failed"),
    (sqlite3.Error, "index_failed"),
    (UnicodeError, "encoding"),
    (OverflowError, "out_of_range"),
    (ValueError, "bad_value"),
)


class NotPublished(Exception):
    """A post that was not published: `reason` (a stats key's last part) and what happened."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class PublishOptions:
    """What the settings say of publishing a post, read once by the caller."""

    post: PostOptions = field(default_factory=PostOptions)
    # The hosts a reader's browser may be sent to for images (FIGURES_ALLOWED_HOSTS) and for
    # video files (ARCHIVE_VIDEO_HOSTS): anything else the sanitizer refuses.
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    video_hosts: tuple[str, ...] = DEFAULT_VIDEO_HOSTS
    # Local-image mode, with the thumbnail size the front matter names; None: remote mode.
    local_thumbnail: str | None = None
    # ARCHIVE_VANISHED_NOTE: the zone of the note's days; None: no note.
    vanished_note: ZoneInfo | None = None


@dataclass(frozen=True)
class Rendering:
    """A post's bytes, ready to be written."""

    data: bytes
    shipped: bool = False  # it shows the shipped default image, which must be in the archive
    # The video cards and references it shows as Zhihu had them, their number being none.
    unusable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Published:
    """What writing a post came to, and where it is (relative to the archive)."""

    outcome: Outcome
    path: str
    unusable: tuple[str, ...] = ()  # as in Rendering: a skip each, for the caller to count


class Bodies:
    """Each post's body (its remote one: figures as Zhihu links them), parsed once however many
    ask for it before it is rendered: the figures and videos a crawl fetches are those it shows.

    Kept by the item's key, with the content and comments it was parsed from (a body is theirs
    alone: an item seen twice with other content is parsed again), until the post is rendered
    (`forget`). Items carry no body: they stay plain data.
    """

    def __init__(
        self,
        allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS,
        video_hosts: tuple[str, ...] = DEFAULT_VIDEO_HOSTS,
        rich: RichOptions | None = None,
    ) -> None:
        self.refused = refuser(allowed_hosts)
        self.refused_video = refuser(video_hosts)
        self.rich = rich
        self._kept: dict[str, tuple[str, tuple[Comment, ...], Body]] = {}

    @classmethod
    def of(cls, options: PublishOptions) -> Bodies:
        return cls(options.allowed_hosts, options.video_hosts, options.post.rich)

    def __len__(self) -> int:
        return len(self._kept)

    def body(self, post: Post) -> Body:
        """The post's body, parsed now or by whoever asked before."""
        key = _key(post)
        kept = self._kept.get(key)
        if kept is not None and kept[0] == post.content and kept[1] == post.comments:
            return kept[2]
        body = body_for(post, None, self.refused, self.rich, self.refused_video)
        self._kept[key] = (post.content, post.comments, body)
        return body

    def local(self, post: Post, local: Mapping[str, str]) -> Body:
        """The body with the archived figures of `local` (figure key -> site path) linked there:
        another parse, never kept (local-image mode only)."""
        return body_for(post, local, self.refused, self.rich, self.refused_video)

    def forget(self, key: str) -> None:
        """The body of the item of this key is not asked for again."""
        self._kept.pop(key, None)

    def clear(self) -> None:
        self._kept.clear()


class Publisher:
    """Posts rendered and written into the archive at `root`, recorded in `index`.

    The bytes on disk are compared before writing, so an unchanged item is never rewritten (its
    modification time stays), and the index keeps one path per item for ever.
    """

    def __init__(
        self,
        root: Path,
        index: ArchiveIndex,
        options: PublishOptions,
        bodies: Bodies | None = None,
    ) -> None:
        self.root = root
        self.index = index
        self.options = options
        self.bodies = bodies if bodies is not None else Bodies.of(options)
        self.writer = PostWriter(root, index)
        # The goings that last, by post key (only for their note).
        self.vanished: dict[str, Vanishing] = (
            CheckLog(index).lasting() if options.vanished_note is not None else {}
        )
        self.shipped_image_installed = False

    @classmethod
    def open(
        cls,
        root: Path,
        index_file: Path,
        options: PublishOptions,
        *,
        read_only: bool = False,
        bodies: Bodies | None = None,
    ) -> Publisher:
        """A publisher with its own index (closed by `close`). `read_only`: only to render and
        plan (`render`, `plan`), beside a process that writes."""
        index = ArchiveIndex(index_file, read_only=read_only)
        if not read_only:
            # A post's path is its kind and id, so a row a power cut loses is recorded again
            # by the next run (the file there already holds the same bytes): no sync per post.
            index.sync_at_checkpoints()
        return cls(root, index, options, bodies)

    def close(self) -> None:
        self.bodies.clear()
        self.index.close()

    def publish(self, post: Post) -> Published:
        """The post rendered and written; NotPublished with why not. Each video card or
        reference whose number is none is said (a skip each, for the caller to count)."""
        published = self.write(post, self.render(post))
        for detail in published.unusable:
            logger.warning("Skipped (bad_number): %s %s: %s", post.kind, post.id, detail)
        return published

    def render(self, post: Post) -> Rendering:
        """The post's bytes; NotPublished for an item with nothing to show, or one that cannot
        be rendered. Its body is forgotten after (see Bodies)."""
        try:
            with failures(post):
                return self._rendering(post, self.bodies.body(post))
        finally:
            self.bodies.forget(_key(post))

    def write(self, post: Post, rendering: Rendering) -> Published:
        """The rendered post in the archive (with the shipped image beside it when it shows
        it); NotPublished when it cannot be written (the index then left as it was)."""
        with failures(post):
            if rendering.shipped:
                self.show_shipped_image()
            outcome, path = self.writer.write(post, rendering.data)
        _said(outcome, path, post.title)
        return Published(outcome, path, rendering.unusable)

    def plan(
        self, post: Post, rendering: Rendering, known: IndexEntry | None = None
    ) -> tuple[Outcome, IndexEntry | None]:
        """What writing it would do while rerendering (PostWriter.plan); NotPublished."""
        with failures(post):
            return self.writer.plan(post, rendering.data, known)

    def placed(self, entry: IndexEntry) -> Published:
        """A post rendered anew that another process put in place (see PostWriter.plan)."""
        self.writer.placed(entry)
        _said(Outcome.UPDATED, entry.path, entry.title)
        return Published(Outcome.UPDATED, entry.path)

    def show_shipped_image(self) -> None:
        """The default image in the archive, before the first post that shows it (as figures
        are); once per run."""
        if not self.shipped_image_installed:
            install_shipped_image(self.root)
            self.shipped_image_installed = True

    def _rendering(self, post: Post, body: Body) -> Rendering:
        if body.blank:
            raise NotPublished("empty_body", f"{post.kind} {post.id} has no text and no image")
        if not post.dated and (known := self.writer.known(post)):
            # An undated feed item keeps the date of its first crawl: re-runs change nothing.
            post.updated = known.updated_time
        unusable = body.unusable
        thumbnail = ""
        if self.options.local_thumbnail is not None:
            body, thumbnail = self._localised(post, body)
        data = render(post, body, self.options.post, thumbnail).encode("utf-8")
        shipped = needs_shipped_image(post, body, self.options.post)
        return Rendering(self._noted(post, data), shipped, unusable)

    def _localised(self, post: Post, remote: Body) -> tuple[Body, str]:
        """The body with archived figures as site paths, refused ones as their alt text (their
        URL in a data attribute), and the first figure's thumbnail. A figure that failed on an
        allowed host keeps its remote URL until a later run stores it."""
        stored = post.stored_figures
        # A second parse, in local mode only: the remote body is what Zhihu's HTML gives.
        body = self.bodies.local(post, {key: f"/{f.path}" for key, f in stored.items()})
        # The head image's own thumbnail: the body's first figure, never a comment's image.
        head = body.figures[0] if body.figures and body.figures[0].src == body.first_image else None
        first = stored.get(head.key) if head else None
        thumb = first.thumbnails.get(self.options.local_thumbnail or "") if first else None
        return body, f"/{thumb}" if thumb else ""

    def _noted(self, post: Post, data: bytes) -> bytes:
        """ARCHIVE_VANISHED_NOTE: the post of an item gone from Zhihu says so (the index's
        record, archive/vanishings.py), whoever renders it: a crawl, rerender, repair."""
        vanishing = self.vanished.get(_key(post))
        zone = self.options.vanished_note
        if vanishing is None or zone is None:
            return data
        entry = self.writer.known(post)
        if entry is None:
            return data
        noted = with_note(data.decode("utf-8"), note_of(vanishing, entry, zone))
        return data if noted is None else noted.encode("utf-8")


@contextmanager
def failures(post: Post) -> Iterator[None]:
    """Whatever stops this one post (a full disk, a locked index, a title that cannot be
    encoded, a date out of range) is NotPublished, with its reason."""
    try:
        yield
    except (OSError, sqlite3.Error, ValueError, OverflowError) as exc:
        reason = next(r for kind, r in _FAILURES if isinstance(exc, kind))
        raise NotPublished(reason, f"{describe(post)}: {exc}") from exc


def stored_comments(index: ArchiveIndex, key: str) -> tuple[Comment, ...]:
    """The comments the index keeps for an item, as its post shows them (none when none were
    captured): a crawl's for an item it does not ask again, rerender's and repair's for all."""
    stored = index.comments(key)
    return comments_from_json(stored.json) if stored else ()


def _said(outcome: Outcome, path: str, title: str) -> None:
    if outcome is not Outcome.UNCHANGED:
        logger.info("%s %s: %s", outcome.capitalize(), path, title)


def _key(post: Post) -> str:
    return f"{post.kind}:{post.id}"

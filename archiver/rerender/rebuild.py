"""Posts again from what Zhihu served: the captured responses, turned into items by the same
pure parsers a crawl uses, without the network.

archiver/zhihu/captures.py knows which captured URL holds which items (pure); `Captured` walks
the WARC files of an archive through their CDXJ indexes, keeps each item's latest capture, and
gives it back as the crawl would have, its category path taken from where the archive keeps it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.publish import Bodies, Publisher, stored_comments
from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.items import Post
from archiver.post.paths import categories_of
from archiver.post.render import default_image, head_image
from archiver.post.rich import video_key
from archiver.rerender.reading import DailyListings, HotLists, Reading
from archiver.webarchive.cdxj import Lookup, captures_of, run_name
from archiver.webarchive.records import Capture
from archiver.zhihu.captures import Read, reader
from archiver.zhihu.comments import commented
from archiver.zhihu.kinds import captured
from archiver.zhihu.schema import Asked, Shape

# Runs whose captures are evidence, not sources (their WARC files' names start so).
CHECK_RUNS = "recheck-"


def _readable(capture: Capture) -> bool:
    """Whether a capture may hold items: what the crawl could read (a 200)."""
    return capture.status in (0, 200)


def _checked(capture: Capture) -> bool:
    """Whether a capture is a recheck's (its run's WARC file says so)."""
    return run_name(capture.path).startswith(CHECK_RUNS)


@dataclasses.dataclass(frozen=True)
class Source:
    """A captured API response that holds items (each URL's latest capture), and what reading
    it may ask of the captures before it."""

    n: int  # its place in capture order: a later capture of an item wins
    capture: Capture
    parse: Read
    question: str  # the question whose answers it holds, "" for anything else
    hot_lists: int  # how many hot lists were captured before it
    run: str  # the run that captured it (`run_name`)


class Captured:
    """Each archived item's latest capture, found through the indexes of the WARC files.

    The captures are listed at once; the items are read from them by `parse`, all of them
    (`parse=True`) or a share of `sources` at a time (rerender's processes each take one).
    """

    def __init__(
        self,
        warc_dir: Path,
        hotlist_categories: tuple[str, ...],
        *,
        parse: bool = True,
        check_sources: Mapping[str, str] | None = None,
        limit: int = DEFAULT_MAX_READ,
    ) -> None:
        self.hotlist_categories = hotlist_categories
        # What a `recheck` run captured is evidence of what Zhihu shows now (an account gone,
        # an answer hidden), never what a post was made from; but for the items it archived
        # (edited): "<kind>:<id>" -> the WARC file it archived each from (the index's record).
        self.check_sources = check_sources or {}
        self.posts: dict[str, Post] = {}  # "<kind>:<id>" -> the latest capture of the item
        self.taken: dict[str, int] = {}  # "<kind>:<id>" -> its capture's place (Source.n)
        self.reader = Reading(limit)
        self.hot_lists = HotLists(self.reader)
        self.daily = DailyListings(self.reader)
        self.figures: dict[str, Capture] = {}  # URL -> its latest capture (any response)
        self.sources: list[Source] = []
        self.lookup = Lookup()
        found = captures_of(warc_dir, self.lookup, limit) if warc_dir.exists() else iter(())
        captures = list(found)
        # A URL's latest capture that holds something: a later 404 never hides what an earlier
        # run kept, nor does a recheck's (evidence: read only from the files it archived from).
        latest = {c.url: n for n, c in enumerate(captures) if _readable(c) and not _checked(c)}
        archived_from = set(self.check_sources.values())
        for n, capture in enumerate(captures):
            self.figures[capture.url] = capture
            if "/api/" not in capture.url and "/topstory/" not in capture.url:
                continue  # a figure or a page: nothing holds items there (a quick test first)
            found = captured(urlsplit(capture.url).path)
            shape = found[0].shape if found else None
            if shape is Shape.HOT_LIST:
                # Read only when a title or an image is wanted (see HotLists): a year of runs
                # is thousands of lists, and most answers name their question themselves.
                self.hot_lists.add(capture)
            elif shape is Shape.DAILY:
                self.daily.add(n, capture)
            elif (
                (
                    latest.get(capture.url) == n
                    or (capture.path.name in archived_from and _readable(capture))
                )
                and found is not None
                and (read := reader(found[0], found[1])) is not None
            ):
                # A page captured by many runs is read once, at its latest capture.
                self.sources.append(
                    Source(
                        n,
                        capture,
                        read,
                        found[2]["id"] if shape is Shape.ANSWERS else "",
                        len(self.hot_lists),
                        run_name(capture.path),
                    )
                )
        if parse:
            self.parse(self.sources)

    def parse(self, sources: list[Source]) -> None:
        """Read the items of these sources (in capture order: the latest capture wins)."""
        for source in sources:
            checked = _checked(source.capture)
            posts = self.reader.items(source.capture, source.parse, _Known(self, source))
            for post in posts:
                key = f"{post.kind}:{post.id}"
                if checked and self.check_sources.get(key) != source.capture.path.name:
                    continue  # a recheck's capture of an item it did not archive
                self.posts[key] = post
                self.taken[key] = source.n

    def post_for(self, entry: IndexEntry) -> Post | None:
        """The item of an index entry as its crawl made it, or None when nothing captured it."""
        post = self.posts.get(entry.key)
        if post is None:
            return None
        return dataclasses.replace(post, categories=categories_of(entry.path))

    def item_for(
        self, entry: IndexEntry, index: ArchiveIndex, publisher: Publisher, comments: bool = True
    ) -> Post | None:
        """The item as the crawl hands it to the post pipeline (see `with_figures`), or None.
        Its body stays with the publisher's bodies, for its rendering."""
        post = self.post_for(entry)
        if post is None:
            return None
        post = with_figures(post, index, publisher.bodies, comments)
        options = publisher.options.post
        # The hot list's image is only the head image of a post without one of its own (remote
        # mode): only such a post has the hot lists read.
        hot = post.categories == self.hotlist_categories and not options.local_images
        if hot and head_image(post, publisher.bodies.body(post), options) == default_image(options):
            post.hot_image = self.hot_lists.image(post.question_id)
        return post


class _Known(Asked):
    """What the captures before a source tell about it."""

    def __init__(self, captured: Captured, source: Source) -> None:
        self.captured = captured
        self.source = source

    def title(self) -> str:
        question, before = self.source.question, self.source.hot_lists
        return self.captured.hot_lists.title(question, before) if question else ""

    def listed(self, story_id: str) -> tuple[date, str] | None:
        return self.captured.daily.listed(story_id, self.source.run, self.source.n)


def with_figures(post: Post, index: ArchiveIndex, bodies: Bodies, comments: bool = True) -> Post:
    """The item as the figure pipeline hands it on: its stored figures and videos (and
    comments), from the index, those its body shows (parsed once, with the publisher's own
    rich-content options: poster and card images are figures too, and kept for its rendering).
    `comments` False: the index keeps none."""
    if comments and commented(post.kind):
        post.comments = stored_comments(index, f"{post.kind}:{post.id}")  # as the crawl renders
    body = bodies.body(post)
    keys = [f.key for f in body.figures] + [video_key(i) for i in body.videos]
    post.stored_figures |= index.figures_of([k for k in keys if k not in post.stored_figures])
    return post

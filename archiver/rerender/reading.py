"""Posts again from what Zhihu served: the captured responses, turned into items by the same
pure parsers a crawl uses, without the network.

`parsed_posts` knows which captured URL holds which items (pure); `Captured` walks the WARC files
of an archive through their CDXJ indexes, keeps each item's latest capture, and gives it back as
the crawl would have, its category path taken from where the archive keeps it.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.publish import Bodies, Publisher, stored_comments
from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.items import Post, Skip
from archiver.post.paths import categories_of
from archiver.post.render import default_image, head_image
from archiver.post.rich import video_key
from archiver.webarchive.cdxj import Lookup, captures_of, run_name
from archiver.webarchive.members import DamagedRecord, Fields, Record
from archiver.webarchive.records import Capture, WarcReader
from archiver.zhihu.answers import parse_answer, parse_answers_page
from archiver.zhihu.articles import parse_article
from archiver.zhihu.comments import RESOURCES
from archiver.zhihu.daily import parse_listing, story_post
from archiver.zhihu.hotlist import parse_hot_list
from archiver.zhihu.jsonutil import ZhihuFormatError, as_id, load_object
from archiver.zhihu.listing import LIST_PATH, listing_item
from archiver.zhihu.pins import parse_pin

_SHANGHAI = ZoneInfo("Asia/Shanghai")
# Runs whose captures are evidence, not sources (their WARC files' names start so).
CHECK_RUNS = "recheck-"


class Asked:
    """What reading a capture may need from other captures: here, nothing is known."""

    def title(self) -> str:
        """The question's title as the hot list gave it, for an answer without its own."""
        return ""

    def listed(self, story_id: str) -> tuple[date, str] | None:
        """(day, ga_prefix) of the Zhihu Daily listing that named the story, as the crawl
        fetched it from there."""
        return None


def _answers_page(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
    page = parse_answers_page(text)
    if page.skipped:  # the hot list's title stands in for a missing one: look it up only then
        page = parse_answers_page(text, asked.title())
    return [*page.answers, *page.skipped]


def _list_page(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
    entries = load_object(text).get("data")
    return [listing_item(entry) for entry in entries] if isinstance(entries, list) else []


def _story(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
    story = load_object(text)
    # The crawl dates a story by the listing it came from; a story no captured listing names
    # gets the day it was served.
    day, ga_prefix = asked.listed(as_id(story.get("id"))) or (when.astimezone(_SHANGHAI).date(), "")
    return [story_post(story, day, ga_prefix)]


# Which API answers hold items, and how to read them: the crawl's own parsers. Each takes the
# text, when it was served, and what it may ask of the other captures (`Asked`).
Parse = Callable[[str, datetime, Asked], list[Post | Skip]]
_PARSERS: tuple[tuple[re.Pattern[str], Parse], ...] = (
    (re.compile(r"^/api/v4/questions/\d+/(answers|feeds)$"), _answers_page),
    (re.compile(r"^/api/v4/answers/\d+$"), lambda text, when, asked: [parse_answer(text)]),
    (re.compile(r"^/api/v4/articles/\d+$"), lambda text, when, asked: [parse_article(text)]),
    (re.compile(r"^/api/v4/pins/\d+$"), lambda text, when, asked: [parse_pin(text)]),
    (LIST_PATH, _list_page),
    (re.compile(r"^/api/4/news/\d+$"), _story),
)
_QUESTION = re.compile(r"^/api/v4/questions/(\d+)/")
# www.zhihu.com's, or the app host's where the crawl fell back to it (archiver/zhihu/urls.py)
_HOT_LIST = re.compile(r"^(/api/v3/feed)?/topstory/hot-lists/total$")
_DAILY_LISTING = re.compile(r"^/api/4/stories/(latest|before/\d{8})$")


def _readable(capture: Capture) -> bool:
    """Whether a capture may hold items: what the crawl could read (a 200)."""
    return capture.status in (0, 200)


def _checked(capture: Capture) -> bool:
    """Whether a capture is a recheck's (its run's WARC file says so)."""
    return run_name(capture.path).startswith(CHECK_RUNS)


def parser_for(url: str) -> Parse | None:
    return _parser_of(urlsplit(url).path)


def _parser_of(path: str) -> Parse | None:
    return next((parse for pattern, parse in _PARSERS if pattern.match(path)), None)


def capture_time(fields: Fields, record: Record) -> datetime:
    """When Zhihu served it, as the spiders read it: its Date header, else when it was
    captured (the record's WARC-Date, which the crawl went by too), else now."""
    from email.utils import parsedate_to_datetime

    raw = (fields.get(b"date") or b"").decode("latin-1")
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return record.captured_at or datetime.now(UTC)


@dataclasses.dataclass(frozen=True)
class Source:
    """A captured API response that holds items (each URL's latest capture), and what reading
    it may ask of the captures before it."""

    n: int  # its place in capture order: a later capture of an item wins
    capture: Capture
    parse: Parse
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
            path = urlsplit(capture.url).path
            if _HOT_LIST.match(path):
                # Read only when a title or an image is wanted (see HotLists): a year of runs
                # is thousands of lists, and most answers name their question themselves.
                self.hot_lists.add(capture)
            elif _DAILY_LISTING.match(path):
                self.daily.add(n, capture)
            elif (
                latest.get(capture.url) == n
                or (capture.path.name in archived_from and _readable(capture))
            ) and (read := _parser_of(path)) is not None:
                # A page captured by many runs is read once, at its latest capture.
                question = _QUESTION.match(path)
                self.sources.append(
                    Source(
                        n,
                        capture,
                        read,
                        question[1] if question else "",
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


class HotLists:
    """The captured hot lists, in capture order, each read the first time it is asked about and
    then kept (as question id -> title, and -> image): lookups go from the latest list back."""

    def __init__(self, reader: Reading) -> None:
        self.reader = reader
        self.captures: list[Capture] = []
        self._read: dict[int, tuple[dict[str, str], dict[str, str]]] = {}

    def __len__(self) -> int:
        return len(self.captures)

    def add(self, capture: Capture) -> None:
        self.captures.append(capture)

    def title(self, question_id: str, before: int) -> str:
        """Its title on the latest of the first `before` lists that has it, or ""."""
        for n in range(before - 1, -1, -1):
            if title := self._entries(n)[0].get(question_id):
                return title
        return ""

    def image(self, question_id: str) -> str:
        """Its image on the latest list that gives it one, or ""."""
        for n in range(len(self.captures) - 1, -1, -1):
            if image := self._entries(n)[1].get(question_id):
                return image
        return ""

    def _entries(self, n: int) -> tuple[dict[str, str], dict[str, str]]:
        if (read := self._read.get(n)) is None:
            read = self._read[n] = self.reader.hot_entries(self.captures[n])
        return read


class DailyListings:
    """The captured Zhihu Daily listings, each read the first time a story asks (a story is
    rarely re-rendered without them, and there is one listing a day)."""

    def __init__(self, reader: Reading) -> None:
        self.reader = reader
        self.captures: list[Capture] = []
        self.places: list[int] = []  # each one's place in capture order (Source.n), rising
        self.runs: dict[str, list[int]] = {}  # run -> its listings (indexes of captures)
        self._read: dict[int, dict[str, tuple[date, str]]] = {}

    def add(self, n: int, capture: Capture) -> None:
        self.runs.setdefault(run_name(capture.path), []).append(len(self.captures))
        self.captures.append(capture)
        self.places.append(n)

    def listed(self, story_id: str, run: str, before: int) -> tuple[date, str] | None:
        """The listing a crawl fetched the story from: the first of its own run that names
        it, else the latest one before it that does."""
        earlier = bisect.bisect_left(self.places, before)
        own = [n for n in self.runs.get(run, ()) if n < earlier]
        for n in [*own, *range(earlier - 1, -1, -1)]:
            if found := self._stories(n).get(story_id):
                return found
        return None

    def _stories(self, n: int) -> dict[str, tuple[date, str]]:
        if (read := self._read.get(n)) is None:
            read = self._read[n] = self.reader.listed_stories(self.captures[n])
        return read


class Reading(WarcReader):
    """The captures read as the crawl read their responses; the records found damaged on the
    way (over the read limit, cut short, not where their index says), kept to be told."""

    def __init__(self, limit: int = DEFAULT_MAX_READ) -> None:
        super().__init__(limit)
        self.damaged: dict[tuple[str, int], str] = {}  # (WARC file, offset) -> URL: why

    def items(self, capture: Capture, parse: Parse, asked: Asked | None = None) -> list[Post]:
        """The items a captured response holds, as the crawl read them; none from a response
        the crawl could not read either (nothing of it was archived), nor from a damaged
        one (noted in `damaged`)."""
        if capture.status not in (0, 200):
            return []
        try:
            text, when = self.served(capture)
            results = parse(text, when, asked or Asked())
        except DamagedRecord as exc:
            self.damaged[(str(capture.path), capture.offset)] = f"{capture.url}: {exc}"
            return []
        except _UNREADABLE:
            return []
        return [result for result in results if isinstance(result, Post)]

    def served(self, capture: Capture) -> tuple[str, datetime]:
        """The text the spider got and when it was served; ValueError when not a 200."""
        record = self.response(capture)
        if record.status != 200:
            raise ValueError(f"status {record.status}")
        text = self.decoded(record).decode("utf-8", errors="replace")
        return text, capture_time(record.fields, record)

    def payload(self, capture: Capture) -> bytes:
        """A capture's body as the spider saw it (a figure's bytes); DamagedRecord."""
        return self.decoded(self.response(capture))

    def listed_stories(self, capture: Capture) -> dict[str, tuple[date, str]]:
        """story id -> (the listing's day, the story's ga_prefix there); {} for a listing the
        crawl could not read either."""
        text = self._text(capture)
        try:
            listing = parse_listing(text) if text is not None else None
        except _UNREADABLE:
            listing = None
        if listing is None:
            return {}
        return {story.id: (listing.day, story.ga_prefix) for story in listing.stories}

    def hot_entries(self, capture: Capture) -> tuple[dict[str, str], dict[str, str]]:
        """(question id -> title, question id -> image) of one captured hot list; a list the
        crawl could not read either gives nothing. A question twice on a list: its later
        entry."""
        text = self._text(capture)
        try:
            questions = parse_hot_list(text)[0] if text is not None else []
        except _UNREADABLE:
            questions = []
        titles = {q.question_id: q.title for q in questions}
        return titles, {q.question_id: q.image for q in questions if q.image}

    def _text(self, capture: Capture) -> str | None:
        """A listing's text, None for one the crawl could not read either (or damaged)."""
        if capture.status not in (0, 200):
            return None
        try:
            return self.served(capture)[0]
        except DamagedRecord as exc:
            self.damaged[(str(capture.path), capture.offset)] = f"{capture.url}: {exc}"
        except _UNREADABLE:
            pass
        return None


# What the crawl could not read either (DamagedRecord, a ValueError, is caught before).
_UNREADABLE = (ZhihuFormatError, OSError, ValueError, EOFError)


def with_figures(post: Post, index: ArchiveIndex, bodies: Bodies, comments: bool = True) -> Post:
    """The item as the figure pipeline hands it on: its stored figures and videos (and
    comments), from the index, those its body shows (parsed once, with the publisher's own
    rich-content options: poster and card images are figures too, and kept for its rendering).
    `comments` False: the index keeps none."""
    if comments and post.kind in RESOURCES:
        post.comments = stored_comments(index, f"{post.kind}:{post.id}")  # as the crawl renders
    body = bodies.body(post)
    keys = [f.key for f in body.figures] + [video_key(i) for i in body.videos]
    post.stored_figures |= index.figures_of([k for k in keys if k not in post.stored_figures])
    return post

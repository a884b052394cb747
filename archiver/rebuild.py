"""Posts again from what Zhihu served: the captured responses, turned into items by the same
pure parsers a crawl uses, without the network.

`parsed_posts` knows which captured URL holds which items (pure); `Captured` walks the WARC files
of an archive through their CDXJ indexes, keeps each item's latest capture, and gives it back as
the crawl would have, its category path taken from where the archive keeps it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scrapy.http import Headers

from archiver.index import ArchiveIndex, IndexEntry
from archiver.items import Post, Skip
from archiver.pipelines.comments import stored_comments
from archiver.pipelines.posts import PostPipeline
from archiver.post.render import body_for, default_image, head_image
from archiver.post.rich import video_key
from archiver.warcindex import Capture, Lookup, captures_of
from archiver.webarchive import load_response
from archiver.zhihu.answers import parse_answer, parse_answers_page
from archiver.zhihu.articles import parse_article
from archiver.zhihu.daily import parse_story
from archiver.zhihu.hotlist import parse_hot_list
from archiver.zhihu.jsonutil import ZhihuFormatError, load_object
from archiver.zhihu.listing import listing_item
from archiver.zhihu.pins import parse_pin

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

_SHANGHAI = ZoneInfo("Asia/Shanghai")
Title = Callable[[], str]


def _answers_page(text: str, when: datetime, title: Title) -> list[Post | Skip]:
    page = parse_answers_page(text)
    if page.skipped:  # the hot list's title stands in for a missing one: look it up only then
        page = parse_answers_page(text, title())
    return [*page.answers, *page.skipped]


def _list_page(text: str, when: datetime, title: Title) -> list[Post | Skip]:
    entries = load_object(text).get("data")
    return [listing_item(entry) for entry in entries] if isinstance(entries, list) else []


def _story(text: str, when: datetime, title: Title) -> list[Post | Skip]:
    return [parse_story(text, when.astimezone(_SHANGHAI).date())]


# Which API answers hold items, and how to read them: the crawl's own parsers. Each takes the
# text, when it was served, and how to get the question's title as the hot list gave it
# (answers only, and only when an answer lacks its own).
Parse = Callable[[str, datetime, Title], list[Post | Skip]]
_PARSERS: tuple[tuple[re.Pattern[str], Parse], ...] = (
    (re.compile(r"^/api/v4/questions/\d+/(answers|feeds)$"), _answers_page),
    (re.compile(r"^/api/v4/answers/\d+$"), lambda text, when, title: [parse_answer(text)]),
    (re.compile(r"^/api/v4/articles/\d+$"), lambda text, when, title: [parse_article(text)]),
    (re.compile(r"^/api/v4/pins/\d+$"), lambda text, when, title: [parse_pin(text)]),
    (
        re.compile(
            r"^/api/v4/(columns/[^/]+/items|collections/\d+/items"
            r"|members/[^/]+/(answers|articles|pins))$"
            r"|^/api/v5\.1/topics/\d+/feeds/top_activity/v2$"
        ),
        _list_page,
    ),
    (re.compile(r"^/api/4/news/\d+$"), _story),
)
_QUESTION = re.compile(r"^/api/v4/questions/(\d+)/")
_HOT_LIST = re.compile(r"^/api/v3/feed/topstory/hot-lists/total$")


def parser_for(url: str) -> Parse | None:
    return _parser_of(urlsplit(url).path)


def _parser_of(path: str) -> Parse | None:
    return next((parse for pattern, parse in _PARSERS if pattern.match(path)), None)


def decoded(headers: Headers, body: bytes) -> bytes:
    """The body as the spider saw it: captures keep the bytes as transferred."""
    encoding = (headers.get(b"Content-Encoding") or b"").decode("latin-1").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    if encoding == "br":
        import brotli  # Scrapy only asks for a br body when brotli is installed

        return brotli.decompress(body)
    return body


def capture_time(headers: Headers) -> datetime:
    """When Zhihu served it (its Date header), as the spiders read it."""
    from email.utils import parsedate_to_datetime

    raw = (headers.get(b"Date") or b"").decode("latin-1")
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


class Captured:
    """Each archived item's latest capture, found through the indexes of the WARC files."""

    def __init__(self, warc_dir: Path, hotlist_categories: tuple[str, ...]) -> None:
        self.hotlist_categories = hotlist_categories
        self.posts: dict[str, Post] = {}  # "<kind>:<id>" -> the latest capture of the item
        self.hot_lists = HotLists()
        self.figures: dict[str, Capture] = {}  # URL -> its latest capture (any response)
        self.lookup = Lookup()
        captures = list(captures_of(warc_dir, self.lookup)) if warc_dir.exists() else []
        latest = {capture.url: n for n, capture in enumerate(captures)}
        for n, capture in enumerate(captures):
            self.figures[capture.url] = capture
            if "/api/" not in capture.url:
                continue  # a figure or a page: nothing holds items there (a quick test first)
            path = urlsplit(capture.url).path
            if _HOT_LIST.match(path):
                # Read only when a title or an image is wanted (see HotLists): a year of runs
                # is thousands of lists, and most answers name their question themselves.
                self.hot_lists.add(capture)
            elif latest[capture.url] == n and (parse := _parser_of(path)) is not None:
                # A page captured by many runs is parsed once, at its latest capture.
                self._take(capture, path, parse)

    def _take(self, capture: Capture, path: str, parse: Parse) -> None:
        question = _QUESTION.match(path)
        seen = len(self.hot_lists)  # the title a hot list gave the question by then

        def title() -> str:
            return self.hot_lists.title(question[1], seen) if question else ""

        for post in items_of(capture, parse, title):
            self.posts[f"{post.kind}:{post.id}"] = post

    def post_for(self, entry: IndexEntry) -> Post | None:
        """The item of an index entry as its crawl made it, or None when nothing captured it."""
        post = self.posts.get(entry.key)
        if post is None:
            return None
        return dataclasses.replace(post, categories=categories_of(entry.path), body=None)

    def item_for(
        self, entry: IndexEntry, index: ArchiveIndex, pipeline: PostPipeline
    ) -> Post | None:
        """The item as the crawl hands it to the post pipeline (see `with_figures`), or None."""
        post = self.post_for(entry)
        if post is None:
            return None
        post = with_figures(post, index, pipeline)
        assert post.body is not None
        options = pipeline.options
        # The hot list's image is only the head image of a post without one of its own (remote
        # mode): only such a post has the hot lists read.
        hot = post.categories == self.hotlist_categories and not options.local_images
        if hot and head_image(post, post.body, options) == default_image(options):
            post.hot_image = self.hot_lists.image(post.question_id)
        return post


class HotLists:
    """The captured hot lists, in capture order, each read the first time it is asked about and
    then kept (as question id -> title, and -> image): lookups go from the latest list back."""

    def __init__(self) -> None:
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
            read = self._read[n] = _hot_entries(self.captures[n])
        return read


def _hot_entries(capture: Capture) -> tuple[dict[str, str], dict[str, str]]:
    """(question id -> title, question id -> image) of one captured hot list; a list the crawl
    could not read either gives nothing. A question twice on a list: its later entry."""
    if capture.status not in (0, 200):
        return {}, {}
    try:
        text, _ = _served(capture)
        questions, _ = parse_hot_list(text)
    except _UNREADABLE:
        return {}, {}
    titles = {q.question_id: q.title for q in questions}
    return titles, {q.question_id: q.image for q in questions if q.image}


def items_of(capture: Capture, parse: Parse, title: Title = lambda: "") -> list[Post]:
    """The items a captured response holds, as the crawl read them; none from a response the
    crawl could not read either (nothing of it was archived)."""
    if capture.status not in (0, 200):
        return []
    try:
        text, when = _served(capture)
        results = parse(text, when, title)
    except _UNREADABLE:
        return []
    return [result for result in results if isinstance(result, Post)]


_UNREADABLE = (ZhihuFormatError, OSError, ValueError, zlib.error, EOFError)


def _served(capture: Capture) -> tuple[str, datetime]:
    """The text the spider got and when it was served; ValueError when not a 200."""
    status, headers, body = read_response(capture)
    if status != 200:
        raise ValueError(f"status {status}")
    return decoded(headers, body).decode("utf-8", errors="replace"), capture_time(headers)


def read_response(capture: Capture) -> tuple[int, Headers, bytes]:
    """`load_response`, read straight from the record's gzip member when its index gives its
    length (warcio's record parser took a third of the time of reading thousands of captures).
    A record of another shape (not gzipped, a revisit, folded headers...) goes through warcio."""
    if capture.length and capture.path.name.endswith(".gz"):
        with capture.path.open("rb") as handle:
            handle.seek(capture.offset)
            member = handle.read(capture.length)
        with contextlib.suppress(zlib.error):
            record = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(member)
            if (parsed := split_response(record)) is not None:
                return parsed
    return load_response(capture)


def split_response(record: bytes) -> tuple[int, Headers, bytes] | None:
    """Status, headers and body of a WARC response record of the usual shape, or None."""
    head, found, block = record.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    named = _header_lines(lines[1:]) if found and lines[0].startswith(b"WARC/1.") else None
    if named is None:
        return None
    fields = {name.lower(): value for name, value in named}
    length = fields.get(b"content-length", b"")
    if (
        fields.get(b"warc-type") != b"response"
        or not fields.get(b"content-type", b"").startswith(b"application/http")
        or not length.isdigit()
        or len(block) < int(length)
    ):
        return None
    http, found, body = block[: int(length)].partition(b"\r\n\r\n")
    lines = http.split(b"\r\n")
    status = lines[0].split(b" ", 2)
    headers = _header_lines(lines[1:])
    if not found or len(status) < 2 or not status[1].isdigit() or headers is None:
        return None
    kept = [(name, value) for name, value in headers if name.lower() not in _DROPPED]
    return int(status[1]), Headers(kept), body


def _header_lines(lines: list[bytes]) -> list[tuple[bytes, bytes]] | None:
    """`Name: value` lines as pairs; None for anything else (a folded line, say)."""
    pairs = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name[:1] in (b" ", b"\t"):
            return None
        pairs.append((name.rstrip(), value.strip()))
    return pairs


# Hop-by-hop framing that no longer describes the (de-chunked) body, as `load_response` drops.
_DROPPED = {b"transfer-encoding"}


def categories_of(path: str) -> tuple[str, ...]:
    """`_posts/社交媒体/知乎/知乎热榜/answer-1.md` -> its category path (the folders)."""
    return tuple(Path(path).parts[1:-1])


def payload(capture: Capture) -> bytes:
    _, headers, body = load_response(capture)
    return decoded(headers, body)


class Tally:
    """The few stats calls the post pipeline makes, counted in memory (no crawl here)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def get_value(self, key: str, default: int = 0) -> int:
        return self.values.get(key, default)


def post_pipeline(settings: BaseSettings, stats: Tally) -> PostPipeline:
    """The crawl's own post pipeline, as `scrapy crawl` would build it from these settings."""
    crawler = SimpleNamespace(settings=settings, stats=stats)
    return PostPipeline.from_crawler(crawler)  # type: ignore[arg-type]


def with_figures(post: Post, index: ArchiveIndex, pipeline: PostPipeline) -> Post:
    """The item as the figure pipeline hands it on: its body, parsed once with the pipeline's
    own rich-content options (poster and card images are figures too), and its stored figures
    and videos, from the index."""
    if post.kind == "answer":
        post.comments = stored_comments(index, f"{post.kind}:{post.id}")  # as the crawl renders
    post.body = body_for(post, rich=pipeline.options.rich)
    for key in [f.key for f in post.body.figures] + [video_key(i) for i in post.body.videos]:
        if key not in post.stored_figures and (stored := index.figure(key)):
            post.stored_figures[key] = stored
    return post

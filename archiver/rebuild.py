"""Posts again from what Zhihu served: the captured responses, turned into items by the same
pure parsers a crawl uses, without the network.

`parsed_posts` knows which captured URL holds which items (pure); `Captured` walks the WARC files
of an archive through their CDXJ indexes, keeps each item's latest capture, and gives it back as
the crawl would have, its category path taken from where the archive keeps it.
"""

from __future__ import annotations

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
from archiver.pipelines.posts import PostPipeline
from archiver.post.render import body_for
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


def _answers_page(text: str, when: datetime, title: str) -> list[Post | Skip]:
    page = parse_answers_page(text, title)
    return [*page.answers, *page.skipped]


def _list_page(text: str, when: datetime, title: str) -> list[Post | Skip]:
    entries = load_object(text).get("data")
    return [listing_item(entry) for entry in entries] if isinstance(entries, list) else []


def _story(text: str, when: datetime, title: str) -> list[Post | Skip]:
    return [parse_story(text, when.astimezone(_SHANGHAI).date())]


# Which API answers hold items, and how to read them: the crawl's own parsers. Each takes the
# text, when it was served, and the question's title as the hot list gave it (answers only).
Parse = Callable[[str, datetime, str], list[Post | Skip]]
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
    path = urlsplit(url).path
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
        self.hot_images: dict[str, str] = {}  # question id -> its hot-list entry's image
        self.hot_titles: dict[str, str] = {}  # question id -> its title on the hot list
        self.figures: dict[str, Capture] = {}  # URL -> its latest capture (any response)
        self.lookup = Lookup()
        captures = list(captures_of(warc_dir, self.lookup)) if warc_dir.exists() else []
        latest = {capture.url: n for n, capture in enumerate(captures)}
        for n, capture in enumerate(captures):
            self.figures[capture.url] = capture
            hot = _HOT_LIST.match(urlsplit(capture.url).path) is not None
            # A page captured by many runs is parsed once, at its latest capture; every hot list
            # is read, in order, for the titles and images of its time.
            if hot or latest[capture.url] == n:
                self._take(capture, hot=hot)

    def _take(self, capture: Capture, *, hot: bool) -> None:
        parse = parser_for(capture.url)
        if (parse is None and not hot) or capture.status not in (0, 200):
            return
        try:
            status, headers, body = load_response(capture)
            if status != 200:
                return
            text = decoded(headers, body).decode("utf-8", errors="replace")
            if hot:
                questions, _ = parse_hot_list(text)
                self.hot_images.update((q.question_id, q.image) for q in questions if q.image)
                self.hot_titles.update((q.question_id, q.title) for q in questions)
                return
            assert parse is not None
            question = _QUESTION.match(urlsplit(capture.url).path)
            title = self.hot_titles.get(question[1], "") if question else ""
            results = parse(text, capture_time(headers), title)
        except (ZhihuFormatError, OSError, ValueError, zlib.error, EOFError):
            return  # a response the crawl could not read either: nothing of it was archived
        for result in results:
            if isinstance(result, Post):
                self.posts[f"{result.kind}:{result.id}"] = result

    def post_for(self, entry: IndexEntry) -> Post | None:
        """The item of an index entry as its crawl made it, or None when nothing captured it."""
        post = self.posts.get(entry.key)
        if post is None:
            return None
        categories = categories_of(entry.path)
        image = self.hot_images.get(post.question_id, "")
        hot = image if categories == self.hotlist_categories else ""
        return dataclasses.replace(post, categories=categories, hot_image=hot, body=None)


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
    own rich-content options (poster and card images are figures too), and its stored figures,
    from the index."""
    post.body = body_for(post, rich=pipeline.options.rich)
    for figure in post.body.figures:
        if figure.key not in post.stored_figures and (stored := index.figure(figure.key)):
            post.stored_figures[figure.key] = stored
    return post

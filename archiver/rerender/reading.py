"""Captured responses read as the crawl read them: a capture's text and when it was served, the
items a parser finds in it, and the hot lists and Zhihu Daily listings other items ask about.

A record found damaged on the way (over the read limit, cut short, not where its index says) is
kept to be told (`Reading.damaged`), never a traceback: what the crawl could not read either
gives nothing.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime

from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.items import Post
from archiver.webarchive.cdxj import run_name
from archiver.webarchive.members import DamagedRecord, Fields, Record
from archiver.webarchive.records import Capture, WarcReader
from archiver.zhihu.captures import Read
from archiver.zhihu.daily import parse_listing
from archiver.zhihu.hotlist import parse_hot_list
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.schema import Asked


def capture_time(fields: Fields, record: Record) -> datetime:
    """When Zhihu served it, as the spiders read it: its Date header, else when it was
    captured (the record's WARC-Date, which the crawl went by too), else now."""
    from email.utils import parsedate_to_datetime

    raw = (fields.get(b"date") or b"").decode("latin-1")
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError):
        return record.captured_at or datetime.now(UTC)


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

    def items(self, capture: Capture, parse: Read, asked: Asked | None = None) -> list[Post]:
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

"""RSS and Atom feeds to Post items, the way the older generator read RSSHub: pure, no I/O.

feedparser does the parsing (every RSS and Atom dialect, broken XML included); its HTML
sanitising and URL resolving are off, because a description is archived exactly as it comes.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass, field
from typing import Any

import feedparser

from archiver.items import Post, Skip


class FeedError(ValueError):
    """A response that is not a feed at all; `reason` is a short stats key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class FeedResult:
    title: str
    posts: list[Post] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


def parse_feed(data: bytes, categories: tuple[str, ...], now: int, source: str = "") -> FeedResult:
    """Posts of a feed's items; broken items are skipped, a non-feed raises FeedError.

    `now` dates the items that carry no date (the pipeline keeps the first one seen).
    """
    # bytes, never str: given a str that looks like a URL, feedparser would fetch it itself
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise FeedError("not_a_feed", f"not an RSS or Atom feed ({problem})")
    result = FeedResult(title=parsed.feed.get("title", ""))
    for number, entry in enumerate(parsed.entries, start=1):
        post = feed_post(entry, number, categories, now, source)
        (result.posts if isinstance(post, Post) else result.skipped).append(post)
    return result


def feed_post(
    entry: Any, number: int, categories: tuple[str, ...], now: int, source: str = ""
) -> Post | Skip:
    """One item: identified by its guid (else its link), so re-runs find it again."""
    identity = (entry.get("id") or entry.get("link") or "").strip()
    if not identity:
        return Skip("missing_field", f"feed item {number} has neither guid nor link")
    title = (entry.get("title") or "").strip()
    if not title:
        return Skip("missing_field", f"feed item {number} ({identity}) has no title")
    date = entry.get("published_parsed") or entry.get("updated_parsed")
    return Post(
        kind="feed",
        id=identity,
        url=(entry.get("link") or identity).strip(),
        title=title,
        author=entry.get("author", ""),
        updated=calendar.timegm(date) if date else now,
        content=_description(entry),
        categories=categories,
        source=source,
        dated=date is not None,
    )


def _description(entry: Any) -> str:
    # Atom's <content> (and RSS's content:encoded) is the full text; else the description.
    for content in entry.get("content") or ():
        if content.get("value"):
            return content["value"]
    return entry.get("summary", "")


@dataclass(frozen=True)
class FeedSource:
    url: str
    categories: str = ""  # a category path like 社交媒体/知乎/知乎热榜; "" for RSS_CATEGORIES
    source: str = ""  # the posts' `author` label; "" for ARCHIVE_SOURCE_LABEL


def parse_feed_config(text: str) -> list[FeedSource]:
    """Feeds from a TOML file: `[[feed]]` tables with `url`, optional `categories`, `source`."""
    try:
        tables = tomllib.loads(text).get("feed", [])
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"feed config is not valid TOML: {exc}") from exc
    if not isinstance(tables, list) or not all(
        isinstance(t, dict) and t.get("url") for t in tables
    ):
        raise ValueError("feed config: each [[feed]] needs a url")
    return [
        FeedSource(str(t["url"]), str(t.get("categories", "")), str(t.get("source", "")))
        for t in tables
    ]

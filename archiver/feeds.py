"""RSS and Atom feeds to Post items, the way the older generator read RSSHub: pure, no I/O.

feedparser does the parsing (every RSS and Atom dialect, broken XML included); its HTML
sanitising and URL resolving are off, because a description is archived exactly as it comes.
"""

from __future__ import annotations

import calendar
import hashlib
import tomllib
from dataclasses import dataclass, field
from typing import Any

import feedparser

from archiver.items import Post, PostKind, Skip


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


def parse_feed(
    data: bytes, categories: tuple[str, ...], now: int, source: str = "", feed_url: str = ""
) -> FeedResult:
    """Posts of a feed's items; broken items are skipped, a non-feed raises FeedError.

    `now` dates the items that carry no date (the pipeline keeps the first one seen). Items are
    identified within their feed (`feed_url`): two feeds may both number their items 1, 2, 3.
    """
    # bytes, never str: given a str that looks like a URL, feedparser would fetch it itself
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise FeedError("not_a_feed", f"not an RSS or Atom feed ({problem})")
    result = FeedResult(title=parsed.feed.get("title", ""))
    seen: set[str] = set()
    for number, entry in enumerate(parsed.entries, start=1):
        post = feed_post(entry, number, categories, now, source)
        if isinstance(post, Skip):
            result.skipped.append(post)
            continue
        if post.id in seen:
            # Two items of one feed with one link and no guid: told apart by their content, so
            # they do not overwrite each other on every run.
            post.id = f"{post.id} {_digest(post.title, post.updated)}"
        seen.add(post.id)
        if feed_url:
            post.former_ids = (post.id,)  # the key of versions that keyed items by guid alone
            post.id = f"{feed_url} {post.id}"
        result.posts.append(post)
    return result


def feed_post(
    entry: Any, number: int, categories: tuple[str, ...], now: int, source: str = ""
) -> Post | Skip:
    """One item: identified by its guid, else its link, else its title and date."""
    title = (entry.get("title") or "").strip()
    identity = (entry.get("id") or entry.get("link") or "").strip()
    if not title:
        return Skip("missing_field", f"feed item {number} ({identity or 'no guid'}) has no title")
    date = entry.get("published_parsed") or entry.get("updated_parsed")
    updated = calendar.timegm(date) if date else now
    return Post(
        kind=PostKind.FEED,
        id=identity or _digest(title, updated if date else 0),
        url=(entry.get("link") or identity).strip(),
        title=title,
        author=entry.get("author", ""),
        updated=updated,
        content=_description(entry),
        categories=categories,
        source=source,
        dated=date is not None,
    )


def _digest(title: str, updated: int) -> str:
    return hashlib.sha1(f"{title}\n{updated}".encode()).hexdigest()[:16]


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

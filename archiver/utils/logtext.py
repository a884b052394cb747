"""Text from outside (a challenge script's error, an address read from a page) made fit for a log.

Such text may hold line breaks and terminal escapes, and a log line that holds them can forge the
lines after it ("Summary: ... exit status 0") or rewrite the terminal. Every such text reaching a
log goes through `loggable` first.
"""

from __future__ import annotations

from typing import Any

from archiver.items import HotListSnapshot, Post

ELLIPSIS = "…"
_TITLE_MAX = 60


def loggable(text: str, limit: int = 300) -> str:
    """`text` as one line: every invisible character escaped as Python writes it (`\\n`, `\\x1b`,
    `\\u202e`), at most `limit` characters, `…` where it was cut. Applying it twice changes
    nothing more."""
    if text.isprintable() and len(text) <= limit:
        return text
    parts: list[str] = []
    size = 0
    for char in text:
        shown = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        if size + len(shown) > limit - len(ELLIPSIS):
            parts.append(ELLIPSIS)
            break
        parts.append(shown)
        size += len(shown)
    return "".join(parts)


def describe(item: Any) -> str:
    """An item as a log line names it: a post carries a whole answer's HTML, its kind, id and
    title say which it was."""
    if isinstance(item, Post):
        title = item.title if len(item.title) <= _TITLE_MAX else item.title[:_TITLE_MAX] + ELLIPSIS
        return f"{item.kind} {item.id} ({title!r})"
    if isinstance(item, HotListSnapshot):
        return f"the hot list of {item.fetched_at.isoformat()}"
    return type(item).__name__

"""A captured response read again: which items it holds, by the table's paths (kinds.CAPTURED)
and the crawl's own parsers. What `rerender` makes posts from and `package` names pages by.
Pure: a response's text, when it was served and what other captures say, in; items out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from archiver.items import Post, Skip
from archiver.zhihu.answers import parse_answers_page
from archiver.zhihu.jsonutil import load_object
from archiver.zhihu.kinds import captured
from archiver.zhihu.listing import listing_item
from archiver.zhihu.schema import Asked, Endpoint, ItemParse, Kind, Shape

# What a captured response holds: its text, when it was served, what the captures before it say.
Read = Callable[[str, datetime, Asked], list[Post | Skip]]


def reader_for(url: str) -> Read | None:
    """How a captured response of this URL is read for items; None for one that holds none (or
    only what other captures ask about: a hot list, a day of Zhihu Daily)."""
    found = captured(urlsplit(url).path)
    return reader(found[0], found[1]) if found is not None else None


def reader(kind: Kind, endpoint: Endpoint) -> Read | None:
    """How a captured response of this kind's endpoint is read for items (kinds.captured)."""
    if kind.shape is Shape.ITEM:
        return _item(endpoint)
    return _READERS.get(kind.shape)


def _item(endpoint: Endpoint) -> Read:
    parse: ItemParse | None = endpoint.parse
    assert parse is not None, f"{endpoint.path}: an item's endpoint without a parser"

    def read(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
        return [parse(text, when, asked)]

    return read


def _answers_page(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
    page = parse_answers_page(text)
    if page.skipped:  # the hot list's title stands in for a missing one: look it up only then
        page = parse_answers_page(text, asked.title())
    return [*page.answers, *page.skipped]


def _list_page(text: str, when: datetime, asked: Asked) -> list[Post | Skip]:
    entries = load_object(text).get("data")
    return [listing_item(entry) for entry in entries] if isinstance(entries, list) else []


_READERS: dict[Shape, Read] = {Shape.ANSWERS: _answers_page, Shape.LIST: _list_page}

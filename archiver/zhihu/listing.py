"""Lists of items (a column, a collection, a person's answers/articles/pins, a topic's essence):
where each list's pages are, and one page → its posts, its skips and the next page.

Every list is `{"data": [...], "paging": {...}}`, paged by `paging.next` until `is_end` (offset
paging: `offset=20`; cursor paging: an opaque token in `next`; zhihu-api.md §2, §4). The entries
differ only in their wrapping: a column's and a person's are the items themselves, a collection's
are `{"created", "content": <item>}`, a topic feed's `{"type": "topic_feed", "target": <item>}`.
An item is an answer, an article or a pin; any other kind (videos, live, e-books, questions) is
skipped as `unsupported_kind`. A list's copy of an item is never final when its content is cut
(`content_need_truncated`) or missing (older entries carry only an `excerpt`): such an entry is an
`ItemRef`, read from the item's own endpoint as if its URL had been given.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from archiver.items import ItemRef, ListingPage, Post, PostKind, Skip
from archiver.zhihu.jsonutil import (
    ZhihuFormatError,
    as_id,
    as_time,
    get_path,
    load_object,
    next_page,
)
from archiver.zhihu.kinds import CAPTURED, ITEMS, KINDS
from archiver.zhihu.schema import Call, Shape
from archiver.zhihu.targets import Target, TargetError, parse_target

# Hosts Zhihu names in its paging links (often as http://); they are rebased onto ZHIHU_BASE_URL.
_PAGING_HOSTS = frozenset({"www.zhihu.com", "zhihu.com", "api.zhihu.com"})
# Zhihu's own services name themselves in some paging links, by a private address and without
# `/api/v4` (`https://172.16.201.121:80/topics/<id>/feeds/essence_v4?offset=20`): never requested,
# the link's path is read on Zhihu's public API, as zhihu-plus-plus reads it.
_API_PREFIX = "/api/v4"
# One list of one URL: where its pages are and which page they belong to.
Listing = Call


def listings_of(target: Target) -> list[Listing]:
    """The lists a listing URL stands for (a person's page: answers, articles and pins)."""
    return [Listing(endpoint, target.id) for endpoint in KINDS[target.kind].lists(target.tab)]


# Every API path a page of a list may be on, for any id: what rerender reads a list's items from
# (kinds.CAPTURED's, their `id` groups unnamed: one pattern names a group once).
LIST_PATH = re.compile(
    "|".join(
        pattern.pattern.replace("(?P<id>", "(?:")
        for pattern, kind, _ in CAPTURED
        if kind.shape is Shape.LIST
    )
)


def parse_listing_page(text: str, listing: Listing, base_url: str) -> ListingPage:
    """One page: its items, its skips, and the next page (checked, rebased) or None at the end
    (or when `paging.next` leads anywhere but this list's API: then `refused_next`).

    Raises ZhihuFormatError when the response is not a list page at all.
    """
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", f"{listing}: the page has no `data` array")
    page = ListingPage()
    for entry in entries:
        result = listing_entry(entry)
        (page.skipped if isinstance(result, Skip) else page.items).append(result)
    raw_next = next_page(data.get("paging"), bool(entries))
    if raw_next is not None:
        page.next_url = next_url(raw_next, listing, base_url)
        page.refused_next = "" if page.next_url else raw_next
    return page


def next_url(raw: str, listing: Listing, base_url: str) -> str | None:
    """Zhihu's `paging.next` as a request of this very list on the base URL, or None.

    A link taken from a response is never followed elsewhere: its host must be Zhihu's (or
    Zhihu's internal origin, which is never requested), its path one of the list's (`/api/v4`
    put back where Zhihu left it out), any query (offset or cursor). The parameters the list
    needs on every page are set to ours: Zhihu's links do not always repeat the `include`.
    """
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    zhihu = host in _PAGING_HOSTS and port is None
    if parts.scheme not in ("http", "https") or parts.username is not None:
        return None
    if not (zhihu or _is_internal(host)):
        return None
    path = parts.path if parts.path in listing.paths else _API_PREFIX + parts.path
    if path not in listing.paths:
        return None
    base = urlsplit(base_url)
    query = with_params(parts.query, listing.kept_query)
    return urlunsplit((base.scheme, base.netloc, path, query, ""))


def _is_internal(host: str) -> bool:
    """A private address (as Zhihu's services name each other), never a name."""
    try:
        return ipaddress.ip_address(host).is_private
    except ValueError:
        return False


def with_params(query: str, params: tuple[tuple[str, str], ...]) -> str:
    """`query` with each of `params` set to our value: in the link's place, else at its end.

    The link's other parameters keep their bytes (a cursor is opaque).
    """
    wanted = dict(params)
    kept: list[str] = []
    placed: set[str] = set()
    for piece in query.split("&") if query else ():
        key = unquote_plus(piece.split("=", 1)[0])
        if key not in wanted:
            kept.append(piece)
        elif key not in placed:
            placed.add(key)
            kept.append(urlencode({key: wanted[key]}))
    kept += [urlencode({k: v}) for k, v in params if k not in placed]
    return "&".join(piece for piece in kept if piece)


def listing_entry(entry: Any) -> Post | ItemRef | Skip:
    """One entry of a list: an answer, an article or a pin as a Post, or as an ItemRef when the
    list cut its content; anything else a Skip."""
    item = _unwrap(entry)
    if not isinstance(item, dict):
        return Skip("unexpected_shape", "a list entry is not an object")
    kind = item.get("type")
    entry = ITEMS[kind].entry if isinstance(kind, str) and kind in ITEMS else None
    if entry is not None:
        return item_ref(item, ITEMS[kind].name) or entry(item)
    what = kind if isinstance(kind, str) and kind else "an item without a type"
    item_id = as_id(item.get("id")) or str(item.get("id") or "")
    title = get_path(item, "title") or get_path(item, "question", "title") or ""
    detail = f"{what} {item_id}".strip() + (f" ({title!s:.60})" if title else "")
    return Skip("unsupported_kind", f"{detail}: not archived (answers, articles and pins are)")


def listing_item(entry: Any) -> Post | Skip:
    """One entry as a list gives it: what is cut is no post (its own endpoint has it)."""
    result = listing_entry(entry)
    if isinstance(result, ItemRef):
        return Skip("read_apart", f"{result.kind} {result.id}: {result.why}")
    return result


def item_ref(item: dict[str, Any], kind: PostKind) -> ItemRef | None:
    """The entry as an item to read from its own endpoint, if the list cut or left out its
    content; None if the list's copy is whole (or unusable anyway: its parser says why)."""
    item_id = as_id(item.get("id"))
    if not item_id or item.get("is_deleted") is True:
        return None
    if item.get("content_need_truncated") is True:
        why = "the list cuts its content"
    elif not _has_content(item, kind):
        why = "the list gives no content"
    else:
        return None
    if kind == PostKind.ANSWER:
        question_id = as_id(get_path(item, "question", "id"))
        url = ITEMS[kind].page_of(item_id, question_id)
        updated = as_time(item.get("updated_time")) or as_time(item.get("created_time"))
        return ItemRef(kind, item_id, url, why, question_id, updated)
    # Articles and pins say `updated`/`created`, without the `_time` of answers.
    updated = as_time(item.get("updated")) or as_time(item.get("created"))
    return ItemRef(kind, item_id, ITEMS[kind].page_of(item_id), why, updated=updated)


def _has_content(item: dict[str, Any], kind: str) -> bool:
    content = item.get("content")
    if kind == "pin":
        # A repin's own blocks may well be empty: the pin it repeats is its content.
        return isinstance(content, list) and bool(
            content or isinstance(item.get("origin_pin"), dict)
        )
    return isinstance(content, str) and bool(content.strip())


def _unwrap(entry: Any) -> Any:
    """The item inside an entry: a collection's `content`, a feed's `target`, else the entry."""
    if not isinstance(entry, dict):
        return entry
    for key in ("content", "target"):
        # A pin's own `content` is its list of blocks, an answer's its HTML: only an object wraps.
        if isinstance(entry.get(key), dict):
            return entry[key]
    return entry


@dataclass(frozen=True)
class FollowSource:
    """One `[[source]]` of a `follow` config: a listing URL, its category path, its limit."""

    target: Target
    categories: str = ""  # "": the setting of its kind of list
    limit: int | None = None


def parse_follow_config(text: str) -> list[FollowSource]:
    """The `[[source]]` tables of a TOML text; ValueError names the first bad one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from exc
    tables = data.get("source")
    if not isinstance(tables, list) or not tables:
        raise ValueError("no [[source]] table (each with a url = listing URL)")
    return [_follow_source(n, table) for n, table in enumerate(tables, 1)]


def _follow_source(n: int, table: Any) -> FollowSource:
    where = f"source {n}"
    if not isinstance(table, dict) or not isinstance(table.get("url"), str):
        raise ValueError(f"{where} has no url")
    unknown = set(table) - {"url", "categories", "limit"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        target = parse_target(table["url"])
    except TargetError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    if not target.is_listing:
        raise ValueError(
            f"{where}: {target.url} is not a list (a column, collection, person or topic)"
        )
    categories = table.get("categories", "")
    if not isinstance(categories, str) or (categories and not categories.strip("/ ")):
        raise ValueError(f"{where}: categories is a category path like 社交媒体/知乎/某专栏")
    limit = table.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"{where}: limit is a whole number from 1 up")
    return FollowSource(target, categories, limit)

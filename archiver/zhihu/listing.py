"""Lists of items (a column, a collection, a person's answers/articles/pins, a topic's essence):
where each list's pages are, and one page → its posts, its skips and the next page.

Every list is `{"data": [...], "paging": {...}}`, paged by `paging.next` until `is_end` (offset
paging: `offset=20`; cursor paging: an opaque token in `next`; zhihu-api.md §2, §4). The entries
differ only in their wrapping: a column's and a person's are the items themselves, a collection's
are `{"created", "content": <item>}`, a topic feed's `{"type": "topic_feed", "target": <item>}`.
An item is an answer, an article or a pin; any other kind (videos, live, e-books, questions) is
skipped as `unsupported_kind`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from archiver.items import ListingPage, Post, Skip
from archiver.zhihu.answers import answer_post
from archiver.zhihu.articles import article_post
from archiver.zhihu.jsonutil import ZhihuFormatError, as_id, get_path, load_object, next_page
from archiver.zhihu.pins import pin_post
from archiver.zhihu.targets import Target, TargetError, parse_target
from archiver.zhihu.urls import ANSWER_FIELDS, PAGE_LIMIT, api_url, rebase

# Hosts Zhihu names in its paging links (often as http://); they are rebased onto ZHIHU_BASE_URL.
_PAGING_HOSTS = frozenset({"www.zhihu.com", "zhihu.com", "api.zhihu.com"})
_ARTICLE_FIELDS = "content,excerpt,created,updated,title,content_need_truncated"


@dataclass(frozen=True)
class ListingKind:
    path: str  # the API path, `{id}` the column's slug, collection's id, person's token...
    page: str  # the page the list belongs to: the Referer of its API calls
    query: tuple[tuple[str, str], ...] = ()
    # The setting of the category path of its posts (one per kind of URL, not per item).
    categories_setting: str = ""


_PAGE = (("offset", "0"), ("limit", str(PAGE_LIMIT)))
_COLUMN = "ZHIHU_COLUMN_CATEGORIES"
_PEOPLE = "ZHIHU_PEOPLE_CATEGORIES"
# (kind of URL, tab) -> its lists
KINDS: dict[tuple[str, str], tuple[ListingKind, ...]] = {
    ("column", ""): (
        ListingKind(
            "/api/v4/columns/{id}/items", "https://zhuanlan.zhihu.com/{id}", _PAGE, _COLUMN
        ),
    ),
    ("collection", ""): (
        ListingKind(
            "/api/v4/collections/{id}/items",
            "https://www.zhihu.com/collection/{id}",
            _PAGE,
            "ZHIHU_COLLECTION_CATEGORIES",
        ),
    ),
    ("people", "answers"): (
        ListingKind(
            "/api/v4/members/{id}/answers",
            "https://www.zhihu.com/people/{id}/answers",
            (("include", f"data[*].{ANSWER_FIELDS}"), *_PAGE, ("sort_by", "created")),
            _PEOPLE,
        ),
    ),
    ("people", "posts"): (
        ListingKind(
            "/api/v4/members/{id}/articles",
            "https://www.zhihu.com/people/{id}/posts",
            (("include", f"data[*].{_ARTICLE_FIELDS}"), *_PAGE, ("sort_by", "created")),
            _PEOPLE,
        ),
    ),
    ("people", "pins"): (
        ListingKind(
            "/api/v4/members/{id}/pins", "https://www.zhihu.com/people/{id}/pins", _PAGE, _PEOPLE
        ),
    ),
    ("topic", ""): (
        # The topic page's 精华 tab (top-answers) reads this feed (2024–2026 clients).
        ListingKind(
            "/api/v5.1/topics/{id}/feeds/top_activity/v2",
            "https://www.zhihu.com/topic/{id}/top-answers",
            _PAGE,
            "ZHIHU_TOPIC_CATEGORIES",
        ),
    ),
}
# A person's page: all three.
KINDS[("people", "")] = tuple(
    k for tab in ("answers", "posts", "pins") for k in KINDS[("people", tab)]
)


@dataclass(frozen=True)
class Listing:
    """One list of one URL: where its pages are and which page they belong to."""

    kind: ListingKind
    id: str

    @property
    def path(self) -> str:
        return self.kind.path.format(id=quote(self.id, safe=""))

    @property
    def referer(self) -> str:
        return self.kind.page.format(id=quote(self.id, safe=""))

    @property
    def categories_setting(self) -> str:
        return self.kind.categories_setting

    def first_url(self, base_url: str) -> str:
        return api_url(base_url, self.path, **dict(self.kind.query))

    def __str__(self) -> str:
        return self.path


def listings_of(target: Target) -> list[Listing]:
    """The lists a listing URL stands for (a person's page: answers, articles and pins)."""
    return [Listing(kind, target.id) for kind in KINDS[(target.kind, target.tab)]]


def parse_listing_page(text: str, listing: Listing, base_url: str) -> ListingPage:
    """One page: its posts, its skips, and the next page (checked, rebased) or None at the end
    (or when `paging.next` leads anywhere but this list's API: then `refused_next`).

    Raises ZhihuFormatError when the response is not a list page at all.
    """
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", f"{listing}: the page has no `data` array")
    page = ListingPage()
    for entry in entries:
        result = listing_item(entry)
        (page.posts if isinstance(result, Post) else page.skipped).append(result)
    raw_next = next_page(data.get("paging"), bool(entries))
    if raw_next is not None:
        page.next_url = next_url(raw_next, listing, base_url)
        page.refused_next = "" if page.next_url else raw_next
    return page


def next_url(raw: str, listing: Listing, base_url: str) -> str | None:
    """Zhihu's `paging.next`, rebased onto the base URL, if it is a page of this very list.

    A link taken from a response is never followed elsewhere: only Zhihu's hosts, only the
    list's own API path (any query: offset or cursor).
    """
    parts = urlsplit(raw)
    if (
        parts.scheme not in ("http", "https")
        or parts.hostname not in _PAGING_HOSTS
        or parts.port is not None
        or parts.username is not None
        or parts.path != listing.path
    ):
        return None
    return rebase(raw, base_url)


def listing_item(entry: Any) -> Post | Skip:
    """One entry of a list: an answer, an article or a pin as a Post; anything else a Skip."""
    item = _unwrap(entry)
    if not isinstance(item, dict):
        return Skip("unexpected_shape", "a list entry is not an object")
    kind = item.get("type")
    if kind == "answer":
        return answer_post(item)
    if kind == "article":
        return article_post(item)
    if kind == "pin":
        return pin_post(item)
    what = kind if isinstance(kind, str) and kind else "an item without a type"
    item_id = as_id(item.get("id")) or str(item.get("id") or "")
    title = get_path(item, "title") or get_path(item, "question", "title") or ""
    detail = f"{what} {item_id}".strip() + (f" ({title!s:.60})" if title else "")
    return Skip("unsupported_kind", f"{detail}: not archived (answers, articles and pins are)")


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

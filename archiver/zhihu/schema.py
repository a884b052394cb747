"""What the table of Zhihu's kinds (archiver/zhihu/kinds.py) is written in.

A `Kind` is one kind of thing on Zhihu (an answer, a column, the hot list): the URLs a user gives
for it (`UrlForm`), how its responses are read (`Shape`), its `Endpoint`s. An endpoint is where
its data is served, with a `Fallback` where Zhihu turns a client away from there; a `Call` is one
endpoint asked for one thing, and builds the URL. Pure: no request is made here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from string import Formatter
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from archiver.items import Post, Skip

# What the answers endpoint must include for a post; the rest of Zhihu's long list is not needed.
ANSWER_FIELDS = (
    "content,excerpt,created_time,updated_time,question,voteup_count,comment_count,"
    "content_need_truncated"
)
ANSWER_INCLUDE = f"data[*].{ANSWER_FIELDS}"
# What an answer's own fields say of its state (archiver/zhihu/gone.py): Zhihu gives them only to
# a client that asks, as public clients do (zhihuhelp, zhihu-plus-plus list them in `include`).
STATE_FIELDS = "is_normal,suggest_edit,is_collapsed,collapse_reason,collapsed_by"
PAGE_LIMIT = 20  # the most items an endpoint returns per page
# What says where a page is; every other parameter of a list's query is asked of every page.
_PAGING_KEYS = frozenset({"offset", "limit", "cursor", "session_id", "page"})


def api_url(base_url: str, path: str, **params: str | int) -> str:
    query = urlencode(params)
    return f"{base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def with_included(url: str, fields: str) -> str:
    """`url` asking for `fields` too, after those of its `include`."""
    parts = urlsplit(url)
    query = [
        (name, f"{value},{fields}" if name == "include" and value else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    if not any(name == "include" for name, _ in query):
        query.append(("include", fields))
    return urlunsplit(parts._replace(query=urlencode(query)))


class Asked:
    """What reading a response may need besides its text and the time it was served: the item
    the request asked for (an article's page holds others too), and what other responses said
    (rerender asks the captures before it; a crawl knows nothing more)."""

    def __init__(self, item_id: str = "") -> None:
        self.item_id = item_id

    def title(self) -> str:
        """The question's title as the hot list gave it, for an answer without its own."""
        return ""

    def listed(self, story_id: str) -> tuple[date, str] | None:
        """(day, ga_prefix) of the Zhihu Daily listing that named the story, as `crawl daily`
        fetched it from there."""
        return None


# A response of an item's endpoint, read as its one post (or why not). Raises ZhihuFormatError
# when the response is no JSON (or no page) at all.
ItemParse = Callable[[str, datetime, Asked], Post | Skip]


@dataclass(frozen=True)
class Fallback:
    """Where else the same data is, and which refusals send a request there.

    `moved`: Zhihu moved the data, and turns a client away from the old endpoint with the 401 or
    403 it answers a stranger (or a 404). Only a request that carried the login is taken to be
    turned away so (without the login a refusal means what it says: log in); the line is said
    once a run, as a warning; and should the other endpoint fail too, the first refusal is the
    failure (the block it was). Otherwise the other endpoint is another door to the same data,
    taken whenever one of `refusals` (or a 404, if `not_found`) comes, and said each time.
    """

    endpoint: Endpoint
    stat: str  # counted as archiver/fallback/<stat>
    refusals: tuple[str, ...]  # the causes of archiver.zhihu.blocks that send a request there
    # The line that says so: of {url} (the request's), {refusal} ("HTTP 401, code 101"),
    # {error} (the failure's own words), {target} (the URL the user gave), {path} (the first
    # endpoint's path), {to} (the other one's) and {key} (the stats key).
    said: str
    not_found: bool = False
    moved: bool = False

    def takes(self, refused: bool, status: int, logged_in: bool) -> bool:
        """Whether a request that failed so goes to the other endpoint: refused with one of
        `refusals` (as the block middleware judged it), or answered HTTP `status`."""
        if refused:
            return True
        return self.not_found and status == 404 and (logged_in or not self.moved)


@dataclass(frozen=True)
class Endpoint:
    """One of Zhihu's endpoints, asked as the client maintained in 2025-26 it was taken from
    asks it (the table says which)."""

    # On ZHIHU_BASE_URL, or a whole URL where a host of its own serves it; `{id}` the thing's id
    # (quoted), `{question_id}` an answer's question.
    path: str
    # The page it belongs to: its requests' Referer ("" none). A page that names what the call
    # does not know (an answer's question) is its site's front page.
    page: str = ""
    query: tuple[tuple[str, str], ...] = ()  # in order; a value may name `{limit}`
    # A response of it as one post; None for a page of many (read by its kind's shape).
    parse: ItemParse | None = None
    moves: tuple[str, ...] = ()  # other paths Zhihu's paging carries the same list on to
    fallback: Fallback | None = None
    # Whether rerender reads its captures (an article's page, read where its API refused, is
    # not: the API's capture is the source).
    rerendered: bool = True

    @property
    def readers(self) -> tuple[Endpoint, ...]:
        """It and the endpoints it falls back to, each reading its own responses."""
        return (self, *(self.fallback.endpoint.readers if self.fallback else ()))


def fields_of(template: str) -> set[str]:
    """The fields a URL template names (`{id}`, `{question_id}`)."""
    return {field for _, field, _, _ in Formatter().parse(template) if field}


@dataclass(frozen=True)
class Call:
    """One endpoint asked for one thing: the URL of its first page on a base URL, its Referer,
    the paths its pages may be on, and its fallback asked for the same thing."""

    endpoint: Endpoint
    id: str = ""
    question_id: str = ""
    limit: int = PAGE_LIMIT

    @property
    def path(self) -> str:
        return self._format(urlsplit(self.endpoint.path).path)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every API path its pages may be on: its own, then those Zhihu's paging moves it to."""
        return (self.path, *(self._format(path) for path in self.endpoint.moves))

    @property
    def referer(self) -> str:
        page = self.endpoint.page
        if any(not getattr(self, field) for field in fields_of(page)):
            parts = urlsplit(page)
            return f"{parts.scheme}://{parts.netloc}/"
        return self._format(page)

    @property
    def kept_query(self) -> tuple[tuple[str, str], ...]:
        """The parameters every page must carry (an `include`, a sort), not only the first."""
        return tuple((k, v) for k, v in self._query() if k not in _PAGING_KEYS)

    @property
    def fallback(self) -> Call | None:
        """The same thing asked of the fallback endpoint, if there is one."""
        other = self.endpoint.fallback
        return Call(other.endpoint, self.id, self.question_id, self.limit) if other else None

    def first_url(self, base_url: str) -> str:
        """The URL it is asked at (a list's next pages follow Zhihu's `paging.next`)."""
        path = self._format(self.endpoint.path)
        if urlsplit(path).scheme:
            return api_url(path, "", **dict(self._query()))
        return api_url(base_url, path, **dict(self._query()))

    def _query(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, v.format(limit=self.limit)) for k, v in self.endpoint.query)

    def _format(self, template: str) -> str:
        return template.format(
            id=quote(self.id, safe=""), question_id=quote(self.question_id, safe="")
        )

    def __str__(self) -> str:
        return self.path


class Shape(StrEnum):
    """How a kind's responses are read, and so what a spider does with it."""

    ITEM = "item"  # one post per response, read by its endpoint's parse
    ANSWERS = "answers"  # a question's answers, page by page (archiver/zhihu/answers.py)
    LIST = "list"  # a list of items, page by page (archiver/zhihu/listing.py)
    HOT_LIST = "hot_list"  # questions, whose answers are read (archiver/zhihu/hotlist.py)
    DAILY = "daily"  # a day of Zhihu Daily: stories, each read as an item (zhihu/daily.py)


@dataclass(frozen=True)
class UrlForm:
    """URLs of a kind as a user gives them: their hosts, and their path with its groups (`id`;
    an answer's `question_id`, a person's `tab`)."""

    hosts: frozenset[str]
    path: re.Pattern[str]
    not_ids: frozenset[str] = frozenset()  # ids that name Zhihu's own pages (lower case)

    def match(self, host: str, path: str) -> dict[str, str] | None:
        found = self.path.fullmatch(path) if host in self.hosts else None
        if found is None or found["id"].lower() in self.not_ids:
            return None
        return {name: value or "" for name, value in found.groupdict().items()}


@dataclass(frozen=True)
class Kind:
    """One kind of thing on Zhihu: where it is, how it is read, how its posts are filed."""

    name: str  # a Target's kind; an item's is its posts' PostKind
    shape: Shape
    # Its endpoints: an item's, a list's (a person's: one per tab), a day's of Zhihu Daily (the
    # latest, and the day before another).
    endpoints: tuple[Endpoint, ...]
    categories: str = ""  # the setting of its posts' category path
    urls: tuple[UrlForm, ...] = ()
    tabs: tuple[str, ...] = ()  # a person's tabs, one per endpoint, as their URLs name them
    # A list's: the refusals that say it is private (another's collection), skipped, no block.
    private: tuple[str, ...] = ()
    id_pattern: str = "[0-9]+"  # what an id is in the path of a captured response
    # An item's: its page as a user gives it (the first whose fields are known); what it is
    # called (回答: its body's prefix 的回答, the note of one that vanished); its comments; the
    # web player's scene of a video it shows; how a list's copy of it is read; whether `recheck`
    # asks about it again, and for which fields that say whether it is hidden.
    pages: tuple[str, ...] = ()
    noun: str = ""
    comments: Endpoint | None = None
    player_scene: str = ""
    entry: Callable[[Any], Post | Skip] | None = None
    rechecked: bool = False
    state_fields: str = ""

    @property
    def endpoint(self) -> Endpoint:
        return self.endpoints[0]

    @property
    def prefix(self) -> str:
        """What follows the author's name at the body's start (`的回答`); "" none."""
        return f"的{self.noun}" if self.noun else ""

    def lists(self, tab: str = "") -> tuple[Endpoint, ...]:
        """The endpoints a URL of a list stands for: its tab's, or all (a person's: three)."""
        return (self.endpoints[self.tabs.index(tab)],) if tab else self.endpoints

    def page_of(self, item_id: str, question_id: str = "") -> str:
        """An item's page (an answer's names its question where it is known)."""
        known = {"id": item_id, "question_id": question_id}
        return next(
            page.format(**known) for page in self.pages if all(known[f] for f in fields_of(page))
        )

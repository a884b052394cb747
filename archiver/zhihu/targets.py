"""What a user may point `scrapy archive` at: Zhihu answers, questions, column articles, pins and
Zhihu Daily stories, and the listings that hold them (columns, collections, people, a topic's
essence)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver.utils.wire import wire_host

ACCEPTED = (
    "https://www.zhihu.com/question/<id>/answer/<id>, https://www.zhihu.com/answer/<id>, "
    "https://www.zhihu.com/question/<id>, https://zhuanlan.zhihu.com/p/<id>, "
    "https://www.zhihu.com/pin/<id>, https://zhuanlan.zhihu.com/<column>, "
    "https://www.zhihu.com/collection/<id>, https://www.zhihu.com/people/<token> "
    "(and its /answers, /posts, /pins), https://www.zhihu.com/topic/<id>/top-answers, "
    "https://daily.zhihu.com/story/<id> (http or https or none, with or without a query "
    "string, the m.zhihu.com, api.zhihu.com and news-at.zhihu.com forms)"
)
# Kinds that name a list of items, walked page by page (archiver/zhihu/listing.py).
LISTING_KINDS = frozenset({"column", "collection", "people", "topic"})

_WWW = {"www.zhihu.com", "zhihu.com", "m.zhihu.com"}
_API = {"api.zhihu.com", "www.zhihu.com", "zhihu.com"}
# ASCII digits only: `\d` would take "١٢٣" too, and ids stay text from here to the API URL.
_ID = r"([0-9]+)"
# A column's slug and a person's url_token: letters, digits, `-`, `_` (tokens also `.`, as in
# "St.Pancras"); never a dot first, so never `.` or `..`.
_SLUG = r"([A-Za-z0-9_][A-Za-z0-9_-]{0,63})"
_TOKEN = r"([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})"
# zhuanlan.zhihu.com paths that are pages of Zhihu, not columns.
_NOT_COLUMNS = frozenset({"p", "api", "write", "drafts", "people", "column", "columns"})
# (hosts, path pattern, kind); the first group is the id, a second one the question id
_FORMS: list[tuple[set[str], re.Pattern[str], str]] = [
    (_WWW, re.compile(rf"/question/{_ID}/answers?/{_ID}/?"), "question_answer"),
    (_WWW, re.compile(rf"/answer/{_ID}/?"), "answer"),
    (_API, re.compile(rf"(?:/api/v4)?/answers/{_ID}/?"), "answer"),
    (_WWW, re.compile(rf"/question/{_ID}/?"), "question"),
    (_API, re.compile(rf"(?:/api/v4)?/questions/{_ID}/?"), "question"),
    ({"zhuanlan.zhihu.com", "m.zhihu.com"}, re.compile(rf"/p/{_ID}/?"), "article"),
    (_API, re.compile(rf"(?:/api/v4)?/articles/{_ID}/?"), "article"),
    ({"zhuanlan.zhihu.com"}, re.compile(rf"/api/articles/{_ID}/?"), "article"),
    (_WWW, re.compile(rf"/pin/{_ID}/?"), "pin"),
    (_API, re.compile(rf"(?:/api/v4)?/pins/{_ID}/?"), "pin"),
    ({"zhuanlan.zhihu.com"}, re.compile(rf"/{_SLUG}/?"), "column"),
    (_WWW, re.compile(rf"/column/{_SLUG}/?"), "column"),
    (_WWW, re.compile(rf"/collection/{_ID}/?"), "collection"),
    (_WWW, re.compile(rf"/people/{_TOKEN}(?:/(answers|posts|pins))?/?"), "people"),
    (_WWW, re.compile(rf"/topic/{_ID}/top-answers/?"), "topic"),
    # Zhihu Daily: a story's page (its `url`, `share_url`) and its API (archiver/zhihu/daily.py)
    ({"daily.zhihu.com", "news-at.zhihu.com"}, re.compile(rf"/story/{_ID}/?"), "daily"),
    ({"news-at.zhihu.com"}, re.compile(rf"/api/4/news/{_ID}/?"), "daily"),
]
# A scheme as a URL starts with it; without one a URL is read as a browser's address bar does.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class TargetError(ValueError):
    """An input line that is not an archivable URL; the message names it and what is accepted."""


@dataclass(frozen=True)
class Target:
    kind: str  # "answer" | "question" | "article" | "pin" | "daily", or one of LISTING_KINDS
    id: str  # a number, a column's slug or a person's url_token
    url: str  # as the user gave it
    question_id: str = ""
    tab: str = ""  # people: "answers" | "posts" | "pins", or "" for all three

    @property
    def key(self) -> str:
        """Identity for de-duplication: two spellings of one answer are one target."""
        return f"{self.kind}:{self.id}" + (f"/{self.tab}" if self.tab else "")

    @property
    def is_listing(self) -> bool:
        return self.kind in LISTING_KINDS


def parse_target(text: str) -> Target:
    url = text.strip()
    parts = urlsplit(with_scheme(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"{url}: not a URL; accepted: {ACCEPTED}")
    # The host an HTTP client connects to: where two parsers read it differently
    # (`www.zhihu.com\@example.org`), it is nobody's Zhihu URL.
    host = parts.hostname.lower().removesuffix(".")
    read = wire_host(f"{parts.scheme}://{parts.netloc}/")
    if read is None or read.removesuffix(".") != host:
        raise TargetError(f"{url}: not a Zhihu URL; accepted: {ACCEPTED}")
    if host != "zhihu.com" and not host.endswith(".zhihu.com"):
        raise TargetError(f"{url}: not a Zhihu URL; accepted: {ACCEPTED}")
    for hosts, pattern, kind in _FORMS:
        if host in hosts and (match := pattern.fullmatch(parts.path)):
            if kind == "question_answer":
                return Target("answer", match[2], url, question_id=match[1])
            if kind == "column" and match[1].lower() in _NOT_COLUMNS:
                continue
            if kind == "people":
                return Target(kind, match[1], url, tab=match[2] or "")
            return Target(kind, match[1], url)
    raise TargetError(f"{url}: this kind of Zhihu URL is not supported; accepted: {ACCEPTED}")


def with_scheme(url: str) -> str:
    """`url` as a browser's address bar reads it: `zhihu.com/question/1` is https://, `//host/`
    is https: too; a URL with a scheme, or text with no host before its first `/`, is itself."""
    if _SCHEME.match(url):
        return url
    if url.startswith("//"):
        return f"https:{url}"
    host = re.split(r"[/?#]", url, maxsplit=1)[0]
    return f"https://{url}" if "." in host.strip(".") else url


def read_lines(text: str) -> list[str]:
    """URLs from a file: one per line; blank lines and `# comments` are ignored."""
    urls = []
    for line in text.splitlines():
        url = line.split(" #", 1)[0].strip()  # a URL's own #fragment has no space before it
        if url and not url.startswith("#"):
            urls.append(url)
    return urls


def parse_targets(lines: list[str]) -> tuple[list[Target], list[str]]:
    """Unique targets in input order, and one error message per line that is not one."""
    targets: dict[str, Target] = {}
    errors: list[str] = []
    for line in lines:
        try:
            target = parse_target(line)
        except TargetError as exc:
            errors.append(str(exc))
            continue
        targets.setdefault(target.key, target)
    return list(targets.values()), errors

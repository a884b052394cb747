"""What a user may point `scrapy archive` at: Zhihu answers, questions, column articles, pins and
Zhihu Daily stories, and the listings that hold them (columns, collections, people, a topic's
essence)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver.utils.wire import wire_host
from archiver.zhihu.kinds import KINDS
from archiver.zhihu.schema import Shape

ACCEPTED = (
    "https://www.zhihu.com/question/<id>/answer/<id>, https://www.zhihu.com/answer/<id>, "
    "https://www.zhihu.com/question/<id>, https://zhuanlan.zhihu.com/p/<id>, "
    "https://www.zhihu.com/pin/<id>, https://zhuanlan.zhihu.com/<column>, "
    "https://www.zhihu.com/collection/<id>, https://www.zhihu.com/people/<token> "
    "(and its /answers, /posts, /pins), https://www.zhihu.com/topic/<id>/top-answers, "
    "https://daily.zhihu.com/story/<id> (http or https or none, with or without a query "
    "string, the m.zhihu.com, api.zhihu.com and news-at.zhihu.com forms)"
)
# A scheme as a URL starts with it; without one a URL is read as a browser's address bar does.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


class TargetError(ValueError):
    """An input line that is not an archivable URL; the message names it and what is accepted."""


@dataclass(frozen=True)
class Target:
    kind: str  # the name of its kind in archiver/zhihu/kinds.py: "answer", "column"...
    id: str  # a number, a column's slug or a person's url_token
    url: str  # as the user gave it
    question_id: str = ""
    tab: str = ""  # people: "answers" | "posts" | "pins", or "" for all three

    @property
    def key(self) -> str:
        """Identity for de-duplication: two spellings of one answer are one target."""
        return f"{self.kind}:{self.id}" + (f"/{self.tab}" if self.tab else "")

    @property
    def shape(self) -> Shape:
        return KINDS[self.kind].shape

    @property
    def is_listing(self) -> bool:
        return self.shape is Shape.LIST


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
    for kind in KINDS.values():
        for form in kind.urls:
            if (groups := form.match(host, parts.path)) is not None:
                return _target(kind.name, groups, url)
    raise TargetError(f"{url}: this kind of Zhihu URL is not supported; accepted: {ACCEPTED}")


def _target(kind: str, groups: dict[str, str], url: str) -> Target:
    """The target a URL form's groups name (UrlForm.match)."""
    return Target(kind, groups["id"], url, groups.get("question_id", ""), groups.get("tab", ""))


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

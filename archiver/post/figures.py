"""Which image a figure is, where to download it from, and whether we may: pure URL logic."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from w3lib.url import safe_url_string

from archiver.utils.browser import HOSTNAME, host_and_port
from archiver.utils.wire import wire_host

# pic1-pic4, pica, picx, picd...; an optional size bucket (/50/, /80/); a size suffix; a query.
_ZHIMG = re.compile(
    r"^/(?:[0-9]+/)?(?P<name>(?:v2-)?[0-9a-f]{16,})"
    r"(?:_(?:b|r|hd|xl|qhd|bh|l|s|is|xs|m|[0-9]+w|[0-9]+x[0-9]+))?"
    r"\.(?P<ext>jpe?g|png|gif|webp)$",
    re.IGNORECASE,
)
_EXTENSIONS = {"jpeg": "jpg"}
# FIGURES_ALLOWED_HOSTS by default (archiver/settings.py): what a post's images are judged by
# where no setting is at hand (a post rendered by a test, a benchmark).
DEFAULT_ALLOWED_HOSTS = ("zhimg.com", "www.zhihu.com/equation")
# ARCHIVE_VIDEO_HOSTS by default: where Zhihu's video files (and the GIFs it plays as videos) are.
DEFAULT_VIDEO_HOSTS = ("vzuu.com",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Most figure URLs: a lower-case host without port or userinfo, then only characters a URL may
# hold as they are (`%` too: safe_url_string never re-encodes one, as a formula's `tex=%5C...`).
# For these the request URL is the URL itself, and the (slow) normalisation is skipped:
# conversion runs it for every image of every answer.
_PLAIN_URL = re.compile(
    r"^https?://(?P<host>[a-z0-9.-]+)"
    r"(?:(?P<path>/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*)"
    r"(?:\?(?P<query>[A-Za-z0-9._~!$&()*+,;=:@/?%-]+))?)?$"
)
# An allowlist's entries, split (_entries): host, ".host", the path admitted (None: any).
_Entries = tuple[tuple[str, str, str | None], ...]
# A remembered failure is retried after a day, then a week, then every month.
RETRY_AFTER = (timedelta(days=1), timedelta(days=7), timedelta(days=30))


@dataclass(frozen=True)
class Figure:
    src: str  # the <img> src as written in the post body
    url: str  # the best version to download (data-original, else data-actualsrc, else src)
    key: str  # one stored file per key, however many variants point to it, e.g. zhimg/v2-ab.jpg

    @property
    def equation(self) -> bool:
        return self.key.startswith("equation/")


def request_url(url: str) -> str | None:
    """The URL Scrapy requests for `url`, or None when it cannot be requested at all.

    `scrapy.Request` runs every URL through `safe_url_string` (a backslash becomes a slash,
    the host is lower-cased and IDNA-encoded, spaces and CJK are percent-encoded), so this is the
    form to judge and to name figures by; `http://[x` or a port past 65535 make it raise.
    """
    if _PLAIN_URL.match(url):
        return url  # nothing safe_url_string would change (tests/test_figures.py checks it)
    try:
        normalised = safe_url_string(url)
        urlsplit(normalised).port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        return None
    return normalised


def figure_key(url: str) -> str:
    """A figure's identity: zhimg variants (host, size suffix, query) share one key.

    Judged on the URL as requested; ValueError when there is none (see `request_url`).
    """
    if plain := _PLAIN_URL.match(url):
        # As requested already, and split as urlsplit would: its parts taken from the match.
        host, path, query = plain["host"], plain["path"] or "", plain["query"] or ""
    else:
        normalised = request_url(url)
        if normalised is None:
            raise ValueError(f"not a URL that can be requested: {url!r}")
        url = normalised
        parts = urlsplit(url)
        host, path, query = (parts.hostname or "").lower(), parts.path, parts.query
    if host.endswith(".zhimg.com") and (match := _ZHIMG.match(path)):
        ext = match["ext"].lower()
        return f"zhimg/{match['name'].lower()}.{_EXTENSIONS.get(ext, ext)}"
    if host.endswith("zhihu.com") and path == "/equation":
        return f"equation/{_digest(query)}.svg"
    # Another allowlisted host: the URL itself is the identity; the real type comes from the bytes.
    return f"other/{host or 'nohost'}/{_digest(url)}.img"


def is_allowed(url: str, allowlist: list[str] | tuple[str, ...]) -> bool:
    """Whether `url` is on the allowlist: `host` (and its subdomains), or `host/path` exactly.

    Anything else (127.0.0.1, a private address, another site) is never requested: a post's
    HTML is written by strangers, and must not steer the crawler at the user's own network, nor
    a reader's browser anywhere but the allowed hosts. The URL judged is the one Scrapy will
    request, and its host must be the same for Python's parser, for Twisted's, which connects,
    and for a browser's (archiver/browser.py), which loads it in a post: where they could read
    it differently, it is refused. A `host/path` entry admits that path and a query, nothing
    under it: it stands for an endpoint of a host that also gets the login cookie
    (www.zhihu.com/equation).
    """
    return _allowed(url, _entries(tuple(allowlist)))


def _allowed(url: str, entries: _Entries) -> bool:
    """is_allowed, with the allowlist's entries already split (refuser's judge asks it of every
    image of every post)."""
    if plain := _PLAIN_URL.match(url):
        # Most figure URLs: a lower-case host alone between `//` and `/`, nothing any of the
        # three readers could take apart differently (tests/test_figures.py checks it).
        host, path = plain["host"], plain["path"] or ""
        if not _named(host) or has_dot_segment(path):
            return False
        return _on_list(host, path, entries)
    target = request_url(url)
    if target is None:
        return False
    parts = urlsplit(target)
    host = parts.hostname or ""
    if (
        parts.scheme not in _DEFAULT_PORTS
        or "@" in parts.netloc  # userinfo: the parsers disagree on the host
        or host != wire_host(target)
        or not HOSTNAME.match(host)
        or parts.port not in (None, _DEFAULT_PORTS[parts.scheme])
        or host_and_port(url) != (host, _DEFAULT_PORTS[parts.scheme])
        or has_dot_segment(parts.path)
    ):
        return False
    return _on_list(host, parts.path, entries)


def refuser(allowlist: list[str] | tuple[str, ...]) -> Callable[[str], bool]:
    """The judge of the URLs a reader's browser may be sent to: True for those off `allowlist`."""
    entries = _entries(tuple(allowlist))
    return lambda url: not _allowed(url, entries)


def has_dot_segment(path: str) -> bool:
    """Whether a server may read `..` or `.` in `path` (raw, percent-encoded, or after a `;`)."""
    if "%" not in path and "/." not in path and "\\." not in path and path[:1] != ".":
        return False  # most paths: no segment starts with a dot, none is encoded
    for _ in range(3):  # %252e%252e is %2e%2e to a server that decodes twice
        for segment in re.split(r"[/\\]", path):
            if segment.split(";", 1)[0] in (".", ".."):
                return True
        path, before = unquote(path), path
        if path == before:
            break
    return False


@lru_cache(maxsize=1024)  # a post's figures come from a few hosts; bounded: hosts are strangers'
def _named(host: str) -> bool:
    return HOSTNAME.match(host) is not None


@lru_cache(maxsize=64)  # allowlists are settings: a few per process
def _entries(allowlist: tuple[str, ...]) -> _Entries:
    """Each entry split once: (host, the suffix of its subdomains, the one path admitted or
    None for any)."""
    split = []
    for entry in allowlist:
        host, slash, path = entry.partition("/")
        host = host.lower()
        split.append((host, f".{host}", f"/{path}" if slash else None))
    return tuple(split)


def _on_list(host: str, path: str, entries: _Entries) -> bool:
    for allowed_host, subdomains, allowed_path in entries:
        if (host == allowed_host or host.endswith(subdomains)) and (
            allowed_path is None or path == allowed_path
        ):
            return True
    return False


def retry_due(failures: int, last_failed: datetime, now: datetime) -> bool:
    """Whether a figure that failed `failures` times, last at `last_failed`, is tried again."""
    wait = RETRY_AFTER[min(max(failures, 1), len(RETRY_AFTER)) - 1]
    return now - last_failed >= wait


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]

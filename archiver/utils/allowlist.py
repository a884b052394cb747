"""Which URLs may be requested or shown: an allowlist of hosts (and `host/path` endpoints), judged
on the URL as Scrapy will request it and as a reader's browser will load it
(archiver/utils/wire.py, archiver/utils/browser.py). The downloader's allowlist, the media
pipelines, the sanitizer and the figures of a post all ask it here, below all of them."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from w3lib.url import safe_url_string

from archiver.utils.browser import HOSTNAME, host_and_port
from archiver.utils.wire import wire_host

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
PLAIN_URL = re.compile(
    r"^https?://(?P<host>[a-z0-9.-]+)"
    r"(?:(?P<path>/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*)"
    r"(?:\?(?P<query>[A-Za-z0-9._~!$&()*+,;=:@/?%-]+))?)?$"
)
# An allowlist's entries, split (_entries): host, ".host", the path admitted (None: any).
_Entries = tuple[tuple[str, str, str | None], ...]


def request_url(url: str) -> str | None:
    """The URL Scrapy requests for `url`, or None when it cannot be requested at all.

    `scrapy.Request` runs every URL through `safe_url_string` (a backslash becomes a slash,
    the host is lower-cased and IDNA-encoded, spaces and CJK are percent-encoded), so this is the
    form to judge and to name figures by; `http://[x` or a port past 65535 make it raise.
    """
    if PLAIN_URL.match(url):
        return url  # nothing safe_url_string would change (tests/test_figures.py checks it)
    try:
        normalised = safe_url_string(url)
        urlsplit(normalised).port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        return None
    return normalised


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
    if plain := PLAIN_URL.match(url):
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

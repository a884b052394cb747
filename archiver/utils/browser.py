"""A URL as a reader's browser reads it (the WHATWG URL Standard), where it decides what a post
may hold: the scheme of a link, the host an image is loaded from.

Only as much of the standard as those two answers need, read strictly: where a browser would
first decode or map a host (percent escapes, IDNA, an IPv4 number in any spelling, userinfo), or
where its reading depends on the page the post is on (`https:host` is a relative path on an
https page), the answer is None and the caller refuses. archiver/wire.py is the same question
asked of the HTTP client; a URL is trusted only where the readers agree.
"""

from __future__ import annotations

import re

# What a browser strips from both ends of a URL (C0 controls and space) and what it removes
# wherever it is (tab, LF, CR). The other C0 controls go too: the post's text rules drop them
# from the body after the sanitizer ran (archiver/post/text.py), so `java\x01script:` reaches
# the browser as `javascript:`.
_C0 = "".join(map(chr, range(0x20)))
_CONTROLS = str.maketrans("", "", _C0)
_STRIPPED = _C0 + " "
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SPECIAL = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SLASHES = "/\\"
_AUTHORITY_END = re.compile(r"[/\\?#]")
# A DNS name every reader reads the same: lower-case ASCII labels, no trailing dot, no `%`, and
# a last label that starts with a letter, so no IP address in any spelling (127.0.0.1,
# 2130706433, 0x7f.1, 017700000001) passes for a host name.
HOSTNAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z](?:[a-z0-9-]*[a-z0-9])?$")


def as_read(value: str) -> str:
    """The URL a browser parses for an attribute's `value`: controls removed, spaces stripped."""
    if value.isprintable() and value.strip(" ") == value:
        return value  # most URLs: nothing to remove
    return value.translate(_CONTROLS).strip(_STRIPPED)


def scheme(value: str) -> str:
    """The URL's scheme, lower-cased, as a browser reads it; "" for a relative URL."""
    match = _SCHEME.match(as_read(value))
    return match[0][:-1].lower() if match else ""


def network_path(value: str) -> bool:
    """Whether a relative URL names a host of its own (`//host/x`; `\\\\host`, `/\\host` too, on
    an http(s) page): it loads from wherever that host is, not from the page's own site."""
    read = as_read(value)
    return len(read) >= 2 and read[0] in _SLASHES and read[1] in _SLASHES


def host_and_port(url: str) -> tuple[str, int] | None:
    """(host, port) an http(s) URL is loaded from, as a browser on any page reads it; None where
    it is not such a URL, or where the browser's reading could differ from a plain one."""
    read = as_read(url)
    match = _SCHEME.match(read)
    if not match or (kind := match[0][:-1].lower()) not in _SPECIAL:
        return None
    rest = read[match.end() :]
    # `https:host` and `https:/host` are relative paths on an https page and hosts elsewhere;
    # two slashes (either way round) start the authority on every page, and a browser then
    # skips any more of them.
    if len(rest) < 2 or rest[0] not in _SLASHES or rest[1] not in _SLASHES:
        return None
    rest = rest.lstrip(_SLASHES)
    end = _AUTHORITY_END.search(rest)
    authority = rest[: end.start()] if end else rest
    host, colon, port = authority.partition(":")
    host = host.lower()
    # userinfo, `[` IPv6, `%`, non-ASCII (IDNA), numbers: decoded or mapped first by a browser
    if "@" in authority or not HOSTNAME.match(host):
        return None
    if not colon or not port:
        return host, _DEFAULT_PORTS[kind]
    if not (port.isascii() and port.isdigit()) or int(port) > 65535:
        return None
    return host, int(port)

"""A URL as the HTTP client reads it: Scrapy's HTTP/1.1 handler hands Twisted the defragmented
URL, and Twisted's parser decides the host it connects to and the request target it sends.

Whatever judges a request (the figure allowlist) or signs it (x-zse-96) must read the URL the
same way, never as a raw string.
"""

from __future__ import annotations

from urllib.parse import urldefrag

from twisted.web.client import URI


def _uri(url: str) -> URI:
    return URI.fromBytes(urldefrag(url)[0].encode("ascii"))


def wire_target(url: str) -> str:
    """The request target sent for `url`: path, `;params` and query (`/a?` goes out as `/a`)."""
    return _uri(url).originForm.decode("ascii")


def wire_host(url: str) -> str | None:
    """The host the client connects to, lower-cased; None for a URL it cannot parse."""
    try:
        host = _uri(url).host
    except (ValueError, UnicodeError):
        return None
    return host.decode("ascii").lower()

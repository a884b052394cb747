"""Which image a figure is, where to download it from, and whether we may: pure URL logic."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# pic1-pic4, pica, picx, picd...; an optional size bucket (/50/, /80/); a size suffix; a query.
_ZHIMG = re.compile(
    r"^/(?:\d+/)?(?P<name>(?:v2-)?[0-9a-f]{16,})"
    r"(?:_(?:b|r|hd|xl|qhd|bh|l|s|is|xs|m|\d+w|\d+x\d+))?"
    r"\.(?P<ext>jpe?g|png|gif|webp)$",
    re.IGNORECASE,
)
_EXTENSIONS = {"jpeg": "jpg"}


@dataclass(frozen=True)
class Figure:
    src: str  # the <img> src as written in the post body
    url: str  # the best version to download (data-original, else data-actualsrc, else src)
    key: str  # one stored file per key, however many variants point to it, e.g. zhimg/v2-ab.jpg

    @property
    def equation(self) -> bool:
        return self.key.startswith("equation/")


def figure_key(url: str) -> str:
    """A figure's identity: zhimg variants (host, size suffix, query) share one key."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith(".zhimg.com") and (match := _ZHIMG.match(parts.path)):
        ext = match["ext"].lower()
        return f"zhimg/{match['name'].lower()}.{_EXTENSIONS.get(ext, ext)}"
    if host.endswith("zhihu.com") and parts.path == "/equation":
        return f"equation/{_digest(parts.query)}.svg"
    # Another allowlisted host: the URL itself is the identity; the real type comes from the bytes.
    return f"other/{host or 'nohost'}/{_digest(url)}.img"


def is_allowed(url: str, allowlist: list[str] | tuple[str, ...]) -> bool:
    """Whether `url` is on the allowlist: `host` (and its subdomains) or `host/path-prefix`.

    Anything else (127.0.0.1, a private address, another site) is never requested: a post's
    HTML is written by strangers, and must not steer the crawler at the user's own network.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    for entry in allowlist:
        allowed_host, _, path_prefix = entry.lower().partition("/")
        if (host == allowed_host or host.endswith(f".{allowed_host}")) and parts.path.startswith(
            f"/{path_prefix}"
        ):
            return True
    return False


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]

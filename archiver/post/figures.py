"""Which image a figure is, where to download it from, and when a failed one is tried again: pure
URL logic (whether a URL may be requested at all: archiver/utils/allowlist.py)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from archiver.utils.allowlist import PLAIN_URL, request_url

# pic1-pic4, pica, picx, picd...; an optional size bucket (/50/, /80/); a size suffix; a query.
_ZHIMG = re.compile(
    r"^/(?:[0-9]+/)?(?P<name>(?:v2-)?[0-9a-f]{16,})"
    r"(?:_(?:b|r|hd|xl|qhd|bh|l|s|is|xs|m|[0-9]+w|[0-9]+x[0-9]+))?"
    r"\.(?P<ext>jpe?g|png|gif|webp)$",
    re.IGNORECASE,
)
_EXTENSIONS = {"jpeg": "jpg"}
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


def figure_key(url: str) -> str:
    """A figure's identity: zhimg variants (host, size suffix, query) share one key.

    Judged on the URL as requested; ValueError when there is none (see `request_url`).
    """
    if plain := PLAIN_URL.match(url):
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


def retry_due(failures: int, last_failed: datetime, now: datetime) -> bool:
    """Whether a figure that failed `failures` times, last at `last_failed`, is tried again."""
    wait = RETRY_AFTER[min(max(failures, 1), len(RETRY_AFTER)) - 1]
    return now - last_failed >= wait


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]

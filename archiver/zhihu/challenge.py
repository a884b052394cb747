"""Zhihu's `__zse_ck` challenge page and the cookie its script writes: pure parsing, no I/O.

The 403 page holds `<meta id="zh-zse-ck" content="...">` and a script from
`https://static.zhihu.com/zse-ck/v<n>/<hex>.js`; run in that page, the script writes
`__zse_ck=<version>_<token>-<meta content>; domain=.zhihu.com; expires=<date>`
(zhihu-signing.md), where the token is base64's alphabet. Only that shape is taken back from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from archiver.utils.logtext import loggable

SCRIPT_HOST = "static.zhihu.com"
_SCRIPT_PATH = re.compile(r"^/zse-ck/v\d+/[0-9a-f]{16,128}\.js$")
_SCRIPT_SRC = re.compile(r"""<script[^>]*\bsrc\s*=\s*["']([^"']*/zse-ck/[^"']*)["']""", re.I)
_META = re.compile(r"""<meta\b[^>]*\bid\s*=\s*["']zh-zse-ck["'][^>]*>""", re.I)
_CONTENT = re.compile(r"""\bcontent\s*=\s*["']([^"']*)["']""", re.I)
_COOKIE_NAME = "__zse_ck"
_MAX_AGE = re.compile(r"-?[0-9]+")  # ASCII digits: `isdigit` takes "²", which int() refuses
# A `__zse_ck` value as Zhihu's script writes it, bounded (a real one is about 250 characters).
TOKEN = re.compile(r"[0-9]{3}_[A-Za-z0-9+/=_-]{1,2000}")
# What the v4 script writes when its own computation failed; Zhihu no longer accepts it.
FALLBACK = "001_"


class ChallengeError(ValueError):
    """A challenge page or a written cookie this tool cannot use; the message says why."""


@dataclass(frozen=True)
class ChallengePage:
    script_url: str  # where the challenge script is, on static.zhihu.com only
    meta: str  # the page's zh-zse-ck token, which the cookie ends with


@dataclass(frozen=True)
class SolvedToken:
    value: str  # the cookie's value: a secret, never logged
    expires: datetime | None  # aware, UTC; None when the script gave no expiry


def parse_challenge_page(html: str, page_url: str) -> ChallengePage:
    """The script to run and the meta token of a challenge page; ChallengeError otherwise.

    Only a script on static.zhihu.com over https is ever fetched: the page comes from the
    network, and must not steer the crawler anywhere else.
    """
    script = _SCRIPT_SRC.search(html)
    if script is None:
        raise ChallengeError("the challenge page names no zse-ck script")
    url = urljoin(page_url, script[1])
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != SCRIPT_HOST or parts.port is not None:
        raise ChallengeError(
            f"the challenge script is not on https://{SCRIPT_HOST}: {loggable(url, 200)}"
        )
    if not _SCRIPT_PATH.match(parts.path) or parts.query or parts.fragment:
        raise ChallengeError(
            f"the challenge script's address is not Zhihu's form: {loggable(url, 200)}"
        )
    meta = _META.search(html)
    content = _CONTENT.search(meta[0]) if meta else None
    if content is None:
        raise ChallengeError("the challenge page has no zh-zse-ck meta token")
    return ChallengePage(url, content[1])


def parse_written_cookie(written: str, meta: str, now: datetime) -> SolvedToken:
    """Token and expiry of `__zse_ck=<value>; domain=...; expires=...` as the script wrote it.

    The value must be of the shape Zhihu's script writes, `<version>_<token>-<meta>` for the
    page's meta, and not its built-in fallback; an expiry no date can hold is refused too.
    """
    first, *attributes = written.split(";")
    name, sep, value = first.strip().partition("=")
    value = value.strip()
    if name != _COOKIE_NAME or not sep or not value:
        raise ChallengeError("the script wrote no __zse_ck value")
    if TOKEN.fullmatch(value) is None or not value.endswith(f"-{meta}"):
        raise ChallengeError(
            "the script wrote a __zse_ck value not of Zhihu's shape (<version>_<token>-<meta>)"
        )
    if value.startswith(FALLBACK):
        raise ChallengeError(
            f"the script wrote its built-in {FALLBACK} token, which Zhihu refuses "
            "(its own computation failed)"
        )
    expires = None
    for attribute in attributes:
        key, _, text = attribute.strip().partition("=")
        if key.lower() == "expires":
            expires = _date(text)
        elif key.lower() == "max-age" and _MAX_AGE.fullmatch(text.strip()):
            expires = _after(now, text.strip())
    return SolvedToken(value, expires)


def _after(now: datetime, seconds: str) -> datetime:
    try:
        return now.astimezone(UTC) + timedelta(seconds=int(seconds))
    except (OverflowError, ValueError) as exc:
        raise ChallengeError(
            f"the script wrote a max-age no date can hold ({loggable(seconds, 40)} s)"
        ) from exc


def _date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text.strip()).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

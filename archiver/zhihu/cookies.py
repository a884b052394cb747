"""The user's Zhihu identity: the Cookie header copied from a browser, read as the server reads it.

Values are kept exactly as written (a browser's `d_c0` is often quoted): Zhihu's signature covers
`d_c0` as the Cookie header carries it, so what is sent and what is signed must be the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOGIN = "z_c0"  # the login ticket; lasts months
DEVICE = "d_c0"  # the device id; an input of every request signature
CHALLENGE = "__zse_ck"  # the JavaScript challenge's token; about a week, bound to a User-Agent

# What each cookie is, for the lines that tell a user what is missing.
ROLES = {
    LOGIN: "the login",
    DEVICE: "the device id that every request signature covers",
    CHALLENGE: "the token of Zhihu's JavaScript challenge",
}

COPY_HEADERS = (
    "in its developer tools (Network tab) select a request to www.zhihu.com and copy its whole "
    "Cookie request header into ZHIHU_COOKIE and its User-Agent header into ZHIHU_USER_AGENT"
)
WHERE_TO_COPY = f"log in to www.zhihu.com in a browser; {COPY_HEADERS}"


# A header copied with its name, as developer tools show it: `Cookie: z_c0=…` (any case).
_HEADER_NAME = re.compile(r"\s*cookie\s*:", re.IGNORECASE)


def pasted_cookie_header(pasted: str) -> str:
    """The Cookie header's value from what a user pasted: the value itself, or the whole line
    with its `Cookie:` name, which is read as it was meant."""
    return _HEADER_NAME.sub("", pasted, count=1).strip() if _HEADER_NAME.match(pasted) else pasted


def parse_cookie_header(header: str) -> list[tuple[str, str]]:
    """`name=value; name=value` into pairs, in order, values untouched (quotes kept)."""
    pairs = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs


def format_cookie_header(pairs: list[tuple[str, str]]) -> str:
    return "; ".join(f"{name}={value}" for name, value in pairs)


def cookie_value(header: str, name: str) -> str | None:
    """The first value of `name` in a Cookie header, as written there."""
    return next((v for n, v in parse_cookie_header(header) if n == name), None)


def merge_cookie_header(jar: str, pairs: list[tuple[str, str]]) -> str:
    """The jar's cookies, then the user's that the jar does not have, each name once.

    The jar holds what Zhihu set during this run (a refreshed `d_c0`, say): newer than the copy
    the user pasted, so it wins.
    """
    merged = parse_cookie_header(jar)
    have = {name for name, _ in merged}
    merged += [(name, value) for name, value in pairs if name not in have]
    return format_cookie_header(merged)


@dataclass(frozen=True)
class Identity:
    """ZHIHU_COOKIE, parsed once: which of Zhihu's cookies the user gave."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_header(cls, header: str) -> Identity:
        """ZHIHU_COOKIE as pasted: a Cookie header's value, with or without its name."""
        return cls(tuple(parse_cookie_header(pasted_cookie_header(header))))

    def has(self, name: str) -> bool:
        return any(n == name and v for n, v in self.pairs)

    def missing(self, needed: tuple[str, ...]) -> list[str]:
        return [name for name in needed if not self.has(name)]

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.pairs if n == name), None)

    def with_cookie(self, name: str, value: str) -> Identity:
        """The same identity with `name` set to `value` (replaced where it was, else added)."""
        pairs = [(n, v) for n, v in self.pairs if n != name]
        return Identity((*pairs, (name, value)))


def missing_message(missing: list[str], what: str) -> str:
    """One line: which cookies `what` needs and lacks, and where to copy them from."""
    names = " and ".join(f"{name} ({ROLES[name]})" for name in missing)
    return f"ZHIHU_COOKIE has no {names}, which {what} needs; nothing was sent"

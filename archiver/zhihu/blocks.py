"""Recognise Zhihu's ways of refusing a client, and say what the user should do about each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from archiver.zhihu.cookies import COPY_HEADERS, WHERE_TO_COPY

_COOKIE_ADVICE = f"{WHERE_TO_COPY} (it must contain z_c0 and d_c0), and run again"
# The challenge token is bound to the browser that earned it: copy both headers from that one.
_BROWSER_ADVICE = (
    "open any Zhihu page in a logged-in browser (it answers the challenge and sets a fresh "
    f"__zse_ck); {COPY_HEADERS}; both must come from that browser"
)

# cause -> (what happened, what to do)
_CAUSES: dict[str, tuple[str, str]] = {
    "login_required": ("Zhihu requires a login for this request", _COOKIE_ADVICE),
    "login_expired": ("the Zhihu login in ZHIHU_COOKIE has expired or is invalid", _COOKIE_ADVICE),
    "signin_redirect": ("Zhihu redirected to its sign-in page", _COOKIE_ADVICE),
    "challenge": (
        "Zhihu served its JavaScript challenge page (zh-zse-ck) instead of data",
        _BROWSER_ADVICE,
    ),
    "signature": (
        "Zhihu rejected the request signature (x-zse-96) or its headers",
        f"{_BROWSER_ADVICE}; if it persists, Zhihu changed its signing: look for an update",
    ),
    "missing_cookie": ("ZHIHU_COOKIE lacks a cookie this run needs", WHERE_TO_COPY),
    "risk_control": (
        "Zhihu's risk control is limiting this client",
        "stop for a few hours, lower the crawl rate (DOWNLOAD_DELAY), and refresh ZHIHU_COOKIE "
        "from a logged-in browser",
    ),
    "forbidden": (
        "Zhihu refused the request",
        "check ZHIHU_COOKIE and the network (proxy), and retry later",
    ),
}

# How Zhihu turns a client away from an endpoint it no longer serves it, as it turns a stranger
# away: a sign of a move only where the request carried the login (archiver/zhihu/schema.py).
LOGIN_REFUSALS = ("login_required", "forbidden")
_SIGNIN_PATHS = ("/signin", "/signup", "/account/unhuman")
_RISK_TEXT = "暂时限制本次访问".encode()
# Zhihu's error bodies are a few hundred bytes; anything much larger is content, not an error.
_ERROR_BODY_MAX = 4096


@dataclass(frozen=True)
class Block:
    cause: str  # stats key, one of _CAUSES
    status: int = 0  # 0: refused before any request was sent
    url: str = ""
    code: int | None = None
    what: str = ""  # says more than the cause's own description

    @property
    def message(self) -> str:
        """One line: the cause, the evidence, what to do. Never contains request headers."""
        what, todo = _CAUSES[self.cause]
        if self.what:
            return f"Blocked: {self.what}. To fix: {todo}."
        evidence = f"HTTP {self.status}" + (f", code {self.code}" if self.code is not None else "")
        return f"Blocked: {what} ({evidence}, at {self.url}). To fix: {todo}."


def detect_block(status: int, url: str, body: bytes, location: str = "") -> Block | None:
    """The block a response means, or None for a response that is worth parsing."""
    if 300 <= status < 400 and _is_signin(location):
        return Block("signin_redirect", status, url)
    if _is_signin(url):
        return Block("signin_redirect", status, url)
    # An answer may well discuss these markers: only trust them outside a successful JSON body.
    # The challenge is an HTML page; its own script names the meta too, and is no challenge.
    start = body.lstrip()[:1]
    trusted = (status >= 400 or start not in (b"{", b"[")) and start == b"<"
    if trusted and (b"zh-zse-ck" in body or b"/zse-ck/" in body):
        return Block("challenge", status, url)
    small = len(body) <= _ERROR_BODY_MAX
    code = _error_code(body) if small else None
    if code in (100, 101):
        return Block("login_required" if code == 101 else "login_expired", status, url, code)
    if code in (10001, 10003) or (status == 400 and body.strip() == b'{"HitLabels":null}'):
        return Block("signature", status, url, code)
    if code == 40362 or (small and _RISK_TEXT in body):
        return Block("risk_control", status, url, code)
    if status == 401:
        return Block("login_required", status, url, code)
    if status == 403:
        return Block("forbidden", status, url, code)
    return None


def _is_signin(url: str) -> bool:
    if not url:
        return False
    return urlsplit(url).path.startswith(_SIGNIN_PATHS)


def _error_code(body: bytes) -> int | None:
    """`error.code` of Zhihu's JSON error bodies."""
    return zhihu_error(body)[0]


def zhihu_error(body: bytes) -> tuple[int | None, str]:
    """`error.code` and `error.message` of Zhihu's JSON error bodies: (None, "") for any other
    body. The message is what Zhihu said, for people; its texts change over the years."""
    if body.lstrip()[:1] != b"{":
        return None, ""
    try:
        data = json.loads(body)
    except ValueError:
        return None, ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code, message = error.get("code"), error.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message.strip() if isinstance(message, str) else "",
    )

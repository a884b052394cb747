"""A real HTTP server on 127.0.0.1 that replays saved responses.

It is also an HTTP(S) proxy, the way users reach the Internet from behind one: with
`https_proxy` pointing at it, Scrapy opens CONNECT tunnels for https://www.zhihu.com,
https://pic1.zhimg.com and so on, and the server answers inside the tunnel (TLS with a certificate
of the tests' own CA, tests/support/tls.py, which the crawl verifies) from the fixtures of that
host. So the crawl runs with its real default URLs, and nothing ever leaves 127.0.0.1.

A fixture file is named after the URL it stands for: `<host>/<path>`, then `@<query>` when the
URL has a query (without `include`, Zhihu's long field list, which does not choose the response),
then optional `.<status>` (default 200), optional `.once` (served to the first request only, then
the next match applies), and the extension: `.json`, `.html`, or `.location` for a redirect whose
target is the file's text. Roots are searched in order, so a scenario folder overlays the base set.
A file named like a fixture plus `.headers` adds its `Name: value` lines to the response's headers
(a Set-Cookie, say).

In front of the fixtures stands `ZhihuGate`: what Zhihu of 2026 refuses, it refuses too (a
browser User-Agent, the login cookie for the API, a valid `x-zse-96` signature for `/api/v4/`,
the challenge token for pages), so a crawl that passes here sends what Zhihu's web client sends.
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from archiver.zhihu.cookies import cookie_value
from archiver.zhihu.signing import ZSE_93, verify
from tests.support.tls import server_context

FIXTURES = Path(__file__).parents[1] / "fixtures"
SUFFIX = re.compile(
    r"^(?:\.(?P<status>\d{3}))?(?P<once>\.once)?\.(?P<ext>json|html|xml|location|jpeg|png|gif|webp|svg|js|mp4)$"
)
TYPES = {
    "json": "application/json; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "js": "application/javascript; charset=utf-8",
    "mp4": "video/mp4",
}


# The challenge token the stand-in Zhihu has "issued": others are stale and challenged.
ZSE_CK = "004_TESTZSECKSECRETnV9dXk5Ym1sYzJWMGRHbHVaM009-fixturemetatoken"
ZHIHU_HOSTS = ("www.zhihu.com", "zhuanlan.zhihu.com", "api.zhihu.com")
# The APIs Zhihu's web client signs (x-zse-96): answers, articles, pins and every list.
SIGNED = ("/api/v4/", "/api/v5.1/")
CHALLENGE_META = "fixturemetatoken"
OUR_SCRIPT = f"zse-ck/v4/{'0' * 64}.js"  # tests/fixtures/static.zhihu.com/zse-ck/v4/


def challenge_page(script: str = OUR_SCRIPT) -> bytes:
    """Zhihu's 403 challenge page, naming `https://static.zhihu.com/<script>`."""
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta id="zh-zse-ck" content="{CHALLENGE_META}">
  </head>
  <body>
    <div>欢迎来到知乎（测试用的挑战页）</div>
    <script src="https://static.zhihu.com/{script}"></script>
  </body>
</html>
""".encode()


CHALLENGE_PAGE = challenge_page()


def solved_token(user_agent: str, meta: str = CHALLENGE_META) -> str:
    """The `__zse_ck` our challenge script writes for this page and browser (its WebAssembly
    `mix` is h * 31 + byte, in 32 bits), as Zhihu's would check it."""
    h = 7
    for byte in f"{meta}|{user_agent}|false".encode():
        h = (h * 31 + byte) & 0xFFFFFFFF
    return f"004_SOLVEDTOKEN{h:x}-{meta}"


# What Zhihu's own script writes when it ran: `<version>_<token>-<meta>`, the token about 120
# characters of base64's alphabet. Its built-in fallback, `001_...`, is what it writes when its
# computation failed, and is refused.
ZHIHU_TOKEN = re.compile(rf"0(?!01)[0-9]{{2}}_[A-Za-z0-9+/=]{{64,}}-{CHALLENGE_META}")


@dataclass(frozen=True)
class ChallengeScript:
    """The script the challenge page names, and how the token it wrote is judged."""

    path: str = OUR_SCRIPT  # on static.zhihu.com
    # Zhihu's own script (a copy the tests were given): its token cannot be computed here, so it
    # is judged by its shape; ours, by its value.
    zhihus: bool = False

    def accepts(self, token: str | None, user_agent: str) -> bool:
        if self.zhihus:
            return token is not None and ZHIHU_TOKEN.fullmatch(token) is not None
        return token == solved_token(user_agent)


@dataclass(frozen=True)
class Refusal:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def _error(status: int, code: int, message: str, name: str = "") -> Refusal:
    error = {"code": code, "message": message} | ({"name": name} if name else {})
    return Refusal(status, json.dumps({"error": error}, ensure_ascii=False).encode())


@dataclass
class ZhihuGate:
    """What Zhihu checks before it answers, after the public clients of 2026 (signing.md)."""

    zse_ck: str = ZSE_CK
    enforce: bool = True
    # Demand the token our challenge script (tests/fixtures/static.zhihu.com/zse-ck/) makes for
    # the request's User-Agent, of every request, as Zhihu does once it challenges a client.
    challenge: bool = False
    script: ChallengeScript = field(default_factory=ChallengeScript)  # the one its page names
    refused: list[str] = field(default_factory=list)  # "<reason> <host><target>", in order

    def check(self, host: str, target: str, headers: Message, body: bytes = b"") -> Refusal | None:
        """A refusal, or None when Zhihu would answer; `headers` are read case-insensitively."""
        if not self.enforce or host not in ZHIHU_HOSTS:
            return None
        refusal, reason = self._judge(host, target, headers, body)
        if refusal is not None:
            self.refused.append(f"{reason} {host}{target}")
        return refusal

    def _judge(
        self, host: str, target: str, headers: Message, body: bytes = b""
    ) -> tuple[Refusal | None, str]:
        if not headers.get("User-Agent", "").startswith("Mozilla/5.0"):
            return Refusal(400, b"<html><body>400 Bad Request</body></html>", TYPES["html"]), "ua"
        cookie = headers.get("Cookie", "")
        token = cookie_value(cookie, "__zse_ck")
        if self.challenge:
            accepted = self.script.accepts(token, headers["User-Agent"])
        else:
            accepted = token == self.zse_ck
        challenge = Refusal(403, challenge_page(self.script.path), TYPES["html"]), "challenge"
        path = urlsplit(target).path
        # The app's host is all API (`/topstory/hot-lists/total`): it wants the login, unsigned.
        if not path.startswith("/api/") and host != "api.zhihu.com":
            if path == "/equation" or accepted:
                return None, ""
            return challenge
        if not accepted and (token is not None or self.challenge):
            return challenge
        if not cookie_value(cookie, "z_c0"):
            return _error(401, 101, "身份未经过验证", "AuthenticationError"), "login"
        if path.startswith(SIGNED) and not self.signed(target, headers, cookie, body):
            return _error(403, 10003, "请求参数异常，请升级客户端后重试。"), "signature"
        return None, ""

    @staticmethod
    def signed(target: str, headers: Message, cookie: str, body: bytes = b"") -> bool:
        """Signed over the target, d_c0 and (a POST's) body, as received."""
        d_c0 = cookie_value(cookie, "d_c0")
        return (
            d_c0 is not None
            and headers.get("x-zse-93") == ZSE_93
            and verify(headers.get("x-zse-96", ""), target, d_c0, body=body.decode("utf-8"))
        )


def fixture_name(host: str, path: str, query: str) -> str:
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "include"]
    return f"{host}{path}" + (f"@{urlencode(params, safe='/,')}" if params else "")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-response is what tests of size caps and cancelled downloads
        # do on purpose; anything else is still reported.
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


@dataclass
class Seen:
    host: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""

    @property
    def url(self) -> str:
        return f"{self.host}{self.path}"


@dataclass
class FixtureServer:
    roots: list[Path]
    host: str = "www.zhihu.com"  # whose fixtures the requests stand for
    delay: float = 0.0  # seconds before each answer: a slow Zhihu, for runs killed mid-way
    dated: bool = True  # False: answers without a Date header (some servers and CDNs send none)
    seen: list[Seen] = field(default_factory=list)
    served_once: set[Path] = field(default_factory=set)
    gate: ZhihuGate = field(default_factory=ZhihuGate)
    # A host's own TLS (another CA's leaf, a wrong name...) instead of the test CA's leaf
    certificates: dict[str, ssl.SSLContext] = field(default_factory=dict)
    tunnels: list[str] = field(default_factory=list)  # the host of each CONNECT, in order

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            tunnel_host = ""  # set on handlers that serve inside a CONNECT tunnel

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                # absolute-form (plain HTTP through the proxy), tunnelled, or direct
                host = url.netloc or self.tunnel_host or server.host
                path = f"{url.path}?{url.query}" if url.query else url.path
                headers = dict(self.headers.items())
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.seen.append(Seen(host, path, headers, self.command, body))
                time.sleep(server.delay)
                # The request target as received (origin-form), which is what Zhihu signs.
                target = self.path if not url.netloc else path
                refusal = server.gate.check(host, target, self.headers, body)
                if refusal is not None:
                    server.send(self, refusal.status, refusal.body, refusal.content_type)
                    return
                # A POST (the video play-info) is answered by the fixture of its URL.
                server.respond(self, host, url.path, url.query)

            do_POST = do_GET

            def do_CONNECT(self) -> None:
                host = self.path.split(":")[0]
                server.tunnels.append(host)
                self.send_response(200, "Connection established")
                self.end_headers()
                context = server.certificates.get(host) or server_context()
                # A client that refuses the certificate ends here (ssl.SSLError), unheard.
                tls = context.wrap_socket(self.connection, server_side=True)
                type("TunnelHandler", (Handler,), {"tunnel_host": host})(
                    tls, self.client_address, server.httpd
                )
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def find(self, name: str) -> tuple[Path, re.Match[str]] | None:
        for root in self.roots:
            folder = (root / name).parent
            stem = Path(name).name
            if not folder.is_dir():
                continue
            for candidate in sorted(folder.iterdir()):
                if not candidate.name.startswith(stem):
                    continue
                match = SUFFIX.match(candidate.name[len(stem) :])
                if match and not (match["once"] and candidate in self.served_once):
                    if match["once"]:
                        self.served_once.add(candidate)
                    return candidate, match
        return None

    def respond(self, handler: BaseHTTPRequestHandler, host: str, path: str, query: str) -> None:
        found = self.find(fixture_name(host, path, query))
        if found is None:
            self.send(handler, 404, b"no fixture", "text/plain")
            return
        path, match = found
        body = path.read_bytes()
        status = int(match["status"] or 200)
        extra = path.with_name(path.name + ".headers")
        headers = [
            tuple(part.strip() for part in line.split(":", 1))
            for line in (extra.read_text().splitlines() if extra.exists() else ())
            if ":" in line
        ]
        if match["ext"] == "location":
            headers.append(("Location", body.decode().strip()))
            self.send(handler, status, b"", "", headers)
        else:
            self.send(handler, status, body, TYPES[match["ext"]], headers)

    def send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: list[tuple[str, ...]] = (),  # type: ignore[assignment]
    ) -> None:
        if self.dated:
            handler.send_response(status)  # with Server and Date
        else:
            handler.send_response_only(status)
            handler.send_header("Server", handler.version_string())
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

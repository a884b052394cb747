"""A real HTTP server on 127.0.0.1 that replays saved responses.

It is also an HTTP(S) proxy, the way users reach the Internet from behind one: with
`https_proxy` pointing at it, Scrapy opens CONNECT tunnels for https://www.zhihu.com,
https://pic1.zhimg.com and so on, and the server answers inside the tunnel (TLS with a throwaway
certificate) from the fixtures of that host. So the crawl runs with its real default URLs, and
nothing ever leaves 127.0.0.1.

A fixture file is named after the URL it stands for: `<host>/<path>`, then `@<query>` when the
URL has a query (without `include`, Zhihu's long field list, which does not choose the response),
then optional `.<status>` (default 200), optional `.once` (served to the first request only, then
the next match applies), and the extension: `.json`, `.html`, or `.location` for a redirect whose
target is the file's text. Roots are searched in order, so a scenario folder overlays the base set.
"""

from __future__ import annotations

import re
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from tls import server_context

FIXTURES = Path(__file__).parent / "fixtures"
SUFFIX = re.compile(
    r"^(?:\.(?P<status>\d{3}))?(?P<once>\.once)?\.(?P<ext>json|html|xml|location|jpeg|png|gif|webp|svg)$"
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
}


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

    @property
    def url(self) -> str:
        return f"{self.host}{self.path}"


@dataclass
class FixtureServer:
    roots: list[Path]
    host: str = "www.zhihu.com"  # whose fixtures the requests stand for
    delay: float = 0.0  # seconds before each answer: a slow Zhihu, for runs killed mid-way
    seen: list[Seen] = field(default_factory=list)
    served_once: set[Path] = field(default_factory=set)

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
                server.seen.append(Seen(host, path, dict(self.headers.items())))
                time.sleep(server.delay)
                server.respond(self, host, url.path, url.query)

            def do_CONNECT(self) -> None:
                self.send_response(200, "Connection established")
                self.end_headers()
                tls = server_context().wrap_socket(self.connection, server_side=True)
                host = self.path.split(":")[0]
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
            handler.send_response(404)
            handler.send_header("Content-Type", "text/plain")
            handler.send_header("Content-Length", "10")
            handler.end_headers()
            handler.wfile.write(b"no fixture")
            return
        path, match = found
        body = path.read_bytes()
        status = int(match["status"] or 200)
        handler.send_response(status)
        if match["ext"] == "location":
            handler.send_header("Location", body.decode().strip())
            body = b""
        else:
            handler.send_header("Content-Type", TYPES[match["ext"]])
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

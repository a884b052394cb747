"""A real HTTP server on 127.0.0.1 that replays saved responses.

A fixture file is named after the URL it stands for: `<host>/<path>`, then `@<query>` when the
URL has a query (without `include`, Zhihu's long field list, which does not choose the response),
then optional `.<status>` (default 200), optional `.once` (served to the first request only, then
the next match applies), and the extension: `.json`, `.html`, or `.location` for a redirect whose
target is the file's text. Roots are searched in order, so a scenario folder overlays the base set.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
SUFFIX = re.compile(r"^(?:\.(?P<status>\d{3}))?(?P<once>\.once)?\.(?P<ext>json|html|location)$")
TYPES = {"json": "application/json; charset=utf-8", "html": "text/html; charset=utf-8"}


def fixture_name(host: str, path: str, query: str) -> str:
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "include"]
    return f"{host}{path}" + (f"@{urlencode(params, safe='/,')}" if params else "")


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class FixtureServer:
    roots: list[Path]
    host: str = "www.zhihu.com"  # whose fixtures the requests stand for
    seen: list[Seen] = field(default_factory=list)
    served_once: set[Path] = field(default_factory=set)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append(Seen(self.path, dict(self.headers.items())))
                server.respond(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        found = self.find(fixture_name(self.host, url.path, url.query))
        if found is None:
            handler.send_response(404)
            handler.send_header("Content-Type", "text/plain")
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

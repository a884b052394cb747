"""A real Hexo site around an archive made by the tests: set up, built, and read back by Hexo."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SITE = Path(__file__).parents[1] / "hexo"
# hexo-theme-volantis, the theme the posts are made for, with its front-end libraries from npm.
VOLANTIS = Path(__file__).parents[1] / "hexo-volantis"
# CI sets this: there a missing Node.js or Chromium is a failure, not a reason to skip.
REQUIRED = os.environ.get("ARCHIVER_REQUIRE_SLOW_TESTS") == "1"


def unavailable(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} (ARCHIVER_REQUIRE_SLOW_TESTS=1)")
    pytest.skip(what)


def node_modules(site: Path = SITE) -> Path:
    """Hexo and its renderers (and theme), installed once from the committed lock file."""
    if not shutil.which("node") or not shutil.which("npm"):
        unavailable("Node.js and npm are needed for the Hexo build")
    modules = site / "node_modules"
    stamp = modules / ".package-lock.json"
    lock = site / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=site,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return modules


def make_site(root: Path, timezone: str = "") -> Path:
    """A site folder with our _config.yml (its timezone set), theme, scripts and packages."""
    modules = node_modules()
    root.mkdir(parents=True, exist_ok=True)
    config = (SITE / "_config.yml").read_text(encoding="utf-8")
    (root / "_config.yml").write_text(
        config.replace("timezone:", f"timezone: {timezone}"), encoding="utf-8"
    )
    shutil.copytree(SITE / "themes", root / "themes")
    shutil.copytree(SITE / "scripts", root / "scripts")  # MathJax, served from node_modules
    shutil.copy(SITE / "package.json", root / "package.json")
    (root / "node_modules").symlink_to(modules)
    (root / "source" / "_posts").mkdir(parents=True, exist_ok=True)
    return root


def make_volantis_site(root: Path) -> Path:
    """A volantis site folder: its two configurations, its scripts, its installed packages."""
    modules = node_modules(VOLANTIS)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_config.volantis.yml", "package.json"):
        shutil.copy(VOLANTIS / name, root / name)
    shutil.copytree(VOLANTIS / "scripts", root / "scripts")
    (root / "node_modules").symlink_to(modules)
    (root / "source" / "_posts").mkdir(parents=True, exist_ok=True)
    return root


def hexo_env() -> dict[str, str]:
    # The machine's zone is UTC, so only the site's own `timezone` can shift a date.
    return {**os.environ, "TZ": "UTC"}


def generate(site: Path) -> subprocess.CompletedProcess[str]:
    hexo = site / "node_modules" / ".bin" / "hexo"
    return subprocess.run(
        [str(hexo), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
        env=hexo_env(),
    )


def posts_as_hexo_reads_them(site: Path) -> dict[str, dict]:
    """Hexo's own view of every post (title, date, categories, content), by source path."""
    done = subprocess.run(
        ["node", str(SITE / "inspect.js")],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
        env=hexo_env(),
        check=True,
    )
    return {post["source"]: post for post in json.loads(done.stdout)}


def front_matters_as_hexo_reads_them(texts: list[str]) -> list[dict]:
    """What Hexo's own front-matter parser (hexo-front-matter, js-yaml) makes of each post text."""
    node_modules()
    done = subprocess.run(
        ["node", str(SITE / "front_matter.js")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)


@contextmanager
def chromium_on(public: Path) -> Iterator[tuple[Any, str]]:
    """A built site served on 127.0.0.1, and headless Chromium (Debian's, driven by Playwright):
    (the browser, the site's base URL). Missing either fails the slow tests in CI."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        unavailable("Debian's chromium is needed for the browser check")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright (pip) drives Chromium")
    handler = functools.partial(_QuietHandler, directory=str(public))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=_CHROMIUM_ARGS)
            yield browser, f"http://127.0.0.1:{server.server_address[1]}"
            browser.close()
    finally:
        server.shutdown()


# Nothing of Chromium's own may leave the machine: no updates, no sync, no QUIC probes.
_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

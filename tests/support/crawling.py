"""Test crawls: the project's `scrapy <command>` with the fixture server as its HTTPS proxy, run in
the test process (tests/support/inprocess.py) or as a process of its own."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from archiver.downloader.solver import Runtime, SolverUnavailable, find_runtime
from tests.support import inprocess
from tests.support.fixture_server import FIXTURES, ZSE_CK, FixtureServer, ZhihuGate
from tests.support.served_images import write_image_root
from tests.support.tls import ca_file

PROJECT = Path(__file__).parents[2]
# A browser's Cookie header as a user copies it: the challenge token the fixture server issued,
# a quoted d_c0 (as browsers keep it), the login; each holds a marker no output may contain.
SECRET = (
    '_xsrf=xsrfTEST0123; d_c0="AGBQDC0SECRETx1y2z3AbCdEfGhIjKlMnO=|1700000000"; '
    f"__zse_ck={ZSE_CK}; z_c0=2|1:0|10:1700000000|4:z_c0|80:TOPSECRETVALUE|abc"
)
SECRET_MARKERS = ("TOPSECRETVALUE", "DC0SECRET", "ZSECKSECRET")
NO_TOKEN = SECRET.replace(f"__zse_ck={ZSE_CK}; ", "")  # a login without the challenge's token
FAST = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
)
# Scrapy's stats dump at INFO, as before the project lowered it to DEBUG: tests read counters
# in it. A test of what a run prints by default gives ARCHIVE_LOG_SCRAPY=False after it.
SCRAPY_LINES = ("ARCHIVE_LOG_SCRAPY=True",)


@dataclass
class Run:
    code: int
    log: str
    server: FixtureServer

    def requested(self, host: str) -> list[str]:
        return [s.path for s in self.server.seen if s.host == host]


@cache
def image_root() -> Path:
    """Real images for every figure URL in the fixtures, made once per test session."""
    return write_image_root(Path(tempfile.mkdtemp(prefix="fixture-images-")), FIXTURES)


def roots(*scenarios: str) -> list[Path]:
    return [FIXTURES / "scenarios" / name for name in scenarios] + [image_root(), FIXTURES]


def serving(
    *scenarios: str,
    extra_roots: tuple[Path, ...] = (),
    gate: ZhihuGate | None = None,
    **options: Any,
) -> FixtureServer:
    """A fixture server (not started: a context manager) for the fixtures of `scenarios` over
    the base set, `extra_roots` over those, behind `gate` (a ZhihuGate of its own by default);
    `options` are FixtureServer's (delay, dated, certificates...)."""
    return FixtureServer([*extra_roots, *roots(*scenarios)], gate=gate or ZhihuGate(), **options)


def command_argv(
    archive: Path, command: tuple[str, ...], settings: tuple[str, ...] = ()
) -> list[str]:
    """`python -m scrapy <command>` on `archive`, with these settings."""
    argv = [sys.executable, "-m", "scrapy", *command, "-s", f"ARCHIVE_DIR={archive}"]
    for setting in settings:
        argv += ["-s", setting]
    return argv


def scrapy_argv(
    archive: Path, command: tuple[str, ...], settings: tuple[str, ...] = ()
) -> list[str]:
    """A test crawl's command line: quick, with Scrapy's stats dump at INFO."""
    return command_argv(archive, command, (*FAST, *SCRAPY_LINES, *settings))


def scrapy_env(server: FixtureServer, env: dict[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a test crawl: the fixture server as its proxy, trusted as a user trusts
    a corporate proxy's CA (SSL_CERT_FILE: the tests' CA only), a secret cookie. A None in `env`
    removes that variable."""
    own = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and "SSL_CERT" not in k}
    proxy = {"https_proxy": server.base_url, "http_proxy": server.base_url}
    trust = {"SSL_CERT_FILE": str(ca_file())}
    merged = {**own, **proxy, **trust, "ZHIHU_COOKIE": SECRET, **(env or {})}
    return {k: v for k, v in merged.items() if v is not None}


def crawl(
    archive: Path,
    *scenarios: str,
    command: tuple[str, ...] = ("crawl", "hotlist"),
    settings: tuple[str, ...] = (),
    env: dict[str, str | None] | None = None,
    stdin: str = "",
    extra_roots: tuple[Path, ...] = (),
    gate: ZhihuGate | None = None,
    certificates: dict[str, ssl.SSLContext] | None = None,
    server: FixtureServer | None = None,
    in_subprocess: bool = False,
) -> Run:
    """`scrapy <command>` into `archive`, with the fixtures of `scenarios` over the base set.

    The crawl keeps its real URLs (https://www.zhihu.com, https://pic1.zhimg.com...): the
    environment's https_proxy points at the fixture server, as a user's proxy would.
    `certificates`: a host's own TLS in the tunnel (tests/support/tls.py), instead of the test
    CA's leaf. A fixture server of its own is started for the run, or `server` (started by the
    test, the `fixture_server` fixture) serves it.

    The command runs in the test process, as Scrapy's own tests run crawls, and its Run is what
    the process would have given: exit code, stdout then stderr. `in_subprocess`: a process of
    its own, for what only a process shows (the exit status the shell sees, what it prints before
    and around the run, signals, a lock held by another process, the process's umask).
    """
    if server is not None:
        assert not (scenarios or extra_roots or gate or certificates), "the server's own"
        return _crawl(archive, server, command, settings, env, stdin, in_subprocess)
    with serving(
        *scenarios, extra_roots=extra_roots, gate=gate, certificates=certificates or {}
    ) as own:
        return _crawl(archive, own, command, settings, env, stdin, in_subprocess)


def _crawl(
    archive: Path,
    server: FixtureServer,
    command: tuple[str, ...],
    settings: tuple[str, ...],
    env: dict[str, str | None] | None,
    stdin: str,
    in_subprocess: bool,
) -> Run:
    argv = scrapy_argv(archive, command, settings)
    code, log = _run(argv, scrapy_env(server, env), stdin, in_subprocess)
    return Run(code, log, server)


def _run(argv: list[str], env: dict[str, str], stdin: str, in_subprocess: bool) -> tuple[int, str]:
    """The command's exit code, and its stdout then its stderr."""
    if in_subprocess:
        done = subprocess.run(
            argv, input=stdin, cwd=PROJECT, capture_output=True, text=True, timeout=300, env=env
        )
        return done.returncode, done.stdout + done.stderr
    code, out, err = inprocess.run(argv[3:], env, PROJECT, stdin)  # after `python -m scrapy`
    return code, out + err


def scrapy_command(
    archive: Path, *command: str, settings: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`scrapy <command>` on `archive` in a process of its own, as a user runs the commands that
    work on the archive's files (rerender, which forks its workers; verify; package)."""
    return subprocess.run(
        command_argv(archive, command, settings),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def runtime() -> Runtime:
    """The sandboxed Node.js the challenge solver runs, or a skip (a failure in CI) without it."""
    try:
        return find_runtime()
    except SolverUnavailable as exc:
        if os.environ.get("CI") or os.environ.get("ARCHIVER_REQUIRE_SLOW_TESTS"):
            pytest.fail(f"the challenge solver must run here: {exc}")
        pytest.skip(f"no sandboxed solver here: {exc}")


def slow_crawl(archive: Path, server: FixtureServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        scrapy_argv(archive, ("crawl", "hotlist")),
        cwd=PROJECT,
        env=scrapy_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def replay(
    archive: Path,
    source: Path,
    command: tuple[str, ...] = ("crawl", "hotlist"),
) -> tuple[int, str]:
    """A crawl served from WARCs with the fixture server gone: any network access would fail.

    It needs no cookie: nothing is sent.
    """
    env = {
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "PATH": "/usr/bin:/bin",
    }
    argv = scrapy_argv(archive, command, (f"ARCHIVE_REPLAY={source}",))
    return _run(argv, env, "", in_subprocess=False)


def posts(archive: Path) -> dict[str, bytes]:
    return {
        p.relative_to(archive).as_posix(): p.read_bytes()
        for p in sorted(archive.glob("_posts/**/*.md"))
    }


def mtimes(archive: Path) -> dict[str, int]:
    return {p.as_posix(): p.stat().st_mtime_ns for p in archive.rglob("*") if p.is_file()}


def assert_refused_before_anything(run: Run, says: str, archive: Path) -> None:
    """A bad command line or setting: exit 2 and one line that says so, nothing sent, and not even
    a lock or an empty WARC in the archive folder it named."""
    assert run.code == 2, run.log
    lines = run.log.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and ": error: " in lines[0], run.log
    assert run.server.seen == []
    assert not archive.exists()


def assert_no_secret(run: Run, archive: Path) -> None:
    """No cookie value in the run's output or anywhere in the archive (index, WARC, posts)."""
    files = [path.read_bytes() for path in archive.rglob("*") if path.is_file()]
    for marker in SECRET_MARKERS:
        assert marker not in run.log
        assert not any(marker.encode() in data for data in files), marker


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".archiver" not in p.parts
    }

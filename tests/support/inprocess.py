"""A command of the project (`crawl`, `archive`, `recheck`) run in the test process, the way
Scrapy's own tests run whole crawls: with a crawler runner on the asyncio reactor.

`scrapy <command>` in a subprocess starts Python, imports Scrapy, Twisted, the project and
matplotlib, installs the reactor and loads the spiders: about 1.5 s of every test crawl, more on
a busy machine. Here that is paid once per session. The reactor is installed once (conftest.py,
before anything imports it), as `scrapy` installs it; each command is built, given its options
and run as `scrapy.cmdline.execute` does it, with a runner whose `start()` turns the reactor's
event loop until its crawls end, where a process would start a reactor and stop it for good. So
a run here goes through the command's own checks, lock, spider and summary, and its exit code is
the one the process would exit with.

What a command's process has to itself is set for the run and put back after it: the
environment (the proxy, SSL_CERT_FILE and ZHIHU_COOKIE are read from it as the crawl connects
and starts), the current folder, stdin, stdout and stderr, and the logging Scrapy configures.
What only a process shows stays with the subprocess runs of tests/support/crawling.py: signals,
the lock between two processes, a crash, and what is printed before the command runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.cmdline import ScrapyArgumentParser
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils import log as scrapy_log
from scrapy.utils.log import configure_logging, log_scrapy_info
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor
from twisted.python import log as twisted_log

# The reactor `scrapy` installs (Scrapy's default TWISTED_REACTOR, which the project keeps).
REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
_started = False


def install() -> None:
    """The session's reactor, installed before anything imports twisted.internet.reactor."""
    install_reactor(REACTOR)


def _loop() -> asyncio.AbstractEventLoop:
    from twisted.internet import reactor

    global _started
    if not _started:
        # Its start-up: the thread pool (deferToThread: the challenge solver), the I/O thread.
        # Its signal handlers are left out: Ctrl-C stays pytest's.
        reactor.startRunning(installSignalHandlers=False)  # type: ignore[attr-defined]
        _started = True
    loop = reactor._asyncioEventloop  # type: ignore[attr-defined]
    asyncio.set_event_loop(loop)  # a test's asyncio.run() may have unset it
    return loop


def stop() -> None:
    """At the session's end: the reactor's shutdown (its thread pool joined), if it ran."""
    if _started:
        from twisted.internet import reactor

        reactor.stop()  # type: ignore[attr-defined]
        _loop().run_forever()  # until the shutdown has run and stopped the loop


class Runner(AsyncCrawlerRunner):
    """What `scrapy` gives a command as its crawler process (an AsyncCrawlerProcess), without a
    reactor of its own: the process's logging set up, then `start()` runs the crawls to their
    end on the session's reactor."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        configure_logging(self.settings)
        log_scrapy_info(self.settings)

    def create_crawler(self, crawler_or_spidercls: type[Spider] | str | Crawler) -> Crawler:
        crawler = super().create_crawler(crawler_or_spidercls)
        if crawler is not crawler_or_spidercls:  # a new one (crawl() is given it again)
            # Before the WARC capture's own handler, which connects when the engine opens.
            crawler.signals.connect(_one_per_second, signal=signals.spider_opened)
        return crawler

    def start(self, stop_after_crawl: bool = True, install_signal_handlers: bool = True) -> None:
        _loop().run_until_complete(self.join())


_opened: dict[str, int] = {}  # spider name: the second its last run here opened


def _one_per_second(spider: Spider) -> None:
    """A run's WARC is named by its spider, the second it opened and its process
    (`hotlist-<time>-<pid>.warc.gz`), and one process is one run. Here every run has the test
    process's pid: a run of the spider that ran here within the same second waits for the next
    one, so that no two runs are given one WARC name."""
    while int(time.time()) == _opened.get(spider.name):
        time.sleep(0.05)
    _opened[spider.name] = int(time.time())


# Commands a test runs as a process of their own: rerender forks its workers from the process it
# runs in, which here would be pytest's.
OWN_PROCESS = ("rerender",)


def execute(argv: list[str]) -> int:
    """`scrapy <argv>` as scrapy.cmdline.execute runs a command of the project: its exit code."""
    name, *rest = argv
    assert name not in OWN_PROCESS, f"`scrapy {name}` runs in a subprocess only"
    settings = get_project_settings()
    command = import_module(f"{settings['COMMANDS_MODULE']}.{name}").Command()
    parser = ScrapyArgumentParser(
        usage=f"scrapy {name} {command.syntax()}", conflict_handler="resolve"
    )
    settings.setdict(command.default_settings, priority="command")
    command.settings = settings
    command.add_options(parser)
    opts, args = parser.parse_known_args(args=rest)
    try:
        command.process_options(args, opts)
        if command.requires_crawler_process:
            _loop()
            command.crawler_process = Runner(settings)
        command.run(args, opts)
    except UsageError as exc:  # as scrapy.cmdline says it
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # a command's refusal (exit 2) before anything runs
        return exc.code if isinstance(exc.code, int) else 1
    return command.exitcode


def run(argv: list[str], env: dict[str, str], cwd: Path, stdin: str = "") -> tuple[int, str, str]:
    """`scrapy <argv>` with this environment, folder and standard input, as a process would run
    it: its exit code, stdout and stderr (where its log goes)."""
    out, err = io.StringIO(), io.StringIO()
    with (
        _environment(env),
        contextlib.chdir(cwd),
        _stdio(io.StringIO(stdin), out, err),
        _logging_kept(),
    ):
        code = execute(argv)
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdio(stdin: io.StringIO, stdout: io.StringIO, stderr: io.StringIO) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


NEW = (logging.NOTSET, [], [], False)  # a logger as logging.getLogger makes it


def _loggers() -> list[logging.Logger]:
    manager = logging.root.manager
    return [
        logging.root,
        *(one for one in manager.loggerDict.values() if isinstance(one, logging.Logger)),
    ]


@contextlib.contextmanager
def _logging_kept() -> Iterator[None]:
    """Logging as it was before the run: what Scrapy's configure_logging and the project's
    quiet_scrapy set for a process (handlers, levels, filters, Twisted's observer, warnings
    routed to the log) is undone, so the next test sees nothing of it."""
    kept: list[tuple[logging.Logger, Any]] = [
        (one, (one.level, list(one.filters), list(one.handlers), one.disabled))
        for one in _loggers()
    ]
    observers = list(twisted_log.theLogPublisher.observers)
    showwarning = warnings.showwarning
    try:
        yield
    finally:
        for observer in list(twisted_log.theLogPublisher.observers):
            if observer not in observers:
                twisted_log.removeObserver(observer)
        if warnings.showwarning is not showwarning:
            logging.captureWarnings(False)
        made = [one for one in _loggers() if one not in dict(kept)]  # during the run: as new
        for one, (level, filters, handlers, disabled) in [*kept, *((m, NEW) for m in made)]:
            for handler in one.handlers:
                if handler not in handlers:
                    handler.close()
            one.setLevel(level)
            one.filters[:], one.handlers[:], one.disabled = filters, handlers, disabled
        # Scrapy's record of its root handler too, or a crawler made later (get_crawler) would
        # put one back.
        scrapy_log._uninstall_scrapy_root_handler()

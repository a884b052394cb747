"""`scrapy crawl`, with an exit status that says how the run went (see RunSummary), and what
the commands that run a spider share: checks before anything is sent, and a quiet log."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import ScrapyCommand
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.log import configure_logging

from archiver.archive.layout import Layout
from archiver.archive.lock import ArchiveBusy, ArchiveLock
from archiver.archive.schema import too_new
from archiver.archive.storage import UnsafePath, sweep_temporaries
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE, UNFINISHED, RunSummary
from archiver.logs import quiet_scrapy

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def tell(name: str, line: str, settings: BaseSettings | None) -> None:
    """One line on stderr, and in the run's log file too when there is one (`LOG_FILE`).

    Scrapyd runs every job with `-s LOG_FILE=<the job's log>` and keeps the job's stderr in its
    own log only, so there the job's log is all an operator sees. Without a log file Scrapy logs
    to stderr, where the line already is: it is said once.
    """
    print(f"{name}: {line}", file=sys.stderr)
    if settings is not None and settings.get("LOG_FILE"):
        logger.error("%s: %s", name, line)


def refuse(name: str, problems: list[str], settings: BaseSettings | None = None) -> None:
    """Bad input stops everything before a single request: one line per problem, exit 2.

    Commands call it from `process_options`, before Scrapy builds its crawler process (and logs
    its start-up lines), so a typo is the only thing said. With `settings` and a `LOG_FILE` among
    them, Scrapy's logging is set up here, early, so the lines reach that file too (see `tell`).
    """
    if problems:
        if settings is not None and settings.get("LOG_FILE"):
            configure_logging(settings)
        for problem in problems:
            tell(name, f"error: {problem}", settings)
        raise SystemExit(EXIT_USAGE)


def usage_problems(settings: BaseSettings, spider: str, spider_args: dict[str, Any]) -> list[str]:
    """What is wrong with the command line, before anything runs: settings, spider, arguments."""
    problems = setting_problems(settings)
    if newer := too_new(Layout.of(settings).index):
        problems.append(newer)
    loader = get_spider_loader(settings)
    if spider not in loader.list():
        known = ", ".join(sorted(loader.list()))
        return [*problems, f"no spider named {spider!r} (spiders: {known})"]
    spidercls = loader.load(spider)
    checker = getattr(spidercls, "argument_problems", None)
    return problems + (checker(spider_args) if checker else [])


def run_and_report(
    command: ScrapyCommand,
    spider: str,
    spider_args: dict[str, Any],
    prepared: dict[str, Any] | None = None,
) -> Crawler | None:
    """Run one spider to its end, alone on its archive; the exit status is the run's.

    `spider_args` are the user's `-a` arguments (checked in `process_options`); `prepared` are
    arguments the command made itself (parsed targets). Returns the crawler, or None when the
    run did not start (an unsafe lock file: exit status 2; another run holds the archive: 4).
    """
    assert command.crawler_process is not None and command.settings is not None
    name = command.settings["BOT_NAME"]
    archive_dir = Path(command.settings["ARCHIVE_DIR"])
    try:
        with ArchiveLock(Layout(archive_dir).lock):
            if removed := sweep_temporaries(archive_dir):
                logger.warning("Removed %d temporary file(s) left by an interrupted run", removed)
            crawler = command.crawler_process.create_crawler(spider)
            command.crawler_process.crawl(crawler, **spider_args, **(prepared or {}))
            command.crawler_process.start()
    except ArchiveBusy as exc:
        tell(name, str(exc), command.settings)
        command.exitcode = EXIT_LOCKED
        return None
    except UnsafePath as exc:
        tell(name, f"error: {exc.filename} is {exc.strerror}: refusing it", command.settings)
        command.exitcode = EXIT_USAGE
        return None
    except OSError as exc:  # the archive folder cannot be made or locked (permissions, disk)
        tell(name, f"error: cannot use the archive {archive_dir}: {exc}", command.settings)
        command.exitcode = EXIT_FAILED
        return None
    command.exitcode = EXIT_FAILED
    if not command.crawler_process.bootstrap_failed:
        try:
            summary = crawler.get_extension(RunSummary)
        except RuntimeError:  # the crawler failed before its extensions existed
            summary = None
        if summary is not None:
            # The reactor stopped before the spider closed (a second signal): said all the same.
            summary.report(summary.reason or UNFINISHED)
            command.exitcode = summary.exit_code
    return crawler


class SettingsChecked:
    """A mixin for Scrapy's own commands (`list`, `settings`, `shell`...): like every command of
    the project, they refuse a `-s` name that is no setting, or a bad value of ours, in one line
    (exit 2) before anything runs. Not a ScrapyCommand itself: Scrapy takes every ScrapyCommand
    of a module of COMMANDS_MODULE for that module's command."""

    settings: BaseSettings | None

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)  # type: ignore[misc]
        assert self.settings is not None
        name = type(self).__module__.rsplit(".", 1)[-1]
        refuse(name, setting_problems(self.settings), self.settings)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; exit 0 archived, 1 failed, 2 usage, 3 blocked, 4 archive busy"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. `scrapy crawl hotlist`")
        assert self.settings is not None
        quiet_scrapy(self.settings)
        problems = usage_problems(self.settings, args[0], opts.spargs)
        refuse(self.settings["BOT_NAME"], problems, self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        run_and_report(self, args[0], opts.spargs)

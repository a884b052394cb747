"""`scrapy history [--date YYYY-MM-DD]`: write the hot-list page of a day from the index."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver.commands.crawl import refuse, tell
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED, EXIT_LOCKED
from archiver.history import write_daily_page
from archiver.index import ArchiveIndex, index_path
from archiver.lock import ArchiveBusy, ArchiveLock
from archiver.pipelines.history import history_zone
from archiver.pipelines.posts import post_options
from archiver.spiders.base import categories_setting
from archiver.writer import PostWriter

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True
    day: date | None = None

    def syntax(self) -> str:
        return "[--date YYYY-MM-DD]"

    def short_desc(self) -> str:
        return "Write the daily hot-list page of a day (default: today) from the recorded lists"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--date", help="the day, in HISTORY_TIMEZONE (default: today)")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse("history", setting_problems(self.settings), self.settings)
        try:
            self.day = date.fromisoformat(opts.date) if opts.date else None
        except ValueError:
            problem = f"--date is YYYY-MM-DD, like 2026-11-25, not {opts.date!r}"
            refuse("history", [problem], self.settings)
        index = index_path(Path(self.settings["ARCHIVE_DIR"]), self.settings["ARCHIVE_INDEX"])
        if not index.is_file():
            # Never make an archive of a folder by asking about its history.
            problem = f"{self.settings['ARCHIVE_DIR']} is not an archive (no {index})"
            refuse("history", [problem], self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        settings = self.settings
        zone = history_zone(settings["HISTORY_TIMEZONE"])
        day = self.day or datetime.now(zone).date()
        archive_dir = Path(settings["ARCHIVE_DIR"])
        try:
            with ArchiveLock(archive_dir / ".archiver" / "lock"):
                index = ArchiveIndex(index_path(archive_dir, settings["ARCHIVE_INDEX"]))
                options = post_options(settings)
                done = write_daily_page(
                    PostWriter(archive_dir, index),
                    day,
                    zone,
                    categories_setting(settings["HISTORY_CATEGORIES"]),
                    options,
                )
                index.close()
        except ArchiveBusy as exc:
            tell("history", str(exc), settings)
            self.exitcode = EXIT_LOCKED
            return
        if done is None:
            print(f"history: no hot list was recorded on {day} ({zone.key})", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        print(f"{done[0]}: {archive_dir / done[1]}")

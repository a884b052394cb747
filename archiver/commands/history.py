"""`scrapy history [--date YYYY-MM-DD]`: write the hot-list pages of a day (and its week and
month) from the index; `--question ID [--chart FILE.svg]`: one question's story."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver.archive.history import (
    Written,
    trajectory,
    trajectory_chart,
    trajectory_text,
    write_day,
    write_period,
)
from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import Layout
from archiver.archive.storage import atomic_write
from archiver.archive.writer import PostWriter
from archiver.commands.crawl import refuse
from archiver.commands.verify import archive_index, archive_problems, quiet_logging, run_locked
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED
from archiver.pipelines.history import history_zone
from archiver.pipelines.posts import post_options
from archiver.post.charts import draw
from archiver.post.periods import month_of, week_of
from archiver.spiders.base import categories_setting

if TYPE_CHECKING:
    import argparse
    from zoneinfo import ZoneInfo

    from scrapy.settings import BaseSettings


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # works on the index only: no crawler, no start-up lines
    day: date | None = None

    def syntax(self) -> str:
        return "[--date YYYY-MM-DD] | --question ID [--chart FILE.svg]"

    def short_desc(self) -> str:
        return (
            "Write the hot-list pages of a day (default: today), its week and month, from the"
            " recorded lists; or tell one question's time on the list"
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--date", help="the day, in HISTORY_TIMEZONE (default: today)")
        parser.add_argument("--question", help="a question id: its trajectory, as text")
        parser.add_argument("--chart", help="with --question: its rank over time, to this SVG")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse("history", setting_problems(self.settings), self.settings)
        try:
            self.day = date.fromisoformat(opts.date) if opts.date else None
        except ValueError:
            problem = f"--date is YYYY-MM-DD, like 2026-11-25, not {opts.date!r}"
            refuse("history", [problem], self.settings)
        if opts.chart and not opts.question:
            refuse("history", ["--chart FILE.svg goes with --question ID"], self.settings)
        if opts.question and (opts.date or not opts.question.isdigit()):
            problem = f"--question is a question id like 546512789, alone, not {opts.question!r}"
            refuse("history", [problem], self.settings)
        # Never make an archive of a folder by asking about its history.
        refuse("history", archive_problems("history", self.settings), self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        settings = self.settings
        quiet_logging(settings)
        zone = history_zone(settings["HISTORY_TIMEZONE"])
        if opts.question:
            self.exitcode = question(settings, opts.question, zone, opts.chart)
            return
        day = self.day or datetime.now(zone).date()
        charts = settings.getbool("HISTORY_CHARTS")
        args = (zone, categories_setting(settings["HISTORY_CATEGORIES"]), post_options(settings))
        done: list[Written | None] = []

        def write() -> int:
            with archive_index(settings) as index:
                writer = PostWriter(Path(settings["ARCHIVE_DIR"]), index)
                done.append(write_day(writer, day, *args, charts))
                if done[0] is not None and settings.getbool("HISTORY_PERIOD_PAGES"):
                    done.extend(
                        write_period(writer, p(day), *args, charts) for p in (week_of, month_of)
                    )
            return 0

        if (status := run_locked("history", settings, write)) != 0:
            self.exitcode = status
            return
        if done[0] is None:
            print(f"history: no hot list was recorded on {day} ({zone.key})", file=sys.stderr)
            self.exitcode = EXIT_FAILED
            return
        for written in done:
            report(Path(settings["ARCHIVE_DIR"]), written)


def report(archive_dir: Path, written: Written | None) -> None:
    if written is None:
        return
    print(f"{written.page[0]}: {archive_dir / written.page[1]}")
    if written.chart:
        print(f"{written.chart[0]}: {archive_dir / written.chart[1]}")


def question(settings: BaseSettings, question_id: str, zone: ZoneInfo, chart: str | None) -> int:
    """Print one question's trajectory (and draw its chart); the exit status."""
    # Read only: no lock, so it answers while a crawl runs (the index is in WAL mode).
    index = ArchiveIndex(Layout.of(settings).index)
    try:
        story = trajectory(index, question_id, zone)
    finally:
        index.close()
    if story is None:
        print(f"history: question {question_id} was never on a recorded hot list", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(trajectory_text(story, zone))
    if chart:
        atomic_write(Path(chart), draw(trajectory_chart(story, zone)))
        print(f"chart: {chart}")
    return 0

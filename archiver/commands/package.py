"""`scrapy package [--since DATE] [--until DATE] -o FILE.wacz`: the captures of those days (of the
whole archive without them) as one WACZ file (the `wacz` package's), which ReplayWeb.page opens
in a browser."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver.commands.crawl import refuse, tell
from archiver.commands.verify import (
    archive_paths,
    archive_problems,
    max_read,
    quiet_logging,
    run_locked,
)
from archiver.extensions import EXIT_FAILED
from archiver.rerender.reading import Reading
from archiver.webarchive.cdxj import Damaged, capture_order, captures_of, scan, warc_files
from archiver.zhihu.captures import reader_for

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings


def run_day(path: Path) -> date | None:
    """The UTC day a WARC file's run started, from its name; None for a name not ours."""
    stamp = capture_order(path)[0]
    return date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])) if stamp != "~" else None


def pages(warcs: list[Path], reading: Reading) -> list[dict[str, str]]:
    """The captured responses that hold archived items (answers, articles, pins, stories, list
    pages), each with the title of what it holds: the WACZ's list of pages. The `wacz` tool
    finds each URL's record and gives the page that record's time."""
    found: dict[str, dict[str, str]] = {}
    for warc in warcs:
        for capture in captures_of(warc, limit=reading.limit):
            parse = reader_for(capture.url)
            if parse is None or capture.url in found:
                continue
            if titles := list(dict.fromkeys(post.title for post in reading.items(capture, parse))):
                more = f" (and {len(titles) - 1} more)" if len(titles) > 1 else ""
                found[capture.url] = {"url": capture.url, "title": titles[0] + more}
    return list(found.values())


def _day(name: str, value: str | None, problems: list[str]) -> date | None:
    if value is None:
        return None  # no bound on that side
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(f"{name} is YYYY-MM-DD, like 2026-11-25, not {value!r}")
    return None


def output_problem(wacz: str | None) -> str | None:
    """What is wrong with `-o`: it must name a new .wacz file in a folder that exists."""
    if not wacz or not wacz.endswith(".wacz"):
        return f"-o is the WACZ file to write, FILE.wacz, not {wacz!r}"
    folder = Path(wacz).parent
    if Path(wacz).exists() or Path(wacz).is_symlink():
        return f"-o {wacz} exists already: give a new file"
    if not folder.is_dir():
        return f"-o {wacz}: no folder {folder} to write it in"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"-o {wacz}: the folder {folder} is not writable"
    return None


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # reads WARC files only: no crawler, no start-up lines
    since: date | None = None
    until: date | None = None

    def syntax(self) -> str:
        return "[--since YYYY-MM-DD] [--until YYYY-MM-DD] -o FILE.wacz"

    def short_desc(self) -> str:
        return "Package the WARC captures (of some days) as a WACZ file (ReplayWeb.page opens it)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", help="the first day (UTC) whose runs are packaged")
        parser.add_argument("--until", help="the last day (UTC) whose runs are packaged")
        parser.add_argument("-o", "--output", dest="wacz", help="the WACZ file to write")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        problems = archive_problems("package", self.settings)
        if args:
            problems.append(f"package takes no arguments, not {' '.join(args)!r}")
        self.since = _day("--since", opts.since, problems)
        self.until = _day("--until", opts.until, problems)
        if self.since and self.until and self.since > self.until:
            problems.append(f"--since {self.since} is after --until {self.until}")
        if (problem := output_problem(opts.wacz)) is not None:
            problems.append(problem)
        refuse("package", problems, self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        settings = self.settings
        quiet_logging(settings)
        # Locked as verify and rerender are: no run adds to or indexes a WARC meanwhile.
        self.exitcode = run_locked("package", settings, lambda: self._package(settings, opts.wacz))

    def _package(self, settings: BaseSettings, wacz: str) -> int:
        _, _, warc_dir = archive_paths(settings)
        limit = max_read(settings)
        chosen = [
            path
            for path in (warc_files(warc_dir) if warc_dir.is_dir() else [])
            if self._chosen(path)
        ]
        if not chosen:
            tell("package", f"no WARC file of a run {self._days()}", None)
            return EXIT_FAILED
        sound = [path for path in chosen if _readable(path, limit)]
        left_out = len(chosen) - len(sound)
        if not sound:
            return EXIT_FAILED
        # Imported here: `scrapy` imports every command's module on each run, and wacz's
        # validator brings in frictionless (a third of a second).
        from wacz.main import main as wacz_main

        title = "Zhihu archive" + (f", {self._days()}" if self.since or self.until else "")
        said = io.StringIO()  # the wacz tool's progress lines: kept for a failure only
        try:
            with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(said):
                listed = Path(scratch) / "pages.jsonl"
                header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
                lines = [header, *pages(sound, Reading(limit))]
                listed.write_text(
                    "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
                )
                names = [str(path) for path in sound]
                argv = ["create", "-o", wacz, "--title", title, "-p", str(listed), *names]
                code = wacz_main(argv)
        except OSError as exc:  # the folder went away, the disk filled
            code, said = 1, io.StringIO(str(exc))
        if code != 0:
            tell("package", f"the WACZ could not be made: {said.getvalue().strip()}", None)
            Path(wacz).unlink(missing_ok=True)
            return EXIT_FAILED
        status = EXIT_FAILED if left_out else 0
        print(
            f"Package: {len(sound)} WARC file(s) into {wacz}"
            + (f", {left_out} left out" if left_out else "")
            + f"; exit status {status}"
        )
        return status

    def _chosen(self, path: Path) -> bool:
        """Whether a WARC file is of the days asked for (every file, when none are)."""
        if not self.since and not self.until:
            return True
        day = run_day(path)
        return bool(day and (self.since or day) <= day <= (self.until or day))

    def _days(self) -> str:
        if self.since and self.until:
            return f"from {self.since} to {self.until}"
        if self.since or self.until:
            return f"since {self.since}" if self.since else f"until {self.until}"
        return "in the archive"


def _readable(warc: Path, limit: int) -> bool:
    """Whether the `wacz` tool may read the file: it reads each record whole, so one larger
    than ARCHIVE_MAX_READ_SIZE once decompressed is left out (said in one line). A file cut
    short is packaged as it is: the tool reads it up to the cut."""
    try:
        scan(warc, [], limit)
    except Damaged as exc:
        if exc.too_large:
            tell("package", f"left out {warc}: {exc}", None)
            return False
    return True

"""`scrapy package --since DATE --until DATE -o FILE.wacz`: the captures of those days as one WACZ
file (the `wacz` package's), which ReplayWeb.page opens in a browser."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver.commands.crawl import refuse, tell
from archiver.commands.verify import archive_paths, archive_problems, quiet_logging
from archiver.extensions import EXIT_FAILED
from archiver.rebuild import items_of, parser_for
from archiver.warcindex import capture_order, captures_of, warc_files

if TYPE_CHECKING:
    import argparse


def run_day(path: Path) -> date | None:
    """The UTC day a WARC file's run started, from its name; None for a name not ours."""
    stamp = capture_order(path)[0]
    return date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8])) if stamp != "~" else None


def pages(warcs: list[Path]) -> list[dict[str, str]]:
    """The captured responses that hold archived items (answers, articles, pins, stories, list
    pages), each with the title of what it holds: the WACZ's list of pages. The `wacz` tool
    finds each URL's record and gives the page that record's time."""
    found: dict[str, dict[str, str]] = {}
    for warc in warcs:
        for capture in captures_of(warc):
            parse = parser_for(capture.url)
            if parse is None or capture.url in found:
                continue
            if titles := list(dict.fromkeys(post.title for post in items_of(capture, parse))):
                more = f" (and {len(titles) - 1} more)" if len(titles) > 1 else ""
                found[capture.url] = {"url": capture.url, "title": titles[0] + more}
    return list(found.values())


def _day(name: str, value: str | None, problems: list[str]) -> date | None:
    if value is None:
        problems.append(f"{name} is required: a day YYYY-MM-DD, like 2026-11-25")
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(f"{name} is YYYY-MM-DD, like 2026-11-25, not {value!r}")
    return None


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # reads WARC files only: no crawler, no start-up lines
    since: date | None = None
    until: date | None = None

    def syntax(self) -> str:
        return "--since YYYY-MM-DD --until YYYY-MM-DD -o FILE.wacz"

    def short_desc(self) -> str:
        return "Package the WARC captures of some days as a WACZ file (ReplayWeb.page opens it)"

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
        if not opts.wacz or not opts.wacz.endswith(".wacz"):
            problems.append(f"-o is the WACZ file to write, FILE.wacz, not {opts.wacz!r}")
        elif Path(opts.wacz).exists():
            problems.append(f"-o {opts.wacz} exists already: give a new file")
        refuse("package", problems, self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.since and self.until
        quiet_logging(self.settings)
        _, _, warc_dir = archive_paths(self.settings)
        chosen = [
            str(path)
            for path in (warc_files(warc_dir) if warc_dir.is_dir() else [])
            if (day := run_day(path)) and self.since <= day <= self.until
        ]
        if not chosen:
            tell("package", f"no WARC file of a run from {self.since} to {self.until}", None)
            self.exitcode = EXIT_FAILED
            return
        # Imported here: `scrapy` imports every command's module on each run, and wacz's
        # validator brings in frictionless (a third of a second).
        from wacz.main import main as wacz_main

        title = f"Zhihu archive, {self.since} to {self.until}"
        said = io.StringIO()  # the wacz tool's progress lines: kept for a failure only
        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(said):
            listed = Path(scratch) / "pages.jsonl"
            header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages"}
            lines = [header, *pages([Path(name) for name in chosen])]
            listed.write_text(
                "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
            )
            argv = ["create", "-o", opts.wacz, "--title", title, "-p", str(listed), *chosen]
            code = wacz_main(argv)
        if code != 0:
            tell("package", f"the WACZ could not be made: {said.getvalue().strip()}", None)
            Path(opts.wacz).unlink(missing_ok=True)
            self.exitcode = EXIT_FAILED
            return
        print(f"Package: {len(chosen)} WARC file(s) into {opts.wacz}; exit status 0")

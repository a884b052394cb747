"""`scrapy archive URL [URL ...]`: archive the Zhihu answers, questions and articles given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError

from archiver.commands.crawl import run_and_report
from archiver.extensions import EXIT_USAGE
from archiver.zhihu.targets import ACCEPTED, parse_targets, read_lines


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] URL [URL ...]"

    def short_desc(self) -> str:
        return "Archive Zhihu answers, questions and column articles by URL"

    def long_desc(self) -> str:
        return (
            f"Archive what the URLs point at. Accepted: {ACCEPTED}. A question archives its top "
            "answers (-a answers=N, default ZHIHU_ANSWERS_PER_QUESTION). Exit status: 0 all "
            "archived, 1 something failed, 2 bad input (nothing fetched), 3 blocked by Zhihu."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-i",
            "--input",
            metavar="FILE",
            action="append",
            default=[],
            help="read URLs from FILE, one per line, '# comments' allowed ('-': standard input)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        lines = list(args)
        try:
            for name in opts.input:
                text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
                lines += read_lines(text)
        except OSError as exc:
            self._refuse([f"cannot read {exc.filename}: {exc.strerror}"])
            return
        targets, errors = parse_targets(lines)
        if errors:
            self._refuse(errors)
            return
        if not targets:
            raise UsageError("give at least one URL, or -i FILE")
        run_and_report(self, "archive", targets=targets, **opts.spargs)

    def _refuse(self, errors: list[str]) -> None:
        """Bad input stops everything before a single request: one line per problem."""
        for error in errors:
            print(f"archive: error: {error}", file=sys.stderr)
        self.exitcode = EXIT_USAGE

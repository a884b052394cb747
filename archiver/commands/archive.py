"""`scrapy archive URL [URL ...]`: archive the Zhihu answers, questions and articles given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict

from archiver.commands.crawl import refuse, run_and_report, usage_problems
from archiver.logs import quiet_scrapy
from archiver.zhihu.targets import ACCEPTED, Target, parse_targets, read_lines


class Command(ScrapyCommand):
    """Not Scrapy's BaseRunSpiderCommand: its feed exports (-o, -O) have nothing to export here
    (posts go to the archive), so they are not offered."""

    requires_project = True
    targets: list[Target]

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
            "-a",
            dest="spargs",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="set a spider argument (may be repeated): answers=N, limit=N",
        )
        parser.add_argument(
            "-i",
            "--input",
            metavar="FILE",
            action="append",
            default=[],
            help="read URLs from FILE, one per line, '# comments' allowed ('-': standard input)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        try:
            opts.spargs = arglist_to_dict(opts.spargs)
        except ValueError:
            raise UsageError("Invalid -a value, use -a NAME=VALUE", print_help=False) from None
        assert self.settings is not None
        quiet_scrapy(self.settings)
        refuse("archive", self._read_targets(args, opts), self.settings)
        refuse("archive", usage_problems(self.settings, "archive", opts.spargs), self.settings)

    def _read_targets(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        """The URLs of the arguments and the -i inputs, parsed; what is wrong with them."""
        lines = list(args)
        try:
            for name in opts.input:
                text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
                lines += read_lines(text)
        except OSError as exc:
            return [f"cannot read {exc.filename}: {exc.strerror}"]
        except UnicodeDecodeError as exc:
            return [f"the input is not UTF-8 text ({exc.reason} at byte {exc.start})"]
        self.targets, errors = parse_targets(lines)
        if errors or self.targets:
            return errors
        if opts.input and not args:
            names = ", ".join("standard input" if n == "-" else n for n in opts.input)
            return [f"{names}: the input held no URL (only blank lines or comments)"]
        return ["give at least one URL, or -i FILE"]

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        run_and_report(self, "archive", opts.spargs, {"targets": self.targets})

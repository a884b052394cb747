"""`scrapy checkhexo [SITE] [--fix]`: what a Hexo site needs for the archive's posts, and how."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver.commands.crawl import refuse
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED, EXIT_OK
from archiver.hexo.check import NotASite, Site, check_site, fix_author, read_site

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # reads files only: no crawler, no start-up log lines
    site: Site | None = None

    def syntax(self) -> str:
        return "[SITE] [--fix]"

    def short_desc(self) -> str:
        return "Check what a Hexo site needs for the archive's posts (exit 0: ready, 1: not yet)"

    def long_desc(self) -> str:
        return (
            "Reads the Hexo site SITE (default: the site whose source/ folder ARCHIVE_DIR is) and"
            " the project's settings (with any -s), and says for each thing the posts need"
            " (author label, timezone, updated dates, volantis's title_display, brace mode,"
            " referrer policy) whether it is set, and how to set it. --fix adds the source label"
            " to source/_data/author.yml. Exit 0: nothing to set; 1: something to set; 2: SITE"
            " is not a Hexo site, or a bad setting."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--fix", action="store_true", help="add the source label to source/_data/author.yml"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse("checkhexo", setting_problems(self.settings), self.settings)
        if len(args) > 1:
            refuse("checkhexo", [f"one Hexo site at a time, not {len(args)}"], self.settings)
        if args:
            root = Path(args[0])
        else:
            archive = Path(self.settings["ARCHIVE_DIR"]).resolve()
            if archive.name != "source" or not (archive.parent / "_config.yml").is_file():
                problem = (
                    f"ARCHIVE_DIR={self.settings['ARCHIVE_DIR']} is not a Hexo site's source/:"
                    " name the site's folder (scrapy checkhexo ~/blog)"
                )
                refuse("checkhexo", [problem], self.settings)
            root = archive.parent
        try:
            self.site = read_site(root)
        except NotASite as exc:
            refuse("checkhexo", [str(exc)], self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None and self.site is not None
        label = self.settings["ARCHIVE_SOURCE_LABEL"]
        if opts.fix and fix_author(self.site, label):
            print(f"fixed: added {label!r} to {self.site.root / 'source/_data/author.yml'}")
        findings = check_site(self.site, self.settings)
        for finding in findings:
            print(f"{'ok' if finding.ok else 'set'}: {finding.name}: {finding.says}")
        self.exitcode = EXIT_OK if all(f.ok for f in findings) else EXIT_FAILED

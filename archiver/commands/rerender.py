"""`scrapy rerender`: every archived post again, from its captured response, with today's code and
settings; only files whose bytes change are written."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import DropItem
from tqdm import tqdm

from archiver import stats as keys
from archiver.commands.crawl import tell
from archiver.commands.verify import locked_archive, quiet_logging, refuse_unless_archive
from archiver.extensions import EXIT_FAILED, EXIT_LOCKED
from archiver.index import ArchiveIndex
from archiver.lock import ArchiveBusy
from archiver.rebuild import Captured, Tally, post_pipeline
from archiver.spiders.base import categories_setting
from archiver.storage import sweep_temporaries
from archiver.writer import PostWriter

_STAGED = 256  # changed posts put in place together (their temporary files, at most)

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return "Rebuild every archived post from the WARC captures, without the network"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse_unless_archive("rerender", args, self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        quiet_logging(self.settings)
        try:
            with locked_archive(self.settings) as (root, index, warc_dir):
                sweep_temporaries(root)
                self.exitcode = self._rerender(index, warc_dir)
        except ArchiveBusy as exc:
            tell("rerender", str(exc), self.settings)
            self.exitcode = EXIT_LOCKED

    def _rerender(self, index: ArchiveIndex, warc_dir: Path) -> int:
        assert self.settings is not None
        started = time.monotonic()
        hot = categories_setting(self.settings["ZHIHU_HOTLIST_CATEGORIES"])
        captured = Captured(warc_dir, hot)
        stats = Tally()
        pipeline = post_pipeline(self.settings, stats)
        pipeline.open_spider()
        assert pipeline.index is not None and pipeline.writer is not None
        # Thousands of posts: the index commits without a sync each, and changed posts are put
        # in place (synced together) _STAGED at a time.
        pipeline.index.sync_at_checkpoints()
        pipeline.writer.stage_writes()
        entries = index.entries()
        uncaptured = failed = 0
        # Progress on a terminal only: a cron log gets the summary line alone.
        bar = tqdm(entries, unit="post", disable=not sys.stderr.isatty(), file=sys.stderr)
        try:
            for n, entry in enumerate(bar, start=1):
                post = captured.item_for(entry, index, pipeline)
                if post is None:
                    uncaptured += 1  # feed items, daily pages: no capture holds them
                    continue
                try:
                    pipeline.process_item(post)
                except DropItem as exc:
                    failed += 1
                    tell("rerender", f"not rendered: {entry.path}: {exc}", self.settings)
                if n % _STAGED == 0:
                    failed += self._put_in_place(pipeline.writer, stats)
        finally:
            try:
                failed += self._put_in_place(pipeline.writer, stats)
            finally:
                pipeline.close_spider()
        value = stats.get_value
        status = EXIT_FAILED if failed else 0
        print(
            f"Rerender: {len(entries)} posts: {value(f'{keys.POSTS}/updated')} changed, "
            f"{value(f'{keys.POSTS}/unchanged')} unchanged, {failed} failed, {uncaptured} not "
            f"in the captures; {captured.lookup.indexed} WARC file(s) by index, "
            f"{captured.lookup.scanned} read whole; {time.monotonic() - started:.1f} s; "
            f"exit status {status}"
        )
        return status

    def _put_in_place(self, writer: PostWriter, stats: Tally) -> int:
        """The staged posts in place; how many could not be (each told)."""
        failures = writer.flush()
        for path, exc in failures:
            stats.inc_value(f"{keys.POSTS}/updated", -1)  # counted when rendered
            tell("rerender", f"not rendered: {path}: {exc}", self.settings)
        return len(failures)

"""`scrapy rerender`: every archived post again, from its captured response, with today's code and
settings; only files whose bytes change are written."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import DropItem
from tqdm import tqdm

from archiver import stats as keys
from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.storage import sweep_temporaries
from archiver.archive.vanishings import CheckLog
from archiver.archive.writer import PostWriter
from archiver.commands.crawl import refuse, tell
from archiver.commands.verify import (
    archive_index,
    archive_paths,
    max_read,
    quiet_logging,
    refuse_unless_archive,
    run_locked,
)
from archiver.extensions import EXIT_FAILED
from archiver.pipelines.posts import PostPipeline
from archiver.rerender.rebuild import Captured, Tally, post_pipeline
from archiver.rerender.shards import STOPPED, Rendered, Stop, WorkerFailed, Workers, default_jobs
from archiver.spiders.base import categories_setting
from archiver.webarchive.records import MISINDEXED

_STAGED = 256  # changed posts put in place together (their temporary files, at most)
_MAX_JOBS = 64

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # works on files only: no crawler, no start-up log lines

    def syntax(self) -> str:
        return "[-j N]"

    def short_desc(self) -> str:
        return "Rebuild every archived post from the WARC captures, without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-j",
            "--jobs",
            default=str(default_jobs()),
            help="processes that read and render (default: one per core)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse_unless_archive("rerender", args, self.settings)
        if not (opts.jobs.isdecimal() and 1 <= int(opts.jobs) <= _MAX_JOBS):
            refuse("rerender", [f"--jobs is a number from 1 to {_MAX_JOBS}, not {opts.jobs!r}"])
        self.jobs = int(opts.jobs)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        quiet_logging(self.settings)
        self.exitcode = run_locked("rerender", self.settings, self._locked)

    def _locked(self) -> int:
        assert self.settings is not None
        sweep_temporaries(Path(self.settings["ARCHIVE_DIR"]))
        try:
            # Ctrl-C and SIGTERM from here on stop the work cleanly (see Stop).
            with Stop() as stop, archive_index(self.settings) as index:
                return self._rerender(index, archive_paths(self.settings)[2], stop)
        except WorkerFailed as exc:  # a bug: what is in place stays, the rest is not done
            tell("rerender", str(exc), self.settings)
            return EXIT_FAILED

    def _rerender(self, index: ArchiveIndex, warc_dir: Path, stop: Stop) -> int:
        assert self.settings is not None
        started = time.monotonic()
        hot = categories_setting(self.settings["ZHIHU_HOTLIST_CATEGORIES"])
        # The items are read by the workers; a recheck's captures only for what it archived.
        captured = Captured(
            warc_dir,
            hot,
            parse=False,
            check_sources=CheckLog(index).sources(),
            limit=max_read(self.settings),
        )
        captured.reader.warn = False  # each worker would say it: said here, once (below)
        entries = index.entries()
        stats = Tally()
        pipeline = post_pipeline(self.settings, stats)
        pipeline.open_spider()
        assert pipeline.writer is not None
        # Thousands of posts: changed ones are put in place (synced together) _STAGED at a
        # time, and an entry's last_seen stays (see PostWriter.rerendering).
        pipeline.writer.rerendering()
        done = uncaptured = failed = 0
        try:
            with Workers(captured, self.settings, self.jobs, stop) as workers:
                if not stop.asked:
                    with _bar(len(captured.sources), "captures") as bar:
                        workers.read(bar.update)
                workers.assign([] if stop.asked else entries)
                with _bar(len(entries), "posts") as bar:
                    for entry in entries:
                        if stop.asked or (result := workers.result(entry)) is STOPPED:
                            break
                        if result is None:
                            uncaptured += 1  # feed items, daily pages: no capture holds them
                        else:
                            failed += self._take(pipeline, entry, result)
                        done += 1
                        if done % _STAGED == 0:
                            failed += self._put_in_place(pipeline.writer, stats)
                        bar.update()
                # After a stop: the posts the workers put in place meanwhile, recorded.
                for result in workers.finish():
                    if result.state == "placed" and result.entry is not None:
                        failed += self._take(pipeline, result.entry, result)
        finally:
            try:
                failed += self._put_in_place(pipeline.writer, stats)
            finally:
                pipeline.close_spider()
        for warc in sorted(workers.misindexed):
            tell("rerender", f"WARC {warc}: {MISINDEXED}", self.settings)
        for (warc, offset), why in sorted(workers.damaged.items()):
            tell("rerender", f"damaged record: {warc} at offset {offset}: {why}", self.settings)
        damaged = len(workers.damaged)
        value = stats.get_value
        status = EXIT_FAILED if failed or damaged or stop.asked else 0
        counted = (
            f"{len(entries)} posts"
            if not stop.asked
            else (f"interrupted ({stop.name}) after {done} of {len(entries)} posts")
        )
        print(
            f"Rerender: {counted}: {value(f'{keys.POSTS}/updated')} changed, "
            f"{value(f'{keys.POSTS}/unchanged')} unchanged, {failed} failed, {uncaptured} not "
            f"in the captures; {captured.lookup.indexed} WARC file(s) by index, "
            f"{captured.lookup.scanned} read whole"
            + (f", {damaged} damaged record(s)" if damaged else "")
            + f"; {time.monotonic() - started:.1f} s; exit status {status}"
        )
        return status

    def _take(self, pipeline: PostPipeline, entry: IndexEntry, result: Rendered) -> int:
        """A worker's rendering into the archive; 1 when the post could not be rendered."""
        try:
            if result.state in ("dropped", "failed"):
                raise DropItem(result.detail)
            if result.shipped and not pipeline.shipped_image_installed:
                pipeline.written_shipped_image()
            if result.state == "unchanged":
                pipeline.stats.inc_value(f"{keys.POSTS}/unchanged")
            elif result.state == "placed":
                assert result.entry is not None
                pipeline.placed(result.entry)
            else:
                assert result.post is not None
                with pipeline.failures(result.post):
                    pipeline.written(result.post, result.data)
        except DropItem as exc:
            tell("rerender", f"not rendered: {entry.path}: {exc}", self.settings)
            return 1
        return 0

    def _put_in_place(self, writer: PostWriter, stats: Tally) -> int:
        """The staged posts in place; how many could not be (each told)."""
        failures = writer.flush()
        for path, exc in failures:
            stats.inc_value(f"{keys.POSTS}/updated", -1)  # counted when rendered
            tell("rerender", f"not rendered: {path}: {exc}", self.settings)
        return len(failures)


def _bar(total: int, unit: str) -> tqdm[Any]:
    """Progress on a terminal only: a cron log gets the summary line alone."""
    return tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), file=sys.stderr)

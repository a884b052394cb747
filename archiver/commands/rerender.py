"""`scrapy rerender`: every archived post again, from its captured response, with today's code and
settings; only files whose bytes change are written."""

from __future__ import annotations

import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import ScrapyCommand
from tqdm import tqdm

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import NotPublished, Outcome, Publisher, Rendering
from archiver.archive.storage import sweep_temporaries
from archiver.archive.vanishings import CheckLog
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
from archiver.pipelines.posts import publish_options
from archiver.rerender.rebuild import Captured
from archiver.rerender.shards import STOPPED, Rendered
from archiver.rerender.stop import Stop
from archiver.rerender.workers import WorkerFailed, Workers, default_jobs
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
        layout, options = Layout.of(self.settings), publish_options(self.settings)
        # What came of each post, for the summary line.
        self.outcomes: Counter[Outcome] = Counter()
        with closing(Publisher.open(layout.root, layout.index, options)) as publisher:
            # Thousands of posts: changed ones are put in place (synced together) _STAGED at
            # a time, and an entry's last_seen stays (see PostWriter.rerendering).
            publisher.writer.rerendering()
            workers = Workers(captured, layout, options, self.jobs, stop)
            done, uncaptured, failed = self._render_all(captured, entries, workers, stop, publisher)
        for warc in sorted(workers.misindexed):
            tell("rerender", f"WARC {warc}: {MISINDEXED}", self.settings)
        for (warc, offset), why in sorted(workers.damaged.items()):
            tell("rerender", f"damaged record: {warc} at offset {offset}: {why}", self.settings)
        damaged = len(workers.damaged)
        status = EXIT_FAILED if failed or damaged or stop.asked else 0
        counted = (
            f"{len(entries)} posts"
            if not stop.asked
            else (f"interrupted ({stop.name}) after {done} of {len(entries)} posts")
        )
        print(
            f"Rerender: {counted}: {self.outcomes[Outcome.UPDATED]} changed, "
            f"{self.outcomes[Outcome.UNCHANGED]} unchanged, {failed} failed, {uncaptured} not "
            f"in the captures; {captured.lookup.indexed} WARC file(s) by index, "
            f"{captured.lookup.scanned} read whole"
            + (f", {damaged} damaged record(s)" if damaged else "")
            + f"; {time.monotonic() - started:.1f} s; exit status {status}"
        )
        return status

    def _render_all(
        self,
        captured: Captured,
        entries: list[IndexEntry],
        workers: Workers,
        stop: Stop,
        publisher: Publisher,
    ) -> tuple[int, int, int]:
        """Every entry rendered by the workers and taken into the archive: how many were done,
        not captured and failed."""
        done = uncaptured = failed = 0
        try:
            with workers:
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
                            failed += self._take(publisher, entry, result)
                        done += 1
                        if done % _STAGED == 0:
                            failed += self._put_in_place(publisher)
                        bar.update()
                # After a stop: the posts the workers put in place meanwhile, recorded.
                for result in workers.finish():
                    if result.state == Outcome.PLACED and result.entry is not None:
                        failed += self._take(publisher, result.entry, result)
        finally:
            failed += self._put_in_place(publisher)
        return done, uncaptured, failed

    def _take(self, publisher: Publisher, entry: IndexEntry, result: Rendered) -> int:
        """A worker's rendering into the archive; 1 when the post could not be rendered."""
        if result.state in (Outcome.DROPPED, Outcome.FAILED):
            return self._not_rendered(entry.path, result.detail)
        try:
            if result.shipped:
                publisher.show_shipped_image()
            if result.state == Outcome.UNCHANGED:
                self.outcomes[Outcome.UNCHANGED] += 1
            elif result.state == Outcome.PLACED:
                assert result.entry is not None
                self.outcomes[publisher.placed(result.entry).outcome] += 1
            else:
                assert result.post is not None
                self.outcomes[publisher.write(result.post, Rendering(result.data)).outcome] += 1
        except NotPublished as exc:
            return self._not_rendered(entry.path, str(exc))
        return 0

    def _not_rendered(self, path: str, why: str) -> int:
        tell("rerender", f"not rendered: {path}: {why}", self.settings)
        return 1

    def _put_in_place(self, publisher: Publisher) -> int:
        """The staged posts in place; how many could not be (each told)."""
        failures = publisher.writer.flush()
        for path, exc in failures:
            self.outcomes[Outcome.UPDATED] -= 1  # counted when rendered
            self._not_rendered(path, str(exc))
        return len(failures)


def _bar(total: int, unit: str) -> tqdm[Any]:
    """Progress on a terminal only: a cron log gets the summary line alone."""
    return tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), file=sys.stderr)

"""`scrapy verify [--warc] [--repair]`: is everything the index lists there, as recorded?"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import DropItem
from scrapy.utils.log import configure_logging

from archiver.commands.crawl import refuse, tell
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED, EXIT_LOCKED
from archiver.images import BadImage, process_figure
from archiver.index import ArchiveIndex, index_path
from archiver.lock import ArchiveBusy, ArchiveLock
from archiver.rebuild import Captured, Tally, payload, post_pipeline
from archiver.spiders.base import categories_setting
from archiver.storage import atomic_write
from archiver.vanishings import CheckLog
from archiver.verify import Problem, problems
from archiver.warcindex import write_cdxj

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def archive_paths(settings: BaseSettings) -> tuple[Path, Path, Path]:
    """The archive root, its index file and its WARC folder, as the crawl has them."""
    root = Path(settings["ARCHIVE_DIR"])
    warc_dir = settings.get("WARC_DIR") or root / ".archiver" / "warc"
    return root, index_path(root, settings["ARCHIVE_INDEX"]), Path(warc_dir)


def archive_problems(name: str, settings: BaseSettings) -> list[str]:
    """Settings, and an archive to work on: never make one of a folder by asking about it."""
    found = setting_problems(settings)
    root, index, _ = archive_paths(settings)
    if not index.is_file():
        found.append(f"{root} is not an archive (no {index})")
    return found


@contextmanager
def locked_archive(settings: BaseSettings) -> Iterator[tuple[Path, ArchiveIndex, Path]]:
    """The archive, locked for this command alone (ArchiveBusy when a run holds it): its root,
    its index (closed after) and its WARC folder."""
    root, index_file, warc_dir = archive_paths(settings)
    with ArchiveLock(root / ".archiver" / "lock"):
        index = ArchiveIndex(index_file)
        try:
            yield root, index, warc_dir
        finally:
            index.close()


def refuse_unless_archive(name: str, args: list[str], settings: BaseSettings) -> None:
    """What a command on an existing archive checks first (no stray arguments, sound settings,
    an archive there), each problem one line and exit 2 (see `refuse`)."""
    if args:
        refuse(name, [f"{name} takes no arguments, not {' '.join(args)!r}"])
    refuse(name, archive_problems(name, settings), settings)


class Repairer:
    """What `--repair` can restore: from the index's versions or from the WARC captures."""

    def __init__(self, settings: BaseSettings, index: ArchiveIndex, warc_dir: Path) -> None:
        self.settings = settings
        self.root = Path(settings["ARCHIVE_DIR"])
        self.index = index
        self.warc_dir = warc_dir
        self._captured: Captured | None = None

    @property
    def captured(self) -> Captured:
        if self._captured is None:  # read the captures once, and only when needed
            hot = categories_setting(self.settings["ZHIHU_HOTLIST_CATEGORIES"])
            sources = CheckLog(self.index).sources()  # a recheck's: what it archived
            self._captured = Captured(self.warc_dir, hot, check_sources=sources)
        return self._captured

    def repair(self, problem: Problem) -> str | None:
        """What was done, or None (then `why_not` says why)."""
        if problem.kind in ("missing_post", "altered_post"):
            return self._post(problem)
        if problem.kind in ("missing_figure", "altered_figure"):
            return self._figure(problem)
        if problem.kind == "missing_thumbnail":
            return self._thumbnail(problem)
        if problem.kind == "temporary_file":
            (self.root / problem.path).unlink(missing_ok=True)
            return "removed"
        if problem.kind == "unindexed_warc":
            write_cdxj(Path(problem.path))
            return "indexed"
        return None

    def _post(self, problem: Problem) -> str | None:
        entry = self.index.get(problem.key)
        assert entry is not None
        for _, text in reversed(self.index.versions(entry.key)):
            if hashlib.sha256(text).hexdigest() == entry.content_hash:
                atomic_write(self.root / entry.path, text)
                return "restored from the index's versions"
        stats = Tally()
        pipeline = post_pipeline(self.settings, stats)
        pipeline.open_spider()
        try:
            post = self.captured.item_for(entry, self.index, pipeline)
            if post is None:
                return None
            pipeline.process_item(post)
        except DropItem:
            return None
        finally:
            pipeline.close_spider()
        same = hashlib.sha256((self.root / entry.path).read_bytes()).hexdigest()
        exact = " (as recorded)" if same == entry.content_hash else " (today's rendering)"
        return "rebuilt from the WARC capture" + exact

    def _figure(self, problem: Problem) -> str | None:
        figure = self.index.figure(problem.key)
        assert figure is not None
        capture = self.captured.figures.get(figure.url)
        if capture is None:
            return None
        data = payload(capture)
        if hashlib.sha256(data).hexdigest() != figure.sha256:
            return None
        atomic_write(self.root / figure.path, data)
        return "restored from the WARC capture"

    def _thumbnail(self, problem: Problem) -> str | None:
        figure = self.index.figure(problem.key)
        assert figure is not None
        try:
            data = (self.root / figure.path).read_bytes()
            processed = process_figure(data, [problem.detail])
        except (OSError, BadImage):
            return None
        [thumb] = processed.thumbnails
        atomic_write(self.root / problem.path, thumb.data)
        return "made again from the figure"


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False  # works on files only: no crawler, no start-up log lines

    def syntax(self) -> str:
        return "[--warc] [--repair]"

    def short_desc(self) -> str:
        return "Check the archive against its index; exit 0 all holds, 1 problems, 2 usage"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--warc", action="store_true", help="read every WARC file too")
        parser.add_argument("--repair", action="store_true", help="rebuild what can be")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        refuse_unless_archive("verify", args, self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        quiet_logging(self.settings)
        try:
            with locked_archive(self.settings) as (_, index, warc_dir):
                self.exitcode = self._verify(index, warc_dir, opts)
        except ArchiveBusy as exc:
            tell("verify", str(exc), self.settings)
            self.exitcode = EXIT_LOCKED

    def _verify(self, index: ArchiveIndex, warc_dir: Path, opts: argparse.Namespace) -> int:
        root = Path(self.settings["ARCHIVE_DIR"])  # type: ignore[index]
        scope = warc_dir if opts.warc else None
        found = problems(root, index, scope)
        for problem in found:
            print(problem)
        repaired = 0
        if opts.repair and found:
            repairer = Repairer(self.settings, index, warc_dir)  # type: ignore[arg-type]
            # Posts after figures: a rebuilt local-mode post links the restored figures.
            for problem in sorted(found, key=lambda p: p.kind.endswith("_post")):
                done = repairer.repair(problem)
                if done:
                    repaired += 1
                    print(f"repaired: {problem.kind}: {problem.path}: {done}")
                else:
                    print(f"not repaired: {problem.kind}: {problem.path}: {why_not(problem)}")
            found = problems(root, index, scope)
            for problem in found:
                print(f"remains: {problem}")
        posts, figures = len(index.entries()), len(index.figures())
        status = EXIT_FAILED if found else 0
        print(
            f"Verify: {posts} posts, {figures} figures checked"
            + (", WARC files read" if opts.warc else "")
            + f"; {len(found)} problem(s)"
            + (f", {repaired} repaired" if opts.repair else "")
            + f"; exit status {status}",
            file=sys.stdout,
        )
        return status


def quiet_logging(settings: BaseSettings) -> None:
    """Log lines (a damaged WARC, a post rewritten) as Scrapy logs them (LOG_FILE, LOG_LEVEL...),
    without its start-up banner: these commands make no crawler process, which logs it."""
    configure_logging(settings)


def why_not(problem: Problem) -> str:
    return {
        "missing_post": "no version in the index and no capture of it in the WARC files",
        "altered_post": "no version in the index and no capture of it in the WARC files",
        "missing_figure": "no capture with its digest in the WARC files",
        "altered_figure": "no capture with its digest in the WARC files",
        "missing_thumbnail": "its figure cannot be read",
        "unknown_file": "not the archive's: left for you to judge",
        "broken_src": "the figure it links is not in the archive",
        "damaged_warc": "what a WARC lost cannot be made again",
    }.get(problem.kind, "nothing to rebuild it from")

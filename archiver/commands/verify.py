"""`scrapy verify [--warc] [--repair]`: is everything the index lists there, as recorded?"""

from __future__ import annotations

import hashlib
import logging
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.utils.log import configure_logging
from warcio.exceptions import ArchiveLoadFailed

from archiver.archive.checks import Problem, problems, sha256_of
from archiver.archive.images import BadImage, process_figure
from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import Layout
from archiver.archive.lock import ArchiveBusy, ArchiveLock
from archiver.archive.publish import NotPublished, Publisher
from archiver.archive.schema import too_new
from archiver.archive.storage import UnsafePath, atomic_write, inside, read_bytes
from archiver.archive.vanishings import CheckLog
from archiver.commands.crawl import refuse, tell
from archiver.config import setting_problems
from archiver.extensions import EXIT_FAILED, EXIT_LOCKED, EXIT_USAGE
from archiver.pipelines.posts import publish_options
from archiver.rerender.rebuild import Captured
from archiver.spiders.base import categories_setting
from archiver.webarchive.cdxj import Damaged, scan, write_cdxj
from archiver.webarchive.members import DamagedRecord

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


def archive_paths(settings: BaseSettings) -> tuple[Path, Path, Path]:
    """The archive root, its index file and its WARC folder, as the crawl has them."""
    layout = Layout.of(settings)
    return layout.root, layout.index, layout.warc_dir


def archive_problems(name: str, settings: BaseSettings) -> list[str]:
    """Settings, and an archive to work on: never make one of a folder by asking about it."""
    found = setting_problems(settings)
    root, index, _ = archive_paths(settings)
    if not index.is_file():
        found.append(f"{root} is not an archive (no {index})")
    elif newer := too_new(index):
        found.append(newer)
    return found


def run_locked(name: str, settings: BaseSettings, work: Callable[[], int]) -> int:
    """`work` done with the archive locked for this command alone; its exit status. Else one
    line and the status a crawl would end with: 4 when another run holds the archive, 2 when
    its lock is a link or no regular file, 1 when the lock cannot be made at all."""
    layout = Layout.of(settings)
    lock = ArchiveLock(layout.lock)
    try:
        lock.acquire()
    except ArchiveBusy as exc:
        tell(name, str(exc), settings)
        return EXIT_LOCKED
    except UnsafePath as exc:
        tell(name, f"error: {exc.filename} is {exc.strerror}: refusing it", settings)
        return EXIT_USAGE
    except OSError as exc:  # the folder cannot be made or the lock opened (permissions, disk)
        tell(name, f"error: cannot use the archive {layout.root}: {exc}", settings)
        return EXIT_FAILED
    try:
        return work()
    finally:
        lock.release()


@contextmanager
def archive_index(settings: BaseSettings, *, read_only: bool = False) -> Iterator[ArchiveIndex]:
    """The archive's index, closed after."""
    index = ArchiveIndex(
        archive_paths(settings)[1], read_only=read_only, max_read=max_read(settings)
    )
    try:
        yield index
    finally:
        index.close()


def max_read(settings: BaseSettings) -> int:
    """ARCHIVE_MAX_READ_SIZE: the most bytes a record, an index or a row is read to."""
    return settings.getint("ARCHIVE_MAX_READ_SIZE")


def refuse_unless_archive(name: str, args: list[str], settings: BaseSettings) -> None:
    """What a command on an existing archive checks first (no stray arguments, sound settings,
    an archive there), each problem one line and exit 2 (see `refuse`)."""
    if args:
        refuse(name, [f"{name} takes no arguments, not {' '.join(args)!r}"])
    refuse(name, archive_problems(name, settings), settings)


class Repairer:
    """What `--repair` can restore: from the index's versions or from the WARC captures. Each
    repair says what it did, or raises NotRepaired with why not."""

    def __init__(self, settings: BaseSettings, index: ArchiveIndex, warc_dir: Path) -> None:
        self.settings = settings
        self.root = Path(settings["ARCHIVE_DIR"])
        self.index = index
        self.warc_dir = warc_dir
        self.limit = max_read(settings)
        self._captured: Captured | None = None

    @property
    def captured(self) -> Captured:
        if self._captured is None:  # read the captures once, and only when needed
            hot = categories_setting(self.settings["ZHIHU_HOTLIST_CATEGORIES"])
            sources = CheckLog(self.index).sources()  # a recheck's: what it archived
            self._captured = Captured(self.warc_dir, hot, check_sources=sources, limit=self.limit)
        return self._captured

    def repair(self, problem: Problem) -> str:
        """What was done; NotRepaired with why not."""
        if problem.kind == "unindexed_warc":
            return self._index(Path(problem.path))
        try:
            path = inside(self.root, problem.path)
        except UnsafePath as exc:  # never followed, never written
            raise NotRepaired(f"{exc.strerror}: left alone") from exc
        if problem.kind in ("missing_post", "altered_post"):
            return self._post(problem, path)
        if problem.kind in ("missing_figure", "altered_figure"):
            return self._figure(problem, path)
        if problem.kind == "missing_thumbnail":
            return self._thumbnail(problem, path)
        if problem.kind == "temporary_file":
            path.unlink(missing_ok=True)
            return "removed"
        raise NotRepaired(why_not(problem))

    def _post(self, problem: Problem, path: Path) -> str:
        entry = self.index.get(problem.key)
        assert entry is not None
        for version in reversed(self.index.versions(entry.key)):
            if hashlib.sha256(version.text).hexdigest() == entry.content_hash:
                atomic_write(path, version.text)
                return "restored from the index's versions"
        layout = Layout.of(self.settings)
        options = publish_options(self.settings)
        with closing(Publisher.open(self.root, layout.index, options)) as publisher:
            post = self.captured.item_for(entry, self.index, publisher)
            if post is None:
                raise NotRepaired(self._no_capture(entry.url, why_not(problem)))
            try:
                publisher.publish(post)
            except NotPublished as exc:
                raise NotRepaired(f"its capture could not be rendered ({exc})") from exc
        exact = (
            " (as recorded)" if sha256_of(path) == entry.content_hash else " (today's rendering)"
        )
        return "rebuilt from the WARC capture" + exact

    def _no_capture(self, url: str, otherwise: str) -> str:
        """Why nothing was found to rebuild from: a damaged record, or none at all."""
        damaged = [why for why in self.captured.reader.damaged.values() if why.startswith(url)]
        return f"its capture is damaged: {damaged[0]}" if damaged else otherwise

    def _figure(self, problem: Problem, path: Path) -> str:
        figure = self.index.figure(problem.key)
        assert figure is not None
        capture = self.captured.figures.get(figure.url)
        if capture is None:
            raise NotRepaired(why_not(problem))
        try:
            data = self.captured.reader.payload(capture)
        except DamagedRecord as exc:
            raise NotRepaired(f"its capture is damaged: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != figure.sha256:
            raise NotRepaired(why_not(problem))
        atomic_write(path, data)
        return "restored from the WARC capture"

    def _thumbnail(self, problem: Problem, path: Path) -> str:
        figure = self.index.figure(problem.key)
        assert figure is not None
        try:
            data = read_bytes(inside(self.root, figure.path), self.limit)
            if data is None:
                raise NotRepaired("its figure is missing")
            processed = process_figure(data, [problem.detail])
        except (OSError, BadImage) as exc:
            raise NotRepaired(f"its figure cannot be read ({exc})") from exc
        [thumb] = processed.thumbnails
        atomic_write(path, thumb.data)
        return "made again from the figure"

    def _index(self, warc: Path) -> str:
        """A WARC's index made again: of the whole file, or of its whole records up to a
        damage (what replay and rerender can use); never past a record over the read limit."""
        try:
            scan(warc, [], self.limit)
        except Damaged as exc:
            if exc.too_large:
                raise NotRepaired(f"{exc}: not indexed") from exc
            try:
                write_cdxj(warc)
            except (ArchiveLoadFailed, EOFError, ValueError, zlib.error) as error:
                raise NotRepaired(f"{exc}: it cannot be indexed ({error})") from error
            return f"indexed up to its damage ({exc})"
        write_cdxj(warc)
        return "indexed"


class NotRepaired(Exception):
    """Why a problem could not be repaired."""


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
        self.exitcode = run_locked("verify", self.settings, lambda: self._verify(opts))

    def _verify(self, opts: argparse.Namespace) -> int:
        assert self.settings is not None
        root, _, warc_dir = archive_paths(self.settings)
        limit = max_read(self.settings)
        with archive_index(self.settings) as index:

            def check() -> list[Problem]:
                return problems(root, index, warc_dir, read_warcs=opts.warc, limit=limit)

            found = check()
            for problem in found:
                print(problem)
            repaired = 0
            if opts.repair and found:
                repaired = self._repair(Repairer(self.settings, index, warc_dir), found)
                found = check()
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

    @staticmethod
    def _repair(repairer: Repairer, found: list[Problem]) -> int:
        """Each problem repaired, or said why not; how many were."""
        repaired = 0
        for problem in sorted(found, key=_repair_order):
            try:
                done = repairer.repair(problem)
            except NotRepaired as exc:
                print(f"not repaired: {problem.kind}: {problem.path}: {exc}")
            except OSError as exc:  # a full disk, a folder not ours to write
                print(f"not repaired: {problem.kind}: {problem.path}: {exc}")
            else:
                repaired += 1
                print(f"repaired: {problem.kind}: {problem.path}: {done}")
        return repaired


def _repair_order(problem: Problem) -> int:
    """The WARC indexes first (the captures are found through them), posts last (a rebuilt
    local-mode post links the figures restored before it)."""
    if problem.kind == "unindexed_warc":
        return 0
    return 2 if problem.kind.endswith("_post") else 1


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
        "unsafe_path": "a path of the index that leads out of the archive: left alone",
    }.get(problem.kind, "nothing to rebuild it from")

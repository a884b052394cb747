"""Rerender's work shared out over processes: each reads a share of the captures and renders the
posts whose latest capture it read; the command's own process keeps the index.

A share is every `jobs`-th capture that holds items (`Captured.sources`). A worker first reads
its share and says which items it holds, and from which capture (`Captured.taken`); an item
captured in two shares belongs to the later capture. Then each worker renders the index
entries it was given, in their order: an unchanged post is a few bytes of answer, a post
whose rendering alone changed is replaced by the worker (staged, synced, renamed, as the
writer does) and said once in place, for the command to record; anything else (an item
edited since, a row to correct) goes to the command's own writer. Workers are forked once the
captures are listed, so they start with them in memory; each opens the index read-only. With
one job all of it runs in the command's own process, through the same code.

A Ctrl-C (SIGINT, to the command or its whole process group) or a SIGTERM asks everything to
stop (`Stop`): no new capture is read and no new post rendered; each worker puts in place the
posts it has staged, says so, and ends; the command records them, so the index agrees with the
files. A worker whose command dies (even by a SIGKILL: the kernel tells it with a SIGTERM)
abandons its work instead, its staged files removed, nothing more put in place.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from archiver.archive.index import DamagedRow, IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import NotPublished, Outcome, Publisher, PublishOptions
from archiver.archive.storage import put_in_place, stage
from archiver.items import Post
from archiver.rerender.rebuild import Captured

_BATCH = 32  # rendered posts a worker sends at once
_STAGED = 256  # posts a worker puts in place together (their temporary files, at most)
_READ_STEP = 64  # captures a worker reads between two words of progress


@dataclass(frozen=True)
class Rendered:
    """What rendering one index entry again came to."""

    key: str
    # UNCHANGED; PLACED: a new rendering a worker put in place, `entry` to record; WRITE: for
    # the writer of the command's own process (`post`, `data`); DROPPED or FAILED (not put in
    # place): `detail` says why; STOPPED: its worker stopped first.
    state: Outcome
    entry: IndexEntry | None = None
    post: Post | None = None  # the item, its content left out (the writer's part)
    data: bytes = b""
    shipped: bool = False  # the post shows the shipped default image
    detail: str = ""


STOPPED = Rendered("", Outcome.STOPPED)


class WorkerFailed(RuntimeError):
    """A worker process stopped on an error (its traceback is the message) or died."""


class Stop:
    """Whether the work was asked to stop (Ctrl-C, SIGTERM). As a context manager, it takes
    SIGINT and SIGTERM for the time of the work and passes them on to the workers it watches
    (a signal to the command alone reaches them too)."""

    def __init__(self) -> None:
        self.asked = 0  # the signal that asked, 0 until one did
        self.abandoned = False  # a worker whose command is gone: nothing more put in place
        self.pids: list[int] = []
        self._before: dict[int, Any] = {}

    def __enter__(self) -> Stop:
        for number in (signal.SIGINT, signal.SIGTERM):
            self._before[number] = signal.signal(number, self.ask)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)

    def ask(self, number: int, frame: FrameType | None = None) -> None:
        """Stop taking new work (a signal handler: nothing is cut short where it lands)."""
        self.asked = self.asked or number
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):  # ended already
                os.kill(pid, signal.SIGINT)

    def abandon(self, number: int, frame: FrameType | None = None) -> None:
        """Stop, and put nothing more in place: nobody would record it."""
        self.abandoned = True
        self.ask(number, frame)

    @property
    def name(self) -> str:
        return signal.Signals(self.asked).name if self.asked else ""


def default_jobs() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Share:
    """One worker's part: its captures read, then its entries rendered."""

    def __init__(
        self,
        captured: Captured,
        layout: Layout,
        options: PublishOptions,
        number: int,
        of: int,
        stop: Stop | None = None,
    ) -> None:
        self.captured = captured
        self.layout = layout  # the archive, and its index (opened read-only)
        self.options = options
        self.sources = captured.sources[number::of]
        self.stop = stop or Stop()

    def read(self, progress: Callable[[int], object]) -> dict[str, int]:
        """Read the share's captures (`progress` told of each step); key -> capture place.
        Asked to stop, it reads no further."""
        for start in range(0, len(self.sources), _READ_STEP):
            if self.stop.asked:
                break
            chunk = self.sources[start : start + _READ_STEP]
            self.captured.parse(chunk)
            progress(len(chunk))
        return self.captured.taken

    def render(self, entries: list[IndexEntry]) -> Iterator[Rendered]:
        """Each entry rendered again, in order. A post whose rendering alone changed is
        replaced here, `_STAGED` at a time (synced together), and said only once in place.
        Asked to stop, it renders no further: what is staged is put in place and said (or,
        abandoned, removed)."""
        root = self.layout.root
        publisher = Publisher.open(root, self.layout.index, self.options, read_only=True)
        comments = publisher.index.has_comments()  # else not asked about, post by post
        waiting: list[Rendered] = []  # said once the staged posts among them are in place
        staged: list[tuple[Path, Path]] = []
        try:
            for entry in entries:
                if self.stop.asked:
                    break
                result = self._rendered(entry, publisher, comments)
                if result.state == Outcome.PLACED:
                    assert result.entry is not None
                    target = root / result.entry.path
                    try:
                        staged.append((stage(target, result.data), target))
                    except OSError as exc:
                        result = Rendered(entry.key, Outcome.FAILED, detail=str(exc))
                    result = replace(result, data=b"")
                waiting.append(result)
                if (len(staged) == _STAGED or not staged) and not self.stop.abandoned:
                    yield from _in_place(waiting, staged, root)
                    waiting, staged = [], []
            if not self.stop.abandoned:
                yield from _in_place(waiting, staged, root)
        finally:
            for tmp, _ in staged:  # never put in place (a failure, or the command stopped)
                tmp.unlink(missing_ok=True)
            publisher.close()

    def _rendered(self, entry: IndexEntry, publisher: Publisher, comments: bool) -> Rendered:
        try:
            post = self.captured.item_for(entry, publisher.index, publisher, comments)
        except DamagedRow as exc:  # its comments, say: this post only
            publisher.bodies.forget(entry.key)  # should it have been parsed: never rendered
            return Rendered(entry.key, Outcome.FAILED, detail=str(exc))
        finally:
            self.captured.posts.pop(entry.key, None)  # rendered once: its memory goes with it
        assert post is not None  # the entry was given as one this share holds
        try:
            rendering = publisher.render(post)
            outcome, recorded = publisher.plan(post, rendering, entry)
        except NotPublished as exc:
            return Rendered(entry.key, Outcome.DROPPED, detail=str(exc))
        data, shipped = rendering.data, rendering.shipped
        if outcome == Outcome.UNCHANGED:
            return Rendered(entry.key, outcome, shipped=shipped)
        if outcome == Outcome.REPLACE:
            return Rendered(entry.key, Outcome.PLACED, recorded, data=data, shipped=shipped)
        light = replace(post, content="", stored_figures={}, comments=())
        return Rendered(entry.key, Outcome.WRITE, post=light, data=data, shipped=shipped)


def _in_place(
    results: list[Rendered], staged: list[tuple[Path, Path]], root: Path
) -> list[Rendered]:
    """The results once their staged posts are in place; a post that could not be, failed."""
    failed = dict(put_in_place(staged))
    staged.clear()  # nothing left to remove
    return [
        Rendered(r.key, Outcome.FAILED, detail=str(failed[root / r.entry.path]))
        if r.state == Outcome.PLACED and r.entry and root / r.entry.path in failed
        else r
        for r in results
    ]


class Worker:
    """A share run in this process."""

    def __init__(self, share: Share) -> None:
        self.share = share
        self.results: Iterator[Rendered] = iter(())

    def read(self, progress: Callable[[int], object]) -> dict[str, int]:
        return self.share.read(progress)

    def assign(self, entries: list[IndexEntry]) -> None:
        self.results = self.share.render(entries)

    def next(self) -> Rendered:
        """The next entry's result; STOPPED when the share stopped before it."""
        return next(self.results, STOPPED)

    def finish(self) -> tuple[list[Rendered], Findings]:
        """What it did that was not asked for yet (a stop cut its entries short), and what it
        found wrong with the captures."""
        return list(self.results), findings(self.share.captured)

    def stop(self) -> None:
        close = getattr(self.results, "close", None)
        if close is not None:
            close()


class ForkedWorker(Worker):
    """A share run in a forked process, spoken to through a pipe."""

    def __init__(self, share: Share) -> None:
        super().__init__(share)
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, share, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.queue: deque[Rendered] = deque()
        self.ended: Findings | None = None  # its last word
        if self.process.pid is not None:
            share.stop.pids.append(self.process.pid)  # a stop asked of the command reaches it

    def read(self, progress: Callable[[int], object]) -> dict[str, int]:
        while True:
            kind, value = self.receive()
            if kind == "taken":
                return value
            progress(value)

    def assign(self, entries: list[IndexEntry]) -> None:
        self.conn.send(entries)

    def next(self) -> Rendered:
        while not self.queue:
            if self.ended is not None:
                return STOPPED
            kind, value = self.receive()
            if kind == "ended":
                self.ended = value
            else:
                self.queue.extend(value)
        return self.queue.popleft()

    def finish(self) -> tuple[list[Rendered], Findings]:
        rest = []
        while (result := self.next()) is not STOPPED:
            rest.append(result)
        return rest, self.ended or ({}, set())

    def stop(self) -> None:
        self.conn.close()
        self.process.join(timeout=1)  # done with its work, it ends by itself
        if self.process.is_alive():  # the command stopped early: so does the worker
            self.process.terminate()
            self.process.join()

    def receive(self) -> tuple[str, Any]:
        """The worker's next word; WorkerFailed when it failed or died."""
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(timeout=5)
            raise WorkerFailed(
                f"a rerender worker ended unexpectedly (exit code {self.process.exitcode})"
            ) from exc
        if kind == "failed":
            raise WorkerFailed(f"a rerender worker failed:\n{value}")
        return kind, value


def _serve(conn: Connection, share: Share, parent: int) -> None:
    """A forked worker's whole life: read, say what it holds, render what it is given, say
    what it found wrong with the captures."""
    _stop_with(share, parent)
    # What the command's process made (the list of captures...) lives as long as the worker:
    # kept out of the collector's walks, which would copy every page of it.
    gc.freeze()
    results: Iterator[Rendered] = iter(())
    try:
        conn.send(("taken", share.read(lambda count: conn.send(("read", count)))))
        batch: list[Rendered] = []
        results = share.render(conn.recv())
        for result in results:
            batch.append(result)
            if len(batch) == _BATCH:
                conn.send(("rendered", batch))
                batch = []
        conn.send(("rendered", batch))
        conn.send(("ended", findings(share.captured)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        share.stop.abandoned = True  # the command is gone: nobody to tell, nothing to place
    except BaseException:  # noqa: BLE001 - whatever it is, the command must hear of it
        with contextlib.suppress(OSError):
            conn.send(("failed", traceback.format_exc()))
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # its staged files removed, here and now
        conn.close()


def _stop_with(share: Share, parent: int) -> None:
    """A Ctrl-C, to the group or passed on by the command, asks this worker to stop as the
    command does (`Stop`); a SIGTERM has it abandon its work. On Linux the kernel sends that
    SIGTERM when the command dies, however it dies."""
    own = Stop()  # the command's would pass the signal on to the other workers
    signal.signal(signal.SIGINT, own.ask)
    signal.signal(signal.SIGTERM, own.abandon)
    own.asked = own.asked or share.stop.asked  # asked before: by the handler forked with it
    share.stop = own
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that was asked
        own.abandon(signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


class Workers:
    """`jobs` shares of the captures, each in its worker; use as a context manager."""

    def __init__(
        self,
        captured: Captured,
        layout: Layout,
        options: PublishOptions,
        jobs: int,
        stop: Stop | None = None,
    ) -> None:
        jobs = max(1, min(jobs, len(captured.sources)))
        if "fork" not in multiprocessing.get_all_start_methods():
            jobs = 1  # workers start with the captures in memory: only a fork gives them so
        make = Worker if jobs == 1 else ForkedWorker
        stop = stop or Stop()
        self.workers = [make(Share(captured, layout, options, n, jobs, stop)) for n in range(jobs)]
        if stop.asked:  # while they were forked: each hears of it now
            stop.ask(stop.asked)
        self.owner: dict[str, int] = {}  # item key -> the worker holding its latest capture
        self.damaged: dict[tuple[str, int], str] = {}  # (WARC, offset) -> URL: why, all told
        self.misindexed: set[str] = set()  # WARC files whose index named other records

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for worker in self.workers:
            worker.stop()

    def read(self, progress: Callable[[int], object]) -> None:
        """Every share read: who holds which item (the latest capture of it)."""
        forked = [w for w in self.workers if isinstance(w, ForkedWorker)]
        taken = _read_all(forked, progress) if forked else [w.read(progress) for w in self.workers]
        latest: dict[str, int] = {}
        for number, held in enumerate(taken):
            for key, place in held.items():
                if place > latest.get(key, -1):
                    latest[key] = place
                    self.owner[key] = number

    def assign(self, entries: list[IndexEntry]) -> None:
        """Each worker gets the entries it holds, in this order (results come back so)."""
        shares: list[list[IndexEntry]] = [[] for _ in self.workers]
        for entry in entries:
            if (number := self.owner.get(entry.key)) is not None:
                shares[number].append(entry)
        for worker, share in zip(self.workers, shares, strict=True):
            worker.assign(share)

    def result(self, entry: IndexEntry) -> Rendered | None:
        """The entry rendered again (entries asked for in the order assigned); None when no
        capture holds it; STOPPED when its worker stopped before it."""
        number = self.owner.get(entry.key)
        return None if number is None else self.workers[number].next()

    def finish(self) -> Iterator[Rendered]:
        """Each worker's last results, those not asked for (after a stop: the posts it put in
        place meanwhile, to record), and what they found wrong with the captures (`damaged`,
        `misindexed`)."""
        for worker in self.workers:
            rest, (damaged, misindexed) = worker.finish()
            self.damaged |= damaged
            self.misindexed |= misindexed
            yield from rest


# What a worker found wrong with the captures: the damaged records ((WARC, offset) -> URL:
# why), and the WARC files whose index named other records.
Findings = tuple[dict[tuple[str, int], str], set[str]]


def findings(captured: Captured) -> Findings:
    return captured.reader.damaged, captured.reader.misindexed


def _read_all(
    workers: list[ForkedWorker], progress: Callable[[int], object]
) -> list[dict[str, int]]:
    """Each forked worker's items, taken as they come (meanwhile each tells its progress)."""
    taken: dict[int, dict[str, int]] = {}
    waiting = {worker.conn: n for n, worker in enumerate(workers)}
    while waiting:
        for ready in wait(list(waiting)):
            number = waiting[ready]  # type: ignore[index]  # wait() gives back what it got
            kind, value = workers[number].receive()
            if kind == "taken":
                taken[number] = value
                del waiting[ready]  # type: ignore[arg-type]
            else:
                progress(value)
    return [taken[n] for n in range(len(workers))]

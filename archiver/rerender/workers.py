"""Rerender's workers: each share of the captures (archiver/rerender/shards.py) run in a forked
process, spoken to through a pipe, or in the command's own process when there is one job; one
job a core by default.

Workers are forked once the captures are listed, so they start with them in memory; each opens
the index read-only. A worker that fails says so with its traceback; one that dies is noticed.
Every worker hears of a stop asked of the command (archiver/rerender/stop.py).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from archiver.archive.index import IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import PublishOptions
from archiver.rerender.rebuild import Captured
from archiver.rerender.shards import STOPPED, Findings, Rendered, Share, findings
from archiver.rerender.stop import Stop, stop_with_command

_BATCH = 32  # rendered posts a worker sends at once


class WorkerFailed(RuntimeError):
    """A worker process stopped on an error (its traceback is the message) or died."""


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
    share.stop = stop_with_command(share.stop, parent)
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


def default_jobs() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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

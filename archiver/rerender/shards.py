"""Rerender's work shared out: each share reads every `jobs`-th capture that holds items and
renders the posts whose latest capture it read; the command's own process keeps the index.

A share first reads its captures and says which items it holds, and from which capture
(`Captured.taken`); an item captured in two shares belongs to the later capture. Then it renders
the index entries it was given, in their order, through the archive's publisher opened
read-only: an unchanged post is a few bytes of answer, a post whose rendering alone changed is
replaced by the share (staged, synced, renamed, as the writer does) and said once in place, for
the command to record; anything else (an item edited since, a row to correct) goes to the
command's own writer. Each share runs in a worker (archiver/rerender/workers.py); asked to stop
(archiver/rerender/stop.py), it reads and renders no further and puts in place what it staged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from archiver.archive.index import DamagedRow, IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import NotPublished, Outcome, Publisher, PublishOptions
from archiver.archive.storage import put_in_place, stage
from archiver.items import Post
from archiver.rerender.rebuild import Captured
from archiver.rerender.stop import Stop

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


# What a worker found wrong with the captures: the damaged records ((WARC, offset) -> URL:
# why), and the WARC files whose index named other records.
Findings = tuple[dict[tuple[str, int], str], set[str]]


def findings(captured: Captured) -> Findings:
    return captured.reader.damaged, captured.reader.misindexed

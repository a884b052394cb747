"""Posts on disk and in the index: one path per item for ever, written only when changed, and
the version an edit replaces kept in the index."""

from __future__ import annotations

import dataclasses
import hashlib
from enum import StrEnum
from pathlib import Path

from archiver.archive.index import ArchiveIndex, IndexEntry, utc_now
from archiver.archive.storage import atomic_write, inside, put_in_place, read_bytes, stage
from archiver.items import Post
from archiver.post.paths import post_relpath


class Outcome(StrEnum):
    """What publishing a post came to: one word for the writer, rerender's workers and whoever
    counts them. A value is the last part of its stats key (`archiver/posts/new`) and the first
    word of its log line (`New _posts/...`)."""

    NEW = "new"  # written where there was nothing
    UPDATED = "updated"  # written over other bytes (or put in place by a worker: PLACED)
    UNCHANGED = "unchanged"  # the same bytes there already, nothing written
    # What writing would do while rerendering (`PostWriter.plan`), for rerender's workers:
    REPLACE = "replace"  # only the rendering changed: a worker may replace the file
    WRITE = "write"  # anything else: left to the writer of the command's process
    # What came of one post in a rerender worker (besides UNCHANGED and WRITE):
    PLACED = "placed"  # a new rendering the worker put in place, to record
    DROPPED = "dropped"  # it could not be rendered
    FAILED = "failed"  # it could not be read or put in place
    STOPPED = "stopped"  # its worker stopped before it


class PostWriter:
    def __init__(self, archive_dir: Path, index: ArchiveIndex) -> None:
        self.archive_dir = archive_dir
        self.index = index
        # Changed posts written but not yet in place, with their index rows (see rerendering);
        # None: each is put in place as it is written.
        self.staged: list[tuple[Path, Path, IndexEntry]] | None = None
        self.in_place: list[IndexEntry] = []  # put in place by others, to record (`placed`)
        # Folders on the way to the index's paths found no link (storage.inside), this run.
        self.folders: set[str] = set()

    def rerendering(self) -> None:
        """From now on the posts are renderings again of what was captured (`rerender`):

        * a changed post goes to a temporary file, and `flush` puts the staged ones in place,
          synced together, and records them in one transaction (thousands of posts, where a
          sync each would be most of the time);
        * nothing was seen on Zhihu: an entry keeps its `last_seen`, and an unchanged post
          whose entry is as it would be recorded is not written to the index at all;
        * the text a post replaces is kept as a version only when the item itself changed
          (its updated time), not its rendering: versions are Zhihu's edits.
        """
        if self.staged is None:
            self.staged = []

    def flush(self) -> list[tuple[str, OSError]]:
        """Put the staged posts in place and record them in the index; the paths of those that
        could not be, with why (their index rows are left as they were)."""
        staged = self.staged or []
        if self.staged is not None:
            self.staged = []
        failed = put_in_place([(tmp, target) for tmp, target, _ in staged])
        lost = {target for target, _ in failed}
        placed, self.in_place = self.in_place, []
        self._record([entry for _, target, entry in staged if target not in lost] + placed)
        return [(target.relative_to(self.archive_dir).as_posix(), exc) for target, exc in failed]

    def known(self, post: Post) -> IndexEntry | None:
        """The index entry of this item, also under an id an earlier version gave it."""
        if entry := self.index.get(_key(post)):
            return entry
        for former in post.former_ids:
            entry = self.index.get(f"{post.kind}:{former}")
            # Only the same item: under the former key, another feed's item may stand.
            if entry is not None and entry.url == post.url:
                return entry
        return None

    def plan(
        self, post: Post, data: bytes, known: IndexEntry | None = None
    ) -> tuple[Outcome, IndexEntry | None]:
        """What writing these bytes would do while rerendering, for rerender's worker
        processes (which only read the index): (UNCHANGED, None) when nothing would change,
        on disk or in the index; (REPLACE, the entry to record) when only the rendering of
        a known post changes (no version to keep: the file may be replaced by a worker, then
        recorded with `placed`); (WRITE, None) for anything else, left to `write`. `known`:
        the item's entry, when the caller has it."""
        known = known or self.known(post)
        if known is None or known.key != _key(post):
            return Outcome.WRITE, None
        try:
            current = read_bytes(inside(self.archive_dir, known.path, self.folders))
        except OSError:
            return Outcome.WRITE, None  # `write` will say what is wrong
        entry = _entry(post, known.path, data)
        if current == data:
            return (
                (Outcome.UNCHANGED, None) if _as_recorded(known, entry) else (Outcome.WRITE, None)
            )
        if current is None or known.updated_time != post.updated:
            return Outcome.WRITE, None
        return Outcome.REPLACE, entry

    def placed(self, entry: IndexEntry) -> None:
        """A post a worker put in place (see `plan`): recorded with the next `flush`."""
        self.in_place.append(entry)

    def write(self, post: Post, data: bytes) -> tuple[Outcome, str]:
        """Write a post's bytes; (NEW | UPDATED | UNCHANGED, its path in the archive).

        Raises OSError when the file cannot be written (then the index is left as it was).
        """
        known = self.known(post)
        # An item keeps the path it was first written to, whatever entry point sees it later.
        if known:
            relpath = known.path
            target = inside(self.archive_dir, relpath, self.folders)  # from the index: UnsafePath
        else:
            relpath = post_relpath(post.categories, post.kind, post.id).as_posix()
            target = self.archive_dir / relpath
        if known is not None and known.key != _key(post):
            self.index.rename(known.key, _key(post))  # keyed as today from now on
            known = dataclasses.replace(known, key=_key(post))
        current = read_bytes(target)
        entry = _entry(post, relpath, data)
        rerendering = self.staged is not None
        if current == data:
            if rerendering and known is not None and _as_recorded(known, entry):
                return Outcome.UNCHANGED, relpath
            state = Outcome.UNCHANGED
        else:
            edited = known is not None and known.updated_time != post.updated
            if current is not None and known is not None and (edited or not rerendering):
                # An edit replaces the post: the replaced text stays in the index's history.
                self.index.keep_version(known, current, utc_now())
            state = Outcome.UPDATED if known or current is not None else Outcome.NEW
            if self.staged is not None:
                # Recorded once in place (flush): the index never names bytes not on disk.
                self.staged.append((stage(target, data), target, entry))
                return state, relpath
            atomic_write(target, data)
        self._record([entry])
        return state, relpath

    def _record(self, entries: list[IndexEntry]) -> None:
        if entries:
            self.index.record_many(entries, utc_now(), seen=self.staged is None)


def _entry(post: Post, relpath: str, data: bytes) -> IndexEntry:
    """The index entry of a post written at `relpath` with these bytes."""
    return IndexEntry(
        key=_key(post),
        kind=post.kind,
        item_id=post.id,
        url=post.url,
        question_id=post.question_id,
        title=post.title,
        path=relpath,
        updated_time=post.updated,
        content_hash=hashlib.sha256(data).hexdigest(),
    )


def _as_recorded(known: IndexEntry, entry: IndexEntry) -> bool:
    """Whether the index already holds this entry (when it was seen aside)."""
    return dataclasses.replace(known, first_seen="", last_seen="") == entry


def _key(post: Post) -> str:
    return f"{post.kind}:{post.id}"

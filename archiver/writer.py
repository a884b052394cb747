"""Posts on disk and in the index: one path per item for ever, written only when changed, and
the version an edit replaces kept in the index."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from archiver.index import ArchiveIndex, IndexEntry, utc_now
from archiver.items import Post
from archiver.post.paths import post_relpath
from archiver.storage import atomic_write, put_in_place, read_bytes, stage


class PostWriter:
    def __init__(self, archive_dir: Path, index: ArchiveIndex) -> None:
        self.archive_dir = archive_dir
        self.index = index
        # Changed posts written but not yet in place, with their index rows (see stage_writes);
        # None: each is put in place as it is written.
        self.staged: list[tuple[Path, Path, IndexEntry]] | None = None

    def stage_writes(self) -> None:
        """From now on a changed post goes to a temporary file, and `flush` puts the staged ones
        in place, synced together, and records them: for a command that rewrites thousands of
        posts, where a sync each is most of its time."""
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
        for _, target, entry in staged:
            if target not in lost:
                self.index.record(entry, utc_now())
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

    def write(self, post: Post, data: bytes) -> tuple[str, str]:
        """Write a post's bytes; ("new" | "updated" | "unchanged", its path in the archive).

        Raises OSError when the file cannot be written (then the index is left as it was).
        """
        known = self.known(post)
        if known is not None and known.key != _key(post):
            self.index.rename(known.key, _key(post))  # keyed as today from now on
            known = dataclasses.replace(known, key=_key(post))
        # An item keeps the path it was first written to, whatever entry point sees it later.
        relpath = (
            known.path if known else post_relpath(post.categories, post.kind, post.id).as_posix()
        )
        target = self.archive_dir / relpath
        current = read_bytes(target)
        entry = IndexEntry(
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
        if current == data:
            state = "unchanged"
        else:
            if current is not None and known is not None:
                # An edit replaces the post: the replaced text stays in the index's history.
                self.index.keep_version(known, current, utc_now())
            state = "updated" if known or current is not None else "new"
            if self.staged is not None:
                # Recorded once in place (flush): the index never names bytes not on disk.
                self.staged.append((stage(target, data), target, entry))
                return state, relpath
            atomic_write(target, data)
        self.index.record(entry, utc_now())
        return state, relpath


def _key(post: Post) -> str:
    return f"{post.kind}:{post.id}"

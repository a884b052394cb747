"""Is the archive whole? Every check of `scrapy verify`, each problem one line, and the repairs.

Checks read the archive against its index: posts and figures with their digests, the local-mode
links of each post, files the index does not know, temporary files left by a crash and, on
demand, every WARC file to its end (else only whether each has its index). Every path the
index holds is judged before it is used (`storage.inside`): one that leads out of the archive
is reported, never followed. A repair only ever restores what the index or a capture
holds; files the index does not know are the user's to judge, never removed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import CHARTS, INDEXED_FOLDERS, SHIPPED_IMAGE, STATE
from archiver.archive.storage import (
    DEFAULT_MAX_READ,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    UnsafePath,
    inside,
    open_regular,
)
from archiver.items import StoredFigure
from archiver.webarchive.cdxj import Damaged, cdxj_path, read_cdxj, scan, warc_files
from archiver.webarchive.records import Capture

# Made again from the index by every hot-list run (the history's charts), so known without a row.
GENERATED = (f"{CHARTS}/",)
# Site paths a post links to: `src="/images/..."` (a video's `poster` and `src` too), and its
# front matter's `'/images/...'`.
_LOCAL_LINK = re.compile(r"""(?:src="|poster="|: ')(/(?:images|videos)/[^"'\s]+)""")


@dataclass(frozen=True)
class Problem:
    kind: str  # missing_post, altered_post, missing_figure, altered_figure, missing_thumbnail,
    # broken_src, unknown_file, temporary_file, unsafe_path, damaged_warc, unindexed_warc
    path: str  # relative to the archive (a WARC: as found)
    detail: str = ""
    key: str = ""  # the index key of the post or figure it is about

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


def sha256_of(path: Path) -> str | None:
    """The file's digest, read in chunks (a file of any size); None when there is none;
    UnsafePath for a link, a FIFO or a device where a file should be."""
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def post_problems(root: Path, index: ArchiveIndex, folders: set[str]) -> Iterator[Problem]:
    """`folders`: those found no link already (see `storage.inside`)."""
    for entry in index.entries():
        checked = recorded_file(root, entry.path, entry.content_hash, "post", entry.key, folders)
        if checked is None:
            yield from link_problems(root, entry.path, folders)
        else:
            yield checked


def recorded_file(
    root: Path, relpath: str, sha256: str, what: str, key: str, folders: set[str]
) -> Problem | None:
    """What is wrong with a file the index records (`unsafe_path`, `missing_<what>`,
    `altered_<what>`); None when it holds the recorded bytes."""
    try:
        digest = sha256_of(inside(root, relpath, folders))
    except UnsafePath as exc:
        return unsafe(exc, key)
    if digest is None:
        return Problem(f"missing_{what}", relpath, key=key)
    if digest != sha256:
        detail = f"sha256 {digest[:12]}…, the index has {sha256[:12]}…"
        return Problem(f"altered_{what}", relpath, detail, key)
    return None


def unsafe(exc: UnsafePath, key: str) -> Problem:
    """A path of the index that leads out of the archive: reported, never followed."""
    return Problem("unsafe_path", str(exc.filename), exc.strerror or "", key)


def link_problems(root: Path, relpath: str, folders: set[str]) -> Iterator[Problem]:
    """Every `/images/...` and `/videos/...` a post links to must be in the archive (local
    mode)."""
    text = (root / relpath).read_text(encoding="utf-8", errors="replace")
    for link in sorted(set(_LOCAL_LINK.findall(text))):
        if not _is_file(root, link.lstrip("/"), folders):
            yield Problem("broken_src", relpath, link)


def _is_file(root: Path, relpath: str, folders: set[str]) -> bool:
    try:
        return inside(root, relpath, folders).is_file()
    except UnsafePath:
        return False


def figure_problems(
    root: Path, figures: list[StoredFigure], folders: set[str]
) -> Iterator[Problem]:
    for figure in figures:
        checked = recorded_file(root, figure.path, figure.sha256, "figure", figure.key, folders)
        if checked is not None:
            yield checked
            if checked.kind == "unsafe_path":
                continue  # nothing of it is looked at further
        for size, thumb in sorted(figure.thumbnails.items()):
            try:
                present = inside(root, thumb, folders).is_file()
            except UnsafePath as exc:
                yield unsafe(exc, figure.key)
                continue
            if not present:
                yield Problem("missing_thumbnail", thumb, size, figure.key)


def stray_problems(root: Path, known: set[str]) -> Iterator[Problem]:
    """Files under `_posts/`, `images/` and `videos/` the index does not know; our temporary
    files."""
    for folder in INDEXED_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_dir() or rel in known or rel.startswith(GENERATED):
                continue
            if path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX):
                yield Problem("temporary_file", rel, "left by an interrupted run")
            else:
                yield Problem("unknown_file", rel, "not in the index")
    for path in sorted((root / STATE).rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")):
        yield Problem("temporary_file", path.relative_to(root).as_posix(), "left by a run")


def known_files(index: ArchiveIndex, figures: list[StoredFigure]) -> set[str]:
    known = {entry.path for entry in index.entries()} | {SHIPPED_IMAGE}
    for figure in figures:
        known.add(figure.path)
        known.update(figure.thumbnails.values())
    return known


def unindexed_problems(warc_dir: Path) -> Iterator[Problem]:
    """WARC files without an index beside them, as a run that was stopped (a SIGKILL, a power
    cut) leaves its last one: found without reading them."""
    if not warc_dir.is_dir():
        return
    for warc in warc_files(warc_dir):
        if not cdxj_path(warc).exists():
            yield Problem("unindexed_warc", str(warc), "no CDXJ index beside it: a run stopped")


def warc_problems(warc_dir: Path, limit: int = DEFAULT_MAX_READ) -> Iterator[Problem]:
    """Every WARC read to its end with its digests checked, no record larger than `limit`
    once decompressed; its index there, sound, and naming the records the file holds."""
    if not warc_dir.is_dir():
        return
    for warc in warc_files(warc_dir):
        found: list[Capture] = []
        try:
            scan(warc, found, limit)
        except Damaged as exc:
            yield Problem("damaged_warc", str(warc), str(exc))
            continue
        listed = read_cdxj(warc, limit)
        if listed is None:
            yield Problem("unindexed_warc", str(warc), "no sound CDXJ index beside it")
        elif not {(c.offset, c.url) for c in listed} <= {(c.offset, c.url) for c in found}:
            yield Problem("unindexed_warc", str(warc), "its CDXJ index names other records")


def problems(
    root: Path, index: ArchiveIndex, warc_dir: Path, *, read_warcs: bool, limit: int
) -> list[Problem]:
    """Everything `verify` checks; `read_warcs` (`--warc`): every WARC file read whole, else
    only each one's index looked for."""
    figures = index.figures()
    folders: set[str] = set()  # each folder on the way looked at once
    found = [
        *post_problems(root, index, folders),
        *figure_problems(root, figures, folders),
        *stray_problems(root, known_files(index, figures)),
    ]
    found += warc_problems(warc_dir, limit) if read_warcs else unindexed_problems(warc_dir)
    return found

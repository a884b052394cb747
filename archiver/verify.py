"""Is the archive whole? Every check of `scrapy verify`, each problem one line, and the repairs.

Checks read the archive against its index: posts and figures with their digests, the local-mode
links of each post, files the index does not know, temporary files left by a crash and, on
demand, every WARC file to its end. A repair only ever restores what the index or a capture
holds; files the index does not know are the user's to judge, never removed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archiver.index import ArchiveIndex
from archiver.items import StoredFigure
from archiver.storage import TEMP_PREFIX, TEMP_SUFFIX
from archiver.warcindex import Damaged, read_cdxj, scan, warc_files

# The image the project ships for posts without one: written by the pipeline, not a figure.
SHIPPED_IMAGE = "images/default/headimg.png"
# Made again from the index by every hot-list run (the history's charts), so known without a row.
GENERATED = ("images/hotlist/",)
# Site paths a post links to: `src="/images/..."` (a video's `poster` and `src` too), and its
# front matter's `'/images/...'`.
_LOCAL_LINK = re.compile(r"""(?:src="|poster="|: ')(/(?:images|videos)/[^"'\s]+)""")
# Where the archive keeps what the index knows (videos: ARCHIVE_VIDEOS = "download").
_INDEXED_FOLDERS = ("_posts", "images", "videos")


@dataclass(frozen=True)
class Problem:
    kind: str  # missing_post, altered_post, missing_figure, altered_figure, missing_thumbnail,
    # broken_src, unknown_file, temporary_file, damaged_warc, unindexed_warc
    path: str  # relative to the archive (a WARC: as found)
    detail: str = ""
    key: str = ""  # the index key of the post or figure it is about

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}" + (f" ({self.detail})" if self.detail else "")


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def post_problems(root: Path, index: ArchiveIndex) -> Iterator[Problem]:
    for entry in index.entries():
        digest = sha256_of(root / entry.path)
        if digest is None:
            yield Problem("missing_post", entry.path, key=entry.key)
        elif digest != entry.content_hash:
            detail = f"sha256 {digest[:12]}…, the index has {entry.content_hash[:12]}…"
            yield Problem("altered_post", entry.path, detail, entry.key)
        else:
            yield from link_problems(root, entry.path)


def link_problems(root: Path, relpath: str) -> Iterator[Problem]:
    """Every `/images/...` and `/videos/...` a post links to must be in the archive (local
    mode)."""
    text = (root / relpath).read_text(encoding="utf-8", errors="replace")
    for link in sorted(set(_LOCAL_LINK.findall(text))):
        if not (root / link.lstrip("/")).is_file():
            yield Problem("broken_src", relpath, link)


def figure_problems(root: Path, figures: list[StoredFigure]) -> Iterator[Problem]:
    for figure in figures:
        digest = sha256_of(root / figure.path)
        if digest is None:
            yield Problem("missing_figure", figure.path, key=figure.key)
        elif digest != figure.sha256:
            detail = f"sha256 {digest[:12]}…, the index has {figure.sha256[:12]}…"
            yield Problem("altered_figure", figure.path, detail, figure.key)
        for size, thumb in sorted(figure.thumbnails.items()):
            if not (root / thumb).is_file():
                yield Problem("missing_thumbnail", thumb, size, figure.key)


def stray_problems(root: Path, known: set[str]) -> Iterator[Problem]:
    """Files under `_posts/`, `images/` and `videos/` the index does not know; our temporary
    files."""
    for folder in _INDEXED_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_dir() or rel in known or rel.startswith(GENERATED):
                continue
            if path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX):
                yield Problem("temporary_file", rel, "left by an interrupted run")
            else:
                yield Problem("unknown_file", rel, "not in the index")
    for path in sorted((root / ".archiver").rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")):
        yield Problem("temporary_file", path.relative_to(root).as_posix(), "left by a run")


def known_files(index: ArchiveIndex, figures: list[StoredFigure]) -> set[str]:
    known = {entry.path for entry in index.entries()} | {SHIPPED_IMAGE}
    for figure in figures:
        known.add(figure.path)
        known.update(figure.thumbnails.values())
    return known


def warc_problems(warc_dir: Path) -> Iterator[Problem]:
    """Every WARC read to its end with its digests checked; its index there and sound."""
    if not warc_dir.is_dir():
        return
    for warc in warc_files(warc_dir):
        try:
            scan(warc, [])
        except Damaged as exc:
            yield Problem("damaged_warc", str(warc), str(exc))
            continue
        if read_cdxj(warc) is None:
            yield Problem("unindexed_warc", str(warc), "no sound CDXJ index beside it")


def problems(root: Path, index: ArchiveIndex, warc_dir: Path | None) -> list[Problem]:
    figures = index.figures()
    found = [
        *post_problems(root, index),
        *figure_problems(root, figures),
        *stray_problems(root, known_files(index, figures)),
    ]
    if warc_dir is not None:
        found += warc_problems(warc_dir)
    return found

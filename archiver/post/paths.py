"""Where a post lives inside the archive: stable per item, safe on every file system. The site's
names that posts themselves link to live here too (a post is pure text: archiver.archive.layout
builds every other path inside the archive on these)."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

# Characters Windows, macOS or Hexo cannot take in a path segment. Hexo percent-decodes paths and
# silently skips a post whose path holds a `%` that is no valid escape (`%YAML`, `{% raw %}`).
_UNSAFE = re.compile(r'[<>:"/\\|?*%\x00-\x1f\x7f]')
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
_LEADING_HIDDEN = re.compile(r"^[._]+")
POSTS = "_posts"
# The image the project ships for posts without one, as posts link to it.
SHIPPED_IMAGE = "/images/default/headimg.png"
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


def post_relpath(categories: tuple[str, ...], kind: str, item_id: str) -> PurePosixPath:
    """`_posts/<category path>/<kind>-<id>.md`; ids that are not plain names are hashed."""
    name = (
        item_id if _PLAIN_ID.fullmatch(item_id) else hashlib.sha1(item_id.encode()).hexdigest()[:16]
    )
    return PurePosixPath(POSTS, *(safe_segment(c) for c in categories), f"{kind}-{name}.md")


def safe_segment(segment: str) -> str:
    """One directory name: unsafe characters replaced, never empty, never hidden from Hexo.

    Hexo skips paths that start with `.` or `_`; Windows cannot take a trailing dot or space.
    """
    cleaned = _LEADING_HIDDEN.sub("-", _UNSAFE.sub("_", segment).strip().rstrip(". "))
    if not cleaned or cleaned.lower().split(".")[0] in _RESERVED:
        cleaned = f"-{cleaned}"
    return cleaned


def categories_of(relpath: str) -> tuple[str, ...]:
    """`_posts/社交媒体/知乎/知乎热榜/answer-1.md` -> its category path (the folders)."""
    return PurePosixPath(relpath).parts[1:-1]


def post_slug(relpath: str) -> str:
    """Hexo's name of a post (`{% post_link %}`): its path under `_posts/`, without `.md`."""
    return PurePosixPath(relpath).relative_to(POSTS).with_suffix("").as_posix()

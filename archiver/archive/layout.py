"""Where everything lives under ARCHIVE_DIR: the one module that builds a path inside the archive.

Two kinds of path:
- the site's files, which a Hexo `source/` folder serves: posts (`_posts/`, named by
  archiver.post.paths, which post/ shares for its `post_link`s), figures and their thumbnails
  (`images/`), videos (`videos/`), the hot list's charts (`images/hotlist/`), the shipped head
  image;
- the archiver's own state, in `.archiver/` (Hexo skips dotfolders): the index, the lock, the WARC
  files and their CDXJ indexes, the challenge token's cache. ARCHIVE_INDEX and WARC_DIR may put
  the index and the WARC files elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from archiver.post.paths import POSTS, post_relpath, post_slug
from archiver.post.paths import SHIPPED_IMAGE as SHIPPED_IMAGE_URL

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["POSTS", "post_relpath", "post_slug"]

STATE = ".archiver"
IMAGES = "images"
VIDEOS = "videos"
THUMBNAILS = PurePosixPath(IMAGES, "thumbs")
CHARTS = PurePosixPath(IMAGES, "hotlist")
# The image the project ships for posts without one, where posts link to it (post/render).
SHIPPED_IMAGE = SHIPPED_IMAGE_URL.lstrip("/")
# The folders of the site whose every file the index knows (videos: ARCHIVE_VIDEOS = "download").
INDEXED_FOLDERS = (POSTS, IMAGES, VIDEOS)


def figure_path(stem: str, ext: str) -> str:
    """A figure's original bytes, relative to the archive (`stem`: archiver.post.figures.figure_key
    without its extension)."""
    return f"{IMAGES}/{stem}.{ext}"


def thumbnail_path(size: str, stem: str, ext: str) -> str:
    return f"{THUMBNAILS}/{size}/{stem}.{ext}"


def video_path(lens_id: str) -> str:
    return f"{VIDEOS}/{lens_id}.mp4"


@dataclass(frozen=True)
class Layout:
    """The archive at `root`, with the index and WARC folder the settings give."""

    root: Path
    index_file: str = ""  # ARCHIVE_INDEX; "" for the default, inside the state folder
    warc_folder: str = ""  # WARC_DIR; likewise

    @classmethod
    def of(cls, settings: BaseSettings) -> Layout:
        return cls(
            Path(settings["ARCHIVE_DIR"]),
            settings.get("ARCHIVE_INDEX") or "",
            settings.get("WARC_DIR") or "",
        )

    @property
    def state(self) -> Path:
        return self.root / STATE

    @property
    def index(self) -> Path:
        return Path(self.index_file) if self.index_file else self.state / "index.sqlite3"

    @property
    def lock(self) -> Path:
        return self.state / "lock"

    @property
    def warc_dir(self) -> Path:
        return Path(self.warc_folder) if self.warc_folder else self.state / "warc"

    @property
    def token_cache(self) -> Path:
        """The challenge token solved last (a secret: 0600)."""
        return self.state / "zse_ck.json"

    @property
    def charts(self) -> Path:
        return self.root / CHARTS

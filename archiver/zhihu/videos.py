"""Zhihu's video play-info: which MP4 of a video to archive. Pure: JSON bytes in, a choice out.

The player of a video card (`a.video-box`, `data-lens-id`) asks Zhihu's video service for the
video's renditions, `https://lens.zhihu.com/api/v4/videos/<lens id>`:

    {"title": "", "duration": 11.03, "cover_info": {"thumbnail": "https://pic4.zhimg.com/..."},
     "playlist": {"LD": {"format": "mp4", "play_url": "https://vdn1.vzuu.com/LD/<uuid>.mp4?...",
                         "width": 640, "height": 360, "fps": 25, "duration": 46.383,
                         "bitrate": 372.013, "size": 2156886},
                  "SD": {...}, "HD": {...}, "FHD": {...}},
     "playlist_v2": {...}}

That shape is the one public clients read: yt-dlp's Zhihu extractor
(yt-dlp/yt-dlp, `yt_dlp/extractor/zhihu.py`, `_extract_video_formats`: `play_url` or `url`,
`size`, `width`, `height`, `bitrate` of each `playlist` entry) and the "知乎视频下载" user script
(greasyfork 39206), which fetch the same endpoint. Quality names come upper-case (`LD`) in some
responses and lower-case (`ld`) in others, and an entry may be HLS (`"format": "m3u8"`); newer
responses add `playlist_v2`, read only when `playlist` is empty. The endpoint wants no login and
no signature (those clients send neither), so none is sent (archiver.middlewares.OPEN_HOSTS): a
browser User-Agent and Referer `https://www.zhihu.com/`, as the player in a Zhihu page. (The user
script also sent the web app's public `authorization: oauth c3cef7c6…` key of zplayer.min.js;
RSSHub's Zhihu routes call that key outdated, and no other client needs it: not sent.) The MP4
itself comes from Zhihu's video CDN, `vdn*.vzuu.com`, its URL signed (`auth_key`, `expiration`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PLAY_INFO = "https://lens.zhihu.com/api/v4/videos/{id}"
# The quality names of Zhihu's player, worst first: the tie-break between equal sizes.
_QUALITIES = ("ld", "sd", "hd", "fhd", "uhd")


class NoVariant(ValueError):
    """No rendition of the video can be archived; `reason` is a stats key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class Variant:
    """One rendition of a video, as the play-info names it."""

    quality: str  # "HD", "ld"... as Zhihu wrote it
    url: str
    size: int = 0  # bytes, 0 when the play-info does not say
    width: int = 0
    height: int = 0
    bitrate: float = 0.0

    @property
    def rank(self) -> tuple[int, float, int]:
        """Better is larger: pixels, then bitrate, then the player's own order of names."""
        name = self.quality.lower()
        order = _QUALITIES.index(name) if name in _QUALITIES else -1
        return self.width * self.height, self.bitrate, order


def play_info_url(lens_id: str) -> str:
    """The play-info of a video; only digits make an id, so no input chooses another URL."""
    if not lens_id.isascii() or not lens_id.isdigit():
        raise ValueError(f"not a lens id: {lens_id!r}")
    return PLAY_INFO.format(id=lens_id)


def variants(body: bytes) -> list[Variant]:
    """Every MP4 rendition of a play-info response, in the order Zhihu lists them."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeError) as exc:
        raise NoVariant("bad_play_info", "not JSON") from exc
    if not isinstance(data, dict):
        raise NoVariant("bad_play_info", "not a JSON object")
    playlist = data.get("playlist") or data.get("playlist_v2")
    if not isinstance(playlist, dict) or not playlist:
        raise NoVariant("no_playlist", "the play-info lists no rendition")
    found = [v for name, entry in playlist.items() if (v := _variant(str(name), entry))]
    if not found:
        raise NoVariant("no_mp4", f"no MP4 among {', '.join(map(str, playlist))}")
    return found


def best_variant(found: list[Variant], max_size: int) -> Variant:
    """The best rendition whose announced size is at most `max_size` bytes.

    A rendition of unknown size may be chosen: the download itself is cut at `max_size`.
    """
    fitting = [v for v in found if v.size <= max_size]
    if not fitting:
        smallest = min(v.size for v in found)
        raise NoVariant("too_large", f"the smallest rendition is {smallest} bytes")
    return max(fitting, key=lambda v: v.rank)


def choose(body: bytes, max_size: int) -> Variant:
    """The rendition to archive from a play-info response; NoVariant says why there is none."""
    return best_variant(variants(body), max_size)


def looks_like_mp4(data: bytes) -> bool:
    """An ISO base media file starts with its `ftyp` box (an error page does not)."""
    return len(data) >= 12 and data[4:8] == b"ftyp"


def _variant(name: str, entry: Any) -> Variant | None:
    if not isinstance(entry, dict):
        return None
    url = entry.get("play_url") or entry.get("url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    if str(entry.get("format", "mp4")).lower() != "mp4":
        return None  # HLS: a playlist of segments, not one file to keep
    return Variant(
        quality=name,
        url=url,
        size=_number(entry.get("size"), int),
        width=_number(entry.get("width"), int),
        height=_number(entry.get("height"), int),
        bitrate=_number(entry.get("bitrate"), float),
    )


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return kind(0)
    return kind(value)

"""Zhihu's video play-info: which MP4 of a video to archive. Pure: JSON bytes in, a choice out.

A video card (`a.video-box`, `data-lens-id`) is played from its play-info, which names the
video's renditions. Two endpoints answer it:

- `POST https://www.zhihu.com/api/v4/video/play_info?r=<lens id>`, what Zhihu's web player asks
  today, with a JSON body naming the video and the content that shows it:
  `{"content_id": "<answer id>", "content_type_str": "answer", "video_id": "<lens id>",
  "scene_code": "answer_detail_web", "is_only_video": true}` (`article_detail_web` for an
  article...). Taken from zhihu-plus-plus (zly2006/zhihu-plus-plus, 2026,
  `fetchHighestQualityZhihuVideoUrl` in shared/.../data/ZhihuDataTypes.kt: the login cookie,
  signed with the body) and ltaoo/wx_channels_download (2026, pkg/scraper/zhihu/video.go, and
  its play-info fixture of internal/adapter/zhihu/video_test.go). The answer:

      {"video_play": {"id": "<lens id>", "default_cover": "https://pic1.zhimg.com/...",
        "meta": {"mime": "video/mp4", "duration": 12.13, "resolution": {...}},
        "playlist": {"mp4": [{"key": 20012, "name": "720P", "label": "高清 720P",
          "quality": "HD", "format": "mp4", "codec": "H264", "bitrate": 722, "width": 720,
          "height": 1280, "size": 1096396, "fps": 30,
          "url": ["https://vdn6.vzuu.com/...mp4?...", "https://<mirror>/...mp4?..."]},
          {..."codec": "H265"...}]}}}

  Each rendition comes in H.264 and often in H.265 too, each with a list of mirror URLs.
- `GET https://lens.zhihu.com/api/v4/videos/<lens id>`, the 2018 endpoint, kept as the fallback
  where the first refuses (401, 403, 404) and as the only one for a video outside an answer,
  article or pin. No login, no signature (public clients send neither;
  archiver.downloader.middlewares OPEN_HOSTS):

      {"title": "", "duration": 11.03, "cover_info": {"thumbnail": "https://pic4.zhimg.com/..."},
       "playlist": {"LD": {"format": "mp4", "play_url": "https://vdn1.vzuu.com/LD/<uuid>.mp4?...",
                           "width": 640, "height": 360, "fps": 25, "duration": 46.383,
                           "bitrate": 372.013, "size": 2156886},
                    "SD": {...}, "HD": {...}, "FHD": {...}},
       "playlist_v2": {...}}

  as yt-dlp reads the same `playlist` shape (yt-dlp/yt-dlp, `yt_dlp/extractor/zhihu.py`, of a
  zvideo: `play_url` or `url`, `size`, `width`, `height`, `bitrate`) and the "知乎视频下载" user
  script (greasyfork 39206). Quality names come upper-case (`LD`) in some responses and
  lower-case (`ld`) in others, an entry may be HLS (`"format": "m3u8"`); `playlist_v2` is read
  only when `playlist` is empty. (The user script also sent the web app's public
  `authorization: oauth c3cef7c6…` key; RSSHub's Zhihu routes call it outdated: not sent.)

The MP4 itself comes from Zhihu's video CDN, `vdn*.vzuu.com`, its URL signed (`auth_key`,
`expiration`). A blog plays what browsers play: an H.264 rendition is preferred to an H.265 one
(which Firefox, and Chromium without a hardware decoder, do not play), then the most pixels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from archiver.utils.numbers import LARGEST
from archiver.zhihu.kinds import ITEMS

PLAY_INFO_PATH = "/api/v4/video/play_info"
LENS = "https://lens.zhihu.com/api/v4/videos/{id}"
# The quality names of Zhihu's player, worst first: the tie-break between equal sizes.
_QUALITIES = ("ld", "sd", "hd", "fhd", "uhd")
# What every browser's <video> decodes; "" where the play-info does not say (the lens shape).
_PLAYABLE_CODECS = frozenset({"", "h264", "avc", "avc1"})


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
    codec: str = ""  # "H264", "H265"; "" when the play-info does not say
    mirrors: tuple[str, ...] = ()  # other URLs of the same file, in Zhihu's order

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.mirrors)

    @property
    def rank(self) -> tuple[bool, int, float, int]:
        """Better is larger: a codec every browser plays, pixels, bitrate, then the player's own
        order of names."""
        name = self.quality.lower()
        order = _QUALITIES.index(name) if name in _QUALITIES else -1
        playable = self.codec.lower() in _PLAYABLE_CODECS
        return playable, self.width * self.height, self.bitrate, order


@dataclass(frozen=True)
class PlayInfoCall:
    """The web player's request for a video's play-info: a POST of `body` to `url`."""

    url: str
    body: bytes


def lens_url(lens_id: str) -> str:
    """The lens play-info of a video; only digits make an id, so no input chooses another URL."""
    return LENS.format(id=_lens_id(lens_id))


def play_info_call(base_url: str, lens_id: str, kind: str, content_id: str) -> PlayInfoCall | None:
    """What the web player sends for the video `lens_id` shown in this content (a post's kind
    and id); None for content it never plays videos of (a feed item, a Daily story)."""
    # The web player's scene of each kind of content that shows a video (wx_channels_download).
    scene = ITEMS[kind].player_scene if kind in ITEMS else ""
    if not scene or not content_id.isascii() or not content_id.isdigit():
        return None
    video_id = _lens_id(lens_id)
    body = {
        "content_id": content_id,
        "content_type_str": kind,
        "video_id": video_id,
        "scene_code": scene,
        "is_only_video": True,
    }
    url = f"{base_url.rstrip('/')}{PLAY_INFO_PATH}?r={video_id}"
    return PlayInfoCall(url, json.dumps(body, separators=(",", ":")).encode("ascii"))


def variants(body: bytes, video_id: str = "") -> list[Variant]:
    """Every MP4 rendition of a play-info response (either endpoint's), in Zhihu's order; a
    web play-info of another video than `video_id` is none."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeError) as exc:
        raise NoVariant("bad_play_info", "not JSON") from exc
    if not isinstance(data, dict):
        raise NoVariant("bad_play_info", "not a JSON object")
    entries = _web_entries(data, video_id) if "video_play" in data else _lens_entries(data)
    if not entries:
        raise NoVariant("no_playlist", "the play-info lists no rendition")
    found = [v for name, entry in entries if (v := _variant(name, entry))]
    if not found:
        raise NoVariant("no_mp4", f"no MP4 among {', '.join(name for name, _ in entries)}")
    return found


def _lens_entries(data: dict[str, Any]) -> list[tuple[str, Any]]:
    playlist = data.get("playlist") or data.get("playlist_v2")
    return [(str(name), e) for name, e in playlist.items()] if isinstance(playlist, dict) else []


def _web_entries(data: dict[str, Any], video_id: str) -> list[tuple[str, Any]]:
    play = data["video_play"]
    if not isinstance(play, dict):
        return []
    said = play.get("id")
    if video_id and said is not None and str(said) != video_id:
        raise NoVariant("bad_play_info", f"the play-info of another video ({said})")
    playlist = play.get("playlist")
    entries = playlist.get("mp4") if isinstance(playlist, dict) else None
    if not isinstance(entries, list):
        return []
    return [(_web_name(entry), entry) for entry in entries]


def _web_name(entry: Any) -> str:
    """An entry's `quality` (`HD`), else its `name` (`720P`); its codec is apart."""
    names = (entry.get(key) for key in ("quality", "name")) if isinstance(entry, dict) else ()
    return next((name for name in names if isinstance(name, str) and name), "?")


def best_variant(found: list[Variant], max_size: int) -> Variant:
    """The best rendition whose announced size is at most `max_size` bytes.

    A rendition of unknown size may be chosen: the download itself is cut at `max_size`.
    """
    fitting = [v for v in found if v.size <= max_size]
    if not fitting:
        smallest = min(v.size for v in found)
        raise NoVariant("too_large", f"the smallest rendition is {smallest} bytes")
    return max(fitting, key=lambda v: v.rank)


def choose(body: bytes, max_size: int, video_id: str = "") -> Variant:
    """The rendition to archive from a play-info response; NoVariant says why there is none."""
    return best_variant(variants(body, video_id), max_size)


def looks_like_mp4(data: bytes) -> bool:
    """An ISO base media file starts with its `ftyp` box (an error page does not)."""
    return len(data) >= 12 and data[4:8] == b"ftyp"


def _variant(name: str, entry: Any) -> Variant | None:
    if not isinstance(entry, dict):
        return None
    given = entry.get("play_url") or entry.get("url")
    # The web play-info gives a list of mirrors, the lens one URL.
    urls = [u for u in (given if isinstance(given, list) else [given]) if _is_web_url(u)]
    if not urls:
        return None
    if str(entry.get("format", "mp4")).lower() != "mp4":
        return None  # HLS: a playlist of segments, not one file to keep
    codec = entry.get("codec")
    return Variant(
        quality=name,
        url=urls[0],
        size=_number(entry.get("size"), int),
        width=_number(entry.get("width"), int),
        height=_number(entry.get("height"), int),
        bitrate=_number(entry.get("bitrate"), float),
        codec=codec.strip() if isinstance(codec, str) else "",
        mirrors=tuple(urls[1:]),
    )


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _lens_id(lens_id: str) -> str:
    if not lens_id.isascii() or not lens_id.isdigit():
        raise ValueError(f"not a lens id: {lens_id!r}")
    return lens_id


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """A size, a dimension or a bitrate; 0 when unusable (negative, NaN, Infinity, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return kind(0)
    if not 0 <= value <= LARGEST:  # False for NaN too
        return kind(0)
    return kind(value)

"""The play-info of a video (archiver/zhihu/videos.py): which MP4 to archive, from plain strings
in the shapes public clients read (the web player's `video_play` of zhihu-plus-plus and
wx_channels_download; the lens `playlist` of yt-dlp's Zhihu extractor and the greasyfork user
script)."""

from __future__ import annotations

import json

import pytest

from archiver.zhihu.videos import (
    NoVariant,
    Variant,
    best_variant,
    choose,
    lens_url,
    looks_like_mp4,
    play_info_call,
    variants,
)

MB = 1024 * 1024


def entry(quality: str, width: int, height: int, size: int, **extra) -> dict:
    return {
        "format": "mp4",
        "play_url": f"https://vdn1.vzuu.com/{quality.upper()}/0f1e.mp4?auth_key=1-0-0-ab&f=mp4",
        "width": width,
        "height": height,
        "fps": 25,
        "duration": 46.383,
        "bitrate": size / 46.383 / 125,
        "size": size,
        **extra,
    }


# As the old player's response (upper-case names), with every rendition
PLAY_INFO = json.dumps(
    {
        "title": "",
        "duration": 46.383,
        "cover_url": "https://pic2.zhimg.com/v2-ccc07618f6b5e8dc4ae63462831edab1.jpg",
        "playlist": {
            "LD": entry("LD", 640, 360, 2 * MB),
            "SD": entry("SD", 848, 480, 5 * MB),
            "HD": entry("HD", 1280, 720, 12 * MB),
            "FHD": entry("FHD", 1920, 1080, 80 * MB),
        },
    }
).encode()


def test_the_best_rendition_within_the_size_is_chosen():
    assert choose(PLAY_INFO, 50 * MB).quality == "HD"
    assert choose(PLAY_INFO, 100 * MB).quality == "FHD"
    assert choose(PLAY_INFO, 5 * MB).quality == "SD"  # exactly the cap fits
    chosen = choose(PLAY_INFO, 3 * MB)
    assert (chosen.quality, chosen.width, chosen.height, chosen.size) == ("LD", 640, 360, 2 * MB)
    assert chosen.url.startswith("https://vdn1.vzuu.com/LD/")


def test_nothing_small_enough_is_too_large():
    with pytest.raises(NoVariant) as caught:
        choose(PLAY_INFO, MB)
    assert caught.value.reason == "too_large"
    assert str(2 * MB) in str(caught.value)


def test_lower_case_names_url_instead_of_play_url_and_unknown_sizes():
    data = {
        "playlist": {
            "ld": entry("ld", 360, 640, 700_000),
            "hd": {**entry("hd", 720, 1280, 0), "size": None},
            "sd": {"format": "mp4", "url": "https://vdn.vzuu.com/SD/a.mp4", "width": 480},
        }
    }
    found = variants(json.dumps(data).encode())
    assert [v.quality for v in found] == ["ld", "hd", "sd"]
    assert found[2] == Variant("sd", "https://vdn.vzuu.com/SD/a.mp4", width=480)
    # Unknown size (0): may be chosen; the download itself is cut at the cap.
    assert best_variant(found, 1_000_000).quality == "hd"


def test_hls_and_broken_entries_are_no_renditions():
    data = {
        "playlist": {
            "HD": {**entry("HD", 1280, 720, MB), "format": "m3u8"},
            "SD": {**entry("SD", 848, 480, MB), "play_url": "javascript:alert(1)"},
            "LD": "not an object",
            "FHD": {**entry("FHD", 1920, 1080, MB), "width": "wide", "size": -5},
        }
    }
    [only] = variants(json.dumps(data).encode())
    assert (only.quality, only.width, only.size) == ("FHD", 0, 0)
    with pytest.raises(NoVariant) as caught:
        variants(json.dumps({"playlist": {"HD": data["playlist"]["HD"]}}).encode())
    assert caught.value.reason == "no_mp4"


def test_playlist_v2_is_read_when_playlist_is_empty():
    data = {"playlist": {}, "playlist_v2": {"SD": entry("SD", 848, 480, MB)}}
    assert choose(json.dumps(data).encode(), 2 * MB).quality == "SD"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>403</html>", "bad_play_info"),
        (b"\xff\xfe", "bad_play_info"),
        (b"[]", "bad_play_info"),
        (b'{"error": {"code": 404, "message": "not found"}}', "no_playlist"),
        (b'{"playlist": null}', "no_playlist"),
    ],
)
def test_what_is_no_play_info(body, reason):
    with pytest.raises(NoVariant) as caught:
        choose(body, 50 * MB)
    assert caught.value.reason == reason


def test_equal_pixels_prefer_the_higher_bitrate_then_the_player_order():
    a = Variant("SD", "https://v/a.mp4", width=848, height=480, bitrate=900)
    b = Variant("HD", "https://v/b.mp4", width=848, height=480, bitrate=900)
    c = Variant("xx", "https://v/c.mp4", width=848, height=480, bitrate=1200)
    assert best_variant([a, b], MB) == b
    assert best_variant([a, b, c], MB) == c


def test_the_play_info_url_takes_digits_only():
    assert lens_url("1400000000000000001") == (
        "https://lens.zhihu.com/api/v4/videos/1400000000000000001"
    )
    for bad in ("", "12/../../x", "١٢٣", "1?x=1", "@evil.example"):
        with pytest.raises(ValueError):
            lens_url(bad)
        with pytest.raises(ValueError):
            play_info_call("https://www.zhihu.com", bad, "answer", "1")


def test_the_web_players_request_names_the_video_and_its_content():
    call = play_info_call("https://www.zhihu.com/", "2072359233719482104", "article", "1992203")
    assert call is not None
    assert call.url == "https://www.zhihu.com/api/v4/video/play_info?r=2072359233719482104"
    assert json.loads(call.body) == {
        "content_id": "1992203",
        "content_type_str": "article",
        "video_id": "2072359233719482104",
        "scene_code": "article_detail_web",
        "is_only_video": True,
    }
    assert b" " not in call.body  # compact, as the player sends it (the signature covers it)
    # Content the player never shows videos of, or an id that is no id: the lens endpoint only.
    assert play_info_call("https://www.zhihu.com", "1", "daily", "9800101") is None
    assert play_info_call("https://www.zhihu.com", "1", "feed", "abc") is None
    assert play_info_call("https://www.zhihu.com", "1", "answer", "١٢") is None


def web(*entries: dict, video_id: str = "2072359233719482104") -> bytes:
    return json.dumps({"video_play": {"id": video_id, "playlist": {"mp4": list(entries)}}}).encode()


def mp4_entry(key: int, quality: str, codec: str, width: int, height: int, size: int, *urls):
    return {
        "key": key,
        "quality": quality,
        "format": "mp4",
        "codec": codec,
        "bitrate": size // 1000,
        "width": width,
        "height": height,
        "size": size,
        "fps": 30,
        "url": list(urls),
    }


def test_the_web_play_info_prefers_h264_and_keeps_the_mirrors():
    body = web(
        mp4_entry(21012, "HD", "H265", 720, 1280, 3 * MB, "https://vdn5.vzuu.com/720-h265.mp4"),
        mp4_entry(21013, "FHD", "H265", 1080, 1920, 4 * MB, "https://vdn5.vzuu.com/1080-h265.mp4"),
        mp4_entry(20011, "SD", "H264", 478, 848, 2 * MB, "https://vdn6.vzuu.com/480-h264.mp4"),
        mp4_entry(
            20012,
            "HD",
            "H264",
            720,
            1280,
            5 * MB,
            "https://vdn6.vzuu.com/720-h264.mp4",
            "javascript:x",
            "https://backup.vzuu.com/720.mp4",
        ),
    )
    chosen = choose(body, 50 * MB, "2072359233719482104")
    # H.264 HD over the larger H.265 FHD: every browser plays it.
    assert (chosen.quality, chosen.codec, chosen.width) == ("HD", "H264", 720)
    assert chosen.urls == ("https://vdn6.vzuu.com/720-h264.mp4", "https://backup.vzuu.com/720.mp4")
    # H.264 HD too large: H.264 SD, still before any H.265.
    assert choose(body, 4 * MB).quality == "SD"
    # No H.264 small enough: the best H.265 that is.
    smaller = web(
        mp4_entry(21012, "HD", "H265", 720, 1280, 3 * MB, "https://vdn5.vzuu.com/720-h265.mp4"),
        mp4_entry(20012, "HD", "H264", 720, 1280, 5 * MB, "https://vdn6.vzuu.com/720-h264.mp4"),
    )
    assert choose(smaller, 4 * MB).codec == "H265"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            web(mp4_entry(1, "HD", "H264", 1, 1, 1, "https://v/a.mp4"), video_id="9"),
            "bad_play_info",
        ),
        (web(), "no_playlist"),
        (b'{"video_play": {"playlist": {"mp4": null}}}', "no_playlist"),
        (b'{"video_play": "x"}', "no_playlist"),
        (web({"quality": "HD", "format": "mp4", "url": []}), "no_mp4"),
        (web({"quality": "HD", "format": "hls", "url": ["https://v/a.m3u8"]}), "no_mp4"),
    ],
)
def test_what_is_no_web_play_info(body, reason):
    with pytest.raises(NoVariant) as caught:
        choose(body, 50 * MB, "2072359233719482104")
    assert caught.value.reason == reason


def test_an_mp4_starts_with_its_ftyp_box():
    assert looks_like_mp4(b"\x00\x00\x00 ftypisom\x00\x00\x02\x00")
    assert not looks_like_mp4(b"<html><body>403</body></html>")
    assert not looks_like_mp4(b"")

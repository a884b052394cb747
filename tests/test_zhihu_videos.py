"""The play-info of a video (archiver/zhihu/videos.py): which MP4 to archive, from plain strings
in the shapes public clients read (yt-dlp's Zhihu extractor, the greasyfork user script)."""

from __future__ import annotations

import json

import pytest

from archiver.zhihu.videos import (
    NoVariant,
    Variant,
    best_variant,
    choose,
    looks_like_mp4,
    play_info_url,
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
    assert play_info_url("1400000000000000001") == (
        "https://lens.zhihu.com/api/v4/videos/1400000000000000001"
    )
    for bad in ("", "12/../../x", "١٢٣", "1?x=1", "@evil.example"):
        with pytest.raises(ValueError):
            play_info_url(bad)


def test_an_mp4_starts_with_its_ftyp_box():
    assert looks_like_mp4(b"\x00\x00\x00 ftypisom\x00\x00\x02\x00")
    assert not looks_like_mp4(b"<html><body>403</body></html>")
    assert not looks_like_mp4(b"")

"""ARCHIVE_VIDEOS = "download" end to end (`scrapy archive`, through the fixture proxy): the rich
answer's video card, its play-info from lens.zhihu.com (tests/fixtures/scenarios/videos/), and
real MP4 files made at test time (tests/videos.py) served from vdn1.vzuu.com."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from crawling import PROJECT, assert_no_secret, crawl, mtimes, posts
from fixture_server import FIXTURES, fixture_name
from lxml import html as lxml_html
from videos import mp4

URL = "https://www.zhihu.com/question/655599999/answer/3200000000000000001"
POST = "_posts/社交媒体/知乎/知乎回答/answer-3200000000000000001.md"
LENS_ID = "1400000000000000001"
VIDEO = f"videos/{LENS_ID}.mp4"
POSTER = "/images/zhimg/v2-fedcba9876543210fedcba9876543210.jpg"
PLAY_INFO = FIXTURES / f"scenarios/videos/lens.zhihu.com/api/v4/videos/{LENS_ID}.json"
SIZES = {"LD": (320, 180), "HD": (640, 360)}  # the renditions served; FHD never is
DOWNLOAD = ("ARCHIVE_IMAGES=local", "ARCHIVE_VIDEOS=download")


def playlist() -> dict[str, dict]:
    return json.loads(PLAY_INFO.read_text(encoding="utf-8"))["playlist"]


def serve(root: Path, url: str, data: bytes, ext: str) -> None:
    parts = urlsplit(url)
    path = root / f"{fixture_name(parts.hostname, parts.path, parts.query)}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """The renditions of the play-info as real MP4 files, named after their URLs."""
    root = tmp_path_factory.mktemp("video-files")
    for quality, (width, height) in SIZES.items():
        serve(root, playlist()[quality]["play_url"], mp4(1.0, width, height), "mp4")
    return root


def archive(path: Path, files: Path, *settings: str, extra: tuple[Path, ...] = ()):
    run = crawl(
        path,
        "videos",
        "rich",
        command=("archive", URL),
        settings=(*DOWNLOAD, *settings),
        extra_roots=(*extra, files),
    )
    assert run.code == 0, run.log
    assert not run.server.gate.refused
    return run


def body(path: Path) -> lxml_html.HtmlElement:
    text = (path / POST).read_text(encoding="utf-8").split("<div>   \n", 1)[1]
    return lxml_html.fragment_fromstring(text.rsplit("  \n</div>", 1)[0], "div")


def vzuu(run) -> list[str]:
    return [urlsplit(p).path for p in run.requested("vdn1.vzuu.com")]


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory, files):
    path = tmp_path_factory.mktemp("downloaded")
    return path, archive(path, files)


def test_the_best_rendition_is_archived_and_played_from_the_archive(downloaded):
    path, run = downloaded
    # HD: the best within ARCHIVE_VIDEO_MAX_SIZE (FHD announces 900 MB and is never asked for).
    assert vzuu(run) == ["/HD/5b3e7c2a-8a1f-11f1-9c3f-0a580a40ea6f.mp4"]
    assert (path / VIDEO).read_bytes() == mp4(1.0, *SIZES["HD"])
    assert "'archiver/videos/stored': 1" in run.log
    assert "; videos: 1 stored, 0 failed; exit status 0" in run.log
    [figure] = body(path).xpath("//figure[@class='archiver-video']")
    [video] = figure.findall("video")
    assert video.get("src") == f"/{VIDEO}" and video.get("poster") == POSTER
    assert (path / POSTER.lstrip("/")).is_file()
    assert figure.find("figcaption/a").get("href") == f"https://www.zhihu.com/video/{LENS_ID}"


def test_the_play_info_is_asked_as_public_clients_do(downloaded):
    path, run = downloaded
    [lens] = [s for s in run.server.seen if s.host == "lens.zhihu.com"]
    assert lens.path == f"/api/v4/videos/{LENS_ID}"
    headers = {k.lower(): v for k, v in lens.headers.items()}
    # An open endpoint: no login cookie, no signature, a browser's User-Agent and Referer.
    assert "cookie" not in headers and "x-zse-96" not in headers
    assert headers["user-agent"].startswith("Mozilla/5.0")
    assert headers["referer"] == "https://www.zhihu.com/"
    [file] = [s for s in run.server.seen if s.host == "vdn1.vzuu.com"]
    assert "cookie" not in {k.lower() for k in file.headers}
    assert_no_secret(run, path)


def verify(path: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "scrapy", "verify", "-s", f"ARCHIVE_DIR={path}"]
    return subprocess.run(argv, cwd=PROJECT, capture_output=True, text=True, timeout=300)


def test_the_index_knows_the_video_and_verify_passes(downloaded, tmp_path):
    path = tmp_path / "copy"
    shutil.copytree(downloaded[0], path)
    done = verify(path)
    assert done.returncode == 0, done.stdout + done.stderr
    (path / "videos" / "stray.mp4").write_bytes(b"x")
    (path / VIDEO).write_bytes(b"altered")
    (path / POSTER.lstrip("/")).unlink()  # the poster the post plays the video with
    done = verify(path)
    assert done.returncode == 1
    assert "unknown_file: videos/stray.mp4" in done.stdout
    assert f"altered_figure: {VIDEO}" in done.stdout
    assert f"broken_src: {POST} ({POSTER})" in done.stdout
    (path / VIDEO).unlink()
    done = verify(path)
    assert f"missing_figure: {VIDEO}" in done.stdout
    assert f"broken_src: {POST} (/{VIDEO})" in done.stdout


def test_a_second_run_changes_nothing_and_downloads_nothing(tmp_path, files):
    first = archive(tmp_path, files)
    assert "'archiver/videos/stored': 1" in first.log
    before, text = mtimes(tmp_path), posts(tmp_path)
    again = archive(tmp_path, files)
    assert vzuu(again) == [] and not again.requested("lens.zhihu.com")
    assert "'archiver/videos/uptodate': 1" in again.log
    assert posts(tmp_path) == text
    after = mtimes(tmp_path)
    assert {p: t for p, t in after.items() if "/.archiver/" not in p} == {
        p: t for p, t in before.items() if "/.archiver/" not in p
    }


def test_nothing_within_the_size_falls_back_to_the_poster(tmp_path, files):
    run = archive(tmp_path, files, "ARCHIVE_VIDEO_MAX_SIZE=5000")
    assert vzuu(run) == []  # every rendition announces more: none is fetched
    assert "'archiver/videos/failed/too_large': 1" in run.log
    assert f"Video failed (too_large): {LENS_ID}" in run.log
    assert "; videos: 0 stored, 1 failed; exit status 0" in run.log  # the post is archived
    assert not (tmp_path / "videos").exists()
    root = body(tmp_path)
    assert root.find(".//video") is None
    [poster] = root.xpath("//figure[@class='archiver-video']/a/img")
    assert poster.get("src") == POSTER  # the poster form, the poster archived
    # Remembered: the next run does not ask again before the retry is due, and writes nothing.
    text = posts(tmp_path)
    again = archive(tmp_path, files, "ARCHIVE_VIDEO_MAX_SIZE=5000")
    assert not again.requested("lens.zhihu.com")
    assert "'archiver/videos/deferred': 1" in again.log
    assert posts(tmp_path) == text


def test_a_download_past_the_size_is_cut_and_falls_back(tmp_path, files):
    # A play-info that understates HD: the download itself is cancelled at the cap.
    lying = tmp_path / "lying"
    info = json.loads(PLAY_INFO.read_text(encoding="utf-8"))
    info["playlist"]["HD"]["size"] = 1000
    serve(
        lying, f"https://lens.zhihu.com/api/v4/videos/{LENS_ID}", json.dumps(info).encode(), "json"
    )
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, "ARCHIVE_VIDEO_MAX_SIZE=9000", extra=(lying,))
    assert vzuu(run) == ["/HD/5b3e7c2a-8a1f-11f1-9c3f-0a580a40ea6f.mp4"]
    assert "'archiver/videos/failed/too_large': 1" in run.log
    assert not (archive_dir / "videos").exists()
    assert body(archive_dir).find(".//video") is None


def test_a_rendition_off_the_allowed_hosts_is_never_fetched(tmp_path, files):
    elsewhere = tmp_path / "elsewhere"
    info = json.loads(PLAY_INFO.read_text(encoding="utf-8"))
    info["playlist"] = {"HD": {**info["playlist"]["HD"], "play_url": "https://127.0.0.1/v.mp4"}}
    serve(
        elsewhere,
        f"https://lens.zhihu.com/api/v4/videos/{LENS_ID}",
        json.dumps(info).encode(),
        "json",
    )
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, extra=(elsewhere,))
    assert [s.host for s in run.server.seen if "127.0.0.1" in s.host] == []
    assert "'archiver/videos/refused_host': 1" in run.log
    assert body(archive_dir).find(".//video") is None


def test_a_stored_video_has_the_digest_the_index_records(downloaded):
    path, _ = downloaded
    from archiver.index import ArchiveIndex

    index = ArchiveIndex(path / ".archiver" / "index.sqlite3")
    stored = index.figure(f"video/{LENS_ID}.mp4")
    index.close()
    assert stored is not None and stored.path == VIDEO
    assert stored.sha256 == hashlib.sha256((path / VIDEO).read_bytes()).hexdigest()
    assert stored.url == playlist()["HD"]["play_url"]
    assert (stored.width, stored.height) == SIZES["HD"]

"""ARCHIVE_VIDEOS = "download" end to end (`scrapy archive`, through the fixture proxy): the rich
answer's video card, its play-info from the web player's endpoint (www.zhihu.com, H.264 and
H.265 renditions, mirrors) or from lens.zhihu.com where that is refused
(tests/fixtures/scenarios/videos/), and real MP4 files made at test time (tests/support/videos.py)
served from vdn1.vzuu.com."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from tests.support.crawling import assert_no_secret, crawl, mtimes, posts, scrapy_command
from tests.support.fixture_server import FIXTURES, fixture_name
from tests.support.videos import mp4

URL = "https://www.zhihu.com/question/655599999/answer/3200000000000000001"
POST = "_posts/社交媒体/知乎/知乎回答/answer-3200000000000000001.md"
LENS_ID = "1400000000000000001"
VIDEO = f"videos/{LENS_ID}.mp4"
POSTER = "/images/zhimg/v2-fedcba9876543210fedcba9876543210.jpg"
PLAY_INFO = FIXTURES / f"scenarios/videos/lens.zhihu.com/api/v4/videos/{LENS_ID}.json"
WEB_PLAY_INFO = FIXTURES / f"scenarios/videos/www.zhihu.com/api/v4/video/play_info@r={LENS_ID}.json"
WEB_URL = f"https://www.zhihu.com/api/v4/video/play_info?r={LENS_ID}"
HD = "/HD/5b3e7c2a-8a1f-11f1-9c3f-0a580a40ea6f.mp4"
SIZES = {"LD": (320, 180), "HD": (640, 360)}  # the renditions served; FHD never is
DOWNLOAD = ("ARCHIVE_IMAGES=local", "ARCHIVE_VIDEOS=download")


def playlist() -> dict[str, dict]:
    """The lens play-info's renditions: their URLs are the H.264 ones of the web play-info."""
    return json.loads(PLAY_INFO.read_text(encoding="utf-8"))["playlist"]


def web_play_info() -> dict:
    return json.loads(WEB_PLAY_INFO.read_text(encoding="utf-8"))


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


def vzuu(run, host: str = "vdn1.vzuu.com") -> list[str]:
    return [urlsplit(p).path for p in run.requested(host)]


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory, files):
    path = tmp_path_factory.mktemp("downloaded")
    return path, archive(path, files)


def test_the_best_rendition_is_archived_and_played_from_the_archive(downloaded):
    path, run = downloaded
    # H.264 HD: the best within ARCHIVE_VIDEO_MAX_SIZE that every browser plays (H.264 FHD
    # announces 900 MB, and the H.265 FHD that fits is never asked for); its first mirror does
    # not serve it, its second does.
    assert vzuu(run, "vdn6.vzuu.com") == [HD] and vzuu(run) == [HD]
    assert vzuu(run, "vdn5.vzuu.com") == []
    assert (path / VIDEO).read_bytes() == mp4(1.0, *SIZES["HD"])
    assert "'archiver/videos/stored': 1" in run.log
    assert "; videos: 1 stored, 0 failed; exit status 0" in run.log
    [figure] = body(path).xpath("//figure[@class='archiver-video']")
    [video] = figure.findall("video")
    assert video.get("src") == f"/{VIDEO}" and video.get("poster") == POSTER
    assert (path / POSTER.lstrip("/")).is_file()
    assert figure.find("figcaption/a").get("href") == f"https://www.zhihu.com/video/{LENS_ID}"


def test_the_play_info_is_asked_as_the_web_player_asks_it(downloaded):
    path, run = downloaded
    [web] = [s for s in run.server.seen if "/video/play_info" in s.path]
    assert (web.host, web.method, web.path) == (
        "www.zhihu.com",
        "POST",
        f"/api/v4/video/play_info?r={LENS_ID}",
    )
    assert json.loads(web.body) == {
        "content_id": "3200000000000000001",
        "content_type_str": "answer",
        "video_id": LENS_ID,
        "scene_code": "answer_detail_web",
        "is_only_video": True,
    }
    headers = {k.lower(): v for k, v in web.headers.items()}
    # The login and a signature over the body too (the gate checked it: nothing refused).
    assert "z_c0=" in headers["cookie"] and headers["x-zse-96"].startswith("2.0_")
    assert headers["content-type"] == "application/json"
    assert headers["referer"] == URL  # the page the player runs in
    assert not run.requested("lens.zhihu.com")  # the old endpoint only where this one refuses
    for file in [s for s in run.server.seen if s.host.endswith("vzuu.com")]:
        assert "cookie" not in {k.lower() for k in file.headers}
    assert_no_secret(run, path)


def test_the_play_info_request_is_captured_with_its_body(downloaded):
    from warcio.archiveiterator import ArchiveIterator

    path, run = downloaded
    [web] = [s for s in run.server.seen if "/video/play_info" in s.path]
    captured = []
    for warc in sorted((path / ".archiver" / "warc").glob("*.warc.gz")):
        with warc.open("rb") as handle:
            for record in ArchiveIterator(handle):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "request" and uri == WEB_URL:
                    captured.append((record.http_headers.protocol, record.content_stream().read()))
    assert captured == [("POST", web.body)]


def verify(path: Path) -> subprocess.CompletedProcess:
    return scrapy_command(path, "verify")


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
    assert not [s for s in again.server.seen if "/video/play_info" in s.path]
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
    assert not [s for s in again.server.seen if "/video/" in s.path]
    assert "'archiver/videos/deferred': 1" in again.log
    assert posts(tmp_path) == text


def test_a_download_past_the_size_is_cut_and_falls_back(tmp_path, files):
    # A play-info that understates H.264 HD: the download itself is cancelled at the cap.
    lying = tmp_path / "lying"
    info = web_play_info()
    [hd] = [v for v in info["video_play"]["playlist"]["mp4"] if v["key"] == 20012]
    hd["size"] = 1000
    serve(lying, WEB_URL, json.dumps(info).encode(), "json")
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, "ARCHIVE_VIDEO_MAX_SIZE=9000", extra=(lying,))
    assert vzuu(run) == [HD]
    assert "'archiver/videos/failed/too_large': 1" in run.log
    assert not (archive_dir / "videos").exists()
    assert body(archive_dir).find(".//video") is None


def test_a_rendition_off_the_allowed_hosts_is_never_fetched(tmp_path, files):
    elsewhere = tmp_path / "elsewhere"
    info = web_play_info()
    [hd] = [v for v in info["video_play"]["playlist"]["mp4"] if v["key"] == 20012]
    hd["url"] = ["https://127.0.0.1/v.mp4", "https://127.0.0.2/v.mp4"]  # every mirror elsewhere
    info["video_play"]["playlist"]["mp4"] = [hd]
    serve(elsewhere, WEB_URL, json.dumps(info).encode(), "json")
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, extra=(elsewhere,))
    assert [s.host for s in run.server.seen if "127.0.0.1" in s.host] == []
    assert "'archiver/videos/refused_host': 1" in run.log
    assert body(archive_dir).find(".//video") is None


def test_a_stored_video_has_the_digest_the_index_records(downloaded):
    path, _ = downloaded
    from archiver.archive.index import ArchiveIndex

    index = ArchiveIndex(path / ".archiver" / "index.sqlite3")
    stored = index.figure(f"video/{LENS_ID}.mp4")
    index.close()
    assert stored is not None and stored.path == VIDEO
    assert stored.sha256 == hashlib.sha256((path / VIDEO).read_bytes()).hexdigest()
    assert stored.url == playlist()["HD"]["play_url"]
    assert (stored.width, stored.height) == SIZES["HD"]


def test_where_the_web_play_info_is_refused_the_lens_one_is_read(tmp_path, files):
    refused = tmp_path / "refused"
    serve(refused, WEB_URL, b'{"error":{"code":403,"message":"forbidden"}}', "403.json")
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, extra=(refused,))
    assert run.requested("lens.zhihu.com") == [f"/api/v4/videos/{LENS_ID}"]
    assert vzuu(run) == [HD]  # the lens playlist's HD, the same file
    assert (archive_dir / VIDEO).read_bytes() == mp4(1.0, *SIZES["HD"])
    assert "'archiver/fallback/video_lens': 1" in run.log
    assert run.log.count("Zhihu turned the web player's play-info away (HTTP 403") == 1
    assert "Blocked:" not in run.log  # a video's refusal never stops the crawl


def test_where_both_play_infos_fail_the_video_fails_alone(tmp_path, files):
    refused = tmp_path / "refused"
    serve(refused, WEB_URL, b'{"error":{"code":101,"message":"x"}}', "401.json")
    lens = f"https://lens.zhihu.com/api/v4/videos/{LENS_ID}"
    serve(refused, lens, b'{"error":{"message":"gone"}}', "404.json")
    archive_dir = tmp_path / "archive"
    run = archive(archive_dir, files, extra=(refused,))
    assert "'archiver/videos/failed/play_info_http_401': 1" in run.log
    assert "lens.zhihu.com answered HTTP 404 too" in run.log
    assert "; videos: 0 stored, 1 failed; exit status 0" in run.log  # the post is archived
    assert body(archive_dir).find(".//video") is None

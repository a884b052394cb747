"""Figures end to end: real images served by the fixture proxy, stored by a real crawl."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import frontmatter
import pytest
from lxml import html as lxml_html
from PIL import Image

from tests.support.crawling import crawl, image_root, mtimes, posts
from tests.support.served_images import HOSTILE, hexname

POST = "_posts/社交媒体/知乎/知乎热榜/answer-1999999999999999001.md"
CAP = ("FIGURES_MAX_SIZE=200000",)  # below the 3000x2000 photo, above every other figure
STORED = {  # figure key -> (stored path, served URL)
    f"zhimg/{hexname('a')}.jpg": "images/zhimg/v2-" + "a" * 32 + ".jpg",
    f"zhimg/{hexname('b')}.jpg": "images/zhimg/v2-" + "b" * 32 + ".jpg",
    f"zhimg/{hexname('c')}.png": "images/zhimg/v2-" + "c" * 32 + ".png",
    f"zhimg/{hexname('d')}.gif": "images/zhimg/v2-" + "d" * 32 + ".gif",
    f"zhimg/{hexname('e')}.webp": "images/zhimg/v2-" + "e" * 32 + ".webp",
    f"zhimg/{hexname('9')}.jpg": "images/zhimg/v2-" + "9" * 32 + ".webp",
    f"zhimg/{hexname('f')}.jpg": "images/zhimg/v2-" + "f" * 32 + ".jpg",
}
FAILED = {
    "truncated": hexname("1"),
    "decompression_bomb": hexname("2"),
    "html_not_image": hexname("3"),
    "unknown_format": hexname("4"),
}


def served(name: str) -> bytes:
    [url] = [u for u in HOSTILE if name in u]
    found = image_root().rglob(f"{url.split('/')[-1].split('?')[0]}*")
    [path] = [p for p in found if ".once." not in p.name]
    return path.read_bytes()


def stored_figures(archive: Path) -> dict[str, tuple[str, str]]:
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    return {k: (p, t) for k, p, t in db.execute("SELECT key, path, thumbnails FROM figures")}


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    archive = tmp_path_factory.mktemp("figures")
    return archive, crawl(archive, "figures", settings=CAP)


def test_the_post_is_written_whatever_its_figures_did(remote):
    archive, run = remote
    assert run.code == 0, run.log
    assert POST in posts(archive)


def test_originals_are_stored_byte_for_byte_with_the_real_extension(remote):
    archive, _ = remote
    figures = stored_figures(archive)
    for key, path in STORED.items():
        assert figures[key][0] == path
        name = key.split("/")[1].split(".")[0]
        assert (archive / path).read_bytes() == served(name), path
    [equation] = [p for k, (p, _) in figures.items() if k.startswith("equation/")]
    assert equation.endswith(".svg") and (archive / equation).read_bytes().startswith(b"<svg")


def test_a_transient_failure_is_retried(remote):
    archive, run = remote
    assert len([p for p in run.requested("pic2.zhimg.com") if "b" * 32 in p]) == 2
    assert (archive / STORED[f"zhimg/{hexname('b')}.jpg"]).is_file()


def test_variants_of_one_figure_are_fetched_once(remote):
    _, run = remote
    fetched = [p for host in ("pic1.zhimg.com", "pic3.zhimg.com") for p in run.requested(host)]
    assert len([p for p in fetched if "a" * 32 in p]) == 1


def test_thumbnails_sizes_and_formats(remote):
    archive, _ = remote
    thumbs = {k: t for k, (_, t) in stored_figures(archive).items()}

    def thumb(key: str) -> Image.Image:
        path = archive / json.loads(thumbs[key])["400x300"]
        return Image.open(io.BytesIO(path.read_bytes()))

    photo = thumb(f"zhimg/{hexname('a')}.jpg")
    assert (photo.format, photo.size) == ("JPEG", (400, 267))
    alpha = thumb(f"zhimg/{hexname('c')}.png")
    assert alpha.format == "PNG" and alpha.mode == "RGBA" and alpha.getextrema()[3][0] < 255
    gif = thumb(f"zhimg/{hexname('d')}.gif")
    assert gif.size == (320, 240) and not getattr(gif, "is_animated", False)
    webp_alpha = thumb(f"zhimg/{hexname('9')}.jpg")
    assert webp_alpha.mode == "RGBA"
    rotated = thumb(f"zhimg/{hexname('f')}.jpg")
    assert rotated.size == (200, 300)  # 1200x800 turned by EXIF: portrait
    [equation] = [t for k, t in thumbs.items() if k.startswith("equation/")]
    assert equation == "{}"  # vector: stored, not thumbnailed


def test_broken_images_are_failures_with_reasons_and_not_kept(remote):
    archive, run = remote
    for reason, name in FAILED.items():
        assert f"Figure failed ({reason}): https://" in run.log
        assert f"'archiver/figures/failed/{reason}': 1" in run.log
        assert not list(archive.rglob(f"{name}*")), name
    assert not list(archive.rglob(f"{hexname('5')}*"))  # over FIGURES_MAX_SIZE
    assert f"Figure failed (too_large): https://pic2.zhimg.com/{hexname('5')}" in run.log
    assert "figures: 8 stored, 5 failed, 3 refused" in run.log


def test_hosts_off_the_allowlist_are_never_requested(remote):
    _, run = remote
    assert "'archiver/figures/refused_host': 3" in run.log
    hosts = {seen.host for seen in run.server.seen}
    assert not hosts & {"127.0.0.1:9", "192.168.1.10", "example.com"}


def test_remote_mode_keeps_zhihu_urls(remote):
    archive, _ = remote
    post = frontmatter.loads(posts(archive)[POST].decode().lstrip("\n"))
    assert post["headimg"] == f"https://pic1.zhimg.com/{hexname('a')}_1440w.jpg?source=d16d100b"
    assert post["thumbnail"] == post["headimg"]
    assert "/images/" not in post.content


def test_a_rerun_downloads_nothing_new(tmp_path):
    first = crawl(tmp_path, "figures", settings=CAP)
    before = mtimes(tmp_path / "images")
    again = crawl(tmp_path, "figures", settings=CAP)
    assert again.code == 0, again.log
    stored_names = [key.split("/")[1].split(".")[0] for key in STORED]
    for host in {s.host for s in again.server.seen if s.host.endswith("zhimg.com")}:
        for path in again.requested(host):
            assert not any(name in path for name in stored_names), path
    assert mtimes(tmp_path / "images") == before
    # failed figures are remembered: retried after a day, not on the next run, and not logged
    assert first.log.count("Figure failed") == 5
    assert "Figure failed" not in again.log
    assert "'archiver/figures/deferred': 5" in again.log
    for name in FAILED.values():
        assert not [s for s in again.server.seen if name in s.path], name


def test_local_mode_points_the_post_at_the_archive(tmp_path):
    run = crawl(tmp_path, "figures", settings=(*CAP, "ARCHIVE_IMAGES=local"))
    assert run.code == 0, run.log
    post = frontmatter.loads(posts(tmp_path)[POST].decode().lstrip("\n"))
    assert post["headimg"] == f"/images/zhimg/{hexname('a')}.jpg"
    assert post["thumbnail"] == f"/images/thumbs/400x300/zhimg/{hexname('a')}.jpg"
    body = post.content
    for path in STORED.values():
        assert f'src="/{path}"' in body
    assert 'src="/images/equation/' in body
    # the second variant of figure a points at the same archived file
    assert body.count(f'src="/images/zhimg/{hexname("a")}.jpg"') == 2
    # failed figures keep their remote URL until a later run stores them; a refused figure
    # points no reader at its host: its alt text, its URL in a data attribute
    assert f"https://pic2.zhimg.com/{hexname('1')}_1440w.jpg" in body
    tree = lxml_html.fragment_fromstring(body, create_parent="div")
    refused = [
        s.get("data-archiver-refused-src") for s in tree.find_class("archiver-refused-figure")
    ]
    assert refused == [
        "http://127.0.0.1:9/secret.jpg",
        "https://192.168.1.10/router.png",
        "https://example.com/hotlink.jpg",
    ]
    for img in tree.iter("img"):
        src = img.get("src")
        assert (tmp_path / src.lstrip("/")).is_file() or ".zhimg.com/" in src, src


def test_stored_figures_are_checksummed_in_the_index(remote):
    archive, _ = remote
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    for path, sha in db.execute("SELECT path, sha256 FROM figures"):
        assert hashlib.sha256((archive / path).read_bytes()).hexdigest() == sha


ODD_POST = "_posts/社交媒体/知乎/知乎热榜/answer-1999999999999999002.md"


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    archive = tmp_path_factory.mktemp("figure-urls")
    # Media downloads follow no redirect by default; with them on, the allowlist must still hold.
    return archive, crawl(archive, "figure-urls", settings=("MEDIA_ALLOW_REDIRECTS=True",))


def test_a_post_with_odd_or_malformed_figure_urls_is_written(odd):
    # Upper-case host, a space, a CJK name, a backslash: Scrapy requests them normalised, and
    # `http://[x` cannot be requested at all. None of them may cost the post.
    archive, run = odd
    assert run.code == 0, run.log
    post = posts(archive)[ODD_POST].decode()
    assert 'src="http://[x/broken.jpg"' in post and 'href="http://[x"' in post
    figures = stored_figures(archive)
    assert figures[f"zhimg/{hexname('8')}.jpg"][0] == f"images/zhimg/{hexname('8')}.jpg"
    assert len([k for k in figures if k.startswith("other/pic")]) == 3  # space, CJK, backslash
    assert "Traceback" not in run.log


def test_mpo_photos_are_stored_as_jpeg(odd):
    archive, _ = odd
    path = stored_figures(archive)[f"zhimg/{hexname('7')}.jpg"][0]
    assert path == f"images/zhimg/{hexname('7')}.jpg"
    assert Image.open(archive / path).format == "MPO"  # byte for byte, as served
    assert "KeyError" not in odd[1].log


def test_no_figure_url_or_redirect_reaches_a_host_off_the_allowlist(odd):
    archive, run = odd
    assert "127.0.0.1" not in {seen.host for seen in run.server.seen}
    # the redirect itself was followed as far as its Location, and no further
    assert [p for p in run.requested("pic2.zhimg.com") if "5a5a" in p] == [f"/v2-{'5a' * 16}_r.jpg"]
    assert not [s for s in run.server.seen if "/api/v4/me" in s.path or "equationX" in s.path]
    assert "redirected from https://pic2.zhimg.com/" in run.log
    # the redirect, the backslash host, /equation/../api, /equationX
    assert "'archiver/figures/refused_host': 4" in run.log
    assert not list(archive.rglob("*4b4b*")) and not list(archive.rglob("secret*"))
    assert not any(k.startswith("other/127") for k in stored_figures(archive))

"""`scrapy crawl feed` end to end: RSS, Atom, broken and empty feeds, through the fixture proxy."""

from __future__ import annotations

import gzip
import sqlite3

from tests.support.crawling import crawl, posts
from tests.support.project import SEED_POST

HOT = "_posts/社交媒体/知乎/知乎热榜"


def feed(tmp_path, *args: str, settings: tuple[str, ...] = ()):
    command = ["crawl", "feed"]
    for arg in args:
        command += ["-a", arg]
    return crawl(tmp_path, command=tuple(command), settings=settings)


def test_rss_feed_as_the_older_generator_wrote_it(tmp_path):
    run = feed(
        tmp_path, "url=https://rsshub.app/zhihu/hotlist", "categories=社交媒体/知乎/知乎热榜"
    )
    assert run.code == 0, run.log
    written = posts(tmp_path)
    assert len(written) == 3
    assert SEED_POST.read_bytes() in written.values()  # byte for byte
    assert all(path.startswith(f"{HOT}/feed-") for path in written)
    assert "Skipped (missing_field): feed item 3" in run.log
    # its figures went through the image pipeline
    assert list((tmp_path / "images/zhimg").glob("v2-7777777777777777bbbb777777777777.*"))


def test_re_runs_are_idempotent_even_for_undated_items(tmp_path):
    feed(tmp_path, "url=https://rsshub.app/zhihu/hotlist")
    before = posts(tmp_path)
    again = feed(tmp_path, "url=https://rsshub.app/zhihu/hotlist")
    assert again.code == 0 and posts(tmp_path) == before
    assert "0 new, 0 updated, 3 unchanged" in again.log


def test_atom_feed_with_its_own_categories_and_source(tmp_path):
    run = feed(
        tmp_path,
        "url=https://blog.example.org/feed/atom",
        "categories=博客/朋友",
        "source=朋友的博客",
    )
    assert run.code == 0, run.log
    texts = {p: t.decode() for p, t in posts(tmp_path).items()}
    assert len(texts) == 2 and all(p.startswith("_posts/博客/朋友/") for p in texts)
    assert all("\nauthor: 朋友的博客\n" in t for t in texts.values())
    assert any("<p>外链总会失效，自己的副本不会。</p>" in t for t in texts.values())


def test_a_broken_and_an_empty_feed_say_so_and_the_good_one_is_archived(tmp_path):
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[[feed]]\nurl = "https://broken.example.org/feed"\n\n'
        '[[feed]]\nurl = "https://empty.example.org/rss"\n\n'
        '[[feed]]\nurl = "https://blog.example.org/feed/atom"\ncategories = "博客"\n',
        encoding="utf-8",
    )
    run = feed(tmp_path / "archive", f"config={config}")
    assert run.code == 0, run.log
    assert (
        "Skipped (not_a_feed): https://broken.example.org/feed: not an RSS or Atom feed" in run.log
    )
    assert "Skipped (empty_feed): https://empty.example.org/rss: the feed has no items" in run.log
    assert len(posts(tmp_path / "archive")) == 2


def test_only_a_broken_feed_fails_the_run(tmp_path):
    run = feed(tmp_path, "url=https://broken.example.org/feed")
    assert run.code == 1, run.log
    assert posts(tmp_path) == {}


def test_items_are_told_apart_by_feed_and_guid_and_reruns_keep_no_versions(tmp_path):
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[[feed]]\nurl = "https://news-a.example.org/rss"\n\n'
        '[[feed]]\nurl = "https://news-b.example.org/rss"\n',
        encoding="utf-8",
    )
    run = feed(tmp_path, f"config={config}")
    assert run.code == 0, run.log
    texts = [t.decode() for t in posts(tmp_path).values()]
    assert len(texts) == 6  # guid 1 of each feed, and the items sharing one link
    for site in "ab":
        for nth in ("第一篇", "第二篇", "第三篇"):
            assert sum(f"站点 {site} 的{nth}" in t for t in texts) == 1
    again = feed(tmp_path, f"config={config}")
    assert "0 new, 0 updated, 6 unchanged" in again.log
    db = sqlite3.connect(tmp_path / ".archiver" / "index.sqlite3")
    assert db.execute("SELECT count(*) FROM versions").fetchone() == (0,)


def test_a_feed_that_inflates_past_its_limit_is_one_line_not_the_machines_memory(tmp_path):
    root = tmp_path / "fixtures"
    site = root / "bomb.example.org"
    site.mkdir(parents=True)
    item = b"<item><title>x</title><guid>1</guid><description>" + b"a" * (64 << 20)
    (site / "rss.xml").write_bytes(gzip.compress(b"<rss version='2.0'><channel>" + item, 1))
    (site / "rss.xml.headers").write_text("Content-Encoding: gzip\n")
    assert (site / "rss.xml").stat().st_size < 1 << 20
    run = crawl(
        tmp_path / "archive",
        command=("crawl", "feed", "-a", "url=https://bomb.example.org/rss"),
        settings=("RSS_MAX_SIZE=4194304",),
        extra_roots=(root,),
    )
    assert run.code == 1, run.log
    [line] = [ln for ln in run.log.splitlines() if "Failed https://bomb.example.org/rss" in ln]
    assert "MAXSIZE" in line.upper()
    assert "'archiver/failed/too_large': 1" in run.log
    assert "Traceback" not in run.log

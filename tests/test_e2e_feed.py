"""`scrapy crawl feed` end to end: RSS, Atom, broken and empty feeds, through the fixture proxy."""

from __future__ import annotations

from conftest import SEED_POST
from crawling import crawl, posts

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

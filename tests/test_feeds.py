"""RSS and Atom feeds to posts, on plain bytes."""

import pytest

from archiver.feeds import FeedError, FeedSource, parse_feed, parse_feed_config
from archiver.post.content import feed_body
from archiver.post.render import PostOptions, post_text
from tests.support.fixture_server import FIXTURES
from tests.support.project import SEED_POST

CATS = ("社交媒体", "知乎", "知乎热榜")
RSS = (FIXTURES / "rsshub.app/zhihu/hotlist.xml").read_bytes()
ATOM = (FIXTURES / "blog.example.org/feed/atom.xml").read_bytes()


def test_the_seed_as_an_rss_item_is_the_seed_post_byte_for_byte():
    result = parse_feed(RSS, CATS, now=0)
    seed_item = result.posts[0]
    assert post_text(seed_item, PostOptions()) == SEED_POST.read_text(encoding="utf-8")


def test_rss_items_identity_dates_and_skips():
    result = parse_feed(RSS, CATS, now=1764000000)
    assert result.title == "知乎热榜"
    assert [p.id for p in result.posts] == [
        "https://www.zhihu.com/question/546512789/answer/2583412650",
        "https://www.zhihu.com/question/600000001/answer/600000002",
        "https://www.zhihu.com/question/600000005/answer/600000006",
    ]
    undated = result.posts[1]
    assert (undated.updated, undated.dated) == (1764000000, False)
    assert result.posts[2].updated == 1763955000  # +0800 read as the right instant
    assert [s.reason for s in result.skipped] == ["missing_field"]


def test_atom_entries_content_or_summary():
    result = parse_feed(ATOM, ("博客",), now=0, source="我的博客")
    first, second = result.posts
    assert first.content == "<p>外链总会失效，自己的副本不会。</p>"
    assert second.content == "<p>摘要也是正文。</p>"
    assert second.updated == 1763692200  # published wins over updated
    # a non-Zhihu feed names its own source in the `author` field
    assert "\nauthor: 我的博客\n" in post_text(first, PostOptions())


@pytest.mark.parametrize("data", [b"<!DOCTYPE html><html><body>502</body></html>", b"", b"{}"])
def test_what_is_not_a_feed(data):
    with pytest.raises(FeedError) as info:
        parse_feed(data, CATS, now=0)
    assert info.value.reason == "not_a_feed"


def test_an_empty_feed_is_not_an_error():
    result = parse_feed((FIXTURES / "empty.example.org/rss.xml").read_bytes(), CATS, now=0)
    assert (result.title, result.posts, result.skipped) == ("空的订阅源", [], [])


def test_feed_body_is_kept_exactly_and_its_figures_found():
    html = '<p>a<br>b</p><img src="https://pic1.zhimg.com/v2-aa_1440w.jpg" data-original="https://pic1.zhimg.com/v2-aa_r.jpg">'
    body = feed_body(html)
    assert body.html == html
    assert [f.url for f in body.figures] == ["https://pic1.zhimg.com/v2-aa_r.jpg"]
    assert body.first_image == "https://pic1.zhimg.com/v2-aa_1440w.jpg"
    local = feed_body(html, {body.figures[0].key: "/images/zhimg/v2-aa.jpg"})
    assert 'src="/images/zhimg/v2-aa.jpg"' in local.html


def test_feed_config():
    feeds = parse_feed_config(
        '[[feed]]\nurl = "https://rsshub.app/zhihu/hotlist"\n\n'
        '[[feed]]\nurl = "https://blog.example.org/feed/atom"\n'
        'categories = "博客/别人"\nsource = "博客"\n'
    )
    assert feeds == [
        FeedSource("https://rsshub.app/zhihu/hotlist"),
        FeedSource("https://blog.example.org/feed/atom", "博客/别人", "博客"),
    ]
    with pytest.raises(ValueError, match="needs a url"):
        parse_feed_config("[[feed]]\ncategories = 'x'\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_feed_config("[[feed]\n")


def test_items_are_identified_within_their_feed():
    a = parse_feed(RSS, CATS, now=0, feed_url="https://a.example/rss").posts
    b = parse_feed(RSS, CATS, now=0, feed_url="https://b.example/rss").posts
    assert {p.id for p in a}.isdisjoint(p.id for p in b)
    guid = "https://www.zhihu.com/question/546512789/answer/2583412650"
    assert a[0].id == f"https://a.example/rss {guid}" and a[0].former_ids == (guid,)


def test_items_without_guid_or_link_get_an_identity_of_title_and_date():
    data = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>one</title><pubDate>Mon, 24 Nov 2025 10:00:00 GMT</pubDate></item>"
        b"<item><title>one</title><pubDate>Mon, 24 Nov 2025 10:00:00 GMT</pubDate></item>"
        b"<item><title>two</title></item></channel></rss>"
    )
    first = parse_feed(data, CATS, now=5).posts
    again = parse_feed(data, CATS, now=99).posts  # an undated item's id ignores the clock
    assert [p.id for p in first] == [p.id for p in again]
    assert len({p.id for p in first}) == 3

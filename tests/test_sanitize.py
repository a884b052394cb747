"""The one sanitizer (issue 23.8) and pins' text (issue 25.4), on plain strings: every kind of post
strangers write goes through it, and no script, no foreign load and no app link survives."""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from archiver.feeds import parse_feed
from archiver.items import Comment, Post
from archiver.post.comments import clean_comment_html, cleaned
from archiver.post.content import clean_content, feed_body
from archiver.post.render import PostOptions, body_for, post_text
from archiver.post.rich import RichOptions
from archiver.post.sanitize import ELEMENTS, REFUSED_ATTRIBUTE, REFUSED_CLASS, link, sanitize
from archiver.utils import browser
from archiver.utils.allowlist import is_allowed
from archiver.utils.fragments import parse_fragment, serialise_children
from archiver.zhihu.comments import parse_comments
from archiver.zhihu.daily import story_post
from archiver.zhihu.pins import pin_post
from tests.support.nasty import (
    EVIL,
    FOREIGN_IMAGES,
    HOSTILE_FRAGMENTS,
    HOSTILE_HTML,
    PAYLOAD,
    SCRIPT_URLS,
)
from tests.support.project import make_post

ALLOW = ("zhimg.com", "www.zhihu.com/equation")
ZHIMG = "https://pic1.zhimg.com/v2-0123456789abcdef0123456789abcdef_r.jpg"
RICH = RichOptions(formulas="tex", link_cards="card", references="list", videos="poster")


def body_of(text: str) -> str:
    """The body of a post text, as written between the wrapper's lines."""
    return text.split("<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]


def rendered(post: Post, options: PostOptions | None = None) -> str:
    return body_of(post_text(post, options or PostOptions()))


# What a browser would do with an output, judged independently of the sanitizer's own code.

_C0_AND_SPACE = re.compile(r"[\x00-\x20]")
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "zhihu:", "file:", "blob:")
_LOADED = ("src", "srcset", "poster")
_LOADED_DATA = re.compile(r"data-(?:.*[-_])?(?:[a-z]*src|srcset|original|image|poster|thumbnail)")


def squeezed(value: str) -> str:
    """A URL with every blank and control gone, lower-cased: stricter than any browser."""
    return _C0_AND_SPACE.sub("", value).lower()


def loads_only_allowed(value: str) -> bool:
    """An image URL a browser loads from the page's own site, or from zhimg/the equation service,
    read by urllib (backslashes as slashes, as a browser reads them)."""
    plain = squeezed(value).replace("\\", "/")
    if re.match(r"[a-z][a-z0-9+.-]*:", plain) is None:
        return not plain.startswith("//")  # a path of the site itself
    parts = urlsplit(plain)
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and "@" not in parts.netloc
        and re.fullmatch(r"[a-z0-9.-]+", host) is not None
        and (host.endswith(".zhimg.com") or (host, parts.path) == ("www.zhihu.com", "/equation"))
    )


def problems(body: str) -> list[str]:
    """Whatever in a post body could run, load from elsewhere, or navigate to script."""
    found = []
    # Every `<` + letter of a serialised body (text and attribute values have theirs escaped)
    # is a start tag a browser sees: each must be of an allowed element.
    for tag in re.findall(r"<([A-Za-z][^\t\n\f\r />]*)", body):
        if tag.lower() not in ELEMENTS:
            found.append(f"tag {tag}")
    if "<!" in body or "<?" in body:
        found.append("comment or declaration")
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for el in root.iterdescendants():
        if not isinstance(el.tag, str):
            found.append("comment node")
            continue
        for name, value in el.items():
            if name.startswith("on") or name in ("style", "srcdoc", "action", "formaction"):
                found.append(f"{el.tag} {name}")
            elif name in ("href", "cite"):
                if squeezed(value).startswith(_BAD_SCHEMES):
                    found.append(f"{el.tag} {name}={value!r}")
            elif name in _LOADED or (name != REFUSED_ATTRIBUTE and _LOADED_DATA.fullmatch(name)):
                urls = re.split(r"[\s,]+", value) if name.endswith("srcset") else [value]
                found += [f"{el.tag} {name}={u!r}" for u in urls if u and not loads_only_allowed(u)]
            elif name not in _SAFE_ATTRIBUTES and not name.startswith("data-"):
                found.append(f"{el.tag} {name}")
    return found


_SAFE_ATTRIBUTES = {
    "class", "id", "title", "lang", "dir", "hidden", "target", "rel", "hreflang", "alt",
    "width", "height", "referrerpolicy", "eeimg", "controls", "preload", "loop", "muted",
    "playsinline", "datetime", "start", "reversed", "type", "value", "colspan", "rowspan",
    "align", "scope", "span", "open",
}  # fmt: skip


# Each kind of post, made from the same stranger's HTML.


def as_answer(fragment: str) -> str:
    return rendered(make_post(content=fragment))


def as_rich_article(fragment: str) -> str:
    return rendered(make_post(kind="article", content=fragment), PostOptions(rich=RICH))


def as_feed_item(fragment: str) -> str:
    return rendered(make_post(kind="feed", content=fragment))


def as_comments(fragment: str) -> str:
    # One comment cleaned as the crawl cleans it, one as an older index may hold it.
    comments = (
        Comment("1", "甲", "jia", 1764203600, 1, clean_comment_html(fragment)),
        Comment("2", "乙", "", 1764203600, 0, fragment),
    )
    return rendered(make_post(content="<p>正文</p>", comments=comments))


def as_pin(fragment: str) -> str:
    pin = pin_post(
        {
            "id": "18",
            "updated": 1,
            "author": {"name": "甲"},
            "content": [
                {"type": "text", "content": fragment},
                {"type": "text", "content": "<p>x</p>", "own_text": fragment},
                {"type": "text", "content": "想法"},
            ],
        }
    )
    assert isinstance(pin, Post)
    return rendered(pin)


def as_daily_story(fragment: str) -> str:
    body = f"<p>日报</p>{fragment}"
    story = story_post({"id": 9800001, "title": "日报", "body": body}, date(2026, 11, 29))
    assert isinstance(story, Post)
    return rendered(story)


KINDS = (as_answer, as_rich_article, as_feed_item, as_comments, as_pin, as_daily_story)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("fragment", HOSTILE_HTML)
def test_no_kind_of_post_keeps_a_known_attack(kind, fragment):
    body = kind(f"<p>前</p>{fragment}<p>后</p>")
    assert problems(body) == [], body
    assert "前" in body


def test_what_follows_an_attack_is_still_shown():
    body = as_answer(f"<p>前</p><script>{PAYLOAD}</script><!-- x --><style>p{{}}</style><p>后</p>")
    assert body.endswith("<p>前</p><p>后</p>")


# Generated fragments follow a paragraph. One that holds a document's own tags (`<html>`, a
# second `<body>`) is a post like any other (tests/test_fragments.py).
LEAD = "<p>始</p>"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(HOSTILE_FRAGMENTS, st.sampled_from(KINDS))
def test_no_kind_of_post_keeps_generated_hostile_html(fragment, kind):
    body = kind(LEAD + fragment)
    assert problems(body) == [], body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_FRAGMENTS)
def test_what_the_sanitizer_leaves_reads_back_as_the_same_tree(fragment):
    # No mutation between the tree judged and the one a parser builds from its bytes; and a
    # second pass finds nothing more.
    root = parse_fragment(LEAD + fragment)
    sanitize(root, lambda url: not is_allowed(url, ALLOW))
    again = parse_fragment(serialise_children(root))
    assert not sanitize(again, lambda url: not is_allowed(url, ALLOW)).changed
    assert tree(again) == tree(root)


def tree(root) -> list:
    """Elements, attributes and text (the wrapper's blank leading text aside, which a parse
    drops)."""
    text = root.text if root.text and root.text.strip() else None
    return [text, *((el.tag, dict(el.attrib), el.text, el.tail) for el in root.iterdescendants())]


# Each kind's known way through, as the issue found them on main.


def test_a_pins_link_block_keeps_no_script_or_data_url():
    pin = pin_post(
        {
            "id": "18",
            "updated": 1,
            "content": [
                {"type": "link", "url": f"javascript:{PAYLOAD}", "title": "脚本"},
                {
                    "type": "link",
                    "url": "data:text/html,<script>alert(1)</script>",
                    "title": "数据",
                },
                {"type": "link", "url": "https://hexo.io/", "title": "好的"},
            ],
        }
    )
    assert isinstance(pin, Post)
    body = rendered(pin)
    assert problems(body) == []
    assert "<a>脚本</a>" in body and "<a>数据</a>" in body  # the title, no live link
    assert '<a href="https://hexo.io/">好的</a>' in body


DAILY_BODY = (
    '<div class="main-wrap content-wrap"><div class="headline">'
    '<div class="img-place-holder"></div></div><div class="content-inner">'
    f'<p>正文<img src="x" onerror="{PAYLOAD}"></p>'
    f'<iframe src="javascript:{PAYLOAD}"></iframe>'
    f'<meta http-equiv="refresh" content="0;url={EVIL}/">'
    f'<base href="{EVIL}/">'
    f"<style>@import url({EVIL}/daily.css);</style>"
    '<p><img src="/images/zhimg/local.jpg" alt="相对路径的图"></p>'
    "</div></div>"
)


def test_a_daily_story_keeps_no_handler_frame_refresh_base_or_import():
    story = story_post({"id": 9800001, "title": "日报", "body": DAILY_BODY}, date(2026, 11, 29))
    assert isinstance(story, Post)
    body = rendered(story)
    assert problems(body) == []
    for gone in ("onerror", "<iframe", "<meta", "<base", "@import", EVIL):
        assert gone not in body, gone
    assert '<img src="/images/zhimg/local.jpg"' in body  # read against the site, not evil


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1\\.zhimg.com/v2-aa.jpg",
        "https://evil.example\\@pic1.zhimg.com/v2-aa.jpg",
    ],
)
def test_comment_images_on_a_host_a_browser_reads_elsewhere_are_refused_in_remote_mode(url):
    text = json.dumps(
        {
            "data": [
                {
                    "id": 1,
                    "content": f'<p>看<a class="comment_img" href="{url}">查看图片</a></p>',
                    "author": {"name": "甲"},
                }
            ]
        }
    )
    [crawled] = cleaned(parse_comments(text, 1))  # as the comments pipeline keeps it
    assert "<img" not in crawled.content  # a link to it, never an image
    stored = Comment("2", "乙", "", 1, 0, f'<p><img src="{url}" alt="旧的图"></p>')
    body = rendered(make_post(content="<p>正文</p>", comments=(crawled, stored)))
    assert problems(body) == []
    refused = lxml_html.fragment_fromstring(body, create_parent="div").find_class(REFUSED_CLASS)
    assert [(s.get(REFUSED_ATTRIBUTE), s.text) for s in refused] == [(url, "旧的图")]


def test_an_answers_own_html_is_sanitized():
    body = as_answer(
        f'<p onclick="{PAYLOAD}">文字<script>{PAYLOAD}</script></p>'
        f'<figure><img src="{ZHIMG}" onerror="{PAYLOAD}" style="x"></figure>'
    )
    assert problems(body) == []
    assert "PWNED" not in body and "文字" in body and 'src="https://pic1.zhimg.com/' in body


def test_a_feed_item_is_sanitized_and_kept_as_it_comes_when_clean():
    description = f'<p>好的</p><img src="{EVIL}/track.gif"><script>{PAYLOAD}</script>'
    body = as_feed_item(description)
    assert problems(body) == [] and "好的" in body and f'{REFUSED_ATTRIBUTE}="{EVIL}' in body
    clean = '<p data-caption>一<br/>二</p><img src="' + ZHIMG + '" data-caption>'
    assert feed_body(clean).html == clean  # byte for byte, as before
    # A start tag an HTML parser drops without a trace is not kept as it came.
    hidden = f'<p>x</p><body onload="{PAYLOAD}"><p>y</p>'
    assert feed_body(hidden).html == "<p>x</p><p>y</p>"


def test_feed_items_from_a_feed_are_sanitized():
    feed = (
        "<rss version='2.0'><channel><title>t</title><item><title>one</title>"
        "<description><![CDATA[<p>正文</p><img src=x onerror=alert(1)>]]></description>"
        "</item></channel></rss>"
    ).encode()
    [post] = parse_feed(feed, ("博客",), now=0).posts
    body = rendered(post)
    assert problems(body) == [] and "onerror" not in body and "正文" in body


def test_a_link_card_shows_no_script_link_and_no_foreign_image():
    card = (
        f'<a href="javascript:{PAYLOAD}" data-draft-type="link-card" '
        f'data-image="{EVIL}/card.jpg">标题</a>'
        '<a href="https://example.org/" data-draft-type="link-card" '
        'data-image="javascript:alert(1)">另一个</a>'
    )
    body = rendered(make_post(content=card), PostOptions(rich=RichOptions(link_cards="card")))
    assert problems(body) == []
    assert "<img" not in body and "标题</a>" in body and 'href="https://example.org/"' in body


def test_references_keep_no_handler_and_no_script_link():
    ref = (
        f'<p>引<sup data-text="文献" data-url=" java\tscript:{PAYLOAD}" onclick="{PAYLOAD}" '
        'data-draft-type="reference" data-numero="1">[1]</sup></p>'
    )
    body = rendered(make_post(content=ref), PostOptions(rich=RichOptions(references="list")))
    assert problems(body) == [] and "onclick" not in body
    items = lxml_html.fragment_fromstring(body, create_parent="div").find_class("ReferenceList")
    assert [a.get("href") for a in items[0].iter("a")] == ["#ref_1_0"]  # the URL stays text


@pytest.mark.parametrize("url", FOREIGN_IMAGES)
def test_remote_mode_refuses_an_image_a_browser_would_load_elsewhere(url):
    body = clean_content(f'<p><img src="{url}" alt="图"></p>')
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    assert [img.get("src") for img in root.iter("img")] == []
    [span] = root.find_class(REFUSED_CLASS)
    assert (span.get(REFUSED_ATTRIBUTE), span.text) == (url, "图")
    assert body.figures == ()


def test_refused_images_are_still_counted_as_figures_refused():
    body = body_for(make_post(content=f'<img src="{EVIL}/a.jpg"><img src="{ZHIMG}">'))
    assert [f.url for f in body.refused] == [f"{EVIL}/a.jpg"]
    assert [f.url for f in body.figures] == [ZHIMG]


def test_zhihus_own_markup_passes_unchanged():
    # Every attribute of the saved answers' shapes, and the Daily's and comments' own.
    fragment = (
        '<p data-pid="a">x <a class="member_mention" href="http://www.zhihu.com/people/ab" '
        'data-hash="ab" data-hovercard="p$b$ab">@n</a></p>'
        '<figure data-size="normal"><img src="https://pic1.zhimg.com/v2-ab_1440w.jpg" '
        'data-caption="" data-size="normal" data-rawwidth="10" data-rawheight="20" '
        'data-default-watermark-src="https://pic2.zhimg.com/v2-cd_720w.jpg" '
        'class="origin_image zh-lightbox-thumb" data-original="https://pic1.zhimg.com/v2-ab_r.jpg" '
        'data-original-token="v2-ab" referrerpolicy="no-referrer"><figcaption>图</figcaption>'
        "</figure>"
        '<table data-draft-node="block" data-draft-type="table"><tbody><tr><th>a</th>'
        '<td colspan="2">b</td></tr></tbody></table>'
        '<h2 id="h_1_0">标题</h2><ol start="2"><li>x</li></ol><hr><blockquote>q</blockquote>'
        '<a href="https://www.zhihu.com/question/1" class="originUrl" hidden>原文</a>'
        '<video class="ztext-gif GifPlayer-gif2mp4" src="https://vdn3.vzuu.com/SD/a.mp4" '
        'poster="https://pic3.zhimg.com/v2-ef_b.jpg"></video>'
    )
    root = parse_fragment(fragment)
    done = sanitize(root, lambda url: not is_allowed(url, ALLOW))
    assert not done.changed and done.refused == []
    assert serialise_children(root) == serialise_children(parse_fragment(fragment))


# Pins (issue 25.4): the author's text, not the app's fold button.

FOLDED = {
    "type": "text",
    "fold_type": "normal_fold",
    "content": '第一行<br>第二行，很长的想法<br><a href="zhihu://pin/feedaction/fold/">收起</a>',
    "fold_content": '第一行<br><a href="zhihu://pin/feedaction/unfold/">展开</a>',
    "own_text": "第一行<br>第二行，很长的想法",
}


def test_a_folded_pin_shows_its_own_text_without_the_fold_button():
    pin = pin_post({"id": "18", "updated": 1, "author": {"name": "甲"}, "content": [FOLDED]})
    assert isinstance(pin, Post) and pin.title == "第一行"
    body = rendered(pin)
    assert "<p>第一行<br>第二行，很长的想法</p>" in body
    assert "收起" not in body and "展开" not in body and "zhihu://" not in body


def test_a_fold_button_without_own_text_goes_with_its_text():
    block = {key: value for key, value in FOLDED.items() if key != "own_text"}
    pin = pin_post({"id": "18", "updated": 1, "content": [block]})
    assert isinstance(pin, Post)
    body = rendered(pin)
    assert "第二行，很长的想法" in body and "收起" not in body and "zhihu://" not in body


@pytest.mark.parametrize(
    ("href", "page"),
    [
        ("zhihu://people/lin-xiao-shu", "https://www.zhihu.com/people/lin-xiao-shu"),
        ("zhihu://answers/3300000000000000001", "https://www.zhihu.com/answer/3300000000000000001"),
        ("zhihu://questions/655533333?source=x", "https://www.zhihu.com/question/655533333"),
        ("zhihu://question/655533333", "https://www.zhihu.com/question/655533333"),
        ("zhihu://articles/123", "https://zhuanlan.zhihu.com/p/123"),
        ("zhihu://pin/1800000000000000001", "https://www.zhihu.com/pin/1800000000000000001"),
        ("zhihu://topics/19550828", "https://www.zhihu.com/topic/19550828"),
        ("zhihu://podcast/audio_player/1?contentId=2", None),
        ("zhihu://people/../../evil", None),
        ("ZHIHU://people/x", None),
    ],
)
def test_app_links_become_their_web_page_or_lose_their_url(href, page):
    assert link(href) == page
    body = as_answer(f'<p><a href="{href}">链接</a></p>')
    assert "zhihu://" not in body.lower()
    assert (f'<a href="{page}">链接</a>' if page else "<a>链接</a>") in body


# A URL as a browser reads it.


@pytest.mark.parametrize(
    ("url", "read"),
    [
        ("https://pic1.zhimg.com/a.jpg", ("pic1.zhimg.com", 443)),
        ("HTTP://PIC1.ZHIMG.COM:80/a", ("pic1.zhimg.com", 80)),
        (" \x01https://pic1.zhi\tmg.com/a", ("pic1.zhimg.com", 443)),
        ("https:\\\\pic1.zhimg.com\\a", ("pic1.zhimg.com", 443)),
        ("https:///pic1.zhimg.com/a", ("pic1.zhimg.com", 443)),
        ("https://pic1.zhimg.com:/a", ("pic1.zhimg.com", 443)),
        ("https://evil.example\\@pic1.zhimg.com/", ("evil.example", 443)),
        ("https://127.0.0.1\\.zhimg.com/", None),
        ("https://pic1.zhimg.com@evil.example/", None),
        ("https://pic1.zhimg.com%2eevil.example/", None),
        ("https://ｐｉｃ1.zhimg.com/", None),
        ("https://pic1.zhimg.com。evil.example/", None),
        ("https://0x7f.1/", None),
        ("https://pic1.zhimg.com./", None),
        ("https://[::1]/", None),
        ("https:pic1.zhimg.com/a", None),  # a relative path on an https page
        ("https:/pic1.zhimg.com/a", None),
        ("https://pic1.zhimg.com:99999/", None),
        ("ftp://pic1.zhimg.com/", None),
        ("//pic1.zhimg.com/", None),
    ],
)
def test_the_host_a_browser_loads_from(url, read):
    assert browser.host_and_port(url) == read


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ｐｉｃ1.zhimg.com/a.jpg", False),  # IDNA: mapped by a browser first
        ("https://pic1.zhimg.com\t/a.jpg", True),  # the tab is no part of the URL
        ("https://pic1.zhimg.com\t.evil.example/a.jpg", False),
        ("https:pic1.zhimg.com/a.jpg", False),
        ("https:\\\\pic1.zhimg.com/a.jpg", True),
    ],
)
def test_the_allowlist_reads_a_url_as_a_browser_does_too(url, allowed):
    assert is_allowed(url, ALLOW) is allowed


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_script_urls_are_no_links(url):
    value = lxml_html.fragment_fromstring(f'<a href="{url}">x</a>').get("href")
    assert link(value) is None or link(value).startswith("https://www.zhihu.com/")

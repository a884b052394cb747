"""A stranger's HTML fragment as a tree (archiver/utils/fragments.py), on plain strings: a
fragment that holds a document's own tags (`<html>`, a second `<body>`) is read as a browser
reads an answer's HTML put into a page, and costs nothing of the post (issue 24's principle)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from archiver.post.comments import clean_comment_html
from archiver.post.render import PostOptions, post_text
from archiver.utils.fragments import parse_fragment, serialise_children
from archiver.zhihu.daily import story_content
from tests.support.project import make_post

DOCUMENT_TAGS = [
    # lxml's own fragment parser asserted "too many bodies" on each of these
    ("<p>一</p></body><body><p>二</p>", ["一", "二"]),
    ("<p>一</p></body>\x01<body class=x><p>二</p>", ["一", "二"]),
    ("<html></html><p>答</p>", ["答"]),
    ("<html><title>标题</title><p>答</p>", ["答"]),
    ("<!DOCTYPE html>", []),  # "Document is empty"
    # ... and dropped what follows `</html>`, which a browser shows
    ("<html><head></head><body><p>正文</p></body></html><p>后记</p>", ["正文", "后记"]),
]


def texts(html: str) -> str:
    return parse_fragment(html).text_content()


@pytest.mark.parametrize(("fragment", "words"), DOCUMENT_TAGS)
def test_a_fragment_with_a_documents_tags_is_read_whole(fragment, words):
    root = parse_fragment(fragment)
    assert root.tag == "div" and not root.attrib
    assert [el.tag for el in root.iter("html", "head", "body")] == []
    assert all(word in root.text_content() for word in words)


@pytest.mark.parametrize(("fragment", "words"), DOCUMENT_TAGS)
def test_an_answer_with_a_documents_tags_is_posted_and_sanitized(fragment, words):
    hostile = f'{fragment}<p onclick="x()">尾<script>alert(1)</script></p>'
    text = post_text(make_post(content=hostile), PostOptions())
    assert all(word in text for word in [*words, "尾"])
    assert "<script" not in text and "onclick" not in text and "<body" not in text


@pytest.mark.parametrize(("fragment", "words"), DOCUMENT_TAGS)
def test_a_comment_or_a_daily_story_with_them_keeps_its_text(fragment, words):
    assert all(word in texts(clean_comment_html(fragment)) for word in words)
    assert all(word in texts(story_content(fragment, "")) for word in words)


def test_a_plain_fragment_reads_as_before():
    fragment = "  <p>a<b>b</b></p>text<img src=x>"
    assert serialise_children(parse_fragment(fragment)) == '<p>a<b>b</b></p>text<img src="x">'


_PIECES = st.sampled_from(
    (
        *("<p>", "</p>", "<b>", "</b>", "<a href='x'>", "</a>", "<img src=y>", "<table><td>"),
        *("<html>", "</html>", "<head>", "</head>", "<body class=c>", "<body>", "</body>"),
        *("<title>t</title>", "<frameset>", "<frame>", "<meta charset=gbk>", "<noscript>"),
        *("<script>s</script>", "<!-- c -->", "<!doctype html>", "<?pi?>", "<![CDATA[x]]>"),
        *("文字", "a", " ", "\n", "\x01", "\x00", "&#1;", "&amp;", "<", ">"),
    )
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_no_fragment_raises_or_loses_text(fragment):
    root = parse_fragment(fragment)
    document = lxml_html.document_fromstring(f"<html><body>{fragment}</body></html>")
    assert root.tag == "div" and not root.attrib and root.tail is None
    assert [el.tag for el in root.iter("html", "head", "body")] == []
    assert "".join(root.text_content().split()) == "".join(document.text_content().split())


def test_a_lone_surrogate_costs_only_itself():
    # JSON's `\ud800` escape gives one (a truncated emoji); lxml's parser stopped at it, and the
    # rest of a comment or Daily story was lost without a word.
    fragment = "<p>甲\ud800乙</p><p>丙</p>"
    assert serialise_children(parse_fragment(fragment)) == "<p>甲乙</p><p>丙</p>"
    assert clean_comment_html(fragment) == "<p>甲乙</p><p>丙</p>"
    assert story_content(fragment, "https://pic1.zhimg.com/v2-aa.jpg", "来\ud800源").endswith(
        '<span class="img-source">图片：来源</span></div><p>甲乙</p><p>丙</p>'
    )


@pytest.mark.parametrize("body", ["\x01", "\x01<p>文</p>", "&#1;文"])
def test_a_daily_story_that_starts_with_a_control_character_is_posted(body):
    html = story_content(body, "https://pic1.zhimg.com/v2-aa.jpg")
    assert html.startswith('<div class="img-place-holder"><img src="https://pic1.zhimg.com/v2')
    assert "\x01" not in html and texts(html).endswith("文" if "文" in body else "")

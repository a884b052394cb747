"""Front matter and wrapper bytes of FORMAT.md, on plain data."""

import html as html_lib
import re

import frontmatter
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.items import Comment, Post
from archiver.post.render import PostOptions, body_for, http_date, post_text, yaml_quoted
from archiver.post.rich import RichOptions
from archiver.post.text import escape_line_breaks, without_controls
from tests.support.nasty import HOSTILE_FRAGMENTS
from tests.support.project import make_post

CATS = ("社交媒体", "知乎", "知乎热榜")


def make(**changes) -> Post:
    return make_post(
        **{
            "id": "1",
            "url": "u",
            "title": "T",
            "author": "A",
            "updated": 1658628417,
            "content": "<p>x</p>",
            "question_id": "",
            **changes,
        }
    )


def test_byte_layout():
    text = post_text(
        make(content='<p>x<img src="https://pic1.zhimg.com/a.png"></p>'), PostOptions()
    )
    assert text == (
        "\n---\ntitle: 'T'\ncategories: \n - 社交媒体\n - 知乎\n - 知乎热榜\n"
        "headimg: 'https://pic1.zhimg.com/a.png'\nauthor: 知乎\ncomments: false\n"
        "date: Sun, 24 Jul 2022 02:06:57 GMT\nthumbnail: 'https://pic1.zhimg.com/a.png'\n---\n\n"
        '<div>   \nA的回答<br><br><p>x<img src="https://pic1.zhimg.com/a.png" '
        'referrerpolicy="no-referrer"></p>  \n</div>\n            '
    )


def test_front_matter_parses_as_yaml():
    post = frontmatter.loads(
        post_text(make(title="it's: #1 “引号” 🐱\nsecond line"), PostOptions()).lstrip("\n")
    )
    assert post["title"] == "it's: #1 “引号” 🐱 second line"
    assert post["categories"] == list(CATS)
    assert post["comments"] is False


@pytest.mark.parametrize(
    ("title", "quoted"),
    [
        ("it's", "'it''s'"),
        ("a\nb\r\nc", "'a b c'"),
        ("tab\there", "'tabhere'"),  # FORMAT.md: every control character is dropped
        ("bell\x07", "'bell'"),
        ("nul\x00 del\x7f c1\x9b", "'nul del c1'"),
        ("{{ 模板 }} {% raw %}", "'{{ 模板 }} {% raw %}'"),  # YAML, never Nunjucks: kept
        ("冒号：与 [括号] 和 *星号*?", "'冒号：与 [括号] 和 *星号*?'"),
    ],
)
def test_titles_are_single_quoted_and_not_mangled(title, quoted):
    assert yaml_quoted(title) == quoted


def test_braces_stay_in_front_matter_and_are_escaped_in_the_body():
    # Item 14: Hexo runs Nunjucks over the body only; an entity in the title shows as `&#123;`.
    post = make(title="{{ t }}", content="<pre>{% raw %}{{x}}</pre>", categories=("a{b}",))
    text = post_text(post, PostOptions(source="{源}"))
    head, body = text.split("<div>   \n", 1)
    assert "title: '{{ t }}'" in head and " - a{b}\n" in head and "author: '{源}'" in head
    assert "{" not in body and "}" not in body
    assert "&#123;% raw %&#125;&#123;&#123;x&#125;&#125;" in body
    assert frontmatter.loads(text.lstrip("\n"))["title"] == "{{ t }}"


def test_prefixes_by_kind_and_anonymous_escaping():
    assert "作者的文章<br><br>" in post_text(make(kind="article", author="作者"), PostOptions())
    assert "a&lt;b&gt;的回答" in post_text(make(author="a<b>"), PostOptions())


def test_default_image_is_fixed_and_from_options():
    first = post_text(make(), PostOptions(default_image="/img/default.jpg"))
    assert "headimg: '/img/default.jpg'" in first
    assert "thumbnail: '/img/default.jpg'" in first
    assert first == post_text(make(), PostOptions(default_image="/img/default.jpg"))


def test_source_label_is_the_author_field():
    assert "\nauthor: 知乎\n" in post_text(make(author="某人"), PostOptions())


def test_http_date_is_rfc1123_gmt():
    assert http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert http_date(1658628417) == "Sun, 24 Jul 2022 02:06:57 GMT"


def test_site_timezone_form_of_the_date():
    from zoneinfo import ZoneInfo

    text = post_text(make(), PostOptions(timezone=ZoneInfo("Asia/Shanghai")))
    assert "\ndate: 2022-07-24 10:06:57\n" in text


def body_of(text: str) -> str:
    return text.split("<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]


def test_code_blocks_keep_their_newlines_but_never_a_blank_line():
    # Item 16: only the newline that would leave a blank line is written `&#10;`.
    content = "<pre><code>a\n\n    indented\n---\n  \nb</code></pre>"
    body = body_of(post_text(make(content=content), PostOptions()))
    assert body == "A的回答<br><br><pre><code>a&#10;\n    indented\n---&#10;  \nb</code></pre>"
    kept = "<pre><code>def f():\n    return 1\n</code></pre>"
    assert body_of(post_text(make(content=kept, kind="feed"), PostOptions())) == kept
    # A last line left blank by the wrapper's "  " is blank too.
    assert body_of(post_text(make(content=kept + "\n", kind="feed"), PostOptions())) == (
        kept + "&#10;"
    )


@pytest.mark.parametrize(
    ("html", "escaped"),
    [
        ("a\nb", "a\nb"),
        ("a\n    b\n\tc", "a\n    b\n\tc"),
        ("a\n\nb", "a&#10;\nb"),
        ("a\n \t\nb", "a&#10; \t\nb"),
        ("a\n\n\nb", "a&#10;&#10;\nb"),
        ("a\n\u3000\nb", "a&#10;\u3000\nb"),  # blank to JavaScript's \s, so to marked
        ("\nb", "&#10;b"),  # the wrapper's `<div>   ⏎` line would be followed by an empty one
        ("  \nb", "  &#10;b"),
        ("a\n", "a&#10;"),  # the wrapper's "  " would make a blank last line
        ("a\n  ", "a&#10;  "),
        ("a\r\nb\r\n\r\nc", "a\r\nb&#10;\r\nc"),  # CR LF: one break, kept or one `&#10;`
        ("a\r\rb", "a&#10;\rb"),  # a lone CR is a break to marked and to HTML
        # Hexo's backtick_code_block filter would take a fence at a line start for Markdown.
        ("<pre>x\n```js\ny\n```</pre>", "<pre>x\n&#96;``js\ny\n&#96;``</pre>"),
        ("x\n > ~~~\ny", "x\n > &#126;~~\ny"),
        ("```\n1. ````", "&#96;``\n1. &#96;```"),
        ("x\u2028```", "x\u2028&#96;``"),
        ("x ```\n``", "x ```\n``"),
    ],
)
def test_escape_line_breaks(html, escaped):
    assert escape_line_breaks(html) == escaped


_BREAK = re.compile(r"\r\n|\r|\n")
_BLANK = re.compile(r"[\s\ufeff]*")


@settings(max_examples=400)
@given(st.text(alphabet="\n\r \t\u3000\ufeffab`~>-1.<", max_size=40))
def test_no_blank_line_and_the_same_text_to_html(html):
    out = escape_line_breaks(html)
    lines = _BREAK.split(f"<div>   \n{out}  \n</div>")
    # Only a body of blanks without a line break keeps its (one) blank line; such a body has
    # no text and no image, and is never written (the pipeline drops it as empty_body).
    if _BREAK.search(html) or not _BLANK.fullmatch(html):
        assert not any(_BLANK.fullmatch(line) for line in lines)
    assert not any(re.match(r"\s*(?:>\s*)*(?:[-*+]|\d+\.)?\s*(?:```|~~~)", ln) for ln in lines)
    # What an HTML parser reads: CR LF and CR are LF, `&#10;` is LF (html.unescape does both).
    assert _BREAK.sub("\n", html_lib.unescape(out)) == _BREAK.sub("\n", html)
    # Each break is kept, or written as one `&#10;`; no other character changes.
    assert len(_BREAK.findall(out)) + out.count("&#10;") == len(_BREAK.findall(html))


def test_site_timezone_setting(tmp_path):
    from archiver.hexo.site import site_timezone

    site = tmp_path / "blog"
    (site / "source").mkdir(parents=True)
    (site / "_config.yml").write_text("title: blog\ntimezone: Asia/Shanghai\n")
    assert str(site_timezone("auto", site / "source")) == "Asia/Shanghai"
    assert site_timezone("auto", tmp_path) is None  # not a Hexo source folder: the seed form
    assert site_timezone("", site / "source") is None
    assert str(site_timezone("Europe/Paris", tmp_path)) == "Europe/Paris"
    (site / "_config.yml").write_text("title: blog\ntimezone:\n")
    assert site_timezone("auto", site / "source") is None
    with pytest.raises(ValueError, match="ARCHIVE_TIMEZONE"):
        site_timezone("Mars/Olympus", tmp_path)


def test_head_image_is_never_empty():
    # Item 15: the body's first image, else the hot-list entry's own image, else the default.
    hot = "https://pic1.zhimg.com/80/v2-ab_720w.jpg?source=1940ef5c"
    shipped = "headimg: '/images/default/headimg.png'"
    assert shipped in post_text(make(), PostOptions())
    assert f"headimg: '{hot}'\n" in post_text(make(hot_image=hot), PostOptions())
    assert f"thumbnail: '{hot}'\n" in post_text(make(hot_image=hot), PostOptions())
    with_figure = make(hot_image=hot, content='<p><img src="https://pic1.zhimg.com/a.png"></p>')
    assert "headimg: 'https://pic1.zhimg.com/a.png'" in post_text(with_figure, PostOptions())
    # Local-image mode links nothing on Zhihu: the default, not the entry's remote image.
    assert shipped in post_text(make(hot_image=hot), PostOptions(local_images=True))
    assert "headimg: '/d.png'" in post_text(make(), PostOptions(default_image="/d.png"))
    assert shipped in post_text(make(hot_image="\x00"), PostOptions(default_image=" "))


# What a stranger may write that lxml keeps in a tree but will not set again: render writes a
# body's HTML as it is and looks for control characters only in what it adds (the prefix).
_CONTROL_PIECES = st.sampled_from(
    ("\x01", "\x0b", "\x1f", "&#1;", "&#x1F;", "&#0;", "\ufffe", '<a href="x\x02y">', "\x00")
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(HOSTILE_FRAGMENTS, _CONTROL_PIECES), max_size=4).map("".join),
    st.sampled_from(("answer", "pin", "daily", "feed")),
    st.sampled_from((None, RichOptions(formulas="tex", link_cards="card", references="list"))),
)
def test_a_body_holds_no_control_character(fragment, kind, rich):
    comments = (Comment("1", "评论者\x07", "", 1700000000, 1, f"<p>{fragment}</p>"),)
    post = make(kind=kind, content=f"<p>x</p>{fragment}", comments=comments)
    html = body_for(post, rich=rich).html
    assert without_controls(html) == html

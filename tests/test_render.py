"""Front matter and wrapper bytes of FORMAT.md, on plain data."""

import frontmatter
import pytest
from conftest import make_post

from archiver.items import Post
from archiver.post.render import PostOptions, http_date, post_text, yaml_quoted

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
        ("tab\there", "'tab\there'"),
        ("bell\x07", "'bell'"),
        ("冒号：与 [括号] 和 *星号*?", "'冒号：与 [括号] 和 *星号*?'"),
    ],
)
def test_titles_are_single_quoted_and_not_mangled(title, quoted):
    assert yaml_quoted(title) == quoted


def test_braces_escaped_everywhere():
    text = post_text(make(title="{{ t }}", content="<pre>{% raw %}{{x}}</pre>"), PostOptions())
    assert "{" not in text and "}" not in text
    assert "title: '&#123;&#123; t &#125;&#125;'" in text
    assert "&#123;% raw %&#125;&#123;&#123;x&#125;&#125;" in text


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


def test_bodies_are_one_line_so_markdown_never_takes_over():
    content = "<pre><code>a\n\n    indented\n---\nb</code></pre><p>x\r\ny</p>"
    text = post_text(make(content=content), PostOptions())
    body = text.split("<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]
    assert "\n" not in body and "\r" not in body
    assert "a&#10;&#10;    indented&#10;---&#10;b" in body


def test_site_timezone_setting(tmp_path):
    from archiver.hexo import site_timezone

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

"""Front matter from any string: every value reads back through a YAML parser as the string it
stands for (line breaks as spaces, control characters dropped), braces and all; plain where the
plain form reads back as itself, as the seed's values. The JavaScript side (Hexo's own parser) is
checked in test_hexo.py."""

import frontmatter
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archiver.post.render import PostOptions, plain_is_safe, post_text, yaml_quoted, yaml_scalar
from archiver.post.text import one_line
from tests.support.nasty import NASTY, TEXT
from tests.support.project import make_post


def read_back(scalar: str) -> object:
    return yaml.safe_load(f"key: {scalar}\n")["key"]


@settings(max_examples=500)
@given(TEXT)
def test_any_value_reads_back_as_its_one_line_form(value):
    expected = one_line(value)
    assert read_back(yaml_scalar(value)) == expected
    assert read_back(yaml_quoted(value)) == expected
    if not yaml_scalar(value).startswith("'"):
        assert yaml_scalar(value) == expected  # plain: exactly the value


@pytest.mark.parametrize("value", NASTY)
def test_nasty_values_read_back(value):
    assert read_back(yaml_scalar(value)) == one_line(value)


def test_plain_where_the_seed_is_plain_quoted_where_yaml_would_misread():
    assert [yaml_scalar(v) for v in ("社交媒体", "知乎", "知乎热榜", "Blog", "it's")] == [
        "社交媒体",
        "知乎",
        "知乎热榜",
        "Blog",
        "it's",
    ]
    assert yaml_scalar("Tech: Notes") == "'Tech: Notes'"
    assert yaml_scalar("#misc") == "'#misc'"
    assert yaml_scalar("yes") == "'yes'" and yaml_scalar("2022") == "'2022'"
    assert yaml_scalar("it's: x") == "'it''s: x'"
    assert not plain_is_safe("") and yaml_scalar("") == "''"


@settings(max_examples=300)
@given(title=TEXT, categories=st.lists(TEXT, max_size=4), source=TEXT, image=TEXT, hot=TEXT)
@example(
    title="{{ t }}", categories=["Tech: Notes", "#misc"], source="Blog: Daily", image="", hot=""
)
def test_a_whole_post_parses_with_every_value_as_written(title, categories, source, image, hot):
    # Item 13: categories and source come from user settings (`-a categories=...`), images from
    # Zhihu (the hot list's thumbnail) or a setting; all must survive YAML.
    post = make_post(title=title, categories=tuple(categories), source=source, hot_image=hot)
    text = post_text(post, PostOptions(default_image=image))
    text.encode("utf-8")  # nothing that cannot be written (lone surrogates are dropped)
    meta = frontmatter.loads(text.lstrip("\n")).metadata
    given = [one_line(v) for v in (hot, image) if one_line(v).strip()]
    head = (given or ["/images/default/headimg.png"])[0]
    assert meta["title"] == one_line(title)
    assert (meta["categories"] or []) == [one_line(c) for c in categories]
    assert meta["author"] == (one_line(source) if source else "知乎")
    assert meta["headimg"] == meta["thumbnail"] == head
    assert meta["comments"] is False


def test_control_characters_never_reach_a_post():
    # Item 8: a NUL (or any control) in a title or a body broke the post, and Hexo with it.
    post = make_post(
        kind="feed",
        title="标题\x00\x07\x1b\x7f\x9b",
        content="<p>正\x00文\x01\x1f</p>\t<pre>a\r\nb</pre>\ud800",
        categories=("分类\x00",),
        source="来源\x08",
    )
    text = post_text(post, PostOptions())
    assert "title: '标题'" in text and " - 分类\n" in text and "author: 来源\n" in text
    assert "<p>正文</p>\t<pre>a\r\nb</pre>  \n</div>" in text  # tab, CR LF: legitimate HTML
    text.encode("utf-8")


def test_an_answers_nul_does_not_cost_its_text():
    # lxml reads a NUL as U+FFFD and stops at a lone surrogate: controls go before parsing.
    text = post_text(make_post(content="<p>前\x00后\ud800尾</p>"), PostOptions())
    assert "<p>前后尾</p>" in text

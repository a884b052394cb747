"""An answer's root comments: Zhihu's JSON to Comment items, their HTML cleaned, and the 评论
section of the post, on plain strings."""

import dataclasses
import json

import pytest
from lxml import html as lxml_html

from archiver.items import Comment
from archiver.post.comments import clean_comment_html, comments_section, with_comments
from archiver.post.render import PostOptions, body_for, post_text
from archiver.zhihu.comments import (
    comment,
    comments_from_json,
    comments_json,
    comments_url,
    parse_comments,
)
from archiver.zhihu.jsonutil import ZhihuFormatError
from tests.support.project import make_post

IMAGE = "https://pic1.zhimg.com/v2-c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0.jpg"


def v5(n: int, **changes) -> dict:
    """A root comment as comment_v5 serves it (the author flat)."""
    return {
        "id": 11000000000 + n,
        "type": "comment",
        "content": f"<p>第{n}条评论</p>",
        "created_time": 1764203600 + n,
        "like_count": 100 - n,
        "child_comment_count": 0,
        "author": {"id": "ab" * 16, "url_token": f"ren-{n}", "name": f"评论者{n}"},
        "reply_to_author": None,
        **changes,
    }


def page(*entries: dict) -> str:
    return json.dumps({"data": list(entries), "paging": {"is_end": True, "next": ""}})


@pytest.mark.parametrize(
    ("kind", "resource"), [("answer", "answers"), ("article", "articles"), ("pin", "pins")]
)
def test_the_url_is_the_web_clients(kind, resource):
    assert comments_url("https://www.zhihu.com", kind, "42") == (
        f"https://www.zhihu.com/api/v4/comment_v5/{resource}/42/root_comment"
        "?order_by=score&limit=20&offset="
    )


def test_the_first_wanted_comments_in_zhihus_order():
    comments = parse_comments(page(v5(1), v5(2), v5(3)), 2)
    assert [c.author for c in comments] == ["评论者1", "评论者2"]
    first = comments[0]
    assert first == Comment("11000000001", "评论者1", "ren-1", 1764203601, 99, "<p>第1条评论</p>")


def test_the_older_shape_nests_the_author_and_counts_votes():
    older = v5(1, author={"role": "normal", "member": {"name": "旧", "url_token": "jiu"}})
    del older["like_count"]
    older["vote_count"] = 7
    [c] = parse_comments(page(older), 5)
    assert (c.author, c.url_token, c.likes) == ("旧", "jiu", 7)


def test_deleted_empty_and_odd_entries_are_left_out():
    entries = (v5(1, is_delete=True), v5(2, content=" "), v5(3, id=None), "x", v5(4, author=None))
    [c] = parse_comments(page(*entries), 20)
    assert (c.id, c.author, c.url_token) == ("11000000004", "匿名用户", "")


@pytest.mark.parametrize("text", ["[]", "not json", '{"data": {}}'])
def test_not_a_page(text):
    with pytest.raises(ZhihuFormatError):
        parse_comments(text, 2)


def test_an_image_link_becomes_an_image_a_sticker_its_text():
    html = (
        f'<p>看图<a class="comment_img" href="{IMAGE}" data-width="800">查看图片</a>后'
        '<a class="comment_sticker" href="https://pic2.zhimg.com/v2-aa.png" '
        'data-sticker-id="1">[吃瓜]</a></p>'
    )
    assert clean_comment_html(html) == f'<p>看图<img src="{IMAGE}" alt="查看图片">后[吃瓜]</p>'


def test_a_strangers_html_keeps_no_script_attribute_or_foreign_image():
    hostile = (
        "<script>alert(1)</script><style>p{}</style><iframe src='https://evil.example'></iframe>"
        '<p onclick="x()" style="color:red" class="c">文字<b data-x="1">粗</b></p>'
        '<a href="javascript:alert(1)">点我</a><a href=" https://example.org/a ">链接</a>'
        '<img src="x" onerror="alert(1)"><img src="https://127.0.0.1/a.jpg" alt="内网">'
        '<a class="comment_img" href="https://evil.example/a.jpg">查看图片</a>'
        "<!-- note --><div><svg><a href='https://e'>s</a></svg>块</div>"
    )
    cleaned = clean_comment_html(hostile)
    assert cleaned == (
        '<p>文字<b>粗</b></p><a>点我</a><a href="https://example.org/a">链接</a>内网'
        '<a href="https://evil.example/a.jpg">查看图片</a>块'  # a link, never an image
    )


def test_the_index_form_reads_back():
    comments = tuple(parse_comments(page(v5(1), v5(2)), 2))
    assert comments_from_json(comments_json(comments)) == comments


SOME = (
    Comment("1", "张三", "zhang-san", 1764203600, 12, f'<p>有图<img src="{IMAGE}" alt="图"></p>'),
    Comment("2", "<匿名>", "", 0, 0, "<p>{{ site.title }} {% raw %}</p>"),
)


def test_the_section_names_each_author_date_and_likes():
    root = lxml_html.fragment_fromstring(comments_section(SOME), create_parent="div")
    assert root[0].tag == "h2" and root[0].text == "评论"
    first, second = root[1].findall("li")
    meta = first.find("p")
    assert meta.text_content() == "张三 · 2025-11-27 08:33 · 12 赞"  # Asia/Shanghai
    assert meta.find("a").get("href") == "https://www.zhihu.com/people/zhang-san"
    assert meta.find("time").get("datetime") == "2025-11-27T08:33:20+08:00"
    # No profile, no date: the name alone, escaped
    assert second.find("p").text_content() == "<匿名> · 0 赞"
    assert second.find("p/a") is None


def test_a_url_token_cannot_leave_the_profile_path():
    odd = Comment("3", "x", '../a"><script>', 1, 0, "<p>x</p>")
    section = comments_section((odd,))
    assert 'href="https://www.zhihu.com/people/..%2Fa%22%3E%3Cscript%3E"' in section


def test_comment_images_are_figures_after_the_bodys_and_not_the_head_image():
    body = body_for(make_post(content="<p>正文没有图</p>", comments=SOME))
    assert [f.url for f in body.figures] == [IMAGE]
    assert body.first_image == "" and not body.blank
    local = body_for(
        make_post(content="<p>正文没有图</p>", comments=SOME),
        {body.figures[0].key: "/images/zhimg/c.jpg"},
    )
    assert 'src="/images/zhimg/c.jpg"' in local.html
    assert with_comments(body, ()) is body


def test_the_post_keeps_braces_from_nunjucks_in_both_modes():
    post = make_post(comments=SOME)
    text = post_text(post, PostOptions())
    assert "{{" not in text.split("---", 2)[2] and "&#123;&#123; site.title &#125;&#125;" in text
    raw = post_text(post, PostOptions(braces="raw"))
    assert "<h2>评论</h2>" in raw and raw.count("{% raw %}") == raw.count("{% endraw %}")
    assert raw.index("<h2>评论</h2>") < raw.rindex("{% endraw %}")


def test_no_comments_no_section():
    post = make_post()
    assert post_text(post, PostOptions()) == post_text(
        dataclasses.replace(post, comments=()), PostOptions()
    )
    assert "评论" not in post_text(post, PostOptions())


def test_a_comment_object_alone():
    assert comment(v5(5))
    assert comment({"id": 1}) is None

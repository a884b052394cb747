"""The 评论 section after the body of an answer, article or pin: its captured root comments,
each with its author, date and likes, and what of a comment's HTML a post keeps (cleaned once,
when captured: the index keeps the cleaned comments). Pure: comments in, HTML out; the body
rules of the post apply to it after."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from archiver.items import Comment
from archiver.post.content import Body, clean_content
from archiver.post.sanitize import sanitize
from archiver.utils.allowlist import refuser
from archiver.utils.browser import scheme
from archiver.utils.fragments import parse_fragment, serialise_children
from archiver.utils.numbers import timestamp

# Where Zhihu is: a comment's date reads as Zhihu shows it to its readers.
_SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADING = "评论"
# Tags a comment keeps of what the sanitizer left; every other tag is unwrapped (its text stays).
_KEPT = frozenset({"p", "br", "a", "img", "b", "strong", "i", "em", "s", "del", "code"})
_ATTRIBUTES = {"a": ("href",), "img": ("src", "alt")}
_IMAGE_LINKS = ("comment_img", "comment_gif")
# A comment's images are Zhihu's own: on zhimg, read as the crawler and a browser read a URL.
_OFF_ZHIMG = refuser(("zhimg.com",))


def cleaned(comments: list[Comment]) -> list[Comment]:
    """The comments as Zhihu served them (archiver/zhihu/comments.py), their HTML cleaned."""
    return [dataclasses.replace(c, content=clean_comment_html(c.content)) for c in comments]


def clean_comment_html(fragment: str) -> str:
    """A comment's HTML with only plain tags, web links and zhimg images left.

    The one sanitizer (archiver/post/sanitize.py) makes it safe, as every body; a comment then
    keeps only what Zhihu shows of one: plain tags, no class or data attribute, and an image
    only from zhimg (any other is its alt text). Braces and line breaks are left to the post's
    body rules (they apply to the whole body).
    """
    root = parse_fragment(fragment)
    for link in list(root.iter("a")):
        _image_link(link)
    sanitize(root, _OFF_ZHIMG, source=fragment)
    for el in list(root.iterdescendants()):
        if el.tag not in _KEPT:
            el.drop_tag()
        else:
            _keep_plain_attributes(el)
    return serialise_children(root).strip()


def _image_link(link: HtmlElement) -> None:
    """`<a class="comment_img" href=zhimg>查看图片</a>` becomes that image; a sticker, its text."""
    classes = link.get("class", "").split()
    href = link.get("href", "")
    if any(c in classes for c in _IMAGE_LINKS) and not _OFF_ZHIMG(href):
        alt = link.text_content().strip() or "图片"
        tail = link.tail
        link.clear()
        link.tag = "img"
        link.set("src", href)
        link.set("alt", alt)
        link.tail = tail
    elif "comment_sticker" in classes:
        link.attrib.clear()
        link.tag = "span"  # unwrapped below: the sticker's text, [吃瓜], stays


def _keep_plain_attributes(el: HtmlElement) -> None:
    kept = {name: el.get(name, "") for name in _ATTRIBUTES.get(el.tag, ()) if el.get(name)}
    el.attrib.clear()
    if el.tag == "img":
        if _OFF_ZHIMG(kept.get("src", "")):
            # Not Zhihu's image host (a site path): never shown, never fetched; the alt text stays.
            el.tag = "span"
            el.text = kept.get("alt", "")
            el.drop_tag()
            return
        el.set("src", kept["src"])
        el.set("alt", kept.get("alt", ""))
    elif "href" in kept and scheme(kept["href"]) in ("http", "https"):
        el.set("href", kept["href"].strip())


def comments_section(comments: tuple[Comment, ...] | list[Comment]) -> str:
    """`<h2>评论</h2><ol class="CommentList">`, one `<li>` per comment, in Zhihu's order."""
    items = "".join(_item(c) for c in comments)
    return f'<h2>{HEADING}</h2><ol class="CommentList">{items}</ol>'


def _item(comment: Comment) -> str:
    name = html.escape(comment.author, quote=False)
    author = (
        f'<a class="CommentItem-author" href="{profile_url(comment.url_token)}">{name}</a>'
        if comment.url_token
        else f'<span class="CommentItem-author">{name}</span>'
    )
    # A time the parser would refuse (an index written before it did: 10**13) shows no date.
    created = timestamp(comment.created)
    when = datetime.fromtimestamp(created, _SHANGHAI) if created else None
    date = (
        f'<time datetime="{when.isoformat()}">{when.strftime("%Y-%m-%d %H:%M")}</time>'
        if when
        else ""
    )
    meta = " · ".join(part for part in (author, date, f"{comment.likes} 赞") if part)
    return (
        f'<li class="CommentItem"><p class="CommentItem-meta">{meta}</p>'
        f'<div class="CommentItem-content">{comment.content}</div></li>'
    )


def profile_url(url_token: str) -> str:
    return f"https://www.zhihu.com/people/{quote(url_token, safe='-_.~')}"


def with_comments(
    body: Body,
    comments: tuple[Comment, ...],
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    refused_video: Callable[[str], bool] | None = None,
) -> Body:
    """The body with the 评论 section after it. The section goes through the same content rules
    (its images are figures, archived and pointed at the archive like the body's), but the post's
    head image and whether it is blank stay the body's own."""
    if not comments:
        return body
    section = clean_content(comments_section(comments), local, refused, refused_video=refused_video)
    return dataclasses.replace(
        body,
        html=body.html + section.html,
        figures=body.figures + section.figures,
        refused=body.refused + section.refused,
    )

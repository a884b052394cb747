"""The root comments of an answer, an article or a pin
(`/api/v4/comment_v5/{answers|articles|pins}/{id}/root_comment`) to Comment items.

The endpoint is the one Zhihu's web client has called since 2023 (signed like every `/api/v4/`
call), `?order_by=score&limit=20&offset=` for the first page of the top comments: see
NanmiCoder/MediaCrawler `media_platform/zhihu/client.py` (`get_root_comments`) and `help.py`
(`_extract_comment`), and crispyChicken999/zhihu-fisher-vscode
`src/core/zhihu/webview/components/comments.ts`; articles and pins have the same call under
their own resource type (`articles`, `pins`), as other public clients of the web API call it.
Zhihu's answer is

    {"data": [{"id", "type": "comment", "content" (HTML), "created_time", "like_count",
               "child_comment_count", "author": {"id", "url_token", "name", "avatar_url"},
               "reply_to_author", ...}],
     "paging": {"is_end", "next", ...}}

The older `/api/v4/answers/{id}/root_comments` nested the author as `author.member` and counted
`vote_count`: both shapes are read. A comment's content is a stranger's HTML: only a few
plain tags survive (`clean_comment_html`), an image Zhihu shows as a link (`a.comment_img`,
`a.comment_gif` on zhimg) becomes an `<img>` (a figure to archive), a sticker
(`a.comment_sticker`) its text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from lxml.html import HtmlElement

from archiver.items import Comment, Skip
from archiver.post.figures import refuser
from archiver.post.sanitize import sanitize
from archiver.utils.browser import scheme
from archiver.utils.fragments import parse_fragment, serialise_children
from archiver.zhihu.jsonutil import (
    ZhihuFormatError,
    as_id,
    as_int,
    as_time,
    get_path,
    load_object,
    text_of,
)
from archiver.zhihu.urls import api_url

ANONYMOUS = "匿名用户"
PAGE_LIMIT = 20  # what the web client asks for: one page holds the top 20 root comments
MAX_COMMENTS = PAGE_LIMIT  # ZHIHU_COMMENTS at most: one request per item
# The kinds of post that have comments, and each one's resource type in the comment API.
RESOURCES = {"answer": "answers", "article": "articles", "pin": "pins"}
# Tags a comment keeps of what the sanitizer left; every other tag is unwrapped (its text stays).
_KEPT = frozenset({"p", "br", "a", "img", "b", "strong", "i", "em", "s", "del", "code"})
_ATTRIBUTES = {"a": ("href",), "img": ("src", "alt")}
_IMAGE_LINKS = ("comment_img", "comment_gif")
# A comment's images are Zhihu's own: on zhimg, read as the crawler and a browser read a URL.
_OFF_ZHIMG = refuser(("zhimg.com",))


def comments_url(base_url: str, kind: str, item_id: str) -> str:
    """The first page of an item's root comments, best first, as the web client asks (`kind`:
    one of RESOURCES)."""
    return api_url(
        base_url,
        f"/api/v4/comment_v5/{RESOURCES[kind]}/{item_id}/root_comment",
        order_by="score",
        limit=PAGE_LIMIT,
        offset="",
    )


def parse_comments(text: str, wanted: int) -> list[Comment]:
    """The first `wanted` root comments of a page; raises ZhihuFormatError if not a page."""
    return read_comments(text, wanted)[0]


def read_comments(text: str, wanted: int) -> tuple[list[Comment], list[Skip]]:
    """The first `wanted` usable root comments of a page, and the comments passed over for a
    number that is no number (a bad one costs itself, never the post); raises ZhihuFormatError
    if not a page."""
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", "comments page has no `data` array")
    comments: list[Comment] = []
    skipped: list[Skip] = []
    for entry in entries:
        if len(comments) >= wanted:
            break
        found = comment(entry)
        if isinstance(found, Skip):
            skipped.append(found)
        elif found is not None:
            comments.append(found)
    return comments, skipped


def comment(entry: Any) -> Comment | Skip | None:
    """One root comment; None for what is no readable comment (deleted, no text); a Skip for
    one whose date or like count is not a number in range ("²", 10**13)."""
    if not isinstance(entry, dict) or entry.get("is_delete") is True:
        return None
    content = entry.get("content")
    comment_id = as_id(entry.get("id"))
    if not comment_id or not isinstance(content, str) or not content.strip():
        return None
    created = _number(entry, ("created_time",), as_time)
    likes = _number(entry, ("like_count", "vote_count"), as_int)
    for value, key in ((created, "created_time"), (likes, "like_count")):
        if value is None:
            given = entry.get(key, entry.get("vote_count"))
            return Skip("bad_number", f"comment {comment_id}: {key} {given!r:.40} is not usable")
    author = entry.get("author")
    # v5: the person is `author` itself; before: `author.member`
    person = get_path(author, "member") if isinstance(get_path(author, "member"), dict) else author
    return Comment(
        id=comment_id,
        author=text_of(get_path(person, "name")) or ANONYMOUS,
        url_token=text_of(get_path(person, "url_token")),
        created=created or 0,
        likes=likes or 0,
        content=clean_comment_html(content),
    )


def _number(
    entry: dict[str, Any], keys: tuple[str, ...], read: Callable[[object], int | None]
) -> int | None:
    """The first of `keys` that holds a non-zero number (0 when none is given); None when one
    given is not a number `read` accepts."""
    found = 0
    for key in keys:
        if entry.get(key) is None:
            continue
        value = read(entry[key])
        if value is None:
            return None
        found = found or value
    return found


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


def comments_json(comments: list[Comment] | tuple[Comment, ...]) -> str:
    """How the index keeps the comments captured with an item."""
    return json.dumps([asdict(c) for c in comments], ensure_ascii=False, sort_keys=True)


def comments_from_json(text: str) -> tuple[Comment, ...]:
    return tuple(Comment(**entry) for entry in json.loads(text))

"""Pins (想法, `/api/v4/pins/{id}`) to Post items: their blocks rendered as HTML.

A pin's `content` is a list of blocks, not HTML (zhihu-api.md; zhihuhelp's and RSSHub's pin
types): `{"type": "text", "content": "<html>", "own_text"?: "<html>"}`, `{"type": "image", "url",
"original_url"?, "width", "height", "is_gif"}`, `{"type": "link", "url", "title", "image_url"}`,
`{"type": "video", "video_id", "thumbnail"}`. A repin carries the pin it repeats as `origin_pin`.
What strangers wrote in them is judged when the post is rendered (archiver/post/sanitize.py).
"""

from __future__ import annotations

import html
import re
from typing import Any

from archiver.items import Post, PostKind, Skip
from archiver.zhihu.answers import ANONYMOUS, undated
from archiver.zhihu.jsonutil import as_id, as_int, as_time, get_path, load_object, text_of

# A title is the pin's first line of text, cut here (a pin has no title of its own).
TITLE_LENGTH = 50
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def parse_pin(text: str) -> Post | Skip:
    """`/api/v4/pins/{id}`: the bare pin object. Raises ZhihuFormatError if not JSON."""
    return pin_post(load_object(text))


def pin_post(pin: Any) -> Post | Skip:
    """One pin object as a Post, or why it cannot be archived."""
    if not isinstance(pin, dict):
        return Skip("unexpected_shape", "pin is not an object")
    pin_id = as_id(pin.get("id"))
    if not pin_id:
        return Skip("missing_field", "pin without a usable id")
    if pin.get("is_deleted") is True or pin.get("state") == "deleted":
        return Skip("not_found", f"pin {pin_id} was deleted")
    updated = as_time(pin.get("updated")) or as_time(pin.get("created"))
    if updated is None:
        return undated(pin, "pin", pin_id, ("updated", "created"))
    body = blocks_html(pin.get("content"))
    origin = pin.get("origin_pin")
    if isinstance(origin, dict) and as_id(origin.get("id")):
        body += repin_html(origin)
    if not body:
        return Skip("missing_field", f"pin {pin_id} has no content")
    title = first_line(pin.get("content")) or (
        first_line(origin.get("content")) if isinstance(origin, dict) else ""
    )
    author = text_of(get_path(pin, "author", "name")) or ANONYMOUS
    return Post(
        kind=PostKind.PIN,
        id=pin_id,
        url=f"https://www.zhihu.com/pin/{pin_id}",
        title=title or f"{author}的想法",
        author=author,
        updated=updated,
        content=body,
    )


def blocks_html(blocks: Any) -> str:
    """The blocks as HTML, in order; blocks of unknown types (and malformed ones) are left out."""
    if not isinstance(blocks, list):
        return ""
    return "".join(_block(b) for b in blocks if isinstance(b, dict))


def repin_html(origin: dict[str, Any]) -> str:
    """The pin a repin repeats, quoted under a line naming it."""
    name = html.escape(text_of(get_path(origin, "author", "name")) or ANONYMOUS, quote=False)
    link = f"https://www.zhihu.com/pin/{as_id(origin.get('id'))}"
    quoted = blocks_html(origin.get("content"))
    return f'<blockquote><p>转发 <a href="{link}">{name}的想法</a>：</p>{quoted}</blockquote>'


def first_line(blocks: Any) -> str:
    """The first non-blank line of the first text block, as plain text, cut at TITLE_LENGTH."""
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and block.get("type") == "text":
            text = html.unescape(_TAG.sub("", _BREAK.sub("\n", block_text(block))))
            for line in text.splitlines():
                if line := " ".join(line.split()):
                    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH] + "…"
    return ""


def block_text(block: dict[str, Any]) -> str:
    """A text block's HTML as its author wrote it: `own_text` where the block has it. A folded
    block's `content` ends with the app's own button, `<br><a href="zhihu://pin/feedaction/
    fold/">收起</a>` (`fold_content`, the cut text, with 展开); `own_text` is the text alone."""
    for field in ("own_text", "content"):
        if isinstance(value := block.get(field), str) and value.strip():
            return value
    return ""


def _block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        # Zhihu's HTML (`<br>`, hash-tag links), as served like an answer's: the sanitizer
        # judges it with the rest of the post when it is rendered.
        content = block_text(block)
        return f"<p>{content}</p>" if content else ""
    if kind == "image":
        return _figure(block)
    if kind == "link":
        url = text_of(block.get("url"))
        if not url:
            return ""
        title = html.escape(text_of(block.get("title")) or url, quote=False)
        return f'<p><a href="{html.escape(url)}">{title}</a></p>'
    if kind == "video":
        video_id = as_id(block.get("video_id"))
        poster = _figure({"url": block.get("thumbnail")}) if block.get("thumbnail") else ""
        if not video_id:
            return poster
        return f'{poster}<p><a href="https://www.zhihu.com/video/{video_id}">视频</a></p>'
    return ""


def _figure(block: dict[str, Any]) -> str:
    url = text_of(block.get("url"))
    original = text_of(block.get("original_url")) or url
    if not url:
        return ""
    size = "".join(
        f' data-raw{name}="{value}"'
        for name in ("width", "height")
        if (value := as_int(block.get(name))) is not None
    )
    return (
        f'<figure><img src="{html.escape(url)}"{size} data-original="{html.escape(original)}"'
        ' class="origin_image zh-lightbox-thumb"></figure>'
    )

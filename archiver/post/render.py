"""The whole post text: front matter and body wrapper, byte for byte as FORMAT.md states."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from zoneinfo import ZoneInfo

from archiver.items import Post
from archiver.post.content import Body, clean_content, feed_body

# Body prefixes by kind; a feed item's description is the body as it comes.
_PREFIX = {"answer": "的回答", "article": "的文章"}
# YAML forbids C0 controls (but tab) even in quoted scalars; a newline in a title becomes a space.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class PostOptions:
    source: str = "知乎"  # the post's `author`: the source's label, not the person
    default_image: str = ""  # headimg/thumbnail when the body has no image; fixed, never random
    # The Hexo site's timezone: dates as its wall-clock time, which Hexo reads right. None: the
    # seed's RFC 1123 GMT form, which Hexo misreads on a site whose timezone is not UTC.
    timezone: ZoneInfo | None = None


def post_text(post: Post, options: PostOptions) -> str:
    """The post file's text for an answer or an article."""
    return render(post, body_for(post), options)


def body_for(post: Post, local: Mapping[str, str] | None = None) -> Body:
    """The body: the one a pipeline already made for this item, or a new one.

    Zhihu's HTML goes through FORMAT.md's content rules; a feed item's description is kept as it
    comes. `local` maps figure keys to archived copies (local-image mode).
    """
    if post.body is not None and local is None:
        return post.body
    if post.kind in _PREFIX:
        return clean_content(post.content, local)
    return feed_body(post.content, local)


def render(post: Post, body: Body, options: PostOptions, thumbnail: str = "") -> str:
    """The post text; `thumbnail` defaults to the head image (remote mode, as the seed)."""
    prefix = (
        f"{html.escape(post.author, quote=False)}{_PREFIX[post.kind]}<br><br>"
        if post.kind in _PREFIX
        else ""
    )
    image = body.first_image or options.default_image
    text = front_matter(
        post.title,
        post.categories,
        image,
        thumbnail or image,
        post.source or options.source,
        post_date(post.updated, options.timezone),
    )
    # A newline in the body could end Markdown's HTML block (at a blank line) and turn what
    # follows into Markdown (4-space indents become code blocks): `&#10;` is the same character
    # to HTML, and leaves the body one line.
    html_body = body.html.replace("\r\n", "&#10;").replace("\n", "&#10;").replace("\r", "&#13;")
    return escape_braces(text + f"\n<div>   \n{prefix}{html_body}  \n</div>\n" + " " * 12)


def escape_braces(text: str) -> str:
    """`{`/`}` as entities: Hexo runs posts through Nunjucks, where `{{` or `{%` abort a build."""
    # str.replace, not str.translate: translate to multi-character strings is ~40x slower on CJK.
    return text.replace("{", "&#123;").replace("}", "&#125;")


def front_matter(
    title: str, categories: tuple[str, ...], image: str, thumbnail: str, source: str, date: str
) -> str:
    lines = [
        "",
        "---",
        f"title: {yaml_quoted(title)}",
        "categories: ",
        *(f" - {category}" for category in categories),
        f"headimg: {yaml_quoted(image)}",
        f"author: {source}",
        "comments: false",
        f"date: {date}",
        f"thumbnail: {yaml_quoted(thumbnail)}",
        "---",
        "",
    ]
    return "\n".join(lines)


def yaml_quoted(value: str) -> str:
    """A single-quoted YAML scalar: `'` doubled, line breaks as spaces, controls dropped."""
    value = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))
    return "'" + value.replace("'", "''") + "'"


def post_date(timestamp: int, zone: ZoneInfo | None) -> str:
    """The front matter's date: the seed's form, or `2022-07-24 10:06:57` in the site's zone."""
    if zone is None:
        return http_date(timestamp)
    return datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M:%S")


def http_date(timestamp: int) -> str:
    """RFC 1123 in GMT, as the seed: `Sun, 24 Jul 2022 02:06:57 GMT`."""
    return formatdate(timestamp, usegmt=True)

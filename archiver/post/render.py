"""The whole post text: front matter and body wrapper, byte for byte as FORMAT.md states."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate

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
        http_date(post.updated),
    )
    return escape_braces(text + f"\n<div>   \n{prefix}{body.html}  \n</div>\n" + " " * 12)


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


def http_date(timestamp: int) -> str:
    """RFC 1123 in GMT, as the seed: `Sun, 24 Jul 2022 02:06:57 GMT`."""
    return formatdate(timestamp, usegmt=True)

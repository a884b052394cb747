"""The whole post text: front matter and body wrapper, byte for byte as FORMAT.md states."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate
from zoneinfo import ZoneInfo

from archiver.items import Post
from archiver.post.comments import with_comments
from archiver.post.content import Body, clean_content, feed_body
from archiver.post.paths import SHIPPED_IMAGE
from archiver.post.rich import RichOptions
from archiver.post.text import clean_body_markup, one_line, parseable, without_controls
from archiver.zhihu.kinds import ITEMS

# The head image of a post without one, when ARCHIVE_DEFAULT_IMAGE is empty: the image the project
# ships (archiver/assets), written into the archive at this site path on first use.
# Plain scalars that YAML 1.1 (PyYAML) or 1.2 (js-yaml, Hexo) would read as a boolean or null,
# in any case: `author: yes` must stay the string "yes".
_NOT_A_STRING = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


@dataclass(frozen=True)
class PostOptions:
    source: str = "知乎"  # the post's `author`: the source's label, not the person
    # headimg/thumbnail when the body has no image (a URL or site path); "" for SHIPPED_IMAGE.
    # Fixed, never random.
    default_image: str = ""
    # The Hexo site's timezone: dates as its wall-clock time, which Hexo reads right. None: the
    # seed's RFC 1123 GMT form, which Hexo misreads on a site whose timezone is not UTC.
    timezone: ZoneInfo | None = None
    # Local-image mode: head images are site paths, so a hot-list entry's remote image is not used.
    local_images: bool = False
    # Theme keys after `thumbnail` (none by default, as the seed): `updated:` the date again, so
    # Hexo does not take the file's modification time; `title_display: true` (volantis shows the
    # title of a post with a head image only then).
    updated: bool = False
    title_display: bool = False
    # How the body keeps its braces from Nunjucks: `entities` (the seed's) or `raw`.
    braces: str = "entities"
    # Formulas, link cards, references and videos as a reader saw them (none by default).
    rich: RichOptions = field(default_factory=RichOptions)


def post_text(post: Post, options: PostOptions) -> str:
    """The post file's text for an answer or an article."""
    return render(post, body_for(post, rich=options.rich), options)


def body_for(
    post: Post,
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    rich: RichOptions | None = None,
    refused_video: Callable[[str], bool] | None = None,
) -> Body:
    """The post's body, parsed from its content (and comments).

    Every kind goes through the one sanitizer (archiver/post/sanitize.py); Zhihu's HTML then
    through FORMAT.md's content rules (and the `rich` rewrites); a feed item's description is
    kept as it comes where the sanitizer finds it safe. `local` maps figure keys to archived
    copies; `refused` and `refused_video` judge the URLs a reader's browser must not be sent to
    (FIGURES_ALLOWED_HOSTS, ARCHIVE_VIDEO_HOSTS; their defaults when None). A crawl parses each
    post's once (archiver/archive/publish.py, Bodies): only local-image mode, where figures are
    now archived, makes another.
    """
    content = parseable(post.content)
    # Zhihu's kinds (archiver/zhihu/kinds.py) are Zhihu's HTML, through FORMAT.md's content
    # rules; a feed item's description is the body as it comes (once sanitized).
    if post.kind in ITEMS:
        body = clean_content(content, local, refused, rich, refused_video)
        return with_comments(body, post.comments, local, refused, refused_video)
    return feed_body(content, local, refused, refused_video)


def render(post: Post, body: Body, options: PostOptions, thumbnail: str = "") -> str:
    """The post text; `thumbnail` defaults to the head image (remote mode, as the seed)."""
    # The author's name and what the post is (`X的回答`): a Zhihu Daily story has none, its
    # body names the author of each of its answers itself.
    words = ITEMS[post.kind].prefix if post.kind in ITEMS else ""
    prefix = f"{html.escape(post.author, quote=False)}{words}<br><br>" if words else ""
    image = head_image(post, body, options)
    # Only the prefix may hold a control character (the author's name): a body holds none, and
    # looking for them through the whole body again cost a twentieth of a conversion.
    markup = clean_body_markup(without_controls(prefix) + body.html, options.braces)
    return post_front_matter(post, options, image, thumbnail or image) + wrap_body(markup)


def head_image(post: Post, body: Body, options: PostOptions) -> str:
    """headimg: the body's first image, else the hot-list entry's own image (remote mode), else
    the default. Never empty (the theme would show an empty header), never random."""
    hot = "" if options.local_images else post.hot_image
    return next((src for src in (body.first_image, hot) if _given(src)), default_image(options))


def default_image(options: PostOptions) -> str:
    return options.default_image if _given(options.default_image) else SHIPPED_IMAGE


def shipped_default(options: PostOptions) -> bool:
    """Whether the default head image is the shipped one (ARCHIVE_DEFAULT_IMAGE empty)."""
    return not _given(options.default_image)


def needs_shipped_image(post: Post, body: Body, options: PostOptions) -> bool:
    """Whether this post shows the shipped image, which must then be in the archive."""
    return shipped_default(options) and head_image(post, body, options) == SHIPPED_IMAGE


def _given(src: str) -> bool:
    # What the front matter would write: a value of blanks and controls is no image.
    return bool(one_line(src).strip())


def wrap_body(markup: str) -> str:
    """FORMAT.md's wrapper around a body already made safe for Hexo (body_markup)."""
    return f"\n<div>   \n{markup}  \n</div>\n" + " " * 12


def post_front_matter(post: Post, options: PostOptions, image: str, thumbnail: str) -> str:
    date = post_date(post.updated, options.timezone)
    return front_matter(
        post.title,
        post.categories,
        image,
        thumbnail,
        post.source or options.source,
        date,
        extra_keys(options, date),
    )


def extra_keys(options: PostOptions, date: str) -> tuple[str, ...]:
    """The theme's keys after `thumbnail`, one line each, as the settings ask (none: the seed)."""
    lines = []
    if options.updated:
        lines.append(f"updated: {date}")
    if options.title_display:
        lines.append("title_display: true")
    return tuple(lines)


def front_matter(
    title: str,
    categories: tuple[str, ...],
    image: str,
    thumbnail: str,
    source: str,
    date: str,
    extra: tuple[str, ...] = (),
) -> str:
    """The front matter, braces and all: Hexo reads it as YAML and never runs it through
    Nunjucks, so `{`/`}` stay as they are (an entity would show as `&#123;` to readers)."""
    lines = [
        "",
        "---",
        f"title: {yaml_quoted(title)}",
        "categories: ",
        *(f" - {yaml_scalar(category)}" for category in categories),
        f"headimg: {yaml_quoted(image)}",
        f"author: {yaml_scalar(source)}",
        "comments: false",
        f"date: {date}",
        f"thumbnail: {yaml_quoted(thumbnail)}",
        *extra,
        "---",
        "",
    ]
    return "\n".join(lines)


def yaml_quoted(value: str) -> str:
    """A single-quoted YAML scalar: `'` doubled, line breaks as spaces, controls dropped."""
    return "'" + one_line(value).replace("'", "''") + "'"


def yaml_scalar(value: str) -> str:
    """The value plain where YAML reads the plain form back as the same string (the seed's
    `author: 知乎`, ` - 社交媒体`), single-quoted otherwise (`Tech: Notes`, `#misc`, `yes`)."""
    value = one_line(value)
    return value if plain_is_safe(value) else "'" + value.replace("'", "''") + "'"


def plain_is_safe(value: str) -> bool:
    """Whether a one-line value reads back as itself when written plain, in YAML 1.1 and 1.2.

    Deliberately narrow (anything else is quoted, which is always right): it starts with a letter
    (no indicator, digit, sign or dot: no number, date, tag, anchor, alias, flow collection or
    quote), has no blanks around it (a plain scalar loses them), no `: ` or ` #` inside and no
    `:` at the end (a mapping or a comment), and is no boolean or null word.
    """
    return (
        value[:1].isalpha()
        and value == value.strip()
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
        and value.lower() not in _NOT_A_STRING
    )


def post_date(timestamp: int, zone: ZoneInfo | None) -> str:
    """The front matter's date: the seed's form, or `2022-07-24 10:06:57` in the site's zone."""
    if zone is None:
        return http_date(timestamp)
    return datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M:%S")


def http_date(timestamp: int) -> str:
    """RFC 1123 in GMT, as the seed: `Sun, 24 Jul 2022 02:06:57 GMT`."""
    return formatdate(timestamp, usegmt=True)

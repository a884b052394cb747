"""Zhihu's answer HTML to a post body: the content rules of FORMAT.md, in one pass over one tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml.html import HtmlElement

from archiver.post.figures import Figure, figure_key
from archiver.post.rich import RichOptions, enrich, redirect_target, unusable_numbers
from archiver.post.sanitize import ELEMENTS, Cleaned, sanitize
from archiver.post.sanitize import REFUSED_ATTRIBUTE as REFUSED_ATTRIBUTE  # where it was
from archiver.post.sanitize import REFUSED_CLASS as REFUSED_CLASS
from archiver.post.text import without_controls
from archiver.utils.allowlist import DEFAULT_ALLOWED_HOSTS, refuser
from archiver.utils.fragments import parse_fragment, serialise_children, settable

_CONTENT_IMAGE_CLASSES = frozenset(
    {"origin_image", "content_image", "content-image", "data-actualsrc"}
)
_SIZE_SUFFIX = {"data-actualsrc": "_b.jpg", "data-original": "_r.jpg", "src": "_b.jpg"}
_SIZE_AT_END = {
    suffix: re.compile(re.escape(suffix) + r"(?=[?#]|$)") for suffix in _SIZE_SUFFIX.values()
}
_DOWNLOAD_ORDER = ("data-original", "data-actualsrc", "src")
# The rich options that leave the tree as it is (rich.py: every default does).
_NO_REWRITES = RichOptions()
# The judge where the caller names none: the default FIGURES_ALLOWED_HOSTS.
_DEFAULT_REFUSED = refuser(DEFAULT_ALLOWED_HOSTS)
# A start tag's name, as an HTML tokenizer reads it (up to blank, `/` or `>`).
_START_TAG = re.compile(r"<([A-Za-z][^\t\n\f\r />]*)")


@dataclass(frozen=True)
class Body:
    # Sanitized; no control character (C0 but tab, LF, CR) and no lone surrogate: the sanitizer
    # scrubs every tree whose source holds one, and lxml sets none (render relies on it).
    html: str
    first_image: str  # the `src` of the first <img> as written, "" when there is none
    blank: bool = False  # no text and no image: nothing worth a post
    figures: tuple[Figure, ...] = ()  # every image to archive, in document order
    videos: tuple[str, ...] = ()  # lens ids of the videos to archive (ARCHIVE_VIDEOS=download)
    # Images the sanitizer refused (off FIGURES_ALLOWED_HOSTS): never fetched, counted as such
    refused: tuple[Figure, ...] = ()
    # Video cards and references the rich rewrites passed over: their number is no number
    unusable: tuple[str, ...] = ()


def clean_content(
    fragment: str,
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    rich: RichOptions | None = None,
    refused_video: Callable[[str], bool] | None = None,
) -> Body:
    """Apply the five content rules of FORMAT.md to an answer's or article's `content`.

    The tree goes through the sanitizer first (archiver/post/sanitize.py): the rules and the
    rich rewrites only see, and only copy, what is safe. `refused` says which URLs a reader's
    browser must never be sent to (hosts off FIGURES_ALLOWED_HOSTS; the default list when
    None): an image there shows its alt text; `refused_video` the same of video files (hosts
    off ARCHIVE_VIDEO_HOSTS). `local` maps figure keys to the archived copies'
    site paths (local-image mode): those images point at the archive instead of Zhihu. `rich`
    rewrites formulas, link cards, references and videos (archiver/post/rich.py) before the
    rules run, so the images it adds are figures like any other.
    """
    root = parse_fragment(fragment)
    # Rule 1 too: <noscript> goes. Rule 3 before an image is judged (its `data:` placeholder).
    judge = refused or _DEFAULT_REFUSED
    cleaned = sanitize(root, judge, refused_video, _large_rendition, fragment)
    found = cleaned.found if cleaned.found is not None else list(root.iter("a", "img", "video"))
    # Rule 2. Collect first, then mutate: removing nodes while iterating the tree skips siblings.
    doomed = [el for el in found if el.get("data-draft-type") == "mcn-link-card"]
    for el in doomed:
        el.drop_tree()  # keeps the element's tail text
    unusable = unusable_numbers(root, rich) if rich is not None else ()
    videos = enrich(root, rich, local) if rich is not None else ()
    if doomed or rich not in (None, _NO_REWRITES):
        # The tree changed (nodes went, rich rewrites added and removed images): walk it again.
        found = list(root.iter("a", "img", "video"))
    figures: list[Figure] = []
    for el in found:
        if el.tag == "a":
            _unwrap_redirect(el)
        elif el.tag == "video":
            if figure := _archived_video_poster(el, local or {}):
                figures.append(figure)
        elif figure := _rewrite_image(el, local or {}):
            figures.append(figure)
    first_image = figures[0].src if figures else _first_src(root)
    blank = not first_image and not root.text_content().strip()
    return Body(
        serialise_children(root),
        first_image,
        blank,
        tuple(figures),
        videos,
        _refused(cleaned),
        unusable,
    )


def feed_body(
    fragment: str,
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    refused_video: Callable[[str], bool] | None = None,
) -> Body:
    """A feed item's description, through the same sanitizer, its images found for archiving.

    Kept exactly as it comes when the sanitizer removes nothing and the text holds nothing an
    HTML parser might drop without a trace (a start tag off the allowlist: `<body onload>`
    inside a fragment; a comment, doctype or CDATA): the tree judged is then the one a browser
    builds from those bytes. Otherwise, and in local-image mode where archived figures point at
    the archive, it is the sanitized tree, serialised.
    """
    # The body rules drop these controls after (archiver/post/text.py): what is parsed here
    # must be what a browser will read.
    fragment = without_controls(fragment)
    root = parse_fragment(fragment)
    cleaned = sanitize(root, refused or _DEFAULT_REFUSED, refused_video, source=fragment)
    figures: list[Figure] = []
    changed = cleaned.changed or not _plain_markup(fragment)
    for img in list(root.iter("img")):
        if figure := _figure(img, _original(img), local or {}):
            figures.append(figure)
            changed = changed or figure.key in (local or {})
    html = serialise_children(root) if changed else fragment
    first_image = figures[0].src if figures else _first_src(root)
    blank = not first_image and not root.text_content().strip()
    return Body(html, first_image, blank, tuple(figures), refused=_refused(cleaned))


def _plain_markup(fragment: str) -> bool:
    """Whether every start tag of `fragment` (as an HTML tokenizer reads a tag name) is of an
    allowed element, and it holds no comment, doctype, CDATA or processing instruction."""
    if "<!" in fragment or "<?" in fragment:
        return False
    return all(name.lower() in ELEMENTS for name in _START_TAG.findall(fragment))


def _refused(cleaned: Cleaned) -> tuple[Figure, ...]:
    """The images the sanitizer refused, as figures (so the figure pipeline counts them)."""
    figures: list[Figure] = []
    for url in cleaned.refused:
        try:
            figures.append(Figure(src="", url=url, key=figure_key(url)))
        except ValueError:
            continue  # `http://[x`: no request can be made of it
    return tuple(figures)


def _archived_video_poster(video: HtmlElement, local: Mapping[str, str]) -> Figure | None:
    """The poster of an archived video (rich.video_as_player) is a figure like the card's
    poster was: its archived copy when there is one (a refused host's never got this far: the
    sanitizer dropped it from the card). Zhihu's own `<video>` elements are left as they are."""
    parent = video.getparent()
    if parent is None or parent.get("class") != "archiver-video" or not video.get("poster"):
        return None
    poster = video.get("poster", "")
    try:
        key = figure_key(poster)
    except ValueError:
        key = ""  # `http://[x`: no request can be made of it
    src = local.get(key, poster) if key else poster
    video.set("poster", src)
    return Figure(src=src, url=poster, key=key) if key else None


def _first_src(root: HtmlElement) -> str:
    return next((src for img in root.iter("img") if (src := img.get("src"))), "")


def _large_rendition(img: HtmlElement) -> None:
    """Rule 3 on one <img>: a content image shows its large rendition, in the order the feed
    source chose it, without `width`/`height`. Before the sanitizer: the old lazy-image markup's
    `src` is a `data:` placeholder, and the rendition replaces it."""
    if not _is_content_image(img):
        return
    for attr in ("data-actualsrc", "data-original", "src"):
        if value := img.get(attr):
            img.set("src", _large_jpg(value, _SIZE_SUFFIX[attr]))
            break
    attrib = img.attrib
    attrib.pop("width", None)
    attrib.pop("height", None)


def _rewrite_image(img: HtmlElement, local: Mapping[str, str]) -> Figure | None:
    """Rule 4 on one <img>; the figure to archive, if it has a web URL."""
    download = _original(img) if _is_content_image(img) else img.get("src", "")
    # Rule 4: zhimg refuses hotlinks that carry a foreign Referer.
    img.set("referrerpolicy", "no-referrer")
    return _figure(img, download, local)


def _original(img: HtmlElement) -> str:
    """The file to keep: the _r original (data-original) beats any rendition."""
    for attr in _DOWNLOAD_ORDER:
        if value := img.get(attr):
            return value
    return ""


def _figure(img: HtmlElement, download: str, local: Mapping[str, str]) -> Figure | None:
    if not download.startswith(("http://", "https://")):
        return None  # data: placeholders of old lazy-image markup
    try:
        key = figure_key(download)
    except ValueError:
        # `http://[x`: no request can be made of it. The <img> stays as written, the post too.
        return None
    if key in local:
        img.set("src", local[key])
    return Figure(src=img.get("src", ""), url=download, key=key)


def _is_content_image(img: HtmlElement) -> bool:
    if not _CONTENT_IMAGE_CLASSES.isdisjoint(img.get("class", "").split()):
        return True
    parent = img.getparent()
    return parent is not None and parent.tag == "figure"


def _large_jpg(url: str, suffix: str) -> str:
    # Only .jpg names: a `_r.gif` is the animated original and must stay as it is.
    return _SIZE_AT_END[suffix].sub("_1440w.jpg", url, count=1) if suffix in url else url


def _unwrap_redirect(link: HtmlElement) -> None:
    """Rule 5: link.zhihu.com/?target=<url> becomes <url>, so links outlive the redirector."""
    href = link.get("href")
    if href and (target := redirect_target(href)):
        link.set("href", settable(target))  # decoded: `%01` is a control character

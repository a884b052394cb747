"""Zhihu's answer HTML to a post body: the content rules of FORMAT.md, in one pass over one tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import html as lxml_html
from lxml.html import HtmlElement

from archiver.post.figures import Figure, figure_key
from archiver.post.rich import RichOptions, enrich, redirect_target

_CONTENT_IMAGE_CLASSES = frozenset(
    {"origin_image", "content_image", "content-image", "data-actualsrc"}
)
_SIZE_SUFFIX = {"data-actualsrc": "_b.jpg", "data-original": "_r.jpg", "src": "_b.jpg"}
_SIZE_AT_END = {
    suffix: re.compile(re.escape(suffix) + r"(?=[?#]|$)") for suffix in _SIZE_SUFFIX.values()
}
_DOWNLOAD_ORDER = ("data-original", "data-actualsrc", "src")
_WRAPPER = "div"
# What lxml's fragment parser takes for a whole document rather than a fragment.
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
# The rich options that leave the tree as it is (rich.py: every default does).
_NO_REWRITES = RichOptions()
# Local-image mode: a refused figure becomes its alt text, its URL kept in this attribute.
REFUSED_ATTRIBUTE = "data-archiver-refused-src"
REFUSED_CLASS = "archiver-refused-figure"


@dataclass(frozen=True)
class Body:
    html: str
    first_image: str  # the `src` of the first <img> as written, "" when there is none
    blank: bool = False  # no text and no image: nothing worth a post
    figures: tuple[Figure, ...] = ()  # every image to archive, in document order
    videos: tuple[str, ...] = ()  # lens ids of the videos to archive (ARCHIVE_VIDEOS=download)


def parse_fragment(fragment: str) -> HtmlElement:
    """The fragment's nodes under one <div> (lxml needs a single root): the tree of
    `lxml.html.fragment_fromstring(fragment, create_parent="div")`.

    That function parses `<html><body>fragment</body></html>`, then moves each child of the body
    into a new <div>, making a Python object of every one. The body itself, renamed, is the same
    tree (the text before the first child kept only when not blank, as there) without that walk.
    """
    if not _FULL_HTML.match(fragment):
        bodies = lxml_html.document_fromstring(f"<html><body>{fragment}</body></html>").findall(
            "body"
        )
        if len(bodies) == 1 and not bodies[0].attrib:
            root = bodies[0]
            if root.text is not None and not root.text.strip():
                root.text = None
            root.tail = None
            root.tag = _WRAPPER
            return root
    # A whole document, or a body with attributes of its own: lxml's way.
    return lxml_html.fragment_fromstring(fragment, create_parent=_WRAPPER)


def serialise_children(root: HtmlElement) -> str:
    """HTML (not XHTML) of the root's content, without the wrapper parse_fragment added."""
    text = lxml_html.tostring(root, encoding="unicode", method="html")
    return text[len(f"<{_WRAPPER}>") : -len(f"</{_WRAPPER}>")]


def clean_content(
    fragment: str,
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    rich: RichOptions | None = None,
) -> Body:
    """Apply the five content rules of FORMAT.md to an answer's or article's `content`.

    `local` maps figure keys to the archived copies' site paths (local-image mode): those images
    point at the archive instead of Zhihu. `refused` (local-image mode) says which URLs a reader
    must never be sent to (hosts off FIGURES_ALLOWED_HOSTS): an image there shows its alt text.
    `rich` rewrites formulas, link cards, references and videos (archiver/post/rich.py) before
    the rules run, so the images it adds are figures like any other.
    """
    root = parse_fragment(fragment)
    # One walk finds all the rules touch. Collect first, then mutate: removing nodes while
    # iterating the tree skips siblings.
    found = list(root.iter("noscript", "a", "img", "video"))
    doomed = [el for el in found if _is_doomed(el)]
    for el in doomed:
        el.drop_tree()  # keeps the element's tail text
    videos = enrich(root, rich, local) if rich is not None else ()
    if doomed or rich not in (None, _NO_REWRITES):
        # The tree changed (nodes went, rich rewrites added and removed images): walk it again.
        found = list(root.iter("img", "a", "video"))
    figures: list[Figure] = []
    for el in found:
        if el.tag == "a":
            _unwrap_redirect(el)
        elif el.tag == "video":
            if figure := _archived_video_poster(el, local or {}, refused):
                figures.append(figure)
        elif (figure := _rewrite_image(el, local or {})) and not _refuse(el, refused):
            figures.append(figure)
    first_image = figures[0].src if figures else _first_src(root)
    blank = not first_image and not root.text_content().strip()
    return Body(serialise_children(root), first_image, blank, tuple(figures), videos)


def feed_body(
    fragment: str,
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
) -> Body:
    """A feed item's description: kept exactly as it comes, its images found for archiving.

    Only in local-image mode is it re-serialised, with archived figures pointing at the archive
    and refused ones as their alt text.
    """
    root = parse_fragment(fragment)
    figures: list[Figure] = []
    changed = False
    for img in list(root.iter("img")):
        figure = _figure(img, _original(img), local or {})
        if _refuse(img, refused):
            changed = True
        elif figure:
            figures.append(figure)
            changed = changed or figure.key in (local or {})
    html = serialise_children(root) if changed else fragment
    first_image = figures[0].src if figures else _first_src(root)
    blank = not first_image and not root.text_content().strip()
    return Body(html, first_image, blank, tuple(figures))


def _refuse(img: HtmlElement, refused: Callable[[str], bool] | None) -> bool:
    """Local-image mode: an image a browser would fetch from a refused host becomes its alt text
    (`<span class=archiver-refused-figure data-archiver-refused-src=URL>alt</span>`).

    Judged on what a browser loads (`src`, `srcset`) after the archive's copies were put in.
    """
    if refused is None:
        return False
    src = img.get("src", "")
    urls = [src, *(c.split()[0] for c in img.get("srcset", "").split(",") if c.strip())]
    bad = [
        u for u in urls if u.strip().lower().startswith(("http:", "https:", "//")) and refused(u)
    ]
    if not bad:
        return False
    alt = img.get("alt", "")
    img.attrib.clear()
    img.tag = "span"
    img.set("class", REFUSED_CLASS)
    img.set(REFUSED_ATTRIBUTE, src or bad[0])
    img.text = alt
    return True


def _archived_video_poster(
    video: HtmlElement, local: Mapping[str, str], refused: Callable[[str], bool] | None
) -> Figure | None:
    """The poster of an archived video (rich.video_as_player) is a figure like the card's
    poster was: its archived copy when there is one; a refused host's is not shown at all.
    Zhihu's own `<video>` elements are left as they are."""
    parent = video.getparent()
    if parent is None or parent.get("class") != "archiver-video" or not video.get("poster"):
        return None
    poster = video.get("poster", "")
    try:
        key = figure_key(poster)
    except ValueError:
        key = ""  # `http://[x`: no request can be made of it
    src = local.get(key, poster) if key else poster
    if src == poster and refused is not None and refused(poster):
        del video.attrib["poster"]
        return None
    video.set("poster", src)
    return Figure(src=src, url=poster, key=key) if key else None


def _first_src(root: HtmlElement) -> str:
    return next((src for img in root.iter("img") if (src := img.get("src"))), "")


def _is_doomed(el: HtmlElement) -> bool:
    # Rule 1: old lazy-image markup duplicates each image in <noscript>; rule 2: ad cards.
    return el.tag == "noscript" or el.get("data-draft-type") == "mcn-link-card"


def _rewrite_image(img: HtmlElement, local: Mapping[str, str]) -> Figure | None:
    """Rules 3 and 4 on one <img>; the figure to archive, if it has a web URL."""
    if not _is_content_image(img):
        download = img.get("src", "")
    else:
        # Rule 3: the large rendition, in the order the feed source chose it.
        for attr in ("data-actualsrc", "data-original", "src"):
            if value := img.get(attr):
                img.set("src", _large_jpg(value, _SIZE_SUFFIX[attr]))
                break
        attrib = img.attrib
        attrib.pop("width", None)
        attrib.pop("height", None)
        download = _original(img)
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
        link.set("href", target)

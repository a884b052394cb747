"""The one sanitizer for everything strangers write: answers, articles, pins, comments, Zhihu
Daily stories, feed items, and what rich content makes of them (link cards, references, videos).

Whatever strangers write must not run in a reader's browser, nor send it anywhere but the
allowed hosts. One allowlist decides, over the parsed tree, in place:

- **Elements.** Those of ELEMENTS stay. Those of DROPPED go with all they hold: what runs,
  loads, embeds or navigates by itself (`script`, `iframe`, `object`, `meta`, `base`, `link`...),
  what the HTML parser reads by other rules (raw text, `template`, SVG and MathML, `noscript`),
  and form controls. Any other element is unwrapped: its text and children stay. Comments and
  processing instructions go.
- **Attributes.** GLOBAL_ATTRIBUTES on every element, ELEMENT_ATTRIBUTES on theirs, `data-*`;
  nothing else (no event handler, no `style`: no CSS at all, so no `@import`, `url()` or
  `expression()`).
- **URLs**, as a browser reads them (archiver/browser.py): a link (`href`, `cite`) is a web
  link, `mailto:` or relative, or loses its URL; `zhihu://` app links become their web
  page where there is one (`zhihu://answers/<id>`, `people/<token>`...), and the app's own
  buttons (`zhihu://pin/feedaction/fold/`, 收起) go. What a browser loads by itself (`src`,
  `srcset`, `poster`) and what a theme's script could load (`data-original`, `data-*src`...)
  must be a site path or on the allowed hosts (`refused`, FIGURES_ALLOWED_HOSTS): an image
  whose URL is refused becomes its alt text, the URL kept in `data-archiver-refused-src`; any
  other such attribute goes.

Each kind keeps only what is its own (Zhihu's figure markup, cards, references, a comment's
plain tags); this module is the only one that decides what is safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree
from lxml.html import HtmlElement

from archiver.utils import browser
from archiver.utils.allowlist import DEFAULT_VIDEO_HOSTS, refuser
from archiver.utils.fragments import UNSETTABLE, settable, unsettable

ELEMENTS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "tt", "u", "ul", "var", "video", "wbr",
    }
)  # fmt: skip
DROPPED = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
        "embed", "applet", "param", "portal", "fencedframe", "svg", "math", "meta", "link",
        "base", "head", "title", "textarea", "xmp", "noembed", "noframes", "plaintext",
        "listing", "select", "option", "optgroup", "datalist", "input", "button", "keygen",
        "output", "audio", "source", "track", "canvas", "dialog", "slot", "selectedcontent",
    }
)  # fmt: skip
# Dropped elements that hold nothing in a browser: what lxml's parser nests in one (it reads
# `<embed>` as a container) is what follows it, and stays.
_VOID = frozenset({"embed", "param", "source", "track", "input", "keygen", "link", "meta", "base"})
_CONTAINERS = tuple(sorted(DROPPED - _VOID))
GLOBAL_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "hidden"})
ELEMENT_ATTRIBUTES = {
    "a": frozenset({"href", "target", "rel", "hreflang"}),
    "img": frozenset({"src", "srcset", "alt", "width", "height", "referrerpolicy", "eeimg"}),
    "video": frozenset(
        {"src", "poster", "controls", "preload", "width", "height", "loop", "muted", "playsinline"}
    ),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}),
    "ins": frozenset({"cite", "datetime"}),
    "time": frozenset({"datetime"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "td": frozenset({"colspan", "rowspan", "align"}),
    "th": frozenset({"colspan", "rowspan", "align", "scope"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
}
_NO_ATTRIBUTES: frozenset[str] = frozenset()
# `data-*` names an HTML serialiser writes back as they were read.
_DATA = re.compile(r"data-[a-z0-9][a-z0-9_.-]*")
# URL attributes: followed when clicked, or loaded without a click (by the browser, or by a
# theme's lazy-loading or lightbox script from a `data-*` attribute). A `data-url` is no link
# until a script makes it one, and is kept as written (a reference's URL, shown as text).
LINKS = frozenset({"href", "cite"})
LOADS = frozenset({"src", "srcset", "poster"})
_DATA_LOAD = re.compile(
    r"data-(?:[a-z0-9_.-]*[-_])?(?:[a-z]*src|srcset|original|image|poster|thumbnail|bg|background)"
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LOAD_SCHEMES = frozenset({"http", "https"})
# Where a refused image's URL is kept (for the record: no browser or script loads it from there).
REFUSED_ATTRIBUTE = "data-archiver-refused-src"
REFUSED_CLASS = "archiver-refused-figure"
# Attributes that hold no URL and are allowed everywhere, Zhihu's own `data-*` among them: an
# element with only these is left as it is without a look at each one (most of a post's).
_PLAIN = GLOBAL_ATTRIBUTES | {
    "data-pid", "data-caption", "data-size", "data-rawwidth", "data-rawheight", "data-hash",
    "data-hovercard", "data-draft-node", "data-draft-type", "data-text", "data-numero",
    "data-tex", "data-eeimg", "data-lens-id", "data-name", "data-mcn-id", "data-image-width",
    "data-image-height", "data-width", "data-height", "data-original-token",
    "data-za-detail-view-id", "data-into-catalog-status", "data-first-child", "data-sticker-id",
    "data-video-id", "data-video-playable", "data-icon-type", "data-repin", "data-row-style",
    "data-url", "data-original-url", REFUSED_ATTRIBUTE,
}  # fmt: skip
_DEFAULT_VIDEO_REFUSED = refuser(DEFAULT_VIDEO_HOSTS)
_SRCSET_WORDS = re.compile(r"[\s,]+")
# Where each kind's own rules apply (Cleaned.found).
_FOUND = frozenset({"a", "img", "video"})
# The Zhihu app's deep links that have a web page; its other `zhihu://` links go. Ids are
# ASCII digits ([0-9]: `\d` takes "١٢٣" too).
_APP_PAGES = (
    (re.compile(r"zhihu://answers?/([0-9]+)/?"), "https://www.zhihu.com/answer/{}"),
    (re.compile(r"zhihu://questions?/([0-9]+)/?"), "https://www.zhihu.com/question/{}"),
    (re.compile(r"zhihu://articles?/([0-9]+)/?"), "https://zhuanlan.zhihu.com/p/{}"),
    (re.compile(r"zhihu://pins?/([0-9]+)/?"), "https://www.zhihu.com/pin/{}"),
    (re.compile(r"zhihu://people/([A-Za-z0-9_.-]+)/?"), "https://www.zhihu.com/people/{}"),
    (re.compile(r"zhihu://topics?/([0-9]+)/?"), "https://www.zhihu.com/topic/{}"),
)
# A button of the app's own (a pin's 收起/展开), not a part of what was written.
_APP_BUTTON = re.compile(r"zhihu://[^?#]*/feedaction/", re.IGNORECASE)


@dataclass
class Cleaned:
    """What the sanitizer did to a tree."""

    changed: bool = False  # anything removed or rewritten
    refused: list[str] = field(default_factory=list)  # loaded URLs refused, in document order
    # The `a`, `img` and `video` elements left, in document order: where a kind's own rules
    # apply, found by the walk that was made anyway. None when elements went or were unwrapped.
    found: list[HtmlElement] | None = None


def sanitize(
    root: HtmlElement,
    refused: Callable[[str], bool],
    refused_video: Callable[[str], bool] | None = None,
    before: Callable[[HtmlElement], None] | None = None,
    source: str | None = None,
) -> Cleaned:
    """Make `root`'s content safe to show, in place (`root` itself, the wrapper, is kept bare).

    `refused` judges the absolute http(s) URLs a reader's browser would load (True: never):
    images, posters. `refused_video` judges a video file's (`<video src>`: Zhihu plays its GIFs
    from its video host), by default against the default ARCHIVE_VIDEO_HOSTS. `before` is
    called on each `<img>` before it is judged: a kind's own rewrite of an image's URLs (the
    large rendition of a Zhihu figure replaces a `data:` placeholder). `source`, the text the
    tree was parsed from, tells in one search whether any text or attribute holds a character
    lxml will not set again (without it, only the text is searched).
    """
    judges = (refused, refused_video or _DEFAULT_VIDEO_REFUSED)
    done = Cleaned()
    if unsettable(source) if source is not None else UNSETTABLE.search(root.text_content()):
        _scrub(root)  # rare: before anything moves or copies what a tree cannot take again
        done.changed = True
    if root.attrib:
        root.attrib.clear()
        done.changed = True
    # What goes with all it holds, first and in C (lxml finds at once that a document names
    # none of them): the walk then never judges what no reader will see.
    if next(root.iter(*_CONTAINERS), None) is not None:
        etree.strip_elements(root, *_CONTAINERS, with_tail=False)
        done.changed = True
    found: list[HtmlElement] = []
    unwrap: list[HtmlElement] = []
    gone: list[HtmlElement] = []
    # One walk over every node, the hot loop of a post's conversion: most elements are found
    # plain (an allowed tag with only plain attributes) by two set lookups.
    elements, plain = ELEMENTS, _PLAIN.issuperset
    for el in root.iterdescendants():
        tag = el.tag
        if tag in elements:
            if tag in _FOUND:
                if before is not None and tag == "img":
                    before(el)
                names = el.keys()
                if not names or plain(names) or _attributes(el, tag, names, judges, done, gone):
                    found.append(el)
            elif (names := el.keys()) and not plain(names):
                _attributes(el, tag, names, judges, done, gone)
        elif not isinstance(tag, str):
            gone.append(el)  # comments and processing instructions
        else:
            unwrap.append(el)
    for el in unwrap:
        el.drop_tag()
    for el in gone:
        el.drop_tree()  # its tail stays
    if unwrap or gone:
        done.changed = True
    else:
        done.found = found
    return done


def _attributes(
    el: HtmlElement,
    tag: str,
    names: list[str],
    judges: tuple[Callable[[str], bool], Callable[[str], bool]],
    done: Cleaned,
    gone: list[HtmlElement],
) -> bool:
    """Judge each attribute of `el`; False when `el` itself went (an app button, a refused
    image now its alt text)."""
    allowed = ELEMENT_ATTRIBUTES.get(tag, _NO_ATTRIBUTES)
    for name in names:
        if name in _PLAIN:
            continue
        kind = _kind(name)
        if kind == _PLAIN_KIND or (kind == _ELEMENT_KIND and name in allowed):
            continue
        if kind == _ELEMENT_KIND or (name not in allowed and not name.startswith("data-")):
            del el.attrib[name]
        elif kind == _LINK_KIND:
            value = el.get(name, "")
            target = link(value)
            if target is None and tag == "a" and _APP_BUTTON.match(browser.as_read(value)):
                gone.append(el)
                return False
            if target == value:
                continue
            if target is None:
                del el.attrib[name]
            else:
                el.set(name, target)
        elif bad := _refused_loads(
            name, el.get(name, ""), judges[tag == "video" and name == "src"]
        ):
            done.refused += bad
            if tag == "img" and name in LOADS:
                refuse_image(el, bad[0])
                done.changed = True
                return False
            del el.attrib[name]
        else:
            continue
        done.changed = True
    return True


_PLAIN_KIND, _ELEMENT_KIND, _LINK_KIND, _LOAD_KIND = range(4)


@lru_cache(maxsize=4096)  # bounded: attribute names are strangers' too
def _kind(name: str) -> int:
    """How an attribute is judged: allowed everywhere and inert, allowed on some elements, a
    link, or a URL that is loaded (`data-*` ones a theme's script may load); names off the
    allowlist are of the second kind, allowed nowhere."""
    if name in LINKS:
        return _LINK_KIND
    if name in LOADS or (name != REFUSED_ATTRIBUTE and _DATA_LOAD.fullmatch(name)):
        return _LOAD_KIND
    if name in GLOBAL_ATTRIBUTES or _DATA.fullmatch(name):
        return _PLAIN_KIND
    return _ELEMENT_KIND


def link(value: str) -> str | None:
    """The URL a link may keep: itself when it is a web link, `mailto:` or relative (a fragment,
    a path); the web page of a `zhihu://` app link; None for anything else (`javascript:`,
    `data:`, `vbscript:`, however written)."""
    kind = browser.scheme(value)
    if not kind or kind in LINK_SCHEMES:
        return value
    if kind == "zhihu":
        read = browser.as_read(value)
        for pattern, page in _APP_PAGES:
            if match := pattern.fullmatch(read.split("?", 1)[0].split("#", 1)[0]):
                return page.format(match[1])
    return None


def loadable(value: str, refused: Callable[[str], bool]) -> bool:
    """Whether a browser may load `value` by itself: a path of the site the post is on, or an
    http(s) URL `refused` accepts; never a URL of another scheme (`data:`, `javascript:`) or a
    relative one that names a host of its own (`//host/x`)."""
    read = browser.as_read(value)
    kind = browser.scheme(read)
    if not kind:
        return not browser.network_path(read)
    return kind in LOAD_SCHEMES and not refused(read)


def _refused_loads(name: str, value: str, refused: Callable[[str], bool]) -> list[str]:
    """The URLs of a loaded attribute that may not be loaded ([] when all may)."""
    if not name.endswith("srcset"):
        return [] if loadable(value, refused) else [value]
    # Every word of a srcset that could be read as a URL must be loadable: a stricter reading
    # than a browser's, which never finds a URL where this one does not.
    return [w for w in _SRCSET_WORDS.split(value) if w and not loadable(w, refused)]


def _scrub(root: HtmlElement) -> None:
    """The tree's text, tails and attributes without what UNSETTABLE finds."""
    for el in root.iter():
        if el.text and UNSETTABLE.search(el.text):
            el.text = settable(el.text) or None
        if el is not root and el.tail and UNSETTABLE.search(el.tail):
            el.tail = settable(el.tail) or None
        if not isinstance(el.tag, str):
            continue
        for name, value in el.items():
            if UNSETTABLE.search(value):
                el.set(name, settable(value))


def refuse_image(img: HtmlElement, url: str) -> None:
    """The image becomes its alt text, its (first refused) URL kept in a data attribute:
    `<span class=archiver-refused-figure data-archiver-refused-src=URL>alt</span>`."""
    alt = settable(img.get("alt", ""))
    src = img.get("src", "")
    img.attrib.clear()
    img.tag = "span"
    img.set("class", REFUSED_CLASS)
    img.set(REFUSED_ATTRIBUTE, settable(src or url))
    img.text = alt or None

"""An HTML fragment (a stranger's answer, a comment, a Daily story, a feed item) as a tree under
one wrapper element, and that tree's content as HTML again: what the parsers of zhihu/ and the
content rules of post/ both read and write."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

_WRAPPER = "div"
# What a parsed tree may hold (a control character, written or as `&#1;`) but lxml will not set
# again, as moving a dropped element's tail does; the body's text rules drop them all after. A
# lone surrogate (JSON's `\ud800`: a cut emoji) no tree holds, nor can lxml set it.
UNSETTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# The same, as a character reference (`&#1;`, `&#x1f`, `&#65534;`); more than it finds is harmless.
_UNSETTABLE_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F])"
    r"|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45])(?![0-9]))"
)
# UNSETTABLE's C0 controls as UTF-8 bytes (each a byte of its own there), each found by memchr
# at C speed, where a regex scan of CJK text costs four times as long.
_C0_BYTES = tuple(bytes([c]) for c in range(32) if chr(c) not in "\t\n\r")
_CONTROLS = str.maketrans(
    "",
    "",
    "".join(chr(c) for c in (*range(32), *range(0xD800, 0xE000)) if chr(c) not in "\t\n\r")
    + "\ufffe\uffff",
)
# lxml.html's parser, choosing each element's class in C: lxml.html's own choice (a Python
# call for every element object made, for its form classes) costs the sanitizer's walk over
# every element as much as the walk itself, and no post keeps a form.
_PARSER = lxml_html.HTMLParser()
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
)


def parse_fragment(fragment: str) -> HtmlElement:
    """The fragment's nodes under one <div> (lxml needs a single root), read as a browser reads
    HTML put into an element of a page (Zhihu's answers are): a `<html>`, `<head>` or `<body>`
    tag of its own is no element there, and what follows `</html>` or `</body>` is content too.

    The tree of `lxml.html.fragment_fromstring(fragment, create_parent="div")` wherever that
    function reads `fragment` as a fragment: it parses `<html><body>fragment</body></html>`,
    then moves each child of the body into a new <div>, making a Python object of every one.
    The body itself, renamed, is the same tree (the text before the first child kept only when
    not blank, as there) without that walk. That function reads a fragment that starts with
    `<html` or `<!doctype` as a whole document instead (dropping what follows `</html>`), drops
    what the parser puts after the body, and raises where the body is not one (`</body><body>`):
    a stranger's answer costs no post here.
    """
    if not fragment.isascii() and scan(fragment).surrogate:
        fragment = _SURROGATE.sub("", fragment)  # lxml's parser stops at one, losing the rest
    document = f"<html><body>{fragment}</body></html>"
    html = lxml_html.document_fromstring(document, _PARSER)
    root = html[0]  # the body: the parser opens it first
    if root.tail is None and len(html) == 1:
        root.tag = _WRAPPER
        root.attrib.clear()  # a `<body class=x>` of the fragment's own gives its attributes
    else:
        # What the parser put after the body (text after `</body>`, a second body where
        # `</body><body>` starts one, elements after `</body><!-- -->`) is content as well:
        # moved under a new root with their tails, then unwrapped in C, which joins texts
        # whatever control character they hold (the sanitizer drops those).
        root = _PARSER.makeelement(_WRAPPER)
        root.extend(list(html))
        etree.strip_tags(root, "body", "head")
    if root.text is not None and not root.text.strip():
        root.text = None
    root.tail = None
    return root


def serialise_children(root: HtmlElement) -> str:
    """HTML (not XHTML) of the root's content, without the wrapper parse_fragment added."""
    text = lxml_html.tostring(root, encoding="unicode", method="html")
    return text[len(f"<{_WRAPPER}>") : -len(f"</{_WRAPPER}>")]


class Scan(NamedTuple):
    """What a body's text holds that its readers must know of before they parse it."""

    surrogate: bool  # a lone surrogate: UTF-8 has none, and lxml's parser stops at one
    nul: bool  # U+0000, which lxml's parser reads as U+FFFD
    unsettable: bool  # what `unsettable` answers


@lru_cache(maxsize=4)  # hashing a body is a fifth of encoding it
def scan(text: str) -> Scan:
    """One look at a body for all who ask (the post's text rules, parse_fragment, the
    sanitizer) rather than a search of the whole body by each: one UTF-8 encoding, which finds
    a lone surrogate, and memchr over its bytes for each control character."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return Scan(surrogate=True, nul="\x00" in text, unsettable=True)
    controls = any(byte in data for byte in _C0_BYTES)
    return Scan(
        surrogate=False,
        nul=controls and b"\x00" in data,
        unsettable=controls
        or "\ufffe" in text
        or "\uffff" in text
        # `#` first: a one-character search is many times faster than a two-character one
        or ("#" in text and "&#" in text and _UNSETTABLE_REFERENCE.search(text) is not None),
    )


def unsettable(source: str) -> bool:
    """Whether HTML text may give a tree a character lxml will not set again (a control
    character, written or as a character reference, U+FFFE, U+FFFF), or holds a lone surrogate:
    what UNSETTABLE finds, or a reference to it."""
    return scan(source).unsettable


def settable(text: str) -> str:
    """`text` without the characters lxml will not set (the body's text rules drop them after)."""
    return text.translate(_CONTROLS) if UNSETTABLE.search(text) else text

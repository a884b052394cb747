"""An HTML fragment (a stranger's answer, a comment, a Daily story, a feed item) as a tree under
one wrapper element, and that tree's content as HTML again: what the parsers of zhihu/ and the
content rules of post/ both read and write."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

_WRAPPER = "div"
# What lxml's fragment parser takes for a whole document rather than a fragment.
_FULL_HTML = re.compile(r"^\s*<(?:html|!doctype)", re.IGNORECASE)
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
    """The fragment's nodes under one <div> (lxml needs a single root): the tree of
    `lxml.html.fragment_fromstring(fragment, create_parent="div")`.

    That function parses `<html><body>fragment</body></html>`, then moves each child of the body
    into a new <div>, making a Python object of every one. The body itself, renamed, is the same
    tree (the text before the first child kept only when not blank, as there) without that walk.
    """
    if not _FULL_HTML.match(fragment):
        document = f"<html><body>{fragment}</body></html>"
        bodies = lxml_html.document_fromstring(document, _PARSER).findall("body")
        if len(bodies) == 1 and not bodies[0].attrib:
            root = bodies[0]
            if root.text is not None and not root.text.strip():
                root.text = None
            root.tail = None
            root.tag = _WRAPPER
            return root
    # A whole document, or a body with attributes of its own: lxml's way.
    return lxml_html.fragment_fromstring(fragment, create_parent=_WRAPPER, parser=_PARSER)


def serialise_children(root: HtmlElement) -> str:
    """HTML (not XHTML) of the root's content, without the wrapper parse_fragment added."""
    text = lxml_html.tostring(root, encoding="unicode", method="html")
    return text[len(f"<{_WRAPPER}>") : -len(f"</{_WRAPPER}>")]

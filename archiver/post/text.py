"""Text rules of FORMAT.md that every post obeys: what control characters may stay, how a body
is kept safe from Hexo (Nunjucks, Markdown) without changing what a browser sees. Pure."""

from __future__ import annotations

import re

from archiver.utils.fragments import scan

# The line breaks of YAML 1.1 (PyYAML), which are also Python's and JavaScript's: one space each
# in a one-line value, so `title: '...'` stays one line whatever a title holds.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# Not allowed in a YAML stream even quoted (C0 but tab and line breaks, DEL, C1, surrogates,
# U+FFFE/U+FFFF): js-yaml and PyYAML reject the whole front matter, and Hexo silently drops the
# post. Tab is dropped too: FORMAT.md drops every control character of a one-line value.
_NOT_IN_A_VALUE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# In a body, tab, LF and CR are legitimate HTML whitespace and stay. NUL and the other C0
# controls are parse errors in HTML, and a NUL cuts strings short in Hexo's tooling; lone
# surrogates cannot even be written as UTF-8.
_NOT_IN_A_BODY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_C0_BYTES = bytes(set(range(32)) - {9, 10, 13})
# Line breaks to Markdown: marked turns CR LF and a lone CR into LF before it reads a line, as
# an HTML parser does.
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
# What makes a line blank: whitespace to JavaScript's \s, as marked tests it (U+3000 and U+FEFF
# included); Python's str.isspace adds only characters that are no risk to treat as blank.
_BLANKS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\ufeff"
# A blank line among LF-separated lines: the first, or one after a break (up to the next or the
# end).
_BLANK_FIRST_LINE = re.compile(f"[{re.escape(_BLANKS)}]*\n")
_BLANK_LATER_LINE = re.compile(f"\n[{re.escape(_BLANKS)}]*(?:\n|\\Z)")
# Hexo's backtick_code_block filter turns a ``` or ~~~ fence at the start of a line (after
# blanks, `>` quote marks or a list marker) into a highlighted code block, even inside HTML. The
# fence's first character is written as a character reference (the same character to HTML), so
# no line starts with a fence, the body's first line included. That filter's pattern is a
# JavaScript /m regex, whose lines also start after CR, U+2028 and U+2029.
_FENCE_AT_LINE_START = re.compile(
    r"(?:\A|(?<=[\r\n\u2028\u2029]))"
    r"((?:[^\S\r\n]*>){0,3}(?:[^\S\r\n]*(?:[-*+]|\d+\.))?[^\S\r\n]*)([`~])(?=\2\2)"
)
_FENCE_CHAR = {"`": "&#96;", "~": "&#126;"}
_NEWLINE = "&#10;"


def one_line(value: str) -> str:
    """A front-matter value or a label: line breaks as spaces, control characters dropped."""
    if value.isprintable():  # most values: no line break, control or non-character in them
        return value
    return _NOT_IN_A_VALUE.sub("", _LINE_BREAKS.sub(" ", value))


def without_controls(html: str) -> str:
    """HTML without the control characters a body may not hold (tab, LF and CR stay)."""
    # Most bodies hold none. UTF-8 keeps each C0 control a byte of its own, and bytes.translate
    # finds them at C speed: half the time of a regex scan over CJK text.
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _NOT_IN_A_BODY.sub("", html)
    if len(data.translate(None, _C0_BYTES)) == len(data):
        return html
    return _NOT_IN_A_BODY.sub("", html)


def parseable(html: str) -> str:
    """HTML that lxml reads whole: it turns a NUL into U+FFFD and stops at a lone surrogate.

    The other controls survive parsing (`&#1;` becomes one, too): the sanitizer drops them from
    the tree (archiver/post/sanitize.py).
    """
    # The one scan of the body that parse_fragment and the sanitizer ask too.
    found = scan(html)
    return without_controls(html) if found.surrogate or found.nul else html


# Inside `{% raw %}`, the one thing Hexo and Nunjucks still look for is the block's end (and,
# to Nunjucks, a nested start): Hexo ends it at the first `{%...%}` that holds `endraw`, Nunjucks
# counts `{% raw %}`/`{% endraw %}` pairs. A `{` that starts such a tag in the content is followed
# by _RAW_BREAK (the block closed and opened again, which renders as nothing), so it no longer
# starts one and stays a real `{`. Hexo also writes the braces of every `<code>...</code>` as
# entities unless that span holds a `{% raw %}`: one goes before each `</code>`.
_RAW_TAG = re.compile(r"\{(?=%(?:(?!%\}).)*?raw)", re.DOTALL)
_RAW_BREAK = "{% endraw %}{% raw %}"
BRACE_MODES = ("entities", "raw")


def body_markup(html: str, braces: str = "entities") -> str:
    """A body as written between the wrapper's lines: safe for Nunjucks and Markdown, same DOM.

    `entities` (the seed's): every brace an entity, and the line breaks Markdown would misread
    as `&#10;`. `raw`: the body in one `{% raw %}` block, which Hexo keeps away from Markdown and
    Nunjucks prints as it is, so excerpts, search and feeds see real braces and no entities.
    """
    return clean_body_markup(without_controls(html), braces)


def clean_body_markup(html: str, braces: str = "entities") -> str:
    """body_markup of HTML that holds no control character already: a body the sanitizer made,
    which holds none (archiver/post/content.py's Body)."""
    if braces == "raw":
        return raw_block(escape_fences(html))
    return escape_braces(escape_line_breaks(html))


def raw_block(html: str) -> str:
    """`{% raw %}html{% endraw %}`: what Hexo shows is `html`, braces and all, whatever it holds
    (a literal `{% endraw %}` included)."""
    if "{" in html and "raw" in html:
        html = _RAW_TAG.sub("{" + _RAW_BREAK, html)
    if "</code>" in html and ("{" in html or "}" in html):
        html = html.replace("</code>", _RAW_BREAK + "</code>")
    return "{% raw %}" + html + "{% endraw %}"


def escape_braces(text: str) -> str:
    """`{`/`}` as entities: Hexo runs bodies through Nunjucks, where `{{` or `{%` abort a build."""
    # str.replace, not str.translate: translate to multi-character strings is ~40x slower on CJK.
    return text.replace("{", "&#123;").replace("}", "&#125;")


def escape_line_breaks(html: str) -> str:
    """Write `&#10;` for just the line breaks that would leave a blank line; keep the others.

    A blank line ends Markdown's HTML block, and what follows would be read as Markdown (a
    4-space indent becomes a code block). `&#10;` is the same character to HTML, so the DOM does
    not change. A code fence at a line start loses its first character to a reference (above).
    """
    return escape_fences(escape_blank_lines(html))


def escape_fences(html: str) -> str:
    """A code fence at a line start loses its first character to a reference: Hexo's
    backtick_code_block filter runs before anything else, inside HTML and `{% raw %}` alike."""
    # One-character searches first: they are several times faster than a three-character one.
    if ("`" in html and "```" in html) or ("~" in html and "~~~" in html):
        html = _FENCE_AT_LINE_START.sub(_unfenced, html)
    return html


def escape_blank_lines(html: str) -> str:
    """The break before each blank line becomes `&#10;`; a blank first line loses the break after
    it (the wrapper's `<div>   ⏎` precedes it). A blank last line is blank in the file as well:
    the wrapper writes "  " after the body.

    CR LF and a lone CR are line breaks to Markdown and to HTML alike: each counts as one break,
    is kept as it is where it does no harm, and becomes one `&#10;` (LF to HTML, as CR LF and CR
    are) where it would leave a blank line.
    """
    if "\r" in html:  # rare: lxml already turned an answer's CR LF into LF
        parts = _LINE_BREAK.split(html)
        lines, breaks = parts[0::2], parts[1::2]
    elif "\n" in html:
        if not _BLANK_FIRST_LINE.match(html) and not _BLANK_LATER_LINE.search(html):
            return html  # most code blocks: every newline stays (found without a split)
        lines = html.split("\n")
        breaks = ["\n"] * (len(lines) - 1)
    else:
        return html  # most answers: one long line
    blank = [not line.strip(_BLANKS) for line in lines]
    if not any(blank):
        return html  # most code blocks: every newline stays
    blank[1] = blank[1] or blank[0]  # the break after a blank first line goes too
    out = [lines[0]]
    for brk, line, before_blank in zip(breaks, lines[1:], blank[1:], strict=True):
        out += (_NEWLINE if before_blank else brk, line)
    return "".join(out)


def _unfenced(match: re.Match[str]) -> str:
    return match[1] + _FENCE_CHAR[match[2]]

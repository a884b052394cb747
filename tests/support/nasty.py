"""Values that break front matter written without care: YAML indicators, words YAML reads as
booleans, numbers, dates or null, braces Nunjucks would take, control characters. Shared by the
property tests (test_front_matter.py) and the real Hexo build (test_hexo.py)."""

from hypothesis import strategies as st

NASTY = (
    "Tech: Notes",
    "#misc",
    "Blog: Daily",
    "a #b",
    "ends with:",
    "yes",
    "No",
    "ON",
    "null",
    "~",
    "true",
    "123",
    "0o17",
    "1e3",
    ".inf",
    "2022-07-24",
    "2022-07-24 10:06:57",
    "- item",
    "? q",
    "[a, b]",
    "{a: b}",
    "&anchor",
    "*alias",
    "!tag",
    "|",
    ">",
    "%YAML",
    "@at",
    "`tick`",
    "'quoted'",
    '"double"',
    "it's",
    " leading",
    "trailing ",
    "--- 分隔线 ---",
    "...",
    "<<",
    "=",
    "C:\\path\\n",
    "{{ 模板 }} {% raw %}",
    "tab\there",
    "nul\x00here",
    "bell\x07 del\x7f c1\x9b",
    "line\u2028sep\u2029and\x85nel",
    "two\nlines\r\nand\rcr",
    "emoji 🐱 «»",
    "\ufeffbom",
    "non\ufffechar",
    "知乎",
    "社交媒体",
)

# All of Unicode (lone surrogates too, which JSON can carry), and a dense mix of what YAML, Hexo
# and HTML treat specially.
_SPECIAL = ":#-?'\"{}[],&*!|>%@`~=<. \t\n\r\x00\x07\x1b\x7f\x85\x9b\u2028\u2029\ufeff\ufffe\ud800"
TEXT = st.one_of(
    st.text(),
    st.text(st.characters(exclude_categories=())),
    st.text(st.sampled_from(_SPECIAL + "yesnoNulTrFA0123456789eE知乎")),
    st.sampled_from(NASTY),
)


# Strangers' HTML (issue 23.8): what a post must never run, load or send a reader to. `PWNED`
# marks every payload: a browser that runs one sets window.PWNED, logs it, or opens a dialog.
PAYLOAD = "window.PWNED=1;console.log('PWNED');alert('PWNED')"
EVIL = "https://evil.example"
# URLs no link or image may keep, however a browser is made to read them as script or data.
SCRIPT_URLS = (
    f"javascript:{PAYLOAD}",
    "JaVaScRiPt:alert('PWNED')",
    " javascript:alert('PWNED')",
    "\x01javascript:alert('PWNED')",
    "java\tscript:alert('PWNED')",
    "java\nscript:alert('PWNED')",
    "jav\x0bascript:alert('PWNED')",
    "javascript&colon;alert('PWNED')",
    "&#106;avascript:alert('PWNED')",
    "&#x6A;&#x61;vascript&#x3A;alert('PWNED')",
    "vbscript:msgbox('PWNED')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgnUFdORUQnKTwvc2NyaXB0Pg==",
    "DATA:image/svg+xml,<svg onload=alert('PWNED')>",
    "zhihu://pin/feedaction/fold/",
    "zhihu://podcast/audio_player/1",
)
# Images a reader's browser must not load: hosts off FIGURES_ALLOWED_HOSTS however written.
FOREIGN_IMAGES = (
    f"{EVIL}/a.jpg",
    "https://evil.example\\@pic1.zhimg.com/a.jpg",
    "https://evil.example\\.zhimg.com/a.jpg",
    "https://pic1.zhimg.com@evil.example/a.jpg",
    "https://pic1.zhimg.com\t.evil.example/a.jpg",
    "https://pic1.zhimg.com%2eevil.example/a.jpg",
    "//evil.example/a.jpg",
    "\\\\evil.example/a.jpg",
    "/\\evil.example/a.jpg",
    "https:evil.example/a.jpg",
    "https://ｅｖｉｌ.example/a.jpg",
    "https://0x7f.1/a.jpg",
)
HOSTILE_HTML = (
    f"<script>{PAYLOAD}</script>",
    f'<img src=x onerror="{PAYLOAD}">',
    f"<IMG SRC=x ONERROR={PAYLOAD.replace(' ', '')}>",
    f'<img/src=x/onerror="{PAYLOAD}">',
    f'<svg onload="{PAYLOAD}"><script>{PAYLOAD}</script></svg>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{PAYLOAD}"></style></mglyph>'
    "</table></mtext></math>",
    f'<iframe src="javascript:{PAYLOAD}"></iframe>',
    f'<iframe srcdoc="<script>{PAYLOAD}</script>"></iframe>',
    f'<object data="{EVIL}/o.swf"></object><embed src="{EVIL}/e.swf">',
    f'<meta http-equiv="refresh" content="0;url={EVIL}/refresh">',
    f'<base href="{EVIL}/">',
    f'<link rel="stylesheet" href="{EVIL}/l.css">',
    f"<style>@import url({EVIL}/i.css); p {{ background: url({EVIL}/bg.png) }}</style>",
    f'<p style="background:url({EVIL}/s.png)">styled</p>',
    f'<form action="{EVIL}/f"><button formaction="javascript:{PAYLOAD}">b</button>'
    f'<input type=image src="{EVIL}/i.png"></form>',
    f'<details open ontoggle="{PAYLOAD}"><summary>s</summary></details>',
    f'<a href="https://example.org/" onclick="{PAYLOAD}">click</a>',
    f'<body onload="{PAYLOAD}"><p>body</p>',
    f"<noscript><p title=\"</noscript><img src=x onerror='{PAYLOAD}'>\"></noscript>",
    f'<!--><img src=x onerror="{PAYLOAD}">-->',
    f'<!-- --!><img src=x onerror="{PAYLOAD}"> -->',
    f'<template><img src=x onerror="{PAYLOAD}"></template>',
    f'<textarea></textarea><img src=x onerror="{PAYLOAD}"></textarea>',
    f'<table background="{EVIL}/t.png"><tr><td>t</td></tr></table>',
    f'<img src="/images/local.png" data-src="{EVIL}/lazy.jpg" data-original="{EVIL}/o.jpg">',
    f'<img src="{EVIL}/s.jpg" srcset="{EVIL}/2x.jpg 2x" alt="外链图">',
    f'<video src="{EVIL}/v.mp4" poster="{EVIL}/p.jpg" controls></video>',
    f'<svg><a xlink:href="javascript:{PAYLOAD}"><text>x</text></a></svg>',
    *(f'<a href="{url}">链接</a>' for url in SCRIPT_URLS),
    *(f'<img src="{url}" alt="脚本图">' for url in SCRIPT_URLS),
    *(f'<img src="{url}" alt="外链图">' for url in FOREIGN_IMAGES),
)

# Generated hostile HTML: tags that run, load or are parsed by other rules, mixed with Zhihu's
# own, with event handlers, styles and URL attributes holding the tricks above, written every
# way an HTML tokenizer accepts (case, quotes, `/` and blanks between attributes).
_TAGS = (
    "script", "style", "iframe", "object", "embed", "meta", "base", "link", "form", "input",
    "button", "svg", "math", "template", "noscript", "textarea", "title", "xmp", "frameset",
    "body", "html", "head", "image", "isindex", "video", "audio", "source", "picture", "a",
    "img", "p", "span", "div", "figure", "sup", "table", "td", "details", "font", "marquee",
    "x-widget", "SCRIPT", "Img", "A",
)  # fmt: skip
_ATTRIBUTES = (
    "onerror", "onload", "onclick", "ONMOUSEOVER", "onfocus", "ontoggle", "style", "href", "src",
    "srcset", "poster", "action", "formaction", "xlink:href", "srcdoc", "background", "data",
    "data-src", "data-original", "data-actualsrc", "data-image", "data-poster", "data-url",
    "http-equiv", "content", "class", "id", "name", "alt", "target", "rel", "lowsrc", "ping",
)  # fmt: skip
_VALUES = (
    PAYLOAD, *SCRIPT_URLS, *FOREIGN_IMAGES, f"0;url={EVIL}/r", f"url({EVIL}/u.png)",
    f"@import '{EVIL}/i.css'", "expression(alert('PWNED'))", "refresh", "stylesheet",
    "https://pic1.zhimg.com/v2-0123456789abcdef0123456789abcdef_r.jpg", "#ref_1", "/images/a.png",
    "https://www.zhihu.com/question/1", "",
)  # fmt: skip


def _attribute(name: str, value: str, quote: str) -> str:
    if quote == "":
        return f"{name}={value.replace(' ', '').replace('>', '')}"
    return f"{name}={quote}{value.replace(quote, '')}{quote}"


_ATTRIBUTE = st.builds(
    _attribute,
    st.sampled_from(_ATTRIBUTES),
    st.sampled_from(_VALUES),
    st.sampled_from(('"', "'", "")),
)
_SEPARATOR = st.sampled_from((" ", "\t", "\n", "/", " / ", "\x0c"))
_START = st.builds(
    lambda tag, parts: f"<{tag}{''.join(sep + attr for sep, attr in parts)}>",
    st.sampled_from(_TAGS),
    st.lists(st.tuples(_SEPARATOR, _ATTRIBUTE), max_size=3),
)
_PIECE = st.one_of(
    _START,
    st.sampled_from(_TAGS).map(lambda tag: f"</{tag}>"),
    st.sampled_from(HOSTILE_HTML),
    st.sampled_from(("<!--", "-->", "--!>", "<![CDATA[", "]]>", "<?x ", "</ x>", "<", ">", "&")),
    st.sampled_from(("文字", "text", " ", "\n\n", "{{ x }}", "\x01", "&#0;", "&lt;script&gt;")),
)
HOSTILE_FRAGMENTS = st.lists(_PIECE, max_size=14).map("".join)

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

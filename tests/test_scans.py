"""The scans of a whole body at C speed (benchmarks/bench_convert.py) find what the regex they
stand for finds (archiver/utils/fragments.py)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.utils import fragments

_CHARACTERS = st.sampled_from(
    (
        *(chr(c) for c in range(0x20)),
        *("\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff", "\ufffd", "\U0001f600"),
        *("文", "，", "\u3000", "\xa0", "\x7f", "\x85", "a", "#", "&", ";", "x", "X", "0", "1"),
        *("&#", "&#1;", "&#x1F;", "&#65534;", "&#xfffe", "&#9;", "&#10;", "&#13;", "&#0"),
    )
)


def _by_regex(text: str) -> bool:
    return fragments.UNSETTABLE.search(text) is not None or (
        "&#" in text and fragments._UNSETTABLE_REFERENCE.search(text) is not None
    )


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.lists(_CHARACTERS, max_size=16).map("".join), st.text()))
def test_unsettable_finds_what_the_regex_finds(text):
    assert fragments.unsettable(text) == _by_regex(text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.lists(_CHARACTERS, max_size=16).map("".join), st.text()))
def test_the_scan_finds_lone_surrogates_and_nul(text):
    found = fragments.scan(text)
    assert found.surrogate == (fragments._SURROGATE.search(text) is not None)
    assert found.nul == ("\x00" in text)

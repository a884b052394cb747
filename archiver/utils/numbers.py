"""Numbers read from Zhihu (JSON values, HTML attributes, URL parts), parsed one strict way.

Whatever Zhihu sends is a stranger's text: `str.isdigit` and `\\d` accept "²" (which `int`
refuses: a ValueError deep in a pipeline) and "١٢٣" (which `int` reads, giving an id no URL of
ours should hold), and a count or a time may be any size (`10**13` seconds is no date Python can
print). A number here is ASCII digits (or a JSON integer) within bounds, else None: the caller
decides what an unusable number costs (a comment, a video card, a reference), never the post.
"""

from __future__ import annotations

import re
import time

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: `\d` would take any script's digits
# Zhihu's ids are up to 19 digits today (2088649572151194406); one more leaves room to grow.
ID_DIGITS = 20
LARGEST = 2**63 - 1  # what SQLite keeps in an INTEGER column
# A time is after 1970 (0 is Zhihu's "unset") and at most a day past our clock (Zhihu's may be
# ahead): an odd early date still archives its item, a later one (milliseconds, 10**13) is no
# date Python can print, and is refused.
EARLIEST = 1
_SLACK = 24 * 3600


def whole_number(value: object, low: int = 0, high: int = LARGEST) -> int | None:
    """A JSON integer, or a text of ASCII digits, from `low` to `high`; None for anything else
    (a bool, a float, a sign, a blank, a digit of another script, too many digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and len(value) <= ID_DIGITS and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


def zhihu_id(value: object) -> str:
    """An id as Zhihu sends it (a number, or a string when it exceeds a double): its ASCII
    digits, as given; "" when unusable."""
    number = whole_number(value, 0, 10**ID_DIGITS - 1)
    if number is None:
        return ""
    return value if isinstance(value, str) else str(number)


def timestamp(value: object, now: float | None = None) -> int | None:
    """Unix seconds, from 1970 to a day past `now` (default: the clock); else None."""
    latest = int(time.time() if now is None else now) + _SLACK
    return whole_number(value, EARLIEST, latest)

"""Small helpers for Zhihu's loosely typed JSON."""

from __future__ import annotations

import json
from typing import Any

from archiver.utils.numbers import timestamp, whole_number, zhihu_id


class ZhihuFormatError(ValueError):
    """A response is not the JSON shape it should be; `reason` is a short stats key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Zhihu's page for deleted or never-existing content ("a wasteland with no knowledge").
NOT_FOUND_TEXT = "没有知识存在的荒原"


def load_object(text: str) -> dict[str, Any]:
    """Parse a JSON object, or raise ZhihuFormatError (never a bare JSONDecodeError)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if NOT_FOUND_TEXT in text:
            raise ZhihuFormatError("not_found", "Zhihu says it does not exist (deleted?)") from exc
        raise ZhihuFormatError("malformed_json", str(exc)) from exc
    if not isinstance(data, dict):
        raise ZhihuFormatError("unexpected_shape", f"top level is {type(data).__name__}")
    return data


def as_id(value: object) -> str:
    """Zhihu ids come as numbers or strings (19-digit ids exceed a double); '' if unusable."""
    return zhihu_id(value)


def as_int(value: object) -> int | None:
    """A count, a size or a type code: ASCII digits (or a JSON integer), never negative."""
    return whole_number(value)


def as_time(value: object) -> int | None:
    """Unix seconds of a date Zhihu gives (created, updated, published), if a believable one."""
    return timestamp(value)


def get_path(data: object, *keys: str) -> Any:
    """`data[k1][k2]...`, or None as soon as a level is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text_of(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def next_page(paging: Any, had_entries: bool) -> str | None:
    """`paging.next` of a list page, or None at its end (offset and cursor paging alike)."""
    # An empty page with is_end false has been seen: stop there rather than loop forever.
    if not isinstance(paging, dict) or paging.get("is_end") is not False or not had_entries:
        return None
    nxt = paging.get("next")
    return nxt if isinstance(nxt, str) and nxt else None

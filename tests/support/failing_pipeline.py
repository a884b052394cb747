"""An item pipeline that fails on one answer, as a parser slip would: the stand-in for a bug not
yet found, for the tests of what a run says when an item is lost (tests/test_e2e_outcome.py)."""

from __future__ import annotations

from typing import Any

FAILING_ANSWER = "2583412650"


class FailOnOneAnswer:
    def process_item(self, item: Any, spider: Any = None) -> Any:
        if getattr(item, "kind", None) == "answer" and item.id == FAILING_ANSWER:
            int("²")  # ValueError: what `str.isdigit` let through before issue 24
        return item

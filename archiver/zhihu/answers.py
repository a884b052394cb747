"""Answers (`/api/v4/questions/{qid}/answers` or `/feeds`, `/api/v4/answers/{id}`) to Post items.

`/answers` gives the answer objects themselves; `/feeds`, where Zhihu's web page reads a
question's answers now (cursor-paged), wraps each as a card: `{"type": "question_feed_card",
"target_type": "answer", "target": {<answer>}, "cursor": ..., "position": ...}` (the shape
zhihu-plus-plus parses, `QuestionFeedCard` in shared/.../data/Feed.kt, 2026), formerly as
`{"type": "feed", "target": {<answer>}}`. A card of another target type is not an answer.
"""

from __future__ import annotations

from typing import Any

from archiver.items import AnswersPage, Post, PostKind, Skip
from archiver.zhihu.jsonutil import (
    ZhihuFormatError,
    as_id,
    as_time,
    get_path,
    load_object,
    next_page,
    text_of,
)

ANONYMOUS = "匿名用户"


def parse_answers_page(text: str, fallback_title: str = "") -> AnswersPage:
    """Answers of one page and the link to the next; raises ZhihuFormatError if not a page."""
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", "answers page has no `data` array")
    page = AnswersPage(next_url=next_page(data.get("paging"), bool(entries)))
    for entry in entries:
        answer = feed_target(entry)
        result = answer_post(answer, fallback_title) if answer is not None else not_an_answer(entry)
        (page.answers if isinstance(result, Post) else page.skipped).append(result)
    return page


def feed_target(entry: Any) -> Any:
    """The answer object of one entry: a card's target, else the entry itself; None for a card
    that holds no answer."""
    kind = get_path(entry, "type")
    if kind == "feed":
        return entry.get("target")
    if kind == "question_feed_card":
        target_type = entry.get("target_type") or get_path(entry, "target", "type")
        return entry.get("target") if target_type == "answer" else None
    return entry


def not_an_answer(entry: dict[str, Any]) -> Skip:
    target_type = text_of(entry.get("target_type")) or "?"
    target_id = as_id(get_path(entry, "target", "id")) or "?"
    return Skip("not_an_answer", f"a question's feed card of {target_type} {target_id}")


def parse_answer(text: str) -> Post | Skip:
    """`/api/v4/answers/{id}`: the bare answer object. Raises ZhihuFormatError if not JSON."""
    return answer_post(load_object(text))


def answer_post(answer: Any, fallback_title: str = "") -> Post | Skip:
    """One answer object as a Post, or why it cannot be archived."""
    fields = content_fields(answer, "answer", ("updated_time", "created_time"))
    if isinstance(fields, Skip):
        return fields
    answer_id, content, updated = fields
    question = answer.get("question") if isinstance(answer.get("question"), dict) else {}
    title = text_of(question.get("title")) or fallback_title.strip()
    if not title:
        return Skip("missing_field", f"answer {answer_id} has no question title")
    question_id = as_id(question.get("id"))
    return Post(
        kind=PostKind.ANSWER,
        id=answer_id,
        url=answer_url(question_id, answer_id),
        title=title,
        author=text_of(get_path(answer, "author", "name")) or ANONYMOUS,
        updated=updated,
        content=content,
        question_id=question_id,
    )


def content_fields(obj: Any, kind: str, date_keys: tuple[str, str]) -> tuple[str, str, int] | Skip:
    """Id, content and date, which every archivable object needs; or why it cannot be archived.

    `date_keys`: the field of the last edit, then of the creation (answers say `updated_time`,
    articles `updated`).
    """
    if not isinstance(obj, dict):
        return Skip("unexpected_shape", f"{kind} is not an object")
    item_id = as_id(obj.get("id"))
    if not item_id:
        return Skip("missing_field", f"{kind} without a usable id")
    if obj.get("content_need_truncated") is True:
        # Zhihu cuts the content for readers who are not logged in; never archive a cut one.
        return Skip("truncated", f"{kind} {item_id}: content truncated (log in: ZHIHU_COOKIE)")
    content = obj.get("content")
    if not isinstance(content, str) or not content.strip():
        return Skip("missing_field", f"{kind} {item_id} has no content")
    updated = as_time(obj.get(date_keys[0])) or as_time(obj.get(date_keys[1]))
    if updated is None:
        return undated(obj, kind, item_id, date_keys)
    return item_id, content, updated


def undated(obj: dict[str, Any], kind: str, item_id: str, date_keys: tuple[str, str]) -> Skip:
    """Why an item has no date: none given, or one that is no believable time ("²", 10**13)."""
    given = next((obj[key] for key in date_keys if obj.get(key) is not None), None)
    if given is None:
        return Skip("missing_field", f"{kind} {item_id} has no {date_keys[0]}")
    return Skip("bad_number", f"{kind} {item_id}: {date_keys[0]} {given!r:.40} is no date")


def answer_url(question_id: str, answer_id: str) -> str:
    if question_id:
        return f"https://www.zhihu.com/question/{question_id}/answer/{answer_id}"
    return f"https://www.zhihu.com/answer/{answer_id}"

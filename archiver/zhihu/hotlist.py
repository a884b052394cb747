"""The hot list (`/api/v3/feed/topstory/hot-lists/total`, or the app's
`api.zhihu.com/topstory/hot-lists/total`), in both shapes Zhihu has served: the flat desktop one
(`target.title`, `detail_text`, `children[0].thumbnail`) and the "area" one (`target.title_area`,
`metrics_area`, `image_area`, `link`)."""

from __future__ import annotations

import re
from typing import Any

from archiver.items import HotQuestion, Skip
from archiver.zhihu.jsonutil import ZhihuFormatError, as_id, get_path, load_object, text_of

# ASCII digits: a question id is text from here to the API URL (19 digits now).
_QUESTION_URL = re.compile(r"/questions?/([0-9]+)")


def parse_hot_list(text: str) -> tuple[list[HotQuestion], list[Skip]]:
    """Hot questions in rank order, and the entries that are not usable questions.

    Raises ZhihuFormatError when the response is not a hot list at all.
    """
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", "hot list has no `data` array")
    questions: list[HotQuestion] = []
    skipped: list[Skip] = []
    for rank, entry in enumerate(entries, start=1):
        result = hot_question(rank, entry)
        (questions if isinstance(result, HotQuestion) else skipped).append(result)
    return questions, skipped


def hot_question(rank: int, entry: Any) -> HotQuestion | Skip:
    """One entry, from the flat desktop shape (`target.title`) or the app shape (`title_area`)."""
    target = get_path(entry, "target")
    if not isinstance(target, dict):
        return Skip("unexpected_shape", f"hot-list entry {rank} has no target")
    question_id = _question_id(entry, target)
    if not question_id:
        return Skip("not_a_question", f"hot-list entry {rank} ({entry.get('card_id', '?')})")
    title = text_of(target.get("title")) or text_of(get_path(target, "title_area", "text"))
    if not title:
        return Skip("missing_field", f"hot-list entry {rank} has no title")
    heat = text_of(entry.get("detail_text")) or text_of(get_path(target, "metrics_area", "text"))
    return HotQuestion(
        rank=rank, question_id=question_id, title=title, heat=heat, image=_thumbnail(entry)
    )


def _thumbnail(entry: dict[str, Any]) -> str:
    """The picture the hot list shows beside the entry, as Zhihu gives it (query and all): the
    first child's `thumbnail` (desktop shape), else the target's `image_area.url` (area shape,
    `""` when the entry has none)."""
    children = entry.get("children")
    first = children[0] if isinstance(children, list) and children else None
    for url in (get_path(first, "thumbnail"), get_path(entry, "target", "image_area", "url")):
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
    return ""


def _question_id(entry: dict[str, Any], target: dict[str, Any]) -> str:
    if target.get("type") == "question" and (qid := as_id(target.get("id"))):
        return qid
    for url in (get_path(target, "link", "url"), target.get("url")):
        if isinstance(url, str) and (match := _QUESTION_URL.search(url)):
            return match.group(1)
    card = entry.get("card_id")
    if isinstance(card, str) and card.startswith("Q_"):
        return as_id(card[2:])
    return ""

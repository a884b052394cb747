"""What Zhihu says of an item archived before, when asked again: still there, edited, or gone,
and how. Pure: a status and a body in, a verdict out.

What Zhihu answers (public clients and their issue threads; the fixtures are built on these
shapes with text of our own):

* a deleted answer, article or pin: HTTP 404 with `{"error": {"code": 4041, "name":
  "NotFoundError", "message": ...}}` (hAcKlyc/zhihu_image_crawler#1 saw "资源不存在"; this
  project's own fixtures and older bodies carry code 404 and "你似乎来到了没有知识存在的荒原").
  Deletion by its author, removal by the site and "only me" visibility all look alike. The
  message has changed over the years: the code decides, never the text;
* an answer whose question was deleted: 404 too (ZouJiu1/zhihu_spider_selenium#7), and the
  question's own answers page is then 404 as well, which is what tells the two apart;
* a pin Zhihu keeps as deleted: 200 with `is_deleted: true` (or `state: "deleted"`);
* an answer hidden by the site (建议修改): 200 with its content and `suggest_edit: {"status":
  true, "reason", "tip", "title", "url", "unnormal_details": {...}}` (zly2006/zhihu-plus-plus
  DataHolder.SuggestEdit; zhihuhelp's answer type shows the field with `status: false`), so
  the status alone would call it unchanged;
* a folded answer: 200 with `is_collapsed: true`, `collapsed_by`, `collapse_reason` (the same
  sources; `collapsed_by: "nobody"` when it is not): still there, not gone;
* a deleted account's answer stays, its author shown as 「已注销」 without an account: `id`
  "0", `url_token` "" (a public client tests `name == "「已注销」" || id == "0"`); 匿名用户 (an
  anonymous answer) and 知乎用户 (`is_privacy: true`, a privacy setting) look alike and are
  no deletion;
* a guest gets `content_need_truncated: true` and the content cut mid-sentence: never evidence
  of an edit (recheck runs logged in);
* a block (challenge, login, signature, risk control, and a 403 that carries the 404 page's
  text: zly2006/zhihu-plus-plus#304, "every answer does not exist", was risk control) is a
  block, never a deletion (archiver.zhihu.blocks).

Anything that fits none of these is "unknown", never "gone".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from archiver.items import Post, Skip
from archiver.zhihu.answers import ANONYMOUS
from archiver.zhihu.blocks import detect_block, zhihu_error
from archiver.zhihu.jsonutil import ZhihuFormatError, as_time, get_path, text_of

# Every verdict a check may record, in the order the summary counts them.
CLASSES = (
    "unchanged",
    "edited",
    "gone",
    "hidden",
    "question_gone",
    "author_gone",
    "folded",
    "unknown",
)
# The verdicts that say an item is no longer what readers see on Zhihu: kept as vanishings.
VANISHED = ("gone", "hidden", "question_gone", "author_gone")
# The verdicts that say an item is there (a vanishing recorded before has ended: it is back).
THERE = frozenset({"unchanged", "edited", "folded"})
# Zhihu's error codes for content it does not have (NotFoundError).
NOT_FOUND_CODES = frozenset({4041, 404})
# Authors without an account who are no deleted account: an anonymous answer, a privacy setting.
NOT_DELETED_AUTHORS = frozenset({ANONYMOUS, "知乎用户"})
# The field each item keeps its last edit in (answers, articles, pins).
_UPDATED_KEYS = ("updated_time", "updated")

Parse = Callable[[str], Post | Skip]


@dataclass(frozen=True)
class Served:
    """A response as the check got it."""

    status: int
    body: bytes
    url: str = ""


@dataclass(frozen=True)
class Archived:
    """What the archive holds of the item: enough to tell an edit from the same version."""

    kind: str  # "answer" | "article" | "pin"
    item_id: str
    updated_time: int
    question_id: str = ""


@dataclass(frozen=True)
class Evidence:
    """What Zhihu said: the HTTP status, the code or field that decided, its own words."""

    status: int
    code: str = ""  # Zhihu's error code ("4041"), or the field that decided ("suggest_edit")
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    state: str  # one of CLASSES, or "blocked" (never recorded)
    evidence: Evidence
    post: Post | None = None  # "edited": the item as Zhihu has it now, to archive
    # "gone" answer of a known question: asking the question tells "question_gone" apart
    ask_question: bool = False


def judge(served: Served, archived: Archived, parse: Parse) -> Verdict:
    """The verdict on one item from what Zhihu answered for it, read with its kind's parser."""
    block = detect_block(served.status, served.url, served.body)
    if block is not None:
        code = "" if block.code is None else str(block.code)
        return Verdict("blocked", Evidence(served.status, code, block.cause))
    if served.status != 200:
        return _error_verdict(served, archived)
    data = _json_object(served.body)  # None: a page (an article's), read by its parser alone
    if data is not None and (state := _state(data, served)) is not None:
        return state
    return _content(data or {}, served, archived, parse)


def with_question(answer: Verdict, question: Served) -> Verdict:
    """A gone answer's verdict once its question was asked too: "question_gone" when Zhihu says
    the question is not there (by its code), else the answer's own "gone"."""
    if question.status != 404 or detect_block(question.status, question.url, question.body):
        return replace(answer, ask_question=False)
    code, message = zhihu_error(question.body)
    if code not in NOT_FOUND_CODES:
        return replace(answer, ask_question=False)
    return Verdict("question_gone", Evidence(question.status, str(code), message))


def _error_verdict(served: Served, archived: Archived) -> Verdict:
    code, message = zhihu_error(served.body)
    evidence = Evidence(served.status, "" if code is None else str(code), message)
    if served.status == 404 and code in NOT_FOUND_CODES:
        asks = archived.kind == "answer" and bool(archived.question_id)
        return Verdict("gone", evidence, ask_question=asks)
    if code is None:  # a page without Zhihu's error code: no evidence of anything
        evidence = replace(evidence, message="no error code in the response")
    return Verdict("unknown", evidence)


def _state(data: dict[str, Any], served: Served) -> Verdict | None:
    """A 200 with a JSON object: what the item's own fields say of it, if anything."""
    if "error" in data:  # an error body with a 200: nothing Zhihu is known to do
        code, message = zhihu_error(served.body)
        return Verdict("unknown", Evidence(200, "" if code is None else str(code), message))
    if data.get("is_deleted") is True or data.get("state") == "deleted":
        return Verdict("gone", Evidence(200, "is_deleted", text_of(data.get("state"))))
    suggest = data.get("suggest_edit")
    if isinstance(suggest, dict) and suggest.get("status") is True:
        return Verdict("hidden", Evidence(200, "suggest_edit", _suggest_reason(suggest)))
    if (author := _deleted_author(data.get("author"))) is not None:
        return Verdict("author_gone", Evidence(200, "author", author))
    if data.get("is_collapsed") is True:
        why = text_of(data.get("collapse_reason")) or text_of(data.get("collapsed_by"))
        return Verdict("folded", Evidence(200, "is_collapsed", why))
    return None


def _content(data: dict[str, Any], served: Served, archived: Archived, parse: Parse) -> Verdict:
    try:
        result = parse(served.body.decode("utf-8", errors="replace"))
    except ZhihuFormatError as exc:
        return Verdict("unknown", Evidence(200, exc.reason, exc.detail))
    if isinstance(result, Skip):
        if result.reason == "truncated" and _updated(data) == archived.updated_time:
            # Cut for a guest, but the same version: a cut is never an edit.
            return Verdict("unchanged", Evidence(200, "content_need_truncated"))
        return Verdict("unknown", Evidence(200, result.reason, result.detail))
    if result.updated != archived.updated_time:
        return Verdict("edited", Evidence(200, "updated", str(result.updated)), post=result)
    return Verdict("unchanged", Evidence(200))


def _suggest_reason(suggest: dict[str, Any]) -> str:
    """What Zhihu tells readers of a hidden answer, the most specific text first."""
    details = suggest.get("unnormal_details")
    candidates = (
        get_path(details, "reason") if isinstance(details, dict) else None,
        suggest.get("reason"),
        suggest.get("tip"),
        suggest.get("title"),
    )
    return next((text for value in candidates if (text := text_of(value))), "")


def _deleted_author(author: Any) -> str | None:
    """The name an author without an account is shown by, when that is a deleted account."""
    if not isinstance(author, dict):
        return None
    name = text_of(author.get("name"))
    account = str(author.get("id") or "").strip()
    if not name or account not in ("", "0") or text_of(author.get("url_token")):
        return None
    if author.get("is_privacy") is True or name in NOT_DELETED_AUTHORS:
        return None
    return name


def _updated(data: dict[str, Any]) -> int | None:
    return next((v for k in _UPDATED_KEYS if (v := as_time(data.get(k))) is not None), None)


def _json_object(body: bytes) -> dict[str, Any] | None:
    if body.lstrip()[:1] != b"{":
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None

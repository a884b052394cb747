"""The URLs of Zhihu's endpoints (archiver/zhihu/kinds.py), built against a configurable base so
tests and mirrors can stand in, for the code that asks one by its name; and paging links rebased
onto that base."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit, urlunsplit

from archiver.zhihu.kinds import DAILY, DAILY_LISTING, HOT_LIST, QUESTION
from archiver.zhihu.schema import PAGE_LIMIT, Call


def hot_list_url(base_url: str, limit: int) -> str:
    return Call(HOT_LIST.endpoint, limit=limit).first_url(base_url)


def app_hot_list_url(limit: int) -> str:
    """The hot list on the app's host (the fallback of hot_list_url): Zhihu's own host,
    whatever the base."""
    return _fallback(Call(HOT_LIST.endpoint, limit=limit)).first_url("")


def answers_url(base_url: str, question_id: str, limit: int) -> str:
    return _answers(question_id, limit).first_url(base_url)


def question_feeds_url(base_url: str, question_id: str, limit: int) -> str:
    """A question's answers as Zhihu's web page reads them now: the fallback of answers_url."""
    return _fallback(_answers(question_id, limit)).first_url(base_url)


def question_page(question_id: str) -> str:
    return _answers(question_id, PAGE_LIMIT).referer


def latest_url() -> str:
    """Zhihu Daily's latest day."""
    return Call(DAILY_LISTING.endpoints[0]).first_url("")


def before_url(day: date) -> str:
    """The listing of the day before `day` (`before/20261129` lists 2026-11-28)."""
    return Call(DAILY_LISTING.endpoints[1], f"{day:%Y%m%d}").first_url("")


def story_url(story_id: str) -> str:
    return Call(DAILY.endpoint, story_id).first_url("")


def _answers(question_id: str, limit: int) -> Call:
    """The first page of a question's answers: at most a page of them."""
    return Call(QUESTION.endpoint, question_id, limit=min(limit, PAGE_LIMIT))


def _fallback(call: Call) -> Call:
    other = call.fallback
    assert other is not None, f"{call} has no fallback"
    return other


def rebase(url: str, base_url: str) -> str:
    """`url` on the base's scheme and host: paging links name www.zhihu.com (often as http://)."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

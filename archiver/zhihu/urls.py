"""Zhihu API URLs, built against a configurable base so tests and mirrors can stand in."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

# What the answers endpoint must include for a post; the rest of Zhihu's long list is not needed.
ANSWER_FIELDS = (
    "content,excerpt,created_time,updated_time,question,voteup_count,comment_count,"
    "content_need_truncated"
)
ANSWER_INCLUDE = f"data[*].{ANSWER_FIELDS}"
PAGE_LIMIT = 20  # the most answers the endpoint returns per page


def api_url(base_url: str, path: str, **params: str | int) -> str:
    query = urlencode(params)
    return f"{base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def hot_list_url(base_url: str, limit: int) -> str:
    return api_url(base_url, "/api/v3/feed/topstory/hot-lists/total", limit=limit, desktop="true")


def answers_url(base_url: str, question_id: str, limit: int) -> str:
    return api_url(
        base_url,
        f"/api/v4/questions/{question_id}/answers",
        include=ANSWER_INCLUDE,
        limit=min(limit, PAGE_LIMIT),
        offset=0,
        sort_by="default",
        platform="desktop",
    )


def rebase(url: str, base_url: str) -> str:
    """`url` on the base's scheme and host: paging links name www.zhihu.com (often as http://)."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def question_page(question_id: str) -> str:
    return f"https://www.zhihu.com/question/{question_id}"

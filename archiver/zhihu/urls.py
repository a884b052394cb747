"""Zhihu API URLs, built against a configurable base so tests and mirrors can stand in."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# What the answers endpoint must include for a post; the rest of Zhihu's long list is not needed.
ANSWER_FIELDS = (
    "content,excerpt,created_time,updated_time,question,voteup_count,comment_count,"
    "content_need_truncated"
)
ANSWER_INCLUDE = f"data[*].{ANSWER_FIELDS}"
# What an answer's own fields say of its state (archiver/zhihu/gone.py): Zhihu gives them only to
# a client that asks, as public clients do (zhihuhelp, zhihu-plus-plus list them in `include`).
STATE_FIELDS = "is_normal,suggest_edit,is_collapsed,collapse_reason,collapsed_by"
PAGE_LIMIT = 20  # the most answers the endpoint returns per page


def api_url(base_url: str, path: str, **params: str | int) -> str:
    query = urlencode(params)
    return f"{base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def with_included(url: str, fields: str) -> str:
    """`url` asking for `fields` too, after those of its `include`."""
    parts = urlsplit(url)
    query = [
        (name, f"{value},{fields}" if name == "include" and value else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    if not any(name == "include" for name, _ in query):
        query.append(("include", fields))
    return urlunsplit(parts._replace(query=urlencode(query)))


# Where the app, and clients maintained in 2025-26, read the hot list (RSSHub's
# lib/routes/zhihu/hot.ts: this URL and the login cookie, no signature): the fallback of
# hot_list_url, which has answered 401 to some of them. Zhihu's own host, whatever the base.
APP_HOT_LIST = "https://api.zhihu.com/topstory/hot-lists/total"


def hot_list_url(base_url: str, limit: int) -> str:
    return api_url(base_url, "/api/v3/feed/topstory/hot-lists/total", limit=limit, desktop="true")


def app_hot_list_url(limit: int) -> str:
    return api_url(APP_HOT_LIST, "", limit=limit, reverse_order=0)


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


def question_feeds_url(base_url: str, question_id: str, limit: int) -> str:
    """A question's answers as Zhihu's web page reads them now (and zhihu-plus-plus, 2026):
    `/feeds`, cursor-paged, each answer a `question_feed_card`; the fallback of answers_url."""
    return api_url(
        base_url,
        f"/api/v4/questions/{question_id}/feeds",
        include=ANSWER_INCLUDE,
        limit=min(limit, PAGE_LIMIT),
        offset=0,
        order="default",
        platform="desktop",
    )


def rebase(url: str, base_url: str) -> str:
    """`url` on the base's scheme and host: paging links name www.zhihu.com (often as http://)."""
    base = urlsplit(base_url)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def question_page(question_id: str) -> str:
    return f"https://www.zhihu.com/question/{question_id}"

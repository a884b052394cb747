"""Zhihu's HTML pages: the data they embed in `<script id="js-initialData">`. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

from archiver.items import Post, Skip
from archiver.zhihu.articles import article_post
from archiver.zhihu.jsonutil import NOT_FOUND_TEXT, ZhihuFormatError, get_path

_INITIAL_DATA = re.compile(
    r'<script[^>]*\bid="js-initialData"[^>]*>(?P<json>.*?)</script>', re.DOTALL
)


def initial_state(page: str) -> dict[str, Any]:
    """`initialState` of a page; raises ZhihuFormatError for a page without one."""
    match = _INITIAL_DATA.search(page)
    if match is None:
        reason = "not_found" if NOT_FOUND_TEXT in page else "unexpected_shape"
        raise ZhihuFormatError(reason, "the page has no js-initialData")
    try:
        data = json.loads(match["json"])
    except json.JSONDecodeError as exc:
        raise ZhihuFormatError("malformed_json", f"js-initialData: {exc}") from exc
    state = get_path(data, "initialState")
    if not isinstance(state, dict):
        raise ZhihuFormatError("unexpected_shape", "js-initialData has no initialState")
    return state


def parse_article_page(page: str, article_id: str) -> Post | Skip:
    """A column article from its page (`zhuanlan.zhihu.com/p/<id>`), when the API is closed."""
    entities = get_path(initial_state(page), "entities") or {}
    article = get_path(entities, "articles", article_id)
    if not isinstance(article, dict):
        return Skip("missing_field", f"article {article_id} is not in its page")
    author = article.get("author")
    if isinstance(author, str):  # a reference into entities.users, keyed by url token
        author = get_path(entities, "users", author)
    # Pages use camelCase where the API has snake_case; article_post reads the API's names.
    fields = {
        **article,
        "author": author,
        "content_need_truncated": article.get("contentNeedTruncated"),
    }
    return article_post(fields)

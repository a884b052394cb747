"""Column articles (`/api/v4/articles/{id}`) to Post items."""

from __future__ import annotations

from typing import Any

from archiver.items import Post, Skip
from archiver.zhihu.answers import ANONYMOUS
from archiver.zhihu.jsonutil import as_id, as_int, get_path, load_object, text_of


def parse_article(text: str) -> Post | Skip:
    """Raises ZhihuFormatError when the response is not JSON at all."""
    return article_post(load_object(text))


def article_post(article: Any) -> Post | Skip:
    if not isinstance(article, dict):
        return Skip("unexpected_shape", "article is not an object")
    article_id = as_id(article.get("id"))
    if not article_id:
        return Skip("missing_field", "article without a usable id")
    if article.get("content_need_truncated") is True:
        return Skip("truncated", f"article {article_id}: content truncated (log in: ZHIHU_COOKIE)")
    content = article.get("content")
    if not isinstance(content, str) or not content.strip():
        return Skip("missing_field", f"article {article_id} has no content")
    # Articles say `updated`/`created`, without the `_time` of answers.
    updated = as_int(article.get("updated")) or as_int(article.get("created"))
    if updated is None:
        return Skip("missing_field", f"article {article_id} has no updated time")
    title = text_of(article.get("title"))
    if not title:
        return Skip("missing_field", f"article {article_id} has no title")
    return Post(
        kind="article",
        id=article_id,
        url=f"https://zhuanlan.zhihu.com/p/{article_id}",
        title=title,
        author=text_of(get_path(article, "author", "name")) or ANONYMOUS,
        updated=updated,
        content=content,
    )

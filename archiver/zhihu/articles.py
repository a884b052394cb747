"""Column articles (`/api/v4/articles/{id}`) to Post items."""

from __future__ import annotations

from typing import Any

from archiver.items import Post, PostKind, Skip
from archiver.zhihu.answers import ANONYMOUS, content_fields
from archiver.zhihu.jsonutil import get_path, load_object, text_of


def parse_article(text: str) -> Post | Skip:
    """Raises ZhihuFormatError when the response is not JSON at all."""
    return article_post(load_object(text))


def article_post(article: Any) -> Post | Skip:
    # Articles say `updated`/`created`, without the `_time` of answers.
    fields = content_fields(article, "article", ("updated", "created"))
    if isinstance(fields, Skip):
        return fields
    article_id, content, updated = fields
    title = text_of(article.get("title"))
    if not title:
        return Skip("missing_field", f"article {article_id} has no title")
    return Post(
        kind=PostKind.ARTICLE,
        id=article_id,
        url=f"https://zhuanlan.zhihu.com/p/{article_id}",
        title=title,
        author=text_of(get_path(article, "author", "name")) or ANONYMOUS,
        updated=updated,
        content=content,
    )

"""The root comments of an answer, an article or a pin
(`/api/v4/comment_v5/{answers|articles|pins}/{id}/root_comment`) to Comment items.

The endpoint is the one Zhihu's web client has called since 2023 (signed like every `/api/v4/`
call), `?order_by=score&limit=20&offset=` for the first page of the top comments: see
NanmiCoder/MediaCrawler `media_platform/zhihu/client.py` (`get_root_comments`) and `help.py`
(`_extract_comment`), and crispyChicken999/zhihu-fisher-vscode
`src/core/zhihu/webview/components/comments.ts`; articles and pins have the same call under
their own resource type (`articles`, `pins`), as other public clients of the web API call it.
Zhihu's answer is

    {"data": [{"id", "type": "comment", "content" (HTML), "created_time", "like_count",
               "child_comment_count", "author": {"id", "url_token", "name", "avatar_url"},
               "reply_to_author", ...}],
     "paging": {"is_end", "next", ...}}

The older `/api/v4/answers/{id}/root_comments` nested the author as `author.member` and counted
`vote_count`: both shapes are read. A comment's content is a stranger's HTML, handed on as
Zhihu served it: what of it a post may show is decided in post/ (archiver/post/comments.py:
`clean_comment_html`), before the comments pipeline keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from archiver.items import Comment, Skip
from archiver.zhihu.jsonutil import (
    ZhihuFormatError,
    as_id,
    as_int,
    as_time,
    get_path,
    load_object,
    text_of,
)
from archiver.zhihu.kinds import ITEMS
from archiver.zhihu.schema import Call

ANONYMOUS = "匿名用户"
PAGE_LIMIT = 20  # what the web client asks for: one page holds the top 20 root comments
MAX_COMMENTS = PAGE_LIMIT  # ZHIHU_COMMENTS at most: one request per item


def commented(kind: str) -> bool:
    """Whether posts of this kind have comments (archiver/zhihu/kinds.py)."""
    return kind in ITEMS and ITEMS[kind].comments is not None


def comments_url(base_url: str, kind: str, item_id: str) -> str:
    """The first page of an item's root comments, best first, as the web client asks (`kind`:
    one that is `commented`)."""
    endpoint = ITEMS[kind].comments
    assert endpoint is not None, f"{kind}: no comments"
    return Call(endpoint, item_id, limit=PAGE_LIMIT).first_url(base_url)


def parse_comments(text: str, wanted: int) -> list[Comment]:
    """The first `wanted` root comments of a page; raises ZhihuFormatError if not a page."""
    return read_comments(text, wanted)[0]


def read_comments(text: str, wanted: int) -> tuple[list[Comment], list[Skip]]:
    """The first `wanted` usable root comments of a page, and the comments passed over for a
    number that is no number (a bad one costs itself, never the post); raises ZhihuFormatError
    if not a page."""
    data = load_object(text)
    entries = data.get("data")
    if not isinstance(entries, list):
        raise ZhihuFormatError("unexpected_shape", "comments page has no `data` array")
    comments: list[Comment] = []
    skipped: list[Skip] = []
    for entry in entries:
        if len(comments) >= wanted:
            break
        found = comment(entry)
        if isinstance(found, Skip):
            skipped.append(found)
        elif found is not None:
            comments.append(found)
    return comments, skipped


def comment(entry: Any) -> Comment | Skip | None:
    """One root comment; None for what is no readable comment (deleted, no text); a Skip for
    one whose date or like count is not a number in range ("²", 10**13)."""
    if not isinstance(entry, dict) or entry.get("is_delete") is True:
        return None
    content = entry.get("content")
    comment_id = as_id(entry.get("id"))
    if not comment_id or not isinstance(content, str) or not content.strip():
        return None
    created = _number(entry, ("created_time",), as_time)
    likes = _number(entry, ("like_count", "vote_count"), as_int)
    for value, key in ((created, "created_time"), (likes, "like_count")):
        if value is None:
            given = entry.get(key, entry.get("vote_count"))
            return Skip("bad_number", f"comment {comment_id}: {key} {given!r:.40} is not usable")
    author = entry.get("author")
    # v5: the person is `author` itself; before: `author.member`
    person = get_path(author, "member") if isinstance(get_path(author, "member"), dict) else author
    return Comment(
        id=comment_id,
        author=text_of(get_path(person, "name")) or ANONYMOUS,
        url_token=text_of(get_path(person, "url_token")),
        created=created or 0,
        likes=likes or 0,
        content=content,  # as served: post/comments.py cleans it
    )


def _number(
    entry: dict[str, Any], keys: tuple[str, ...], read: Callable[[object], int | None]
) -> int | None:
    """The first of `keys` that holds a non-zero number (0 when none is given); None when one
    given is not a number `read` accepts."""
    found = 0
    for key in keys:
        if entry.get(key) is None:
            continue
        value = read(entry[key])
        if value is None:
            return None
        found = found or value
    return found


def comments_json(comments: list[Comment] | tuple[Comment, ...]) -> str:
    """How the index keeps the comments captured with an item."""
    return json.dumps([asdict(c) for c in comments], ensure_ascii=False, sort_keys=True)


def comments_from_json(text: str) -> tuple[Comment, ...]:
    return tuple(Comment(**entry) for entry in json.loads(text))

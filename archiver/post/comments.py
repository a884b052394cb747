"""The 评论 section after the body of an answer, article or pin: its captured root comments,
each with its author, date and likes. Pure: comments in, HTML out; the body rules of the post
apply to it after."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from archiver.items import Comment
from archiver.post.content import Body, clean_content
from archiver.utils.numbers import timestamp

# Where Zhihu is: a comment's date reads as Zhihu shows it to its readers.
_SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADING = "评论"


def comments_section(comments: tuple[Comment, ...] | list[Comment]) -> str:
    """`<h2>评论</h2><ol class="CommentList">`, one `<li>` per comment, in Zhihu's order."""
    items = "".join(_item(c) for c in comments)
    return f'<h2>{HEADING}</h2><ol class="CommentList">{items}</ol>'


def _item(comment: Comment) -> str:
    name = html.escape(comment.author, quote=False)
    author = (
        f'<a class="CommentItem-author" href="{profile_url(comment.url_token)}">{name}</a>'
        if comment.url_token
        else f'<span class="CommentItem-author">{name}</span>'
    )
    # A time the parser would refuse (an index written before it did: 10**13) shows no date.
    created = timestamp(comment.created)
    when = datetime.fromtimestamp(created, _SHANGHAI) if created else None
    date = (
        f'<time datetime="{when.isoformat()}">{when.strftime("%Y-%m-%d %H:%M")}</time>'
        if when
        else ""
    )
    meta = " · ".join(part for part in (author, date, f"{comment.likes} 赞") if part)
    return (
        f'<li class="CommentItem"><p class="CommentItem-meta">{meta}</p>'
        f'<div class="CommentItem-content">{comment.content}</div></li>'
    )


def profile_url(url_token: str) -> str:
    return f"https://www.zhihu.com/people/{quote(url_token, safe='-_.~')}"


def with_comments(
    body: Body,
    comments: tuple[Comment, ...],
    local: Mapping[str, str] | None = None,
    refused: Callable[[str], bool] | None = None,
    refused_video: Callable[[str], bool] | None = None,
) -> Body:
    """The body with the 评论 section after it. The section goes through the same content rules
    (its images are figures, archived and pointed at the archive like the body's), but the post's
    head image and whether it is blank stay the body's own."""
    if not comments:
        return body
    section = clean_content(comments_section(comments), local, refused, refused_video=refused_video)
    return dataclasses.replace(
        body,
        html=body.html + section.html,
        figures=body.figures + section.figures,
        refused=body.refused + section.refused,
    )

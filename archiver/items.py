"""Plain data that travels from the parsers through the pipelines.

No logic and no Scrapy import: the pure parsers build these, the pipelines consume them
(Scrapy handles dataclass items through itemadapter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class PostKind(StrEnum):
    """What a post is. Its value names the post's file (`<kind>-<id>.md`) and its key in the index
    (`<kind>:<id>`); the kinds of Zhihu's own (answer to daily) are described in
    archiver/zhihu/kinds.py: where each is read, its body's prefix, its category setting."""

    ANSWER = "answer"
    ARTICLE = "article"  # a column article (专栏文章)
    PIN = "pin"  # 想法
    DAILY = "daily"  # a Zhihu Daily story (知乎日报)
    FEED = "feed"  # an item of an RSS or Atom feed
    PAGE = "page"  # a page of the archive's own: a day or a period of the hot list, what vanished

    # Said as the plain string it is (a dataclass's repr, a log line): the same text as ever.
    __repr__ = str.__repr__


@dataclass(frozen=True)
class HotQuestion:
    """One entry of the hot list."""

    rank: int
    question_id: str
    title: str
    heat: str = ""
    image: str = ""  # the entry's own picture (`children[0].thumbnail`), "" when it has none


@dataclass
class Post:
    """One piece of content to archive as a post (an answer, an article, a feed item)."""

    kind: PostKind  # names the file and the index key, selects the body's prefix
    id: str  # Zhihu's id as a string (19-digit ids do not fit a double)
    url: str
    title: str
    author: str  # the display name, named in the body; the post's `author` is the source
    updated: int  # unix seconds: answer `updated_time`, article `updated`, feed pubDate
    content: str  # the HTML exactly as served
    categories: tuple[str, ...] = ()
    question_id: str = ""
    source: str = ""  # the post's `author` label; "" for ARCHIVE_SOURCE_LABEL
    dated: bool = True  # False: a feed item without a date, `updated` is the crawl time
    # The image Zhihu's hot list shows for the entry this answer was found through: the head
    # image when the answer has none of its own ("" outside the hot list).
    hot_image: str = ""
    former_ids: tuple[str, ...] = ()  # ids earlier versions of the tool archived it under
    # Filled on the way through the pipelines: the figures that were archived, by figure key.
    stored_figures: dict[str, StoredFigure] = field(default_factory=dict)
    # An answer's top root comments (ZHIHU_COMMENTS), as captured when it was first archived or
    # last edited: set by the comments pipeline, rendered after the body.
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Comment:
    """One root comment of an answer. Its HTML is as Zhihu served it when parsed
    (archiver/zhihu/comments.py), cleaned before the comments pipeline keeps it
    (archiver/post/comments.py: `cleaned`); what the index keeps, and a post shows, is cleaned."""

    id: str
    author: str  # the display name; 匿名用户 when Zhihu gives none
    url_token: str  # the profile's `https://www.zhihu.com/people/<url_token>`; "" for none
    created: int  # unix seconds
    likes: int
    content: str  # HTML; once cleaned: plain tags, web links, zhimg images


@dataclass(frozen=True)
class StoredFigure:
    """A file kept in the archive for its posts, paths relative to the archive root: a figure,
    or a video file (ARCHIVE_VIDEOS = "download": key `video/<lens id>.mp4`, no size, no
    thumbnails). Videos are kept as figures on purpose: one table (`figures`), one row reader,
    one retry policy, and verify and repair check and restore both alike."""

    key: str
    url: str
    path: str
    sha256: str
    width: int = 0
    height: int = 0
    thumbnails: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HotListSnapshot:
    """The hot list as fetched once: recorded in the index, for the history of the hot list."""

    fetched_at: datetime  # aware, UTC
    questions: tuple[HotQuestion, ...]


@dataclass(frozen=True)
class Skip:
    """Something a parser could not turn into a post, and why (a stats key suffix)."""

    reason: str
    detail: str = ""


@dataclass
class AnswersPage:
    """One page of `/api/v4/questions/{qid}/answers`."""

    answers: list[Post] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    next_url: str | None = None


@dataclass(frozen=True)
class ItemRef:
    """An item a list names but does not give whole (its content cut or missing): it is read
    from its own endpoint, as if its URL had been given."""

    kind: PostKind  # answer, article or pin
    id: str
    url: str  # the item's page, as a user would give it
    why: str  # what the list left out, for the log
    question_id: str = ""  # an answer's question: its Referer
    updated: int | None = None  # the list's date of the item, to judge whether it changed


@dataclass
class ListingPage:
    """One page of a list of items (a column, a collection, a person's answers, ...)."""

    # In the list's order: the items it gives whole, and those to read on their own.
    items: list[Post | ItemRef] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    next_url: str | None = None  # already checked: Zhihu's API, the list's own path
    # A `paging.next` that is not a page of this list (refused, never requested); "" if none.
    refused_next: str = ""


@dataclass(frozen=True)
class Checked:
    """What `recheck` found of one archived item (archiver/zhihu/gone.py), to record."""

    key: str  # the post's key in the index, "<kind>:<id>"
    state: str  # a class of archiver.zhihu.gone.CLASSES
    checked_at: str  # when Zhihu answered (its Date header), UTC, ISO 8601
    status: int  # the evidence: the HTTP status,
    code: str = ""  # Zhihu's error code or the field that decided,
    message: str = ""  # what Zhihu said,
    warc_file: str = ""  # and the response's WARC record
    warc_record: str = ""

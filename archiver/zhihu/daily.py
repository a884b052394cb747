"""Zhihu Daily (知乎日报, `news-at.zhihu.com/api/4`): a day's stories, and each story as a Post.

A listing (`/stories/latest`, `/stories/before/<YYYYMMDD>`) names its day and that day's stories;
the latest also has its top stories, which are often of earlier days. A story (`/news/<id>`) is
one HTML page (`body`) with its head image apart (`image`). Pure: text in, items out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from lxml.html import Element, HtmlElement

from archiver.items import Post, PostKind, Skip
from archiver.utils.fragments import parse_fragment, serialise_children, settable
from archiver.zhihu.jsonutil import ZhihuFormatError, as_id, as_int, as_time, load_object, text_of

# Zhihu Daily's days begin and end in Beijing time: a listing's `date`, a story's `ga_prefix`.
TIMEZONE = "Asia/Shanghai"
ZONE = ZoneInfo(TIMEZONE)
# The first issue (2013-05-19): a `publish_time` before it is no real one.
FIRST_ISSUE = int(datetime(2013, 5, 19, tzinfo=ZONE).timestamp())
# A story that only links to another site: no body to archive.
EXTERNAL_LINK = 1
_GA_PREFIX = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})")
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class StoryRef:
    """A story as a listing names it: enough to fetch and date it."""

    id: str
    ga_prefix: str = ""  # `MMDDHH` of its publication, Beijing time


@dataclass
class Listing:
    """One day of Zhihu Daily: its stories, then its top stories, each story once."""

    day: date
    stories: list[StoryRef] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


def parse_listing(text: str) -> Listing:
    """Raises ZhihuFormatError when the response is not a listing at all."""
    data = load_object(text)
    day = listing_day(data.get("date"))
    if day is None:
        raise ZhihuFormatError("unexpected_shape", "the listing has no `date` YYYYMMDD")
    if not isinstance(data.get("stories"), list):
        raise ZhihuFormatError("unexpected_shape", f"the listing of {day} has no `stories` array")
    listing = Listing(day)
    seen: set[str] = set()
    # Only the latest listing has top stories; most of them are among its stories as well.
    for entry in [*data["stories"], *_as_list(data.get("top_stories"))]:
        story_id = as_id(entry.get("id")) if isinstance(entry, dict) else ""
        if not story_id:
            listing.skipped.append(Skip("missing_field", f"a story of {day} without a usable id"))
        elif story_id not in seen:
            seen.add(story_id)
            listing.stories.append(StoryRef(story_id, text_of(entry.get("ga_prefix"))))
    return listing


def listing_day(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{8}", value):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def parse_story(text: str, day: date, ga_prefix: str = "") -> Post | Skip:
    """`/news/<id>` as a Post; `day` and `ga_prefix` are its listing's. Raises ZhihuFormatError
    when the response is not JSON at all."""
    return story_post(load_object(text), day, ga_prefix)


def story_post(story: dict[str, Any], day: date, ga_prefix: str = "") -> Post | Skip:
    story_id = as_id(story.get("id"))
    if not story_id:
        return Skip("missing_field", "a story without a usable id")
    if as_int(story.get("type")) == EXTERNAL_LINK:
        target = text_of(story.get("share_url")) or "elsewhere"
        return Skip("external_link", f"story {story_id} links to {target}: nothing to archive")
    body = story.get("body")
    if not isinstance(body, str) or not body.strip():
        return Skip("missing_field", f"story {story_id} has no body")
    title = text_of(story.get("title"))
    if not title:
        return Skip("missing_field", f"story {story_id} has no title")
    return Post(
        kind=PostKind.DAILY,
        id=story_id,
        url=f"https://daily.zhihu.com/story/{story_id}",
        title=title,
        author="",  # each answer of the body names its author itself
        updated=story_time(story, day, ga_prefix),
        content=story_content(body, head_image(story), text_of(story.get("image_source"))),
    )


def story_time(story: dict[str, Any], day: date, listed_ga_prefix: str = "") -> int:
    """Unix seconds: `publish_time` where the story has one (since 2023); else its `ga_prefix`
    (its own, else its listing's) read in its listing's day's year, else the day's start."""
    published = as_time(story.get("publish_time"))
    if published is not None and published >= FIRST_ISSUE:
        return published
    return ga_prefix_time(text_of(story.get("ga_prefix")) or listed_ga_prefix, day)


def ga_prefix_time(ga_prefix: str, day: date) -> int:
    """`MMDDHH` in Beijing time, in the year that puts it nearest `day`.

    A top story of 2027-01-01 may be of 12-31: the year is never simply the listing's. The time
    depends on the story alone, so a story seen through two listings keeps one date.
    """
    match = _GA_PREFIX.fullmatch(ga_prefix)
    noon = datetime.combine(day, time(12), ZONE)
    if match and int(match[3]) < 24:
        month, mday, hour = (int(part) for part in match.groups())
        candidates = [
            moment
            for year in (day.year - 1, day.year, day.year + 1)
            if (moment := _moment(year, month, mday, hour)) is not None
        ]
        if candidates:
            return int(min(candidates, key=lambda moment: abs(moment - noon)).timestamp())
    return int(datetime.combine(day, time(), ZONE).timestamp())


def _moment(year: int, month: int, mday: int, hour: int) -> datetime | None:
    try:
        return datetime(year, month, mday, hour, tzinfo=ZONE)
    except ValueError:  # 0229 of a common year, month 13
        return None


def head_image(story: dict[str, Any]) -> str:
    """The story's large head image (`image`), else its listing thumbnail (`images[0]`)."""
    candidates = [story.get("image"), *_as_list(story.get("images"))[:1]]
    return next(
        (url for url in candidates if isinstance(url, str) and url.startswith(("https:", "http:"))),
        "",
    )


def story_content(body: str, image: str, credit: str = "") -> str:
    """The body as Zhihu Daily shows it: the head image in the headline's placeholder, where the
    Daily's own clients put it (so it is the post's first image: its headimg, and a figure), with
    the image's credit; without `<script>` (the app's `window.daily=true` hook, not the story's:
    a blog runs no script of its sources)."""
    root = parse_fragment(body)
    # Keeps the text after it; in C, which takes a tail whatever control character it holds.
    # (Every kind's body goes through the one sanitizer when rendered: archiver/post/sanitize.py.)
    etree.strip_elements(root, "script", with_tail=False)
    if image:
        # A control character in either would stop lxml, and the post with it: it goes, as it
        # goes from a body's image (the sanitizer drops those a parsed tree holds).
        _place_image(root, settable(image), settable(credit))
    return serialise_children(root)


def _place_image(root: HtmlElement, image: str, credit: str) -> None:
    holder = next(iter(root.find_class("img-place-holder")), None)
    if holder is None:
        holder = Element("div", {"class": "img-place-holder"})
        # First, before any text of the body (moved: lxml sets no control character).
        holder.tail, root.text = settable(root.text or "") or None, None
        root.insert(0, holder)
    img = Element("img", {"src": image, "alt": ""})
    holder.append(img)
    if credit:
        source = Element("span", {"class": "img-source"})
        source.text = f"图片：{credit}"
        holder.append(source)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

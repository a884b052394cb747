"""The daily hot-list page: that day's hot questions, linked to their archived answers. Pure."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from archiver.items import Post

# Hexo's own tag for a link to another post; it survives any permalink configuration.
POST_LINK = "\x00post_link:{slug}\x00"


@dataclass(frozen=True)
class Sighting:
    """One hot-list entry as recorded: when, where, what."""

    fetched_at: datetime  # aware, UTC
    rank: int
    question_id: str
    title: str
    heat: str


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of `day` in `zone`, as aware UTC datetimes."""
    start = datetime.combine(day, time(), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), (start + timedelta(days=1)).astimezone(
        ZoneInfo("UTC")
    )


def daily_page(
    day: date,
    zone: ZoneInfo,
    sightings: list[Sighting],
    archived: dict[str, list[str]],
    categories: tuple[str, ...],
) -> Post | None:
    """A page post for `day`, or None when no hot list was recorded that day.

    `archived` maps a question id to the slugs (paths under _posts, without .md) of its posts.
    """
    if not sightings:
        return None
    questions: dict[str, list[Sighting]] = {}
    for sighting in sightings:
        questions.setdefault(sighting.question_id, []).append(sighting)
    ordered = sorted(
        questions.values(), key=lambda seen: (min(s.rank for s in seen), seen[0].fetched_at)
    )
    items = "".join(_item(seen, zone, archived.get(seen[0].question_id, [])) for seen in ordered)
    # Only what the recorded entries say: a re-run that sees the same hot list changes nothing.
    summary = (
        f"<p>{day.isoformat()} 上过知乎热榜的 {len(questions)} 个问题，按最高排名排列"
        f"（时间为 {zone.key}）。</p>"
    )
    return Post(
        kind="page",
        id=f"hotlist-{day.isoformat()}",
        url="https://www.zhihu.com/hot",
        title=f"知乎热榜 {day.isoformat()}",
        author="",
        updated=int(min(s.fetched_at for s in sightings).timestamp()),
        content=f"{summary}<ol>{items}</ol>",
        categories=categories,
    )


def _item(seen: list[Sighting], zone: ZoneInfo, slugs: list[str]) -> str:
    last = seen[-1]
    best = min(s.rank for s in seen)
    links = "".join(f"<br>存档：{POST_LINK.format(slug=slug)}" for slug in slugs)
    return (
        f'<li><a href="https://www.zhihu.com/question/{last.question_id}">'
        f"{html.escape(last.title, quote=False)}</a>"
        f"<br>最高第 {best} 名，{html.escape(last.heat, quote=False) or '热度未知'}，"
        f"首次上榜 {_clock(seen[0].fetched_at, zone)}{links}</li>"
    )


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def with_post_links(text: str) -> str:
    """Turn the placeholders into Hexo `post_link` tags, after the post's braces were escaped."""
    parts = text.split("\x00")
    for i in range(1, len(parts), 2):
        slug = parts[i].removeprefix("post_link:")
        parts[i] = f"{{% post_link {slug if ' ' not in slug else repr(slug)} %}}"
    return "".join(parts)

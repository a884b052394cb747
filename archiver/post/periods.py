"""The week and month hot-list pages: the questions of the period by time on the list and best
rank, with their heat, linked to their archived answers and to the daily pages. Pure."""

from __future__ import annotations

import html
import itertools
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from archiver.items import Post, PostKind
from archiver.post.charts import BarChart, short_title
from archiver.post.daily import (
    DailyPage,
    Sighting,
    by_best_rank,
    chart_figure,
    page_time,
    post_link,
)
from archiver.post.text import body_markup, one_line

BARS = 20  # questions in a period's chart
_HEAT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(万|亿)?")
_SCALE = {"": 1, "万": 10_000, "亿": 100_000_000}


@dataclass(frozen=True, order=True)
class Period:
    kind: str  # "week" or "month"
    start: date
    end: date  # the day after the last
    name: str  # 2026-W48, 2026-11
    title: str


@dataclass(frozen=True)
class QuestionTime:
    """One question over a period of recorded hot lists."""

    question_id: str
    title: str  # as last seen
    best_rank: int
    hours: float  # about: see time_on_list
    lists: int  # hot lists it was on
    heat: str  # the highest heat seen, as shown
    first_seen: datetime
    last_seen: datetime
    days: tuple[date, ...]  # days (in the zone) it was on the list


def week_of(day: date) -> Period:
    year, week, _ = day.isocalendar()
    start = day - timedelta(days=day.weekday())
    return Period(
        "week", start, start + timedelta(days=7), f"{year}-W{week:02d}", f"{year} 年第 {week} 周"
    )


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, end, f"{start:%Y-%m}", f"{start.year} 年 {start.month} 月")


def period_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the period in `zone`, as aware UTC datetimes."""
    utc = ZoneInfo("UTC")
    return tuple(  # type: ignore[return-value]
        datetime.combine(day, time(), tzinfo=zone).astimezone(utc)
        for day in (period.start, period.end)
    )


def time_on_list(runs: Sequence[datetime], seen: Iterable[datetime]) -> timedelta:
    """About how long a question was on the list, from the hot lists recorded (`runs`, sorted).

    A sighting counts until the next recorded list, at most the usual interval between lists
    (their median): a machine switched off for a night does not make a question stay on the
    list all night. The last list counts the usual interval too; a single list counts nothing.
    """
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    usual = statistics.median(gaps) if gaps else timedelta()
    following = dict(zip(runs, gaps, strict=False))
    return sum((min(following.get(at, usual), usual) for at in set(seen)), timedelta())


def heat_value(heat: str) -> float:
    """`1233 万热度` → 12330000; 0 for a heat that names no number."""
    found = _HEAT.search(heat)
    return float(found[1]) * _SCALE[found[2] or ""] if found else 0.0


def question_times(
    sightings: list[Sighting], zone: ZoneInfo, runs: list[datetime] | None = None
) -> list[QuestionTime]:
    """Each question of `sightings`, longest on the list first, then by best rank.

    `runs`: when hot lists were recorded (sorted); by default, the times of `sightings`.
    """
    runs = runs if runs is not None else sorted({s.fetched_at for s in sightings})
    found = [
        QuestionTime(
            question_id=seen[0].question_id,
            title=seen[-1].title,
            best_rank=min(s.rank for s in seen),
            hours=round(time_on_list(runs, (s.fetched_at for s in seen)) / timedelta(hours=1), 1),
            lists=len({s.fetched_at for s in seen}),
            heat=max((s.heat for s in seen), key=heat_value),
            first_seen=seen[0].fetched_at,
            last_seen=seen[-1].fetched_at,
            days=tuple(sorted({s.fetched_at.astimezone(zone).date() for s in seen})),
        )
        for seen in by_best_rank(sightings)
    ]
    return sorted(found, key=lambda q: (-q.hours, q.best_rank, q.first_seen))


def period_chart(period: Period, questions: list[QuestionTime]) -> BarChart | None:
    if not questions:
        return None
    bars = tuple((short_title(q.title), q.hours) for q in questions[:BARS])
    return BarChart(f"知乎热榜 {period.title}：上榜最久的问题", "上榜时间（小时，约）", bars)


def period_page(
    period: Period,
    zone: ZoneInfo,
    sightings: list[Sighting],
    archived: dict[str, list[str]],
    daily: dict[date, str],
    categories: tuple[str, ...],
    chart: str = "",
) -> DailyPage | None:
    """The page of a week or month, or None without a hot list in it.

    `archived` maps a question id to the slugs of its posts, `daily` a day to the slug of its
    daily page (only pages that exist); `chart` is the site path of the period's chart.
    """
    if not sightings:
        return None
    questions = question_times(sightings, zone)
    last = period.end - timedelta(days=1)
    summary = (
        f"<p>{period.title}（{period.start.isoformat()} 至 {last.isoformat()}）上过知乎热榜的 "
        f"{len(questions)} 个问题，按上榜时间排列（时间为 {zone.key}；上榜时间按相邻两次"
        f"记录的间隔估算，共 {len({s.fetched_at for s in sightings})} 次记录）。</p>"
    )
    items = "".join(_item(q, zone, archived.get(q.question_id, []), daily) for q in questions)
    figure = chart_figure(chart, f"知乎热榜 {period.title} 上榜最久的问题")
    markup = f"{body_markup(summary)}{figure}<ol>{items}</ol>"
    post = Post(
        kind=PostKind.PAGE,
        id=f"hotlist-{period.kind}-{period.name}",
        url="https://www.zhihu.com/hot",
        title=f"知乎热榜 {period.title}",
        author="",
        updated=page_time(by_best_rank(sightings)),
        content=markup,
        categories=categories,
    )
    return DailyPage(post, markup)


def _item(q: QuestionTime, zone: ZoneInfo, slugs: list[str], daily: dict[date, str]) -> str:
    text = (
        f'<li><a href="https://www.zhihu.com/question/{html.escape(q.question_id)}">'
        f"{_label(q.title)}</a><br>上榜约 {q.hours:g} 小时（{q.lists} 次记录），"
        f"最高第 {q.best_rank} 名，{_label(q.heat) or '热度未知'}（最高），"
        f"首次上榜 {q.first_seen.astimezone(zone):%m-%d %H:%M}"
    )
    days = " ".join(post_link(daily[day]) for day in q.days if day in daily)
    links = f"<br>日报：{days}" if days else ""
    links += "".join(f"<br>存档：{post_link(slug)}" for slug in slugs)
    return f"{body_markup(text)}{links}</li>"


def _label(text: str) -> str:
    return html.escape(one_line(text), quote=False)

"""The daily hot-list page: that day's hot questions, linked to their archived answers. Pure."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from archiver.items import Post, PostKind
from archiver.post.charts import LABELLED, RankChart, RankLine, short_title
from archiver.post.render import PostOptions, default_image, post_front_matter, wrap_body
from archiver.post.text import body_markup, one_line

# What a slug may hold to go into a `{% post_link %}` tag unquoted; any other character (a
# space, a quote, `%}` from a category setting) is quoted, or the tag is not written at all.
_BARE_SLUG = re.compile(r"[\w/.-]+")


@dataclass(frozen=True)
class Sighting:
    """One hot-list entry as recorded: when, where, what."""

    fetched_at: datetime  # aware, UTC
    rank: int
    question_id: str
    title: str
    heat: str


@dataclass(frozen=True)
class DailyPage:
    """The page as a post (title, date, path) and its body, ready for Hexo: the text of its
    entries is escaped as every body is, its `{% post_link %}` tags are not. Kept apart from the
    start, so no character a title could hold can ever be taken for a tag."""

    post: Post
    markup: str


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
    chart: str = "",
) -> DailyPage | None:
    """The page of `day`, or None when no hot list was recorded that day.

    `archived` maps a question id to the slugs (paths under _posts, without .md) of its posts;
    `chart` is the site path of the day's chart ("" for none).
    """
    if not sightings:
        return None
    ordered = by_best_rank(sightings)
    questions = {seen[0].question_id for seen in ordered}
    items = "".join(_item(seen, zone, archived.get(seen[0].question_id, [])) for seen in ordered)
    # Only what the recorded entries say: a re-run that sees the same hot list changes nothing.
    summary = (
        f"<p>{day.isoformat()} 上过知乎热榜的 {len(questions)} 个问题，按最高排名排列"
        f"（时间为 {zone.key}）。</p>"
    )
    markup = f"{body_markup(summary)}{chart_figure(chart, f'{day.isoformat()} 知乎热榜排名变化')}"
    markup += f"<ol>{items}</ol>"
    post = Post(
        kind=PostKind.PAGE,
        id=f"hotlist-{day.isoformat()}",
        url="https://www.zhihu.com/hot",
        title=f"知乎热榜 {day.isoformat()}",
        author="",
        updated=page_time(ordered),
        content=markup,
        categories=categories,
    )
    return DailyPage(post, markup)


def without_repeats(sightings: list[Sighting]) -> list[Sighting]:
    """The hot lists of `sightings` (in time order), less each one identical to the list before
    it: a run that sees the same list again adds nothing to a chart or a count, so it changes
    no file (Zhihu's real list changes every time, if only in its heat)."""
    kept: list[Sighting] = []
    previous: tuple[tuple[int, str, str, str], ...] = ()
    for _, entries in itertools.groupby(sightings, key=lambda s: s.fetched_at):
        listed = list(entries)
        same = tuple((s.rank, s.question_id, s.title, s.heat) for s in listed)
        if same != previous:
            kept += listed
        previous = same
    return kept


def by_best_rank(sightings: list[Sighting]) -> list[list[Sighting]]:
    """Each question's sightings (in time order), the questions by best rank, then first seen."""
    questions: dict[str, list[Sighting]] = {}
    for sighting in sightings:
        questions.setdefault(sighting.question_id, []).append(sighting)
    return sorted(
        questions.values(), key=lambda seen: (min(s.rank for s in seen), seen[0].fetched_at)
    )


def day_chart(day: date, zone: ZoneInfo, sightings: list[Sighting]) -> RankChart | None:
    """The day's rank chart: one line per question, the best-ranked ones named."""
    if not sightings:
        return None
    times = tuple(sorted({s.fetched_at for s in sightings}))
    lines = []
    for number, seen in enumerate(by_best_rank(sightings)):
        rank_at = {s.fetched_at: s.rank for s in seen}
        label = f"{number + 1}. {short_title(seen[-1].title)}" if number < LABELLED else ""
        lines.append(RankLine(label, tuple(rank_at.get(t) for t in times)))
    title = f"知乎热榜 {day.isoformat()}"
    return RankChart(title, zone.key, times, tuple(lines), day_bounds(day, zone))


def chart_figure(chart: str, alt: str) -> str:
    """The chart's `<img>` in the page (nothing without one); a site path, as local images are."""
    if not chart:
        return ""
    src = html.escape(chart)
    return f'<p><img src="{src}" alt="{html.escape(alt)}"></p>'


def page_time(questions: list[list[Sighting]]) -> int:
    """The page's date: the latest time it lists (the latest first sighting of a question).

    From the recorded data alone, never the clock of the run that writes the page: replaying a
    run from its WARC gives the same page, and seeing the same hot list again changes nothing.
    """
    return int(max(seen[0].fetched_at for seen in questions).timestamp())


def page_text(page: DailyPage, options: PostOptions) -> str:
    """The page's file: front matter as every post's, the body as it was built."""
    image = default_image(options)
    return post_front_matter(page.post, options, image, image) + wrap_body(page.markup)


def _item(seen: list[Sighting], zone: ZoneInfo, slugs: list[str]) -> str:
    last = seen[-1]
    best = min(s.rank for s in seen)
    # A hot-list title is a stranger's text: one line, no control characters, braces as
    # entities (body_markup), like any body. The tags are added outside that text.
    text = (
        f'<li><a href="https://www.zhihu.com/question/{html.escape(last.question_id)}">'
        f"{_label(last.title)}</a>"
        f"<br>最高第 {best} 名，{_label(last.heat) or '热度未知'}，"
        f"首次上榜 {_clock(seen[0].fetched_at, zone)}"
    )
    links = "".join(f"<br>存档：{post_link(slug)}" for slug in slugs)
    return f"{body_markup(text)}{links}</li>"


def _label(text: str) -> str:
    return html.escape(one_line(text), quote=False)


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def post_link(slug: str) -> str:
    """Hexo's own tag for a link to another post; it survives any permalink configuration."""
    if _BARE_SLUG.fullmatch(slug):
        return f"{{% post_link {slug} %}}"
    if not any(c in slug for c in '"\\{}%#&\r\n'):
        return f'{{% post_link "{slug}" %}}'
    # A slug no tag can carry (a category setting with `%}` or a quote): its name, not a link.
    # Nor one with `#`: post_link takes it for an anchor and fails the whole build, and Hexo's
    # own URL of that post keeps the `#` raw, so no link to it reaches the post in a browser.
    # Nor one with `&`: post_link writes it raw into `href`, where a browser reads `&copy/` as
    # `©/` (tests/test_hexo_vanished.py).
    return body_markup(html.escape(one_line(slug), quote=False))

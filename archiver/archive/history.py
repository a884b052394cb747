"""The hot list over time: record each hot list, write the daily, weekly and monthly pages of
any day with their charts, and tell one question's story."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from archiver.archive.index import ArchiveIndex, HotListRow
from archiver.archive.layout import CHARTS
from archiver.archive.storage import UnsafePath, atomic_write, inside, read_bytes
from archiver.archive.vanishings import CheckLog, Vanishing
from archiver.archive.writer import PostWriter
from archiver.assets import install_shipped_image
from archiver.items import HotQuestion
from archiver.post.charts import Chart, RankChart, RankLine, draw, is_drawn, short_title
from archiver.post.daily import (
    DailyPage,
    Sighting,
    daily_page,
    day_bounds,
    day_chart,
    page_text,
    without_repeats,
)
from archiver.post.paths import post_relpath, post_slug
from archiver.post.periods import (
    Period,
    QuestionTime,
    period_bounds,
    period_chart,
    period_page,
    question_times,
)
from archiver.post.render import PostOptions, shipped_default
from archiver.post.vanished import LABELS

# Charts live here in the archive, at these site paths (ARCHIVE_DIR is the site's source/).
CHART_DIR = CHARTS


@dataclass(frozen=True)
class Written:
    """What writing a page did: ("new" | "updated" | "unchanged", path), and its chart's."""

    page: tuple[str, str]
    chart: tuple[str, str] | None = None


def record_hot_list(
    index: ArchiveIndex, fetched_at: datetime, questions: list[HotQuestion]
) -> None:
    index.record_hot_list(
        fetched_at.isoformat(timespec="seconds"),
        [(q.rank, q.question_id, q.title, q.heat) for q in questions],
    )


def sightings_between(index: ArchiveIndex, start: datetime, end: datetime) -> list[Sighting]:
    """The lists recorded in [start, end), less repeats of the list before (without_repeats)."""
    rows = index.hot_list_between(
        start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")
    )
    return without_repeats([_sighting(row) for row in rows])


def write_daily_page(
    writer: PostWriter,
    day: date,
    zone: ZoneInfo,
    categories: tuple[str, ...],
    options: PostOptions,
    charts: bool = True,
) -> tuple[str, str] | None:
    """Write (or refresh) the page of `day`; (state, path), or None without a hot list that day."""
    done = write_day(writer, day, zone, categories, options, charts)
    return done.page if done else None


def write_day(
    writer: PostWriter,
    day: date,
    zone: ZoneInfo,
    categories: tuple[str, ...],
    options: PostOptions,
    charts: bool = True,
) -> Written | None:
    """The daily page and its chart; None without a hot list that day."""
    sightings = sightings_between(writer.index, *day_bounds(day, zone))
    chart = day_chart(day, zone, sightings) if charts else None
    drawn = write_chart(writer.archive_dir, CHART_DIR / f"{day.isoformat()}.svg", chart)
    archived = _archived(writer, sightings)
    page = daily_page(day, zone, sightings, archived, categories, _site_path(drawn))
    return _write_page(writer, page, options, drawn)


def write_period(
    writer: PostWriter,
    period: Period,
    zone: ZoneInfo,
    categories: tuple[str, ...],
    options: PostOptions,
    charts: bool = True,
) -> Written | None:
    """The page of a week or month and its chart; None without a hot list in it."""
    sightings = sightings_between(writer.index, *period_bounds(period, zone))
    chart = period_chart(period, question_times(sightings, zone)) if charts else None
    name = CHART_DIR / f"{period.kind}-{period.name}.svg"
    drawn = write_chart(writer.archive_dir, name, chart)
    daily = _daily_slugs(writer, period, categories)
    page = period_page(
        period, zone, sightings, _archived(writer, sightings), daily, categories, _site_path(drawn)
    )
    return _write_page(writer, page, options, drawn)


def write_chart(
    archive_dir: Path, relpath: PurePosixPath, chart: Chart | None
) -> tuple[str, str] | None:
    """Draw the chart into the archive, unless the file there is already this chart (its data
    unchanged): ("new" | "updated" | "unchanged", path), or None without a chart."""
    if chart is None:
        return None
    target = archive_dir / relpath
    current = read_bytes(target)
    if is_drawn(current, chart):
        return "unchanged", relpath.as_posix()
    atomic_write(target, draw(chart))
    return ("new" if current is None else "updated"), relpath.as_posix()


@dataclass(frozen=True)
class Trajectory:
    """One question on the hot list, all recorded time."""

    stats: QuestionTime
    sightings: list[Sighting]
    posts: list[str]  # its archived posts, paths in the archive
    vanished: tuple[tuple[str, Vanishing], ...] = ()  # (a post's path, its going), oldest first


def trajectory(index: ArchiveIndex, question_id: str, zone: ZoneInfo) -> Trajectory | None:
    sightings = [_sighting(row) for row in index.hot_list_of_question(question_id)]
    if not sightings:
        return None
    # Every list recorded while it was on (and the one after): its gaps give the time on it.
    first, last = sightings[0].fetched_at, sightings[-1].fetched_at
    runs = index.hot_list_times_between(
        first.isoformat(timespec="seconds"), (last + timedelta(days=1)).isoformat()
    )
    times = [datetime.fromisoformat(r) for r in runs]
    after = [t for t in times if t > last][:1]
    [stats] = question_times(sightings, zone, [t for t in times if t <= last] + after)
    posts = [entry.path for entry in index.posts_of_question(question_id)]
    gone = tuple((entry.path, going) for going, entry in CheckLog(index).of_question(question_id))
    return Trajectory(stats, sightings, posts, gone)


def trajectory_text(story: Trajectory, zone: ZoneInfo) -> str:
    """The question's story as plain text, one line a recorded sighting."""
    q = story.stats

    def clock(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    lines = [
        f"question {q.question_id}: {q.title}",
        f"  https://www.zhihu.com/question/{q.question_id}",
        f"first seen {clock(q.first_seen)}, last seen {clock(q.last_seen)} ({zone.key})",
        f"best rank {q.best_rank}; on the list about {q.hours:g} hours, in {q.lists} hot lists;"
        f" highest heat {q.heat or 'unknown'}",
        *(f"archived: {path}" for path in story.posts),
        *(_vanished_line(path, going, clock) for path, going in story.vanished),
        "time              rank  heat",
        *(f"{clock(s.fetched_at)}  {s.rank:>4}  {s.heat}" for s in story.sightings),
    ]
    return "\n".join(lines) + "\n"


def _vanished_line(path: str, going: Vanishing, clock: Callable[[datetime], str]) -> str:
    """One answer of the question that vanished from Zhihu (`recheck`), and how."""
    line = (
        f"vanished: {path}: {going.state} ({LABELS[going.state]}),"
        f" noticed {clock(datetime.fromisoformat(going.noticed_at))}"
    )
    if going.ended_at:
        ended = clock(datetime.fromisoformat(going.ended_at))
        line += f", {'back' if going.ended_as == 'back' else going.ended_as} {ended}"
    return line


def trajectory_chart(story: Trajectory, zone: ZoneInfo) -> RankChart:
    times = tuple(s.fetched_at for s in story.sightings)
    line = RankLine(short_title(story.stats.title), tuple(s.rank for s in story.sightings))
    return RankChart(f"知乎热榜排名：{short_title(story.stats.title)}", zone.key, times, (line,))


def _sighting(row: HotListRow) -> Sighting:
    return Sighting(
        datetime.fromisoformat(row.fetched_at), row.rank, row.question_id, row.title, row.heat
    )


def _write_page(
    writer: PostWriter,
    page: DailyPage | None,
    options: PostOptions,
    drawn: tuple[str, str] | None,
) -> Written | None:
    if page is None:
        return None
    if shipped_default(options):  # the page has no image of its own: it shows the default
        install_shipped_image(writer.archive_dir)
    return Written(writer.write(page.post, page_text(page, options).encode("utf-8")), drawn)


def _site_path(drawn: tuple[str, str] | None) -> str:
    return f"/{drawn[1]}" if drawn else ""


def _archived(writer: PostWriter, sightings: list[Sighting]) -> dict[str, list[str]]:
    return {qid: _slugs(writer, qid) for qid in sorted({s.question_id for s in sightings})}


def _daily_slugs(
    writer: PostWriter, period: Period, categories: tuple[str, ...]
) -> dict[date, str]:
    """The slugs of the period's daily pages that exist, by day."""
    found = {}
    day = period.start
    while day < period.end:
        relpath = post_relpath(categories, "page", f"hotlist-{day.isoformat()}")
        entry = writer.index.get(f"page:hotlist-{day.isoformat()}")
        path = entry.path if entry else relpath.as_posix()
        if _is_post(writer, path):
            found[day] = post_slug(path)
        day += timedelta(days=1)
    return found


def _slugs(writer: PostWriter, question_id: str) -> list[str]:
    """Hexo slugs of the question's posts that exist: a link to a missing post breaks a build."""
    return [
        post_slug(entry.path)
        for entry in writer.index.posts_of_question(question_id)
        if _is_post(writer, entry.path)
    ]


def _is_post(writer: PostWriter, path: str) -> bool:
    """Whether a path of the index is a post there (one that leads out of the archive is
    never looked at)."""
    try:
        return path.startswith("_posts/") and inside(writer.archive_dir, path).is_file()
    except UnsafePath:
        return False

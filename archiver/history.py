"""The hot list over time: record each hot list, write the daily page of any day."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from archiver.assets import install_shipped_image
from archiver.index import ArchiveIndex
from archiver.items import HotQuestion
from archiver.post.daily import Sighting, daily_page, day_bounds, page_text
from archiver.post.render import PostOptions, shipped_default
from archiver.writer import PostWriter


def record_hot_list(
    index: ArchiveIndex, fetched_at: datetime, questions: list[HotQuestion]
) -> None:
    index.record_hot_list(
        fetched_at.isoformat(timespec="seconds"),
        [(q.rank, q.question_id, q.title, q.heat) for q in questions],
    )


def write_daily_page(
    writer: PostWriter,
    day: date,
    zone: ZoneInfo,
    categories: tuple[str, ...],
    options: PostOptions,
) -> tuple[str, str] | None:
    """Write (or refresh) the page of `day`; (state, path), or None without a hot list that day."""
    index = writer.index
    start, end = day_bounds(day, zone)
    rows = index.hot_list_between(
        start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds")
    )
    sightings = [
        Sighting(datetime.fromisoformat(at), rank, qid, title, heat)
        for at, rank, qid, title, heat in rows
    ]
    archived = {qid: _slugs(writer, qid) for qid in {s.question_id for s in sightings}}
    page = daily_page(day, zone, sightings, archived, categories)
    if page is None:
        return None
    if shipped_default(options):  # the page has no image of its own: it shows the default
        install_shipped_image(writer.archive_dir)
    return writer.write(page.post, page_text(page, options).encode("utf-8"))


def _slugs(writer: PostWriter, question_id: str) -> list[str]:
    """Hexo slugs of the question's posts that exist: a link to a missing post breaks a build."""
    return [
        PurePosixPath(entry.path).relative_to("_posts").with_suffix("").as_posix()
        for entry in writer.index.posts_of_question(question_id)
        if (writer.archive_dir / entry.path).is_file()
    ]

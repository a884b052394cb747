"""Render each item as a post and write it into the archive, idempotently and atomically: a
Scrapy adapter over archiver/archive/publish.py, which rerender and repair call alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import DropItem

from archiver import stats as keys
from archiver.archive.layout import Layout
from archiver.archive.publish import Bodies, NotPublished, Publisher, PublishOptions
from archiver.hexo.site import named_zone, site_timezone
from archiver.items import Post
from archiver.post.render import PostOptions
from archiver.post.rich import RichOptions

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from archiver.archive.writer import PostWriter


def post_options(settings: BaseSettings) -> PostOptions:
    return PostOptions(
        source=settings["ARCHIVE_SOURCE_LABEL"],
        default_image=settings["ARCHIVE_DEFAULT_IMAGE"],
        timezone=site_timezone(settings["ARCHIVE_TIMEZONE"], Path(settings["ARCHIVE_DIR"])),
        local_images=settings["ARCHIVE_IMAGES"] == "local",
        updated=settings.getbool("ARCHIVE_FRONT_MATTER_UPDATED"),
        title_display=settings.getbool("ARCHIVE_FRONT_MATTER_TITLE_DISPLAY"),
        braces=settings["ARCHIVE_BODY_BRACES"],
        rich=rich_options(settings),
    )


def rich_options(settings: BaseSettings) -> RichOptions:
    """ARCHIVE_FORMULAS, ARCHIVE_LINK_CARDS, ARCHIVE_REFERENCES, ARCHIVE_VIDEOS."""
    return RichOptions(
        formulas=settings["ARCHIVE_FORMULAS"],
        link_cards=settings["ARCHIVE_LINK_CARDS"],
        references=settings["ARCHIVE_REFERENCES"],
        videos=settings["ARCHIVE_VIDEOS"],
    )


def publish_options(settings: BaseSettings) -> PublishOptions:
    """How posts are published, as the settings say: the crawl's, rerender's and repair's."""
    options = post_options(settings)
    mode = settings["ARCHIVE_IMAGES"]
    if mode not in ("remote", "local"):
        raise ValueError(f"ARCHIVE_IMAGES is 'remote' or 'local', not {mode!r}")
    sizes = settings.getlist("FIGURES_THUMB_SIZES")
    return PublishOptions(
        options,
        allowed_hosts=tuple(settings.getlist("FIGURES_ALLOWED_HOSTS")),
        video_hosts=tuple(settings.getlist("ARCHIVE_VIDEO_HOSTS")),
        local_thumbnail=(sizes[0] if sizes else "") if mode == "local" else None,
        vanished_note=(
            named_zone(settings["HISTORY_TIMEZONE"], "HISTORY_TIMEZONE")
            if settings.getbool("ARCHIVE_VANISHED_NOTE")
            else None
        ),
    )


def bodies_of(crawler: Crawler) -> Bodies:
    """The bodies the post pipeline will render, for a pipeline before it (the figures and
    videos to fetch are those a post shows): each body parsed once a crawl. A pipeline without
    the post pipeline (built alone, as in a test) parses its own."""
    try:
        posts = crawler.get_item_pipeline(PostPipeline)
    except RuntimeError:  # no engine: the pipeline was built on its own
        posts = None
    if posts is not None:
        return posts.bodies
    settings = crawler.settings
    return Bodies(
        tuple(settings.getlist("FIGURES_ALLOWED_HOSTS")),
        tuple(settings.getlist("ARCHIVE_VIDEO_HOSTS")),
        rich_options(settings),
    )


class PostPipeline:
    """Post text → `<ARCHIVE_DIR>/_posts/...`, recorded in the index (archive.publish); each
    outcome counted in the crawl's stats, each post not written dropped with its reason."""

    def __init__(self, layout: Layout, options: PublishOptions, stats: StatsCollector) -> None:
        self.layout = layout
        self.options = options
        self.stats = stats
        # Parsed by the figures and videos pipelines before it, rendered here.
        self.bodies = Bodies.of(options)
        self.publisher: Publisher | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(Layout.of(crawler.settings), publish_options(crawler.settings), crawler.stats)

    @property
    def writer(self) -> PostWriter:
        assert self.publisher is not None
        return self.publisher.writer

    def open_spider(self, spider: Spider | None = None) -> None:
        self.publisher = Publisher.open(
            self.layout.root, self.layout.index, self.options, bodies=self.bodies
        )

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.publisher is not None:
            self.publisher.close()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Post):
            return item
        assert self.publisher is not None
        try:
            published = self.publisher.publish(item)
        except NotPublished as exc:
            self.stats.inc_value(f"{keys.FAILED}/{exc.reason}")
            raise DropItem(str(exc)) from exc
        self.stats.inc_value(f"{keys.POSTS}/{published.outcome}")
        if published.unusable:
            self.stats.inc_value(f"{keys.SKIPPED}/bad_number", len(published.unusable))
        return item

"""`archiver.archive.publish`: item → post bytes → placed file, from plain data (no crawler, no
settings), as the posts pipeline, rerender and repair call it."""

from __future__ import annotations

import ast
import dataclasses
import logging
import sqlite3
from pathlib import Path

import pytest
from scrapy import Spider

import archiver.archive.publish as publish
from archiver.archive.index import ArchiveIndex
from archiver.archive.publish import Bodies, NotPublished, Outcome, Publisher, PublishOptions
from archiver.archive.writer import PostWriter
from archiver.assets import shipped_image
from archiver.items import Post, StoredFigure
from archiver.pipelines.figures import FiguresPipeline
from archiver.pipelines.posts import PostPipeline
from archiver.post.render import PostOptions, body_for, render
from tests.support.project import make_post, project_crawler

FIGURE = '<p>有图</p><figure><img src="https://pic1.zhimg.com/v2-abc_720w.jpg"></figure>'


@pytest.fixture
def index(tmp_path):
    opened = ArchiveIndex(tmp_path / "index.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def publisher(tmp_path, index):
    return Publisher(tmp_path / "archive", index, PublishOptions())


def counted_parses(monkeypatch) -> list[str]:
    """The ids of the posts whose body is parsed from now on."""
    parsed: list[str] = []

    def counting(post: Post, *args: object, **kwargs: object):
        parsed.append(post.id)
        return body_for(post, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publish, "body_for", counting)
    return parsed


def test_a_post_is_new_then_unchanged_then_updated_in_its_one_place(tmp_path, publisher):
    first = publisher.publish(make_post())
    assert first.outcome is Outcome.NEW
    path = tmp_path / "archive" / first.path
    expected = render(make_post(), body_for(make_post()), PostOptions()).encode("utf-8")
    assert path.read_bytes() == expected  # the bytes the crawl has always written
    again = publisher.publish(make_post())
    assert (again.outcome, again.path) == (Outcome.UNCHANGED, first.path)
    edited = publisher.publish(make_post(updated=1700000100, content="<p>改过</p>"))
    assert (edited.outcome, edited.path) == (Outcome.UPDATED, first.path)
    assert "改过" in path.read_text()


def test_a_write_is_said_in_the_posts_log_line_unless_nothing_changed(publisher, caplog):
    with caplog.at_level(logging.INFO, logger="archiver.pipelines.posts"):
        published = publisher.publish(make_post())
        publisher.publish(make_post())
    assert [r.getMessage() for r in caplog.records] == [f"New {published.path}: 问题"]


def test_the_outcome_of_a_write_is_one_enum_of_todays_words(tmp_path, index):
    """The writer, its plan for rerender and rerender's workers speak one vocabulary; its
    values are the words of the stats keys and log lines."""
    assert {o.value for o in Outcome} == {
        *("new", "updated", "unchanged"),  # PostWriter.write
        *("replace", "write"),  # PostWriter.plan
        *("placed", "dropped", "failed", "stopped"),  # rerender's workers
    }
    writer = PostWriter(tmp_path, index)
    outcome, path = writer.write(make_post(), b"one")
    assert outcome is Outcome.NEW and f"archiver/posts/{outcome}" == "archiver/posts/new"
    assert outcome.capitalize() == "New"
    writer.rerendering()
    assert writer.plan(make_post(), b"one") == (Outcome.UNCHANGED, None)
    planned, entry = writer.plan(make_post(), b"two")
    assert planned is Outcome.REPLACE and entry is not None and entry.path == path
    assert writer.plan(make_post(id="2"), b"new") == (Outcome.WRITE, None)


def test_a_body_is_parsed_once_however_many_ask_and_let_go_once_rendered(publisher, monkeypatch):
    parsed = counted_parses(monkeypatch)
    post = make_post(content=FIGURE)
    # The figures pipeline, then the videos pipeline, ask for it; the post is published.
    [figure] = publisher.bodies.body(post).figures
    assert publisher.bodies.body(post).figures == (figure,)
    publisher.publish(post)
    assert parsed == [post.id] and len(publisher.bodies) == 0


def test_an_item_seen_again_with_other_content_has_its_own_body(tmp_path, publisher):
    publisher.bodies.body(make_post(content="<p>先看到的</p>"))
    published = publisher.publish(make_post(content="<p>后来的</p>"))
    text = (tmp_path / "archive" / published.path).read_text()
    assert "后来的" in text and "先看到的" not in text


def test_bodies_shared_by_the_pipelines_are_the_publishers(tmp_path, index, monkeypatch):
    parsed = counted_parses(monkeypatch)
    shared = Bodies()
    publisher = Publisher(tmp_path, index, PublishOptions(), shared)
    shared.body(make_post())
    publisher.publish(make_post())
    assert parsed == [make_post().id] and len(shared) == 0


def test_a_crawl_parses_each_body_once_for_the_figures_and_the_post(tmp_path, monkeypatch):
    """The figures pipeline asks the post pipeline for the body it will render (Scrapy's
    get_item_pipeline, which the engine answers; here a stand-in for the engine's lookup)."""
    crawler = project_crawler(ARCHIVE_DIR=str(tmp_path))
    crawler.spider = Spider("test")
    posts = PostPipeline.from_crawler(crawler)
    monkeypatch.setattr(
        crawler, "get_item_pipeline", lambda cls: posts if issubclass(PostPipeline, cls) else None
    )
    figures = FiguresPipeline.from_crawler(crawler)
    figures.open_spider()
    posts.open_spider()
    parsed = counted_parses(monkeypatch)
    try:
        item = make_post(content=FIGURE)
        [request] = figures.get_media_requests(item, figures.spiderinfo)
        posts.process_item(item)
    finally:
        posts.close_spider()
        figures.close_spider()
    assert request.url == "https://pic1.zhimg.com/v2-abc_720w.jpg"
    assert parsed == [item.id] and len(posts.bodies) == 0


def test_a_post_with_nothing_to_show_is_not_published_and_its_body_let_go(tmp_path, publisher):
    with pytest.raises(NotPublished, match=r"^empty_body: answer 1936787046304842491 ") as raised:
        publisher.publish(make_post(content='<a data-draft-type="mcn-link-card"></a>'))
    assert raised.value.reason == "empty_body"
    assert len(publisher.bodies) == 0 and not (tmp_path / "archive").exists()


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(28, "No space left on device"), "write_failed"),
        (sqlite3.OperationalError("database is locked"), "index_failed"),
    ],
)
def test_a_post_that_cannot_be_written_is_not_published_with_its_reason(
    publisher, monkeypatch, error, reason
):
    def failing(*args: object) -> None:
        raise error

    monkeypatch.setattr(publisher.writer, "write", failing)
    with pytest.raises(NotPublished, match=f"^{reason}: answer 1936787046304842491 ") as raised:
        publisher.publish(make_post())
    assert raised.value.reason == reason and raised.value.__cause__ is error


def test_local_mode_links_the_archived_figure_and_its_thumbnail(tmp_path, index):
    post = make_post(content=FIGURE)
    [figure] = body_for(post).figures
    post.stored_figures[figure.key] = StoredFigure(
        figure.key,
        figure.url,
        "images/v2-abc.jpg",
        "0" * 64,
        thumbnails={"400x300": "images/thumbs/400x300/v2-abc.jpg"},
    )
    options = PublishOptions(PostOptions(local_images=True), local_thumbnail="400x300")
    published = Publisher(tmp_path, index, options).publish(post)
    text = (tmp_path / published.path).read_text()
    assert "headimg: '/images/v2-abc.jpg'" in text
    assert "thumbnail: '/images/thumbs/400x300/v2-abc.jpg'" in text
    assert 'src="/images/v2-abc.jpg"' in text and "pic1.zhimg.com" not in text.split("---")[1]


def test_the_shipped_image_is_placed_once_before_the_first_post_that_shows_it(tmp_path, index):
    publisher = Publisher(tmp_path, index, PublishOptions())
    image = tmp_path / "images" / "default" / "headimg.png"
    publisher.publish(make_post(content=FIGURE))  # a head image of its own
    assert not image.exists()
    rendering = publisher.render(make_post(id="2"))
    assert rendering.shipped and not image.exists()  # rendering writes nothing
    publisher.write(make_post(id="2"), rendering)
    assert image.read_bytes() == shipped_image() and publisher.shipped_image_installed


def test_a_rendering_is_planned_while_rerendering_and_placed_by_another(tmp_path, index):
    publisher = Publisher(tmp_path, index, PublishOptions())
    first = publisher.publish(make_post())
    publisher.writer.rerendering()
    wider = Publisher(tmp_path, index, PublishOptions(PostOptions(updated=True)))
    rendering = wider.render(make_post())
    outcome, entry = wider.plan(make_post(), rendering, index.get(f"answer:{make_post().id}"))
    assert outcome is Outcome.REPLACE and entry is not None and entry.path == first.path
    assert publisher.placed(entry).outcome is Outcome.UPDATED
    (tmp_path / first.path).write_bytes(rendering.data)  # as the worker put it in place
    assert publisher.writer.flush() == []
    recorded = index.get(entry.key)
    assert recorded is not None and recorded.content_hash == entry.content_hash


def test_items_are_plain_data_without_a_body():
    assert "body" not in {f.name for f in dataclasses.fields(Post)}


def test_the_publisher_knows_nothing_of_scrapy():
    """Options come in as plain data: the module imports nothing of Scrapy."""
    source = Path(publish.__file__).read_text()
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    assert names and not [name for name in names if name.split(".")[0] == "scrapy"]

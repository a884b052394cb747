"""PostPipeline with a real archive folder and a real SQLite index."""

import sqlite3
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem

from archiver.pipelines.posts import PostPipeline
from tests.support.project import make_post as post
from tests.support.project import project_crawler

CATS = ("社交媒体", "知乎", "知乎热榜")


@pytest.fixture
def make_pipeline(tmp_path):
    opened = []

    def make(**settings) -> PostPipeline:
        crawler = project_crawler(ARCHIVE_DIR=str(tmp_path), **settings)
        pipeline = PostPipeline.from_crawler(crawler)
        pipeline.open_spider()
        opened.append(pipeline)
        return pipeline

    yield make
    for pipeline in opened:
        pipeline.close_spider()


def posts_in(root: Path) -> list[Path]:
    return sorted((root / "_posts").rglob("*.md"))


def test_new_then_unchanged_then_updated_in_place(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    pipeline.process_item(post())
    [path] = posts_in(tmp_path)
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    pipeline.process_item(post())
    assert path.stat().st_mtime_ns == mtime and path.read_bytes() == first
    pipeline.process_item(post(updated=1700000100, content="<p>改过的正文</p>"))
    assert posts_in(tmp_path) == [path]
    assert "改过的正文" in path.read_text()
    stats = pipeline.stats.get_stats()
    assert (
        stats["archiver/posts/new"],
        stats["archiver/posts/unchanged"],
        stats["archiver/posts/updated"],
    ) == (1, 1, 1)


def test_index_records_the_answer(tmp_path, make_pipeline):
    make_pipeline().process_item(post())
    db = sqlite3.connect(tmp_path / ".archiver" / "index.sqlite3")
    row = db.execute(
        "SELECT item_id, url, question_id, title, path, updated_time, "
        "length(content_hash), first_seen <= last_seen FROM posts"
    ).fetchone()
    assert row == (
        "1936787046304842491",
        "https://www.zhihu.com/answer/1",
        "9",
        "问题",
        "_posts/社交媒体/知乎/知乎热榜/answer-1936787046304842491.md",
        1700000000,
        64,
        1,
    )


def test_two_answers_with_one_title_get_two_files(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    pipeline.process_item(post(id="1", author="甲"))
    pipeline.process_item(post(id="2", author="乙"))
    texts = [p.read_text() for p in posts_in(tmp_path)]
    assert (
        len(texts) == 2
        and any("甲的回答" in t for t in texts)
        and any("乙的回答" in t for t in texts)
    )


def test_an_answer_keeps_its_first_path_whatever_the_entry_point(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    pipeline.process_item(post())
    pipeline.process_item(post(categories=("社交媒体", "知乎", "知乎回答"), updated=1700000200))
    [path] = posts_in(tmp_path)
    assert "知乎热榜" in path.as_posix()


def test_a_deleted_post_file_is_written_again(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    pipeline.process_item(post())
    [path] = posts_in(tmp_path)
    path.unlink()
    pipeline.process_item(post())
    assert path.exists()


def test_an_empty_body_is_dropped_with_its_reason(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    with pytest.raises(DropItem, match="empty_body"):
        pipeline.process_item(post(content='<a data-draft-type="mcn-link-card"></a>'))
    assert posts_in(tmp_path) == []
    assert pipeline.stats.get_value("archiver/failed/empty_body") == 1


def test_no_temporary_files_are_left(tmp_path, make_pipeline):
    pipeline = make_pipeline()
    for n in range(3):
        pipeline.process_item(post(id=str(n)))
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_default_image_setting(tmp_path, make_pipeline):
    make_pipeline(ARCHIVE_DEFAULT_IMAGE="/images/default.jpg").process_item(post())
    assert "headimg: '/images/default.jpg'" in posts_in(tmp_path)[0].read_text()
    assert not (tmp_path / "images").exists()  # a set default is the user's: nothing written


def test_the_shipped_default_image_is_written_once_with_the_same_bytes(tmp_path, make_pipeline):
    # Item 15: no empty headimg; the project's own image, in the archive where posts link it.
    from archiver.assets import shipped_image

    shipped = tmp_path / "images" / "default" / "headimg.png"
    pipeline = make_pipeline()
    pipeline.process_item(post(content='<p><img src="https://pic1.zhimg.com/a.png"></p>'))
    assert not shipped.exists()  # not used yet
    pipeline.process_item(post(id="2"))
    assert "headimg: '/images/default/headimg.png'" in posts_in(tmp_path)[1].read_text()
    assert shipped.read_bytes() == shipped_image()
    assert shipped_image()[:8] == b"\x89PNG\r\n\x1a\n"
    mtime = shipped.stat().st_mtime_ns
    make_pipeline().process_item(post(id="3"))  # another run: the same bytes are not rewritten
    assert shipped.stat().st_mtime_ns == mtime
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_the_shipped_image_is_package_data():
    import fnmatch
    import tomllib

    from archiver.assets import SHIPPED_IMAGE_FILE

    root = Path(__file__).parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["archiver.assets"]
    assert any(fnmatch.fnmatch(SHIPPED_IMAGE_FILE, pattern) for pattern in patterns)
    assert (root / "archiver" / "assets" / SHIPPED_IMAGE_FILE).is_file()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": "lone \ud800 surrogate"}, "encoding"),
        ({"updated": 10**20}, "out_of_range"),
    ],
)
def test_a_post_that_cannot_be_rendered_is_counted_with_its_reason(make_pipeline, change, reason):
    pipeline = make_pipeline()
    with pytest.raises(DropItem, match=f"^{reason}: answer 1936787046304842491 "):
        pipeline.process_item(post(**change))
    assert pipeline.stats.get_value(f"archiver/failed/{reason}") == 1


def test_a_locked_index_is_a_counted_failure(make_pipeline, monkeypatch):
    pipeline = make_pipeline()

    def locked(*args):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(pipeline.writer, "write", locked)
    with pytest.raises(DropItem, match=r"index_failed: .*database is locked"):
        pipeline.process_item(post())
    assert pipeline.stats.get_value("archiver/failed/index_failed") == 1

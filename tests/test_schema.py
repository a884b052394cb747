"""The index's schema over the years: an index made by an earlier version comes up to date when
opened, step by step and once; one made by a newer version is left alone, said in one line."""

from __future__ import annotations

import sqlite3

import pytest

from archiver.archive import schema
from archiver.archive.index import ArchiveIndex, HotListRow, KeptVersion
from archiver.archive.schema import SCHEMA_VERSION, IndexTooNew, too_new
from tests.support.crawling import crawl


def version(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_each_step_runs_once_in_order_with_the_version_it_reaches(tmp_path, monkeypatch):
    path = tmp_path / "index.sqlite3"
    ArchiveIndex(path).close()
    assert version(path) == SCHEMA_VERSION
    steps = {
        **schema.MIGRATIONS,
        SCHEMA_VERSION + 1: "ALTER TABLE posts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh'",
        SCHEMA_VERSION
        + 2: "UPDATE posts SET lang = 'zh-CN'; CREATE INDEX posts_lang ON posts (lang)",
    }
    monkeypatch.setattr(schema, "MIGRATIONS", steps)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    ArchiveIndex(path).close()
    ArchiveIndex(path).close()  # a second opening runs nothing again (a column added twice fails)
    assert version(path) == SCHEMA_VERSION + 2
    with sqlite3.connect(path) as db:
        assert "lang" in {row[1] for row in db.execute("PRAGMA table_info(posts)")}


def test_a_failing_step_leaves_the_index_at_the_version_before(tmp_path, monkeypatch):
    path = tmp_path / "index.sqlite3"
    ArchiveIndex(path).close()
    steps = {**schema.MIGRATIONS, SCHEMA_VERSION + 1: "ALTER TABLE nowhere ADD COLUMN x TEXT"}
    monkeypatch.setattr(schema, "MIGRATIONS", steps)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        ArchiveIndex(path)
    assert version(path) == SCHEMA_VERSION


def test_an_index_of_a_newer_version_is_left_alone(tmp_path):
    path = tmp_path / "index.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert "made by a newer version of this tool" in (too_new(path) or "")
    with pytest.raises(IndexTooNew):
        ArchiveIndex(path)
    assert version(path) == SCHEMA_VERSION + 1
    assert too_new(tmp_path / "none") is None


def test_a_crawl_and_verify_refuse_a_newer_index_in_one_line_sending_nothing(tmp_path):
    index = tmp_path / ".archiver" / "index.sqlite3"
    index.parent.mkdir()
    with sqlite3.connect(index) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for command in (("crawl", "hotlist"), ("verify",)):
        run = crawl(tmp_path, command=command, in_subprocess=True)
        assert run.code == 2, run.log
        assert "made by a newer version of this tool" in run.log
        assert "Traceback" not in run.log
        assert run.server.seen == []
    assert version(index) == SCHEMA_VERSION + 1


def test_rows_come_back_as_named_records(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    index.record_hot_list("2026-12-07T00:00:00+00:00", [(1, "9", "问题", "1 万热度")])
    [row] = index.hot_list_of_question("9")
    assert row == HotListRow("2026-12-07T00:00:00+00:00", 1, "9", "问题", "1 万热度")
    assert index.versions("answer:1") == [] and isinstance(KeptVersion(1, b""), tuple)
    index.close()

"""Files on disk: never through a link, never hung on a pipe, and only our own leftovers swept."""

from __future__ import annotations

import os

import pytest

from archiver.archive import storage
from archiver.archive.index import ArchiveIndex
from archiver.archive.lock import ArchiveLock
from archiver.archive.storage import (
    TEMP_PREFIX,
    UnsafePath,
    atomic_write,
    inside,
    put_in_place,
    read_bytes,
    stage,
    sweep_temporaries,
)
from archiver.archive.writer import PostWriter
from tests.support.project import make_post


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    lock = tmp_path / "archive" / ".archiver" / "lock"
    lock.parent.mkdir(parents=True)
    lock.symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"), ArchiveLock(lock):
        pass
    assert victim.read_text() == "precious\n"


def test_a_lock_that_is_a_fifo_is_refused_at_once(tmp_path):
    lock = tmp_path / "lock"
    os.mkfifo(lock)
    with pytest.raises(UnsafePath, match="not a regular file"), ArchiveLock(lock):
        pass


def test_reading_a_fifo_or_a_link_is_refused_not_hung_on(tmp_path):
    fifo, link = tmp_path / "fifo.md", tmp_path / "link.md"
    os.mkfifo(fifo)
    link.symlink_to("/etc/hostname")
    for path in (fifo, link):
        with pytest.raises(UnsafePath):
            read_bytes(path)
    assert read_bytes(tmp_path / "absent.md") is None


def test_a_post_path_that_is_a_link_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive")
    writer = PostWriter(tmp_path / "archive", ArchiveIndex(tmp_path / "index.sqlite3"))
    post = make_post()
    target = tmp_path / "archive" / "_posts/社交媒体/知乎/知乎热榜/answer-1936787046304842491.md"
    target.parent.mkdir(parents=True)
    target.symlink_to(secret)
    with pytest.raises(UnsafePath):
        writer.write(post, b"post")
    assert secret.read_text() == "not for the archive" and target.is_symlink()


def test_temporary_files_carry_our_prefix_and_only_they_are_swept(tmp_path, monkeypatch):
    atomic_write(tmp_path / "a.md", b"a")
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
    ours = tmp_path / "sub" / f"{TEMP_PREFIX}a.md.x1y2.tmp"
    theirs = [tmp_path / ".draft.md.tmp", tmp_path / "sub" / ".backup.tmp"]
    for path in (ours, *theirs):
        path.parent.mkdir(exist_ok=True)
        path.write_text("x")
    assert sweep_temporaries(tmp_path) == 1
    assert not ours.exists() and all(p.exists() for p in theirs)


def test_an_interrupted_write_leaves_a_temporary_file_with_our_prefix(tmp_path, monkeypatch):
    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "a.md", b"a")
    assert list(tmp_path.iterdir()) == []  # cleaned up by the writer itself


def test_an_item_archived_under_a_former_id_keeps_its_path_and_versions(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    writer = PostWriter(tmp_path, index)
    old = make_post(kind="feed", id="1", url="https://a.example/1")
    _, path = writer.write(old, b"v1")
    writer.write(old, b"v2")
    new = make_post(kind="feed", id="https://a.example/rss 1", url=old.url, former_ids=("1",))
    other_feed = make_post(kind="feed", id="https://b.example/rss 1", url="https://b.example/1")
    other_feed.former_ids = ("1",)
    assert writer.known(other_feed) is None  # guid 1 of another feed is another item
    assert writer.write(new, b"v3") == ("updated", path)
    assert index.get("feed:1") is None and index.get("feed:https://a.example/rss 1").path == path
    assert [text for _, text in index.versions("feed:https://a.example/rss 1")] == [b"v1", b"v2"]


def test_a_version_is_not_kept_twice(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    writer = PostWriter(tmp_path, index)
    post = make_post()
    for text in (b"a", b"b", b"a", b"b"):
        (tmp_path / writer.write(post, b"x")[1]).write_bytes(text)
    assert [t for _, t in index.versions("answer:1936787046304842491")] == [b"a", b"b", b"a"]


def test_staged_posts_are_in_place_and_recorded_only_once_flushed(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    writer = PostWriter(tmp_path, index)
    posts = [make_post(id=str(n)) for n in range(3)]
    paths = [writer.write(post, b"old")[1] for post in posts]
    old_hash = index.get("answer:0").content_hash
    writer.rerendering()
    assert writer.write(posts[0], b"old") == ("unchanged", paths[0])
    assert writer.write(posts[1], b"new") == ("updated", paths[1])
    assert writer.write(posts[2], b"new") == ("updated", paths[2])
    # Not in place yet: the files and their index rows are the old ones, the new bytes wait
    # in our temporary files (which a killed run leaves for the sweep).
    assert all((tmp_path / p).read_bytes() == b"old" for p in paths)
    assert index.get("answer:1").content_hash == old_hash
    assert len(list(tmp_path.rglob(f"{TEMP_PREFIX}*"))) == 2
    (tmp_path / paths[2]).unlink()
    (tmp_path / paths[2]).mkdir()  # a folder where the post was: it cannot be replaced
    [(failed, error)] = writer.flush()
    assert failed == paths[2] and isinstance(error, OSError)
    assert (tmp_path / paths[1]).read_bytes() == b"new"
    assert index.get("answer:1").content_hash != old_hash
    assert index.get("answer:2").content_hash == old_hash  # left as it was
    assert not list(tmp_path.rglob(f"{TEMP_PREFIX}*"))
    assert index.versions("answer:1") == []  # rendered again: no edit of Zhihu's to keep
    assert writer.flush() == []


def test_rendering_again_keeps_when_an_item_was_seen_and_keeps_only_edits(tmp_path):
    index = ArchiveIndex(tmp_path / "index.sqlite3")
    writer = PostWriter(tmp_path, index)
    post, edited = make_post(id="1"), make_post(id="2")
    for item in (post, edited):
        writer.write(item, b"as crawled")
    index.db.execute("UPDATE posts SET last_seen = '2026-01-01T00:00:00+00:00'")
    index.db.commit()
    before = index.get("answer:1")
    writer.rerendering()
    assert writer.plan(post, b"as crawled") == ("unchanged", None)
    state, entry = writer.plan(post, b"today")  # a worker may replace it, then say so
    assert state == "replace" and entry.content_hash != before.content_hash
    assert writer.write(post, b"as crawled") == ("unchanged", before.path)
    assert index.get("answer:1") == before  # not even its last_seen
    edited.updated += 60  # a later capture holds Zhihu's edit
    assert writer.plan(edited, b"today") == ("write", None)  # its version is kept by `write`
    for item in (post, edited):
        writer.write(item, b"today")
    assert writer.flush() == []
    after = index.get("answer:1")
    assert after.content_hash != before.content_hash
    assert (after.first_seen, after.last_seen) == (before.first_seen, before.last_seen)
    assert index.versions("answer:1") == []
    assert [text for _, text in index.versions("answer:2")] == [b"as crawled"]
    # An index row that does not match the file it names is recorded again.
    index.db.execute("UPDATE posts SET content_hash = 'stale' WHERE key = 'answer:1'")
    index.db.commit()
    assert writer.plan(post, b"today") == ("write", None)
    assert writer.write(post, b"today") == ("unchanged", before.path)
    assert index.get("answer:1").content_hash == after.content_hash


def test_put_in_place_without_syncfs_syncs_each_file(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(storage, "_sync_file_systems", lambda paths: False)
    monkeypatch.setattr(storage, "_fsync", synced.append)
    staged = [(stage(tmp_path / name, name.encode()), tmp_path / name) for name in ("a", "b")]
    assert put_in_place(staged) == []
    assert synced == [tmp for tmp, _ in staged]
    assert [(tmp_path / name).read_bytes() for name in ("a", "b")] == [b"a", b"b"]


@pytest.mark.parametrize(
    ("relpath", "why"),
    [
        ("../PWNED-post.md", "not a plain path inside the archive"),
        ("_posts/../../x.md", "not a plain path inside the archive"),
        ("/etc/cron.d/x", "not a plain path inside the archive"),
        ("", "not a plain path inside the archive"),
        (".", "not a plain path inside the archive"),
        ("images\\..\\..\\x", "not a plain path inside the archive"),
        ("images/a\x00.jpg", "not a plain path inside the archive"),
        ("linked/x.md", "a symbolic link on the way"),
        ("_posts/link.md", "a symbolic link on the way"),
    ],
)
def test_a_path_from_the_index_that_leads_elsewhere_is_refused(tmp_path, relpath, why):
    root = tmp_path / "archive"
    (root / "_posts").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (root / "_posts" / "link.md").symlink_to(tmp_path / "elsewhere" / "x.md")
    with pytest.raises(UnsafePath, match=why):
        inside(root, relpath)


def test_a_plain_path_inside_is_the_archives_even_when_the_archive_itself_is_a_link(tmp_path):
    (tmp_path / "disk" / "_posts").mkdir(parents=True)
    root = tmp_path / "source"
    root.symlink_to(tmp_path / "disk", target_is_directory=True)  # ARCHIVE_DIR on another disk
    assert inside(root, "_posts/a/b.md") == root / "_posts" / "a" / "b.md"  # not made yet
    assert inside(root, "./_posts//c.md") == root / "_posts" / "c.md"

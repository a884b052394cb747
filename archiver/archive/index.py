"""The archive's SQLite index: what was archived, where, and when it was first and last seen."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.items import StoredFigure

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    key           TEXT PRIMARY KEY,      -- "<kind>:<id>", e.g. "answer:1936787046304842491"
    kind          TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    url           TEXT NOT NULL,
    question_id   TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    path          TEXT NOT NULL UNIQUE,  -- relative to the archive; one file per item, ever
    updated_time  INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,         -- sha256 of the post file's bytes
    first_seen    TEXT NOT NULL,
    last_seen     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (    -- what an edit replaced, oldest first
    key           TEXT NOT NULL,
    path          TEXT NOT NULL,
    updated_time  INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    text          BLOB NOT NULL,         -- the replaced post file, byte for byte
    replaced_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_key ON versions (key);
CREATE TABLE IF NOT EXISTS hotlist (      -- every hot list seen, entry by entry
    fetched_at    TEXT NOT NULL,         -- UTC, ISO 8601
    rank          INTEGER NOT NULL,
    question_id   TEXT NOT NULL,
    title         TEXT NOT NULL,
    heat          TEXT NOT NULL,         -- as shown, e.g. "1233 万热度"
    PRIMARY KEY (fetched_at, rank)
);
CREATE INDEX IF NOT EXISTS hotlist_question ON hotlist (question_id);
CREATE TABLE IF NOT EXISTS figures (
    key           TEXT PRIMARY KEY,      -- e.g. "zhimg/v2-<hash>.jpg": one file per figure;
                                         -- "video/<lens id>.mp4": a video file (no thumbnails)
    url           TEXT NOT NULL,         -- where it was downloaded from
    path          TEXT NOT NULL,         -- the original bytes, relative to the archive
    sha256        TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    thumbnails    TEXT NOT NULL,         -- JSON: {"400x300": "images/thumbs/400x300/..."}
    first_seen    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (   -- an answer's root comments (ZHIHU_COMMENTS), as captured
    key           TEXT PRIMARY KEY,      -- the post's key, as in posts
    updated_time  INTEGER NOT NULL,      -- the version of the answer they were captured with
    comments      TEXT NOT NULL,         -- JSON: [{"id", "author", "url_token", "created", ...}]
    captured_at   TEXT NOT NULL          -- UTC, ISO 8601
);
CREATE TABLE IF NOT EXISTS figure_failures (  -- figures that failed, retried with backoff
    key           TEXT PRIMARY KEY,      -- the figure key, as in figures
    url           TEXT NOT NULL,         -- the URL that failed
    reason        TEXT NOT NULL,         -- the last failure's reason, e.g. "truncated"
    failures      INTEGER NOT NULL,      -- how many runs it failed in a row
    last_failed   TEXT NOT NULL          -- UTC, ISO 8601
);
CREATE TABLE IF NOT EXISTS checks (      -- `recheck`: the last time each item was asked again
    key           TEXT PRIMARY KEY,      -- the post's key, as in posts
    checked_at    TEXT NOT NULL,         -- when Zhihu answered, UTC, ISO 8601
    state         TEXT NOT NULL,         -- archiver.zhihu.gone.CLASSES: unchanged, gone, ...
    status        INTEGER NOT NULL,      -- the evidence: HTTP status,
    code          TEXT NOT NULL,         -- Zhihu's error code or the deciding field,
    message       TEXT NOT NULL          -- and what Zhihu said
);
CREATE TABLE IF NOT EXISTS vanished (    -- items gone from Zhihu after they were archived
    key           TEXT NOT NULL,         -- the post's key, as in posts (one row per going)
    state         TEXT NOT NULL,         -- gone | hidden | question_gone | author_gone
    noticed_at    TEXT NOT NULL,         -- first noticed so, UTC, ISO 8601
    status        INTEGER NOT NULL,      -- the evidence, as in checks,
    code          TEXT NOT NULL,
    message       TEXT NOT NULL,
    warc_file     TEXT NOT NULL,         -- and the response in the WARC files
    warc_record   TEXT NOT NULL,         -- its WARC-Record-ID
    author        TEXT NOT NULL,         -- as the kept post names it
    ended_at      TEXT NOT NULL DEFAULT '',  -- '' while it lasts; when it ended,
    ended_as      TEXT NOT NULL DEFAULT ''   -- and how: "back", or the state that followed
);
CREATE INDEX IF NOT EXISTS vanished_key ON vanished (key);
CREATE TABLE IF NOT EXISTS check_sources (  -- items `recheck` archived again (edited)
    key           TEXT PRIMARY KEY,      -- the post's key, as in posts
    warc_file     TEXT NOT NULL          -- the WARC file of the response it archived
);
"""
# The schema's version (PRAGMA user_version). Every table is made if missing when an index is
# opened, so an archive made by an older version gains the new ones; 0: made before versions.
SCHEMA_VERSION = 1


# Keys asked about in one query: well below SQLite's limit of variables in a statement.
_KEYS_AT_ONCE = 500
_FIGURE_COLUMNS = "key, url, path, sha256, width, height, thumbnails"


def _stored_figure(row: tuple[Any, ...]) -> StoredFigure:
    """A figures row (_FIGURE_COLUMNS) as the item it records."""
    return StoredFigure(*row[:6], json.loads(row[6]))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class IndexEntry:
    key: str
    kind: str
    item_id: str
    url: str
    question_id: str
    title: str
    path: str
    updated_time: int
    content_hash: str
    first_seen: str = ""
    last_seen: str = ""


@dataclass(frozen=True)
class FigureFailure:
    key: str
    url: str
    reason: str
    failures: int
    last_failed: str


class DamagedRow(ValueError):
    """A row larger than the index's read limit: not read (a tampered or damaged index)."""


class ArchiveIndex:
    def __init__(
        self, path: Path, *, read_only: bool = False, max_read: int = DEFAULT_MAX_READ
    ) -> None:
        self.path = path
        # ARCHIVE_MAX_READ_SIZE: no row that holds a file (a version, comments) is read past it.
        self.max_read = max_read
        if read_only:  # a reader beside the process that writes (rerender's workers)
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        # WAL: a reader (or a killed writer) never sees a half-applied transaction.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        if self.db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.commit()

    def sync_at_checkpoints(self) -> None:
        """Commit without waiting for the disk each time (for a command writing thousands of
        rows, a sync per commit is most of its time). With WAL this stays consistent, and a
        killed process loses nothing; a power cut may lose the commits since the last
        checkpoint (the log is synced at each, and at close), never leave half of one."""
        self.db.execute("PRAGMA synchronous=NORMAL")

    def get(self, key: str) -> IndexEntry | None:
        row = self.db.execute(
            f"SELECT {', '.join(IndexEntry.__dataclass_fields__)} FROM posts WHERE key = ?", (key,)
        ).fetchone()
        return IndexEntry(*row) if row else None

    def record(self, entry: IndexEntry, now: str) -> None:
        """Insert or update an entry; `first_seen` is kept from the first time."""
        self.record_many([entry], now)

    def record_many(self, entries: list[IndexEntry], now: str, *, seen: bool = True) -> None:
        """`record` each, in one transaction; with `seen` False an entry already there keeps
        its `last_seen` (a post rendered again from its capture was not seen on Zhihu)."""
        last_seen = ", last_seen = excluded.last_seen" if seen else ""
        with self.db:
            self.db.executemany(
                f"""
                INSERT INTO posts (key, kind, item_id, url, question_id, title, path,
                                   updated_time, content_hash, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET
                    url = excluded.url, question_id = excluded.question_id,
                    title = excluded.title, updated_time = excluded.updated_time,
                    content_hash = excluded.content_hash{last_seen}
                """,
                [
                    (
                        entry.key,
                        entry.kind,
                        entry.item_id,
                        entry.url,
                        entry.question_id,
                        entry.title,
                        entry.path,
                        entry.updated_time,
                        entry.content_hash,
                        now,
                        now,
                    )
                    for entry in entries
                ],
            )

    def rename(self, old: str, new: str) -> None:
        """An item's key changes (a newer scheme of ids); its path and versions stay its own."""
        with self.db:
            self.db.execute("UPDATE posts SET key = ? WHERE key = ?", (new, old))
            self.db.execute("UPDATE versions SET key = ? WHERE key = ?", (new, old))

    def keep_version(self, replaced: IndexEntry, text: bytes, now: str) -> None:
        """Keep the text an edit replaces, unless it is the version kept last (no repeats)."""
        last = self.db.execute(
            "SELECT content_hash FROM versions WHERE key = ? ORDER BY rowid DESC LIMIT 1",
            (replaced.key,),
        ).fetchone()
        if last is not None and last[0] == hashlib.sha256(text).hexdigest():
            return
        with self.db:
            self.db.execute(
                "INSERT INTO versions (key, path, updated_time, content_hash, text, replaced_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    replaced.key,
                    replaced.path,
                    replaced.updated_time,
                    hashlib.sha256(text).hexdigest(),
                    text,
                    now,
                ),
            )

    def versions(self, key: str) -> list[tuple[int, bytes]]:
        """(updated_time, post bytes) of the versions an item's edits replaced, oldest first;
        one larger than the read limit is left out (it is no post this tool wrote)."""
        return self.db.execute(
            "SELECT updated_time, text FROM versions WHERE key = ?"
            " AND length(text) <= ? ORDER BY rowid",  # bytes, known without reading them
            (key, self.max_read),
        ).fetchall()

    def record_hot_list(self, fetched_at: str, entries: list[tuple[int, str, str, str]]) -> None:
        """One hot list: (rank, question id, title, heat) for each entry."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO hotlist (fetched_at, rank, question_id, title, heat)"
                " VALUES (?, ?, ?, ?, ?)",
                [(fetched_at, *entry) for entry in entries],
            )

    def hot_list_between(self, start: str, end: str) -> list[tuple[str, int, str, str, str]]:
        """Entries fetched in [start, end): (fetched_at, rank, question id, title, heat)."""
        return self.db.execute(
            "SELECT fetched_at, rank, question_id, title, heat FROM hotlist"
            " WHERE fetched_at >= ? AND fetched_at < ? ORDER BY fetched_at, rank",
            (start, end),
        ).fetchall()

    def hot_list_of_question(self, question_id: str) -> list[tuple[str, int, str, str, str]]:
        """Every entry of one question, oldest first, as hot_list_between gives them."""
        return self.db.execute(
            "SELECT fetched_at, rank, question_id, title, heat FROM hotlist"
            " WHERE question_id = ? ORDER BY fetched_at, rank",
            (question_id,),
        ).fetchall()

    def hot_list_times_between(self, start: str, end: str) -> list[str]:
        """When hot lists were recorded in [start, end), oldest first."""
        rows = self.db.execute(
            "SELECT DISTINCT fetched_at FROM hotlist WHERE fetched_at >= ? AND fetched_at < ?"
            " ORDER BY fetched_at",
            (start, end),
        ).fetchall()
        return [row[0] for row in rows]

    def entries(self) -> list[IndexEntry]:
        """Every archived item, by key."""
        rows = self.db.execute(
            f"SELECT {', '.join(IndexEntry.__dataclass_fields__)} FROM posts ORDER BY key"
        ).fetchall()
        return [IndexEntry(*row) for row in rows]

    def figures(self) -> list[StoredFigure]:
        """Every stored figure, by key."""
        rows = self.db.execute(f"SELECT {_FIGURE_COLUMNS} FROM figures ORDER BY key").fetchall()
        return [_stored_figure(row) for row in rows]

    def posts_of_question(self, question_id: str) -> list[IndexEntry]:
        rows = self.db.execute(
            f"SELECT {', '.join(IndexEntry.__dataclass_fields__)} FROM posts"
            " WHERE question_id = ? ORDER BY key",
            (question_id,),
        ).fetchall()
        return [IndexEntry(*row) for row in rows]

    def figure(self, key: str) -> StoredFigure | None:
        return self.figures_of([key]).get(key)

    def figures_of(self, keys: list[str]) -> dict[str, StoredFigure]:
        """The stored figures among these keys, by key (one query for a post's figures)."""
        found: dict[str, StoredFigure] = {}
        for start in range(0, len(keys), _KEYS_AT_ONCE):
            chunk = keys[start : start + _KEYS_AT_ONCE]
            rows = self.db.execute(
                f"SELECT {_FIGURE_COLUMNS} FROM figures"
                f" WHERE key IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found |= {row[0]: _stored_figure(row) for row in rows}
        return found

    def record_figure(self, figure: StoredFigure, now: str) -> None:
        with self.db:
            self.db.execute(
                """
                INSERT INTO figures (key, url, path, sha256, width, height, thumbnails, first_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET
                    url = excluded.url, path = excluded.path, sha256 = excluded.sha256,
                    width = excluded.width, height = excluded.height,
                    thumbnails = excluded.thumbnails
                """,
                (
                    figure.key,
                    figure.url,
                    figure.path,
                    figure.sha256,
                    figure.width,
                    figure.height,
                    json.dumps(figure.thumbnails, sort_keys=True),
                    now,
                ),
            )

    def figure_failure(self, key: str) -> FigureFailure | None:
        row = self.db.execute(
            f"SELECT {', '.join(FigureFailure.__dataclass_fields__)} FROM figure_failures"
            " WHERE key = ?",
            (key,),
        ).fetchone()
        return FigureFailure(*row) if row else None

    def record_figure_failure(self, key: str, url: str, reason: str, now: str) -> None:
        """One more failure of a figure: the count grows, the reason and time are the last."""
        with self.db:
            self.db.execute(
                """
                INSERT INTO figure_failures (key, url, reason, failures, last_failed)
                VALUES (?, ?, ?, 1, ?)
                ON CONFLICT(key) DO UPDATE SET
                    url = excluded.url, reason = excluded.reason,
                    failures = failures + 1, last_failed = excluded.last_failed
                """,
                (key, url, reason, now),
            )

    def forget_figure_failure(self, key: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM figure_failures WHERE key = ?", (key,))

    def has_comments(self) -> bool:
        """Whether any item's comments are kept (most archives keep none: ZHIHU_COMMENTS)."""
        return self.db.execute("SELECT 1 FROM comments LIMIT 1").fetchone() is not None

    def comments(self, key: str) -> tuple[int, str] | None:
        """(the answer's updated_time they were captured with, their JSON), or None;
        DamagedRow for a row larger than the read limit."""
        row = self.db.execute(
            "SELECT updated_time, CASE WHEN length(CAST(comments AS BLOB)) <= ? THEN comments END"
            " FROM comments WHERE key = ?",
            (self.max_read, key),
        ).fetchone()
        if row is None:
            return None
        if row[1] is None:
            raise DamagedRow(f"the comments of {key} hold more than {self.max_read} bytes")
        return row[0], row[1]

    def record_comments(self, key: str, updated_time: int, comments: str, now: str) -> None:
        """The comments captured with this version of an item, replacing the ones before."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO comments (key, updated_time, comments, captured_at)"
                " VALUES (?, ?, ?, ?)",
                (key, updated_time, comments, now),
            )

    def close(self) -> None:
        self.db.close()

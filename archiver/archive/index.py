"""The archive's SQLite index: what was archived, where, and when it was first and last seen."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from archiver.archive.schema import migrate
from archiver.archive.storage import DEFAULT_MAX_READ
from archiver.items import StoredFigure

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
class HotListRow:
    """One entry of a recorded hot list."""

    fetched_at: str  # UTC, ISO 8601: when the list was fetched
    rank: int
    question_id: str
    title: str
    heat: str  # as shown, e.g. "1233 万热度"


class KeptVersion(NamedTuple):
    """What an edit replaced: the post file as it was, and the item's updated_time then."""

    updated_time: int
    text: bytes


class KeptComments(NamedTuple):
    """An item's root comments as captured, and the item's updated_time they go with."""

    updated_time: int
    json: str


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
        migrate(self.db)

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

    def versions(self, key: str) -> list[KeptVersion]:
        """(updated_time, post bytes) of the versions an item's edits replaced, oldest first;
        one larger than the read limit is left out (it is no post this tool wrote)."""
        rows = self.db.execute(
            "SELECT updated_time, text FROM versions WHERE key = ?"
            " AND length(text) <= ? ORDER BY rowid",  # bytes, known without reading them
            (key, self.max_read),
        ).fetchall()
        return [KeptVersion(*row) for row in rows]

    def record_hot_list(self, fetched_at: str, entries: list[tuple[int, str, str, str]]) -> None:
        """One hot list: (rank, question id, title, heat) for each entry."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO hotlist (fetched_at, rank, question_id, title, heat)"
                " VALUES (?, ?, ?, ?, ?)",
                [(fetched_at, *entry) for entry in entries],
            )

    def hot_list_between(self, start: str, end: str) -> list[HotListRow]:
        """Entries fetched in [start, end), by time and rank."""
        rows = self.db.execute(
            "SELECT fetched_at, rank, question_id, title, heat FROM hotlist"
            " WHERE fetched_at >= ? AND fetched_at < ? ORDER BY fetched_at, rank",
            (start, end),
        ).fetchall()
        return [HotListRow(*row) for row in rows]

    def hot_list_of_question(self, question_id: str) -> list[HotListRow]:
        """Every entry of one question, oldest first."""
        rows = self.db.execute(
            "SELECT fetched_at, rank, question_id, title, heat FROM hotlist"
            " WHERE question_id = ? ORDER BY fetched_at, rank",
            (question_id,),
        ).fetchall()
        return [HotListRow(*row) for row in rows]

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

    def comments(self, key: str) -> KeptComments | None:
        """The item's comments as captured, or None; DamagedRow for a row larger than the read
        limit."""
        row = self.db.execute(
            "SELECT updated_time, CASE WHEN length(CAST(comments AS BLOB)) <= ? THEN comments END"
            " FROM comments WHERE key = ?",
            (self.max_read, key),
        ).fetchone()
        if row is None:
            return None
        if row[1] is None:
            raise DamagedRow(f"the comments of {key} hold more than {self.max_read} bytes")
        return KeptComments(*row)

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

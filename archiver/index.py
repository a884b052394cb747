"""The archive's SQLite index: what was archived, where, and when it was first and last seen."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

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
"""


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


class ArchiveIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        # WAL: a reader (or a killed writer) never sees a half-applied transaction.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.db.commit()

    def get(self, key: str) -> IndexEntry | None:
        row = self.db.execute(
            f"SELECT {', '.join(IndexEntry.__dataclass_fields__)} FROM posts WHERE key = ?", (key,)
        ).fetchone()
        return IndexEntry(*row) if row else None

    def record(self, entry: IndexEntry, now: str) -> None:
        """Insert or update an entry; `first_seen` is kept from the first time."""
        with self.db:
            self.db.execute(
                """
                INSERT INTO posts (key, kind, item_id, url, question_id, title, path,
                                   updated_time, content_hash, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET
                    url = excluded.url, question_id = excluded.question_id,
                    title = excluded.title, updated_time = excluded.updated_time,
                    content_hash = excluded.content_hash, last_seen = excluded.last_seen
                """,
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
                ),
            )

    def close(self) -> None:
        self.db.close()

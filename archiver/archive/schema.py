"""The index's tables, and how an index made by an earlier version comes up to date.

Archives live for years and are opened by every later version of this tool. The schema carries
a version (`PRAGMA user_version`); opening an index brings it to SCHEMA_VERSION: every table and
index missing is made (a new table needs nothing more), then each MIGRATIONS step after the
index's version runs in order, in the same transaction as the version it sets. An index of a
version this tool does not know yet (a newer tool wrote it) is not touched: IndexTooNew.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

TABLES = """
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

# Each step brings an index from the version before it to its own: what CREATE ... IF NOT EXISTS
# cannot do (a column added to a table, rows moved). "" for a step that only added tables.
MIGRATIONS: dict[int, str] = {
    1: "",  # checks, vanished, check_sources: `recheck`'s record of what vanished from Zhihu
}
SCHEMA_VERSION = max(MIGRATIONS)


class IndexTooNew(sqlite3.DatabaseError):
    """An index a newer version of this tool wrote: this one leaves it alone."""


def too_new(path: Path) -> str | None:
    """Why this version must leave the index at `path` alone (None: it may open it, or there is
    none yet); asked before a command starts, so the answer is one line and nothing is sent."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = version_of(db)
        finally:
            db.close()
    except sqlite3.Error:
        return None  # no index this tool can read: said where it is opened (verify says how)
    if found <= SCHEMA_VERSION:
        return None
    return (
        f"the index {path} is of schema {found}, made by a newer version of this tool (this one "
        f"knows up to {SCHEMA_VERSION}): update the tool before using this archive"
    )


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> None:
    """Bring the index open in `db` to SCHEMA_VERSION (see the module's docstring)."""
    found = version_of(db)
    if found > SCHEMA_VERSION:
        raise IndexTooNew(
            f"the index is of schema {found}, made by a newer version of this tool (this one "
            f"knows up to {SCHEMA_VERSION})"
        )
    db.executescript(TABLES)
    with db:  # each step and the version it reaches: all or nothing
        for step in range(found + 1, SCHEMA_VERSION + 1):
            for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step}")

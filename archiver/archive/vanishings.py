"""The index's record of `recheck`: when each archived item was last asked again (table
`checks`), and the items found gone from Zhihu since they were archived, with what Zhihu said
(table `vanished`: one row per going, the date first noticed, and when and how it ended)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from archiver.archive.index import ArchiveIndex, IndexEntry
from archiver.items import Checked
from archiver.post.vanished import Note
from archiver.zhihu.gone import THERE, VANISHED
from archiver.zhihu.kinds import ITEMS

# The kinds of item Zhihu may take away and `recheck` asks about again.
RECHECKED_KINDS = tuple(kind.name for kind in ITEMS.values() if kind.rechecked)
_ENTRY = ", ".join(f"p.{name}" for name in IndexEntry.__dataclass_fields__)


@dataclass(frozen=True)
class Due:
    """An archived item to ask about, and when it was last asked ("": never)."""

    entry: IndexEntry
    checked_at: str = ""


@dataclass(frozen=True)
class Vanishing:
    """One going of an item, as the table `vanished` keeps it."""

    key: str
    state: str  # gone | hidden | question_gone | author_gone
    noticed_at: str  # UTC, ISO 8601
    status: int
    code: str
    message: str
    warc_file: str
    warc_record: str
    author: str  # as the kept post names it
    ended_at: str = ""  # "" while it lasts
    ended_as: str = ""  # "back", or the state that followed


_VANISHING = ", ".join(f"v.{f.name}" for f in fields(Vanishing))


@dataclass(frozen=True)
class Change:
    """What recording a check changed: a going `new`ly noticed, one `changed` into another (the
    row opened), or one that ended as the item came `back` (the row closed)."""

    how: str
    vanishing: Vanishing


class CheckLog:
    """The two tables, over an open index."""

    def __init__(self, index: ArchiveIndex) -> None:
        self.db = index.db

    def due(self, limit: int, since: str = "") -> list[Due]:
        """The items to ask about next: never asked first, then the longest unasked; among
        equals the longest archived. `since`: only items archived at or after it (UTC)."""
        kinds = ", ".join("?" * len(RECHECKED_KINDS))
        rows = self.db.execute(
            f"SELECT {_ENTRY}, coalesce(c.checked_at, '') FROM posts p"
            " LEFT JOIN checks c ON c.key = p.key"
            f" WHERE p.kind IN ({kinds}) AND p.first_seen >= ?"
            " ORDER BY c.checked_at IS NOT NULL, c.checked_at, p.first_seen, p.key LIMIT ?",
            (*RECHECKED_KINDS, since, limit),
        ).fetchall()
        return [Due(IndexEntry(*row[:-1]), row[-1]) for row in rows]

    def current(self, key: str) -> Vanishing | None:
        """The item's going that lasts, if any."""
        row = self.db.execute(
            f"SELECT {_VANISHING} FROM vanished v WHERE v.key = ? AND v.ended_at = ''"
            " ORDER BY v.rowid DESC LIMIT 1",
            (key,),
        ).fetchone()
        return Vanishing(*row) if row else None

    def lasting(self) -> dict[str, Vanishing]:
        """Every going that lasts, by key (a few: one query instead of one per post)."""
        rows = self.db.execute(
            f"SELECT {_VANISHING} FROM vanished v WHERE v.ended_at = '' ORDER BY v.rowid"
        ).fetchall()
        return {row[0]: Vanishing(*row) for row in rows}

    def sources(self) -> dict[str, str]:
        """The items a recheck archived again, and the WARC file of each one's response: what
        rerender reads them from (a recheck's other captures are evidence, not sources)."""
        return dict(self.db.execute("SELECT key, warc_file FROM check_sources").fetchall())

    def record_sources(self, sources: Mapping[str, str]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO check_sources (key, warc_file) VALUES (?, ?)",
                sorted(sources.items()),
            )

    def record(self, checks: Iterable[Checked], authors: Mapping[str, str]) -> list[Change]:
        """The checks of a run, in one transaction: each item's last check, and its goings.

        A going already recorded keeps the date it was first noticed; one of another kind ends
        it and starts anew; an item that is there again ends it as `back`. An "unknown" changes
        no going. `authors`: the kept post's author of each item found gone.
        """
        changes: list[Change] = []
        with self.db:
            for check in sorted(checks, key=lambda c: (c.checked_at, c.key)):
                self._last_check(check)
                changes += self._going(check, authors.get(check.key, ""))
        return changes

    def _last_check(self, check: Checked) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO checks (key, checked_at, state, status, code, message)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (check.key, check.checked_at, check.state, check.status, check.code, check.message),
        )

    def _going(self, check: Checked, author: str) -> list[Change]:
        lasting = self.current(check.key)
        if check.state in VANISHED:
            if lasting is not None and lasting.state == check.state:
                return []  # still so: first noticed as it was
            changes = [] if lasting is None else [self._end(lasting, check, check.state)]
            opened = Vanishing(
                check.key,
                check.state,
                check.checked_at,
                check.status,
                check.code,
                check.message,
                check.warc_file,
                check.warc_record,
                author,
            )
            self.db.execute(
                f"INSERT INTO vanished ({_VANISHING.replace('v.', '')})"
                f" VALUES ({', '.join('?' * len(fields(Vanishing)))})",
                tuple(getattr(opened, f.name) for f in fields(Vanishing)),
            )
            return [*changes, Change("changed" if lasting else "new", opened)]
        if check.state in THERE and lasting is not None:
            return [self._end(lasting, check, "back")]
        return []

    def _end(self, lasting: Vanishing, check: Checked, how: str) -> Change:
        self.db.execute(
            "UPDATE vanished SET ended_at = ?, ended_as = ? WHERE key = ? AND ended_at = ''",
            (check.checked_at, how, lasting.key),
        )
        ended = replace(lasting, ended_at=check.checked_at, ended_as=how)
        return Change("back" if how == "back" else "ended", ended)

    def noticed_between(self, start: str, end: str) -> list[tuple[Vanishing, IndexEntry]]:
        """The goings first noticed in [start, end) (UTC), with their items, oldest first."""
        return self._with_entries("v.noticed_at >= ? AND v.noticed_at < ?", (start, end))

    def of_question(self, question_id: str) -> list[tuple[Vanishing, IndexEntry]]:
        """The goings of a question's archived answers, oldest first."""
        return self._with_entries("p.question_id = ?", (question_id,))

    def _with_entries(
        self, where: str, args: tuple[str, ...]
    ) -> list[tuple[Vanishing, IndexEntry]]:
        rows = self.db.execute(
            f"SELECT {_VANISHING}, {_ENTRY} FROM vanished v JOIN posts p ON p.key = v.key"
            f" WHERE {where} ORDER BY v.noticed_at, v.key, v.rowid",
            args,
        ).fetchall()
        width = len(fields(Vanishing))
        return [(Vanishing(*row[:width]), IndexEntry(*row[width:])) for row in rows]


def note_of(vanishing: Vanishing, entry: IndexEntry, zone: ZoneInfo) -> Note:
    """The note of a vanished post (its days in `zone`)."""
    return Note(
        vanishing.state,
        entry.kind,
        _day(vanishing.noticed_at, zone),
        _day(entry.first_seen or vanishing.noticed_at, zone),
        vanishing.status,
        vanishing.code,
        vanishing.message,
    )


def _day(moment: str, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(moment).astimezone(zone).date()

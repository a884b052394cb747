"""`scrapy recheck` (or `scrapy crawl recheck`): ask Zhihu again about archived items, the longest
unchecked first, and say what became of each: unchanged, edited (archived again), or gone and
how (archiver/zhihu/gone.py). What it finds is recorded by RecheckPipeline."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archiver import stats as keys
from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import Layout
from archiver.archive.vanishings import CheckLog, Due
from archiver.config import Check, whole_number
from archiver.items import Checked
from archiver.post.paths import categories_of
from archiver.spiders.archive import ArchiveSpider
from archiver.spiders.base import CALL, response_time
from archiver.webarchive.middleware import WARC_RECORD
from archiver.zhihu.gone import Archived, Served, Verdict, judge, with_question
from archiver.zhihu.kinds import ITEMS
from archiver.zhihu.schema import Asked, Call, Fallback, with_included
from archiver.zhihu.targets import Target

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

DEFAULT_LIMIT = 300  # items a run asks about: a few hundred, at the crawl's pace
DUE = "archiver_due"  # request meta: the archived item a request checks
ANSWER = "archiver_answer_verdict"  # request meta: a gone answer's verdict, its question asked
# What a check wants to see itself rather than as a failed request (deleted content).
_HANDLED = [404, 410]
Seen = tuple[str, str, str]  # a response's time (UTC, ISO 8601), WARC file and record id


def due_items(settings: BaseSettings, limit: int, since_days: int | None = None) -> list[Due]:
    """The archived items a run asks about, the longest unchecked first (the index's record)."""
    since = ""
    if since_days is not None:
        since = (datetime.now(UTC) - timedelta(days=since_days)).isoformat(timespec="seconds")
    index = ArchiveIndex(Layout.of(settings).index)
    try:
        return CheckLog(index).due(limit, since)
    finally:
        index.close()


def target_of(due: Due) -> Target:
    """The archived item as `archive URL` would name it: its endpoint, parser and Referer."""
    entry = due.entry
    return Target(entry.kind, entry.item_id, entry.url, question_id=entry.question_id)


class RecheckSpider(ArchiveSpider):
    name = "recheck"
    carried_meta = (*ArchiveSpider.carried_meta, DUE, "handle_httpstatus_list")
    strict = False
    checks = True  # RunSummary: the checks are what the run is for
    records_checks = True  # RecheckPipeline records what the checks found
    # Asked logged in, as a reader is: a guest gets answers cut short, which say nothing.
    zhihu_cookies = ("z_c0", "d_c0")
    arguments: ClassVar[dict[str, Check]] = {
        "limit": whole_number(1),
        "since": whole_number(1),
    }

    def __init__(self, limit: str = "", since: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_limit = int(limit) if limit else DEFAULT_LIMIT
        self.since_days = int(since) if since else None

    async def start(self) -> AsyncIterator[Request]:
        due = due_items(self.settings, self.check_limit, self.since_days)
        self.logger.info("Rechecking %d archived item(s), the longest unchecked first", len(due))
        for item in due:
            yield self.check_request(item)

    def check_request(self, due: Due) -> Request:
        """The request `archive URL` makes for the item, its answer handed to the check; an
        answer is asked for the fields that say whether it is hidden or folded too."""
        request = self.target_request(target_of(due))
        if fields := ITEMS[due.entry.kind].state_fields:
            request = request.replace(url=with_included(request.url, fields))
        return self._checking(request, due)

    def _checking(self, request: Request, due: Due) -> Request:
        meta = {**request.meta, DUE: due, "handle_httpstatus_list": _HANDLED}
        return request.replace(
            callback=self.parse_check, errback=self.check_failed, meta=meta, dont_filter=True
        )

    def parse_check(self, response: Response) -> Iterator[Any]:
        due: Due = response.meta[DUE]
        entry = due.entry
        archived = Archived(entry.kind, entry.item_id, entry.updated_time, entry.question_id)
        # Read as `archive URL` reads it: by its endpoint's parser (an article's page's, where
        # its API refused).
        parse = functools.partial(
            response.meta[CALL].endpoint.parse,
            when=response_time(response),
            asked=Asked(entry.item_id),
        )
        verdict = judge(_served(response), archived, parse)
        if verdict.ask_question:
            yield self._question_request(due, _seen(response), verdict)
            return
        yield from self._found(due, _seen(response), verdict)

    def _question_request(self, due: Due, answered: Seen, verdict: Verdict) -> Request:
        """A gone answer's question, asked as the hot list asks it: a 404 there too says the
        question was deleted, and took its answers with it."""
        request = self.answers_request(due.entry.question_id, "", 1)
        meta = {DUE: due, ANSWER: (verdict, answered), "handle_httpstatus_list": _HANDLED}
        return request.replace(
            callback=self.parse_question,
            errback=self.check_failed,
            cb_kwargs={},
            meta=meta,
            dont_filter=True,
        )

    def parse_question(self, response: Response) -> Iterator[Any]:
        verdict, answered = response.meta[ANSWER]
        verdict = with_question(verdict, _served(response))
        # The evidence is the response that decided: the question's, or the answer's own.
        decided = _seen(response) if verdict.state == "question_gone" else answered
        yield from self._found(response.meta[DUE], decided, verdict)

    def _found(self, due: Due, seen: Seen, verdict: Verdict) -> Iterator[Any]:
        entry, evidence = due.entry, verdict.evidence
        said = f"HTTP {evidence.status}" + (f", {evidence.code}" if evidence.code else "")
        said += f": {evidence.message}" if evidence.message else ""
        if verdict.state == "blocked":  # the block middleware stops the run before this
            self.logger.error("Not recorded: %s %s: %s", entry.kind, entry.item_id, said)
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.CHECKS}/{verdict.state}")
        # An answer nothing explains is for the user to look at: a warning.
        level = logging.WARNING if verdict.state == "unknown" else logging.INFO
        self.logger.log(level, "Checked %s: %s (%s)", entry.key, verdict.state, said)
        if verdict.state == "edited" and verdict.post is not None:
            # Archived again as the crawl would, at the path and under the categories it has.
            yield dataclasses.replace(verdict.post, categories=categories_of(entry.path))
        checked_at, warc_file, warc_record = seen
        yield Checked(
            entry.key,
            verdict.state,
            checked_at,
            evidence.status,
            evidence.code,
            evidence.message,
            warc_file,
            warc_record,
        )

    def note_fallback(self, failure: Failure, rule: Fallback, call: Call, other: Call) -> None:
        """Neither counted nor said: a recheck reports its checks, and has never reported that it
        read an article from its page (the check's own line says what it found)."""

    def check_failed(self, failure: Failure) -> Iterator[Request]:
        """A request that failed for good: counted (archiver/failed/<reason>), the item not
        checked this time, and so first in line next time."""
        if fallback := self.fallback(failure):  # an article its API refuses: its page
            yield fallback
            return
        self.request_failed(failure)


def _served(response: Response) -> Served:
    return Served(response.status, response.body, response.url)


def _seen(response: Response) -> Seen:
    """When Zhihu answered (its Date header), and where the answer is in the WARC files."""
    warc_file, warc_record = response.meta.get(WARC_RECORD, ("", ""))
    return response_time(response).isoformat(timespec="seconds"), warc_file, warc_record

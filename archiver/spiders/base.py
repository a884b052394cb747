"""What every spider shares: the base URL, recording skips and failures, a question's answers."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archiver import stats as keys
from archiver.config import Check, argument_problems
from archiver.downloader.blocks import sent_login, stop_crawl
from archiver.downloader.limits import TooLarge
from archiver.downloader.meta import (
    FALLBACK_OF,
    FALLBACK_ON,
    FALLBACK_URL,
    Blocked,
    Interrupted,
    Refused,
)
from archiver.downloader.tls import CertificateRefused
from archiver.items import Post, Skip
from archiver.webarchive.middleware import CAPTURED_AT, NotInArchive
from archiver.zhihu.answers import parse_answers_page
from archiver.zhihu.blocks import Block
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.kinds import QUESTION
from archiver.zhihu.schema import PAGE_LIMIT, Call, Fallback
from archiver.zhihu.urls import rebase

# Request meta: the call of the table a request asks (archiver.zhihu.schema.Call): its parser,
# its paging, its fallback.
CALL = "archiver_call"


def categories_setting(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A category path from a setting: "a/b/c" or a list."""
    parts = value.split("/") if isinstance(value, str) else value
    return tuple(p.strip() for p in parts if p.strip())


def response_time(response: Response) -> datetime:
    """When the server produced the response (its Date header), else when it was captured
    (its WARC record's date, the same in the crawl and in a replay of it), else now.

    A crawl replayed from a WARC then dates what it derives (hot-list history, undated feed
    items) as the original crawl did, and renders the same bytes.
    """
    date = response.headers.get("Date")
    if date:
        try:
            return parsedate_to_datetime(date.decode("latin-1")).astimezone(UTC)
        except (TypeError, ValueError):
            pass  # a malformed Date: the capture's time will do
    try:
        captured = response.meta.get(CAPTURED_AT)
    except AttributeError:  # a response made without a request (tests)
        captured = None
    return captured or datetime.now(UTC)


def body_text(response: Response) -> str:
    if isinstance(response, TextResponse):
        return response.text
    return response.body.decode("utf-8", errors="replace")


def refusal(failure: Failure) -> str:
    """`HTTP 401, code 101`: how Zhihu refused, for the line that says so."""
    if failure.check(Refused):
        block = failure.value.block
        return f"HTTP {block.status}" + (f", code {block.code}" if block.code is not None else "")
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return failure.getErrorMessage()


class ArchiverSpider(scrapy.Spider):
    categories_setting_name = ""
    # Request meta a fallback keeps: what the spider's own callbacks and errbacks read.
    carried_meta: tuple[str, ...] = ("target",)
    # The cookies of ZHIHU_COOKIE a run of this spider cannot do without (ZhihuSessionMiddleware)
    zhihu_cookies: tuple[str, ...] = ()
    # The `-a` arguments it takes, each with its check (archiver.config): the README's contract.
    arguments: ClassVar[dict[str, Check]] = {}

    @classmethod
    def argument_problems(cls, args: dict[str, Any]) -> list[str]:
        """What is wrong with these `-a` arguments, one line each; checked before the crawl."""
        return argument_problems(cls.name, cls.arguments, args)

    @property
    def base_url(self) -> str:
        return self.settings["ZHIHU_BASE_URL"]

    def categories_setting_for(self, post: Post) -> str:
        """The setting that holds the category path of this post (one per entry point)."""
        return self.categories_setting_name

    def skip(self, skips: Iterable[Skip]) -> None:
        """A parser's skips become a warning each and a stats counter by reason."""
        assert self.crawler.stats is not None
        for skipped in skips:
            self.crawler.stats.inc_value(f"{keys.SKIPPED}/{skipped.reason}")
            self.logger.warning("Skipped (%s): %s", skipped.reason, skipped.detail)

    def call_request(
        self,
        call: Call,
        *,
        url: str | None = None,
        meta: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Request:
        """A request of one of the table's calls (archiver/zhihu/kinds.py), with its page as its
        Referer: of its first page (`url` None), its fallback declared, or of a next one."""
        meta = {**(meta or {}), CALL: call}
        if url is None:
            meta |= self.fallback_meta(call)
        return Request(
            url or call.first_url(self.base_url),
            headers={"Referer": call.referer} if call.referer else {},
            meta=meta,
            **kwargs,
        )

    def fallback_meta(self, call: Call) -> dict[str, Any]:
        """What the downloader is told of a call's fallback: the refusals the spider works around
        (those of a moved endpoint only with the login: FALLBACK_URL)."""
        other = call.endpoint.fallback
        if other is None:
            return {}
        meta: dict[str, Any] = {FALLBACK_ON: other.refusals}
        if other.moved:
            meta[FALLBACK_URL] = self._other(call).first_url(self.base_url)
        return meta

    def answers_request(
        self, question_id: str, title: str, wanted: int, url: str | None = None
    ) -> Request:
        """The next `wanted` answers of a question, from `url` or from its first page.

        The first page is asked of `/answers`, as ever; should Zhihu turn that away although
        logged in (401, 403, 404), of `/feeds`, where Zhihu's web page reads them now.
        """
        return self.call_request(
            Call(QUESTION.endpoint, question_id, limit=min(wanted, PAGE_LIMIT)),
            url=url,
            callback=self.parse_answers,
            errback=self.answers_failed,
            cb_kwargs={"question_id": question_id, "title": title, "wanted": wanted},
        )

    def answers_failed(self, failure: Failure) -> Iterator[Request]:
        if fallback := self.fallback(failure):
            yield fallback
            return
        self.request_failed(failure)

    def fallback(self, failure: Failure) -> Request | None:
        """The failed request again at its call's fallback (archiver/zhihu/schema.py Fallback),
        when Zhihu turned it away so; None otherwise. Counted (`archiver/fallback/<stat>`) and
        said (a moved endpoint once a run); should a moved endpoint's fallback fail too, it fails
        as the first request did."""
        request = failure.request
        call: Call | None = request.meta.get(CALL)
        rule = call.endpoint.fallback if call is not None else None
        if call is None or rule is None or FALLBACK_ON not in request.meta:
            return None  # no fallback, or not this request's (a list's next page)
        status = failure.value.response.status if failure.check(HttpError) else 0
        if not rule.takes(bool(failure.check(Refused)), status, sent_login(request)):
            return None
        other = self._other(call)
        self.note_fallback(failure, rule, call, other)
        meta = {name: request.meta[name] for name in self.carried_meta if name in request.meta}
        meta |= {CALL: other, **self.fallback_meta(other)}
        if rule.moved:
            meta[FALLBACK_OF] = failure.value.block if failure.check(Refused) else failure
        return request.replace(
            url=other.first_url(self.base_url),
            headers={"Referer": other.referer} if other.referer else {},
            meta=meta,
            dont_filter=True,
        )

    def note_fallback(self, failure: Failure, rule: Fallback, call: Call, other: Call) -> None:
        """Count a fallback, and say it: each time, or (a moved endpoint) once a run."""
        assert self.crawler.stats is not None
        key = f"{keys.FALLBACK}/{rule.stat}"
        first = not self.crawler.stats.get_value(key)
        self.crawler.stats.inc_value(key)
        if rule.moved and not first:
            return
        line = rule.said.format(
            url=failure.request.url,
            refusal=refusal(failure),
            error=failure.getErrorMessage(),
            target=self.given_url(failure.request.meta),
            path=call.path,
            to=other.path,
            key=key,
        )
        self.logger.log(logging.WARNING if rule.moved else logging.INFO, "%s", line)

    @staticmethod
    def _other(call: Call) -> Call:
        other = call.fallback
        assert other is not None, f"{call} has no fallback"
        return other

    def given_url(self, meta: dict[str, Any]) -> str:
        """The URL the user gave that a request serves ("" for none: the hot list's)."""
        target = meta.get("target")
        return target.url if target is not None else ""

    def parse_answers(
        self, response: Response, question_id: str, title: str, wanted: int
    ) -> Iterator[Any]:
        try:
            page = parse_answers_page(body_text(response), title)
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"answers of question {question_id}: {exc.detail}")])
            self.answers_done(question_id, 0, more=False)
            return
        self.skip(page.skipped)
        taken = page.answers[:wanted]
        for post in taken:
            yield self.with_categories(post)
        more = len(taken) < wanted and page.next_url is not None
        if more:
            yield self.answers_request(
                question_id, title, wanted - len(taken), rebase(page.next_url, self.base_url)
            )
        self.answers_done(question_id, len(taken), more=more)

    def answers_done(self, question_id: str, archived: int, *, more: bool) -> None:
        """Called after each page of a question's answers: `archived` taken, `more` to come."""

    def request_failed(self, failure: Failure) -> None:
        """One line and a counter per request that failed for good (after retries)."""
        self.count_failure(failure)

    def count_failure(self, failure: Failure) -> str:
        """`request_failed`, and the reason it counted (a stats key suffix; "blocked" for a
        refusal the `Blocked:` line has said). Not an errback: it returns a value."""
        original = failure.request.meta.get(FALLBACK_OF)
        if original is not None and not failure.check(Blocked):
            # The other endpoint did not answer either: the first refusal stands, a block, or
            # the failure it was (a 404).
            if isinstance(original, Block):
                stop_crawl(self.crawler, original)
                return "blocked"
            failure = original
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = "not_found" if status == 404 else f"http_{status}"
            message = f"HTTP {status}" + (" (deleted, or never existed)" if status == 404 else "")
        elif failure.check(NotInArchive):
            reason, message = "not_in_warc", "not in the replayed WARC files"
        elif failure.check(Blocked):
            return "blocked"  # ZhihuBlockMiddleware has said why, once
        elif failure.check(CertificateRefused):
            reason, message = "tls", failure.getErrorMessage()  # names the host and why
        elif failure.check(Interrupted):
            return "interrupted"  # not sent: the run was interrupted (counted in the summary)
        elif failure.check(TooLarge):
            reason, message = "too_large", failure.getErrorMessage()
        elif failure.check(IgnoreRequest):
            reason, message = "ignored", failure.getErrorMessage()  # dropped on the way
        else:
            reason = failure.type.__name__ if failure.type else "error"
            message = failure.getErrorMessage()
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{keys.FAILED}/{reason}")
        self.logger.error("Failed %s: %s", failure.request.url, message)
        return reason

    def with_categories(self, post: Post) -> Post:
        path = self.settings[self.categories_setting_for(post)]
        return dataclasses.replace(post, categories=categories_setting(path))

"""What every spider shares: the base URL, recording skips and failures, a question's answers."""

from __future__ import annotations

import dataclasses
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
    LOGIN_REFUSALS,
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
from archiver.zhihu.urls import answers_url, question_feeds_url, question_page, rebase

# Request meta a fallback keeps: what the spider's own callbacks and errbacks read.
CARRIED_META = ("target",)


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


def moved(failure: Failure) -> bool:
    """Whether Zhihu turned a request away as an endpoint it no longer serves this client: a
    refusal the request declared it works around (with a login where it takes one, see
    ZhihuBlockMiddleware), or HTTP 404 to a request that carried the login."""
    if failure.check(Refused):
        return True
    if failure.check(HttpError) and failure.value.response.status == 404:
        return sent_login(failure.request)
    return False


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

    def answers_request(
        self, question_id: str, title: str, wanted: int, url: str | None = None
    ) -> Request:
        """The next `wanted` answers of a question, from `url` or from its first page.

        The first page is asked of `/answers`, as ever; should Zhihu turn that away although
        logged in (401, 403, 404), of `/feeds`, where Zhihu's web page reads them now.
        """
        meta: dict[str, Any] = {}
        if url is None:
            meta[FALLBACK_ON] = LOGIN_REFUSALS
            meta[FALLBACK_URL] = question_feeds_url(self.base_url, question_id, wanted)
        return Request(
            url or answers_url(self.base_url, question_id, wanted),
            callback=self.parse_answers,
            errback=self.answers_failed,
            headers={"Referer": question_page(question_id)},
            cb_kwargs={"question_id": question_id, "title": title, "wanted": wanted},
            meta=meta,
        )

    def answers_failed(self, failure: Failure) -> Iterator[Request]:
        if fallback := self.answers_fallback(failure):
            yield fallback
            return
        self.request_failed(failure)

    def answers_fallback(self, failure: Failure) -> Request | None:
        return self.fallback(failure, "question_feeds", "/feeds, as Zhihu's web page does")

    def fallback(self, failure: Failure, stat: str, instead: str) -> Request | None:
        """The failed request again at its FALLBACK_URL, when Zhihu turned it away as an endpoint
        it no longer serves this client; None otherwise. Counted (`archiver/fallback/<stat>`),
        said once a run; should the fallback fail too, it fails as the first request did."""
        request = failure.request
        url = request.meta.get(FALLBACK_URL)
        if not url or not moved(failure):
            return None
        assert self.crawler.stats is not None
        key = f"{keys.FALLBACK}/{stat}"
        if not self.crawler.stats.get_value(key):
            self.logger.warning(
                "Zhihu turned %s away (%s) with a login; reading it from %s (each time counted "
                "as %s)",
                request.url,
                refusal(failure),
                instead,
                key,
            )
        self.crawler.stats.inc_value(key)
        meta = {name: request.meta[name] for name in CARRIED_META if name in request.meta}
        meta[FALLBACK_OF] = failure.value.block if failure.check(Refused) else failure
        referer = request.headers.get("Referer")
        return request.replace(
            url=url, meta=meta, headers={"Referer": referer} if referer else {}, dont_filter=True
        )

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

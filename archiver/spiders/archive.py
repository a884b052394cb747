"""`scrapy archive URL...` (or `scrapy crawl archive -a urls="URL URL"`): what the user names."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archiver.items import Post, Skip
from archiver.middlewares import FALLBACK_ON, Refused
from archiver.spiders.base import ArchiverSpider, body_text
from archiver.zhihu.answers import parse_answer
from archiver.zhihu.articles import parse_article
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.pages import parse_article_page
from archiver.zhihu.targets import Target, parse_targets
from archiver.zhihu.urls import ANSWER_FIELDS, api_url, question_page


class ArchiveSpider(ArchiverSpider):
    name = "archive"
    # Every target must be archived for the run to count as a success.
    strict = True
    warc_capture = True
    # Every API call is signed with d_c0; answers come whole only with a login, which Zhihu
    # asks for itself where it must (401: blocked, with what to do).
    zhihu_cookies = ("d_c0",)

    def __init__(
        self, targets: list[Target] | None = None, urls: str = "", answers: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        parsed, errors = parse_targets(urls.split())
        if errors:
            raise ValueError("; ".join(errors))
        self.targets = list(targets or ()) + parsed
        self.open_questions = {t.id: t for t in self.targets if t.kind == "question"}
        self.answers = int(answers) if answers else None
        self.done = 0
        self.failed = 0

    @property
    def incomplete(self) -> int:
        return len(self.targets) - self.done

    async def start(self) -> AsyncIterator[Request]:
        self.logger.info("Archiving %d URL(s)", len(self.targets))
        for target in self.targets:
            yield self.target_request(target)

    def target_request(self, target: Target) -> Request:
        if target.kind == "question":
            wanted = self.answers or self.settings.getint("ZHIHU_ANSWERS_PER_QUESTION")
            request = self.answers_request(target.id, "", wanted)
            request.errback = self.target_failed
            request.meta["target"] = target
            return request
        path, parse, referer = {
            "answer": (
                f"/api/v4/answers/{target.id}",
                parse_answer,
                question_page(target.question_id)
                if target.question_id
                else "https://www.zhihu.com/",
            ),
            "article": (
                f"/api/v4/articles/{target.id}",
                parse_article,
                f"https://zhuanlan.zhihu.com/p/{target.id}",
            ),
        }[target.kind]
        query = {"include": ANSWER_FIELDS} if target.kind == "answer" else {}
        meta: dict[str, Any] = {"target": target}
        if target.kind == "article":
            # Should Zhihu refuse even a signed request for the API, the article's page has it too.
            meta[FALLBACK_ON] = ("signature",)
        return Request(
            api_url(self.base_url, path, **query),
            callback=self.parse_target,
            errback=self.target_failed,
            headers={"Referer": referer},
            cb_kwargs={"parse": parse},
            meta=meta,
        )

    def article_page_request(self, target: Target) -> Request:
        return Request(
            f"https://zhuanlan.zhihu.com/p/{target.id}",
            callback=self.parse_target,
            errback=self.target_failed,
            headers={"Referer": "https://zhuanlan.zhihu.com/"},
            cb_kwargs={"parse": functools.partial(parse_article_page, article_id=target.id)},
            meta={"target": target},
        )

    def parse_target(
        self, response: Response, parse: Callable[[str], Post | Skip]
    ) -> Iterator[Post]:
        target: Target = response.meta["target"]
        try:
            result = parse(body_text(response))
        except ZhihuFormatError as exc:
            result = Skip(exc.reason, f"{target.url}: {exc.detail}")
        if isinstance(result, Skip):
            self.skip([result])
            self.progress(target, ok=False)
            return
        self.progress(target, ok=True)
        yield self.with_categories(result)

    def answers_done(self, question_id: str, archived: int, *, more: bool) -> None:
        # A question succeeds with its first archived answer, fails when its pages run out.
        target = self.open_questions.get(question_id)
        if target is not None and (archived or not more):
            del self.open_questions[question_id]
            self.progress(target, ok=archived > 0)

    def target_failed(self, failure: Failure) -> Iterator[Request]:
        target: Target = failure.request.meta["target"]
        if failure.check(Refused):
            self.logger.info(
                "%s: Zhihu refused the articles API; reading the article's page", target.url
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("archiver/fallback/article_page")
            yield self.article_page_request(target)
            return
        self.request_failed(failure)
        self.open_questions.pop(target.id, None)
        self.progress(target, ok=False)

    def categories_setting_for(self, post: Post) -> str:
        return "ZHIHU_ARTICLE_CATEGORIES" if post.kind == "article" else "ZHIHU_ANSWER_CATEGORIES"

    def progress(self, target: Target, *, ok: bool) -> None:
        self.done += ok
        self.failed += not ok
        self.logger.info(
            "Progress: %d/%d archived, %d failed%s",
            self.done,
            len(self.targets),
            self.failed,
            "" if ok else f" ({target.url})",
        )

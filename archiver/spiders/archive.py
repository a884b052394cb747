"""`scrapy archive URL...` (or `scrapy crawl archive -a urls="URL URL"`): what the user names."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from scrapy.http import Request
from twisted.python.failure import Failure

from archiver.config import Check, whole_number
from archiver.downloader.hosts import ZhihuHosts
from archiver.items import Post
from archiver.spiders.listings import ListingSpider, Walk
from archiver.zhihu.kinds import ANSWER, ITEMS, KINDS
from archiver.zhihu.schema import Call, Shape
from archiver.zhihu.targets import Target, parse_targets


class ArchiveSpider(ListingSpider):
    name = "archive"
    # Every target must be archived for the run to count as a success.
    strict = True
    warc_capture = True
    # Every API call is signed with d_c0; answers come whole only with a login, which Zhihu
    # asks for itself where it must (401: blocked, with what to do).
    zhihu_cookies = ("d_c0",)
    arguments: ClassVar[dict[str, Check]] = {
        "urls": lambda value: "; ".join(parse_targets(str(value).split())[1]) or None,
        "answers": whole_number(1, 1000),
        "limit": whole_number(1),
    }

    def __init__(
        self,
        targets: list[Target] | None = None,
        urls: str = "",
        answers: str = "",
        limit: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        parsed, errors = parse_targets(urls.split())
        if errors:
            raise ValueError("; ".join(errors))
        self.targets = list(targets or ()) + parsed
        if self.targets and all(_open(t) for t in self.targets):
            # Zhihu Daily's API is open (as for `crawl daily`): such a run needs no ZHIHU_COOKIE.
            self.zhihu_cookies = ()
        self.open_questions = {t.id: t for t in self.targets if t.shape is Shape.ANSWERS}
        self.answers = int(answers) if answers else None
        self.limit = int(limit) if limit else None  # posts per listing URL; None: all
        self.done = 0
        self.failed = 0
        # A URL counts as archived when its post has passed the pipelines (item_scraped), not
        # when it was parsed: a post the pipelines drop is a failed URL. A listing URL counts
        # when every page was read and every post it yielded passed (see Walk).
        self.in_flight: dict[str, int] = {}  # question id -> its posts still in the pipelines
        self.paging: set[str] = set()  # questions whose next page is still to come

    @property
    def incomplete(self) -> int:
        return len(self.targets) - self.done

    async def start(self) -> AsyncIterator[Request]:
        self.logger.info("Archiving %d URL(s)", len(self.targets))
        for target in self.targets:
            if target.is_listing:
                for request in self.walk_requests(Walk(target, self.limit)):
                    yield request
            else:
                yield self.target_request(target)

    def walk_settled(self, walk: Walk) -> None:
        self.progress(walk.target, ok=not walk.failed)

    def target_request(self, target: Target) -> Request:
        if target.shape is Shape.ANSWERS:
            wanted = self.answers or self.settings.getint("ZHIHU_ANSWERS_PER_QUESTION")
            request = self.answers_request(target.id, "", wanted)
            request.errback = self.question_failed
            request.meta["target"] = target
            return request
        return self.item_request(target)

    def answers_done(self, question_id: str, archived: int, *, more: bool) -> None:
        # A question succeeds with its first answer through the pipelines, fails when its pages
        # run out and none got through.
        if question_id not in self.open_questions:
            return
        self.in_flight[question_id] = self.in_flight.get(question_id, 0) + archived
        (self.paging.add if more else self.paging.discard)(question_id)
        self._settle_question(question_id)

    def post_done(self, owner: Any, post: Post, *, ok: bool) -> None:
        if isinstance(owner, Target):
            self.progress(owner, ok=ok)
            return
        question_id = post.question_id
        if question_id not in self.open_questions:
            return
        # The pipelines may finish a post before its page's answers_done has counted it in.
        self.in_flight[question_id] = self.in_flight.get(question_id, 0) - 1
        if ok:
            self.progress(self.open_questions.pop(question_id), ok=True)
        else:
            self._settle_question(question_id)

    def _settle_question(self, question_id: str) -> None:
        """A question with no answer in the pipelines and no page to come has failed."""
        if not self.in_flight.get(question_id) and question_id not in self.paging:
            self.progress(self.open_questions.pop(question_id), ok=False)

    def question_failed(self, failure: Failure) -> Iterator[Request]:
        """A question's first page of answers failed: /feeds, where Zhihu moved it, or lost."""
        if fallback := self.fallback(failure):
            yield fallback
            return
        yield from self.target_failed(failure)

    def target_lost(self, target: Target) -> None:
        if target.shape is Shape.ANSWERS:
            self.open_questions.pop(target.id, None)
        self.progress(target, ok=False)

    def categories_setting_for(self, post: Post) -> str:
        return ITEMS.get(post.kind, ANSWER).categories

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


def _open(target: Target) -> bool:
    """Whether a target is read from a host that wants no login (Zhihu Daily's)."""
    return ZhihuHosts.is_open(Call(KINDS[target.kind].endpoint, target.id).first_url(""))

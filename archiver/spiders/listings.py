"""Walking lists (columns, collections, people, topics): the requests of their pages and the
bookkeeping of which list each post came from, shared by `archive` and `follow`; and the request
of one answer, article or pin by its own endpoint, which a URL given by hand and a list's cut
entry alike are read from."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archiver import stats as keys
from archiver.downloader.meta import FALLBACK_ON, Refused
from archiver.items import ItemRef, Post, Skip
from archiver.spiders.base import CALL, ArchiverSpider, body_text, categories_setting, response_time
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.kinds import KINDS
from archiver.zhihu.listing import Listing, listings_of, parse_listing_page
from archiver.zhihu.schema import Asked, Call
from archiver.zhihu.targets import Target

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

# A list that was not read whole: `<FAILED>/list/<reason of its first problem>`.
LIST_FAILED = f"{keys.FAILED}/list"


@dataclass(eq=False)
class Walk:
    """One listing URL being walked: its requests still to come, its posts still in the pipelines.

    It succeeds when every page was read, every item read on its own was archived and every post
    it yielded passed the pipelines; anything else is a problem that fails it (`problems`).
    """

    target: Target
    limit: int | None = None  # how many posts it may yield; None: all
    categories: str = ""  # a category path that overrides the kind's setting
    pending: int = 0  # requests sent and not answered yet (its pages, its items read apart)
    in_flight: int = 0  # posts yielded and not through the pipelines yet
    taken: int = 0
    requests: int = 0
    changed: int = 0  # (follow) posts new or edited since the index saw them
    stopped_early: bool = False
    settled: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)  # (reason, what), in order
    notes: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.taken, 0)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def fail(self, reason: str, what: str) -> None:
        self.problems.append((reason, what))


class ListingSpider(ArchiverSpider):
    """A spider that walks lists. Subclasses say what a settled walk means (`walk_settled`) and
    whether to read a list's next page (`keep_paging`)."""

    carried_meta = ("target", "walk")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (kind, id) of a post in the pipelines -> whose it is (a Walk, or an archive Target);
        # a list, as two URLs may yield the same item.
        self.awaiting: dict[tuple[str, str], list[Any]] = {}
        self.walked: set[tuple[str, str]] = set()  # items some walk of this run has taken

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_passed, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_lost, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_lost, signal=signals.item_error)
        return spider

    # Overridable Interface
    def keep_paging(self, walk: Walk, changed: int) -> bool:
        """Whether to read the page after one with `changed` posts new or edited since the
        archive saw them (the limit is handled apart)."""
        return True

    def walk_settled(self, walk: Walk) -> None:
        """Called once per walk, when it has no request to come and no post in the pipelines."""

    def post_done(self, owner: Any, post: Post, *, ok: bool) -> None:
        """A post that is no walk's left the pipelines; `owner` is what awaited it, or None."""

    def target_lost(self, target: Target) -> None:
        """A URL given by hand (`item_request` without a walk) could not be read."""

    def is_changed(self, item: Post | ItemRef) -> bool:
        """(follow) Whether the archive lacks this item or has an older version of it."""
        return True

    # Walking
    def walk_requests(self, walk: Walk) -> Iterator[Request]:
        for listing in listings_of(walk.target):
            yield self.listing_request(walk, listing)

    def listing_request(self, walk: Walk, listing: Listing, url: str | None = None) -> Request:
        """A page of a list: its first (its fallback declared), or the next one at `url`."""
        walk.pending += 1
        walk.requests += 1
        meta: dict[str, Any] = {"walk": walk}
        if private := KINDS[walk.target.kind].private:
            # Another person's private collection: 403 without a code of a block (see README).
            meta[FALLBACK_ON] = private
        return self.call_request(
            listing,
            url=url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            meta=meta,
            dont_filter=True,
        )

    def parse_listing(self, response: Response) -> Iterator[Post | Request]:
        walk: Walk = response.meta["walk"]
        listing: Listing = response.meta[CALL]
        try:
            page = parse_listing_page(body_text(response), listing, self.base_url)
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"{walk.target.url}: {exc.detail}")])
            walk.fail(exc.reason, f"a page is no list ({response.url})")
            self._request_done(walk)
            return
        self.skip(page.skipped)
        items = page.items if walk.remaining is None else page.items[: walk.remaining]
        walk.taken += len(items)
        # Judged before any post goes out: the pipelines update the index as they write.
        changed = [self.is_changed(item) for item in items]
        walk.changed += sum(changed)
        for item, is_new in zip(items, changed, strict=True):
            if (item.kind, item.id) in self.walked:
                continue  # another list of this run has it on its way already
            self.walked.add((item.kind, item.id))
            if isinstance(item, Post):
                yield self.walk_post(walk, item)
            elif is_new:  # (follow) an unchanged item the archive has is not read again
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(f"{keys.LISTS}/read_apart")
                yield self.item_request(_target(item), walk)
        if page.refused_next:
            why = f"its paging.next is not this list's API, not followed: {page.refused_next}"
            walk.fail("unexpected_paging", why)
        if page.next_url is not None:
            if walk.remaining == 0:
                walk.notes.append("limit reached")
            elif self.keep_paging(walk, sum(changed)):
                yield self.listing_request(walk, listing, page.next_url)
            else:
                walk.stopped_early = True
        self._request_done(walk)

    def walk_post(self, walk: Walk, post: Post) -> Post:
        """A post of a walk, on its way to the pipelines under the list's category path."""
        walk.in_flight += 1
        self.awaiting.setdefault((post.kind, post.id), []).append(walk)
        path = walk.categories or self.settings[KINDS[walk.target.kind].categories]
        return dataclasses.replace(post, categories=categories_setting(path))

    def listing_failed(self, failure: Failure) -> Iterator[Request]:
        walk: Walk = failure.request.meta["walk"]
        if fallback := self.fallback(failure):  # a moved list's new endpoint not answering
            walk.requests += 1
            yield fallback
            return
        if failure.check(Refused):
            why = "Zhihu refuses its items (HTTP 403: a private collection)"
            self.skip([Skip("private", f"{walk.target.url}: {why}")])
            walk.fail("private", why)
        else:
            walk.fail(self.count_failure(failure), f"a page failed ({failure.request.url})")
        self._request_done(walk)

    def given_url(self, meta: dict[str, Any]) -> str:
        # An item's own URL (a list's entry read apart), else its list's.
        walk: Walk | None = meta.get("walk")
        return super().given_url(meta) or (walk.target.url if walk is not None else "")

    def _request_done(self, walk: Walk) -> None:
        walk.pending -= 1
        self._settle(walk)

    def _settle(self, walk: Walk) -> None:
        if walk.pending == 0 and walk.in_flight == 0 and not walk.settled:
            walk.settled = True
            if walk.failed:
                self._list_failed(walk)
            self.walk_settled(walk)

    def _list_failed(self, walk: Walk) -> None:
        """A list not read whole is a failure of the run, counted once and said in one line."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{LIST_FAILED}/{walk.problems[0][0]}")
        said = dict.fromkeys(f"{what} ({reason})" for reason, what in walk.problems)
        self.logger.error(
            "Failed list %s, not archived whole: %s", walk.target.url, "; ".join(said)
        )

    # One item by its own endpoint
    def item_request(self, target: Target, walk: Walk | None = None) -> Request:
        """An item (an answer, an article, a pin, a Zhihu Daily story): for a URL given by hand
        (`walk` None), or for a list's entry whose content the list cut. The same request,
        parser and Referer either way (archiver/zhihu/kinds.py)."""
        meta: dict[str, Any] = {"target": target}
        if walk is not None:
            walk.pending += 1
            walk.requests += 1
            meta["walk"] = walk
        return self.call_request(
            Call(KINDS[target.kind].endpoint, target.id, question_id=target.question_id),
            callback=self.parse_target,
            errback=self.target_failed,
            meta=meta,
            # A URL given by hand may name the same item as a list: each is answered.
            dont_filter=walk is not None,
        )

    def parse_target(self, response: Response) -> Iterator[Post]:
        target: Target = response.meta["target"]
        walk: Walk | None = response.meta.get("walk")
        parse = response.meta[CALL].endpoint.parse
        try:
            result = parse(body_text(response), response_time(response), Asked(target.id))
        except ZhihuFormatError as exc:
            result = Skip(exc.reason, f"{target.url}: {exc.detail}")
        if isinstance(result, Skip):
            self.skip([result])
            self._item_failed(response.meta, result.reason, result.detail)
            return
        if walk is None:
            self.awaiting.setdefault((result.kind, result.id), []).append(target)
            yield self.with_categories(result)
            return
        yield self.walk_post(walk, result)
        self._request_done(walk)

    def target_failed(self, failure: Failure) -> Iterator[Request]:
        if fallback := self.fallback(failure):  # an article its API refuses: its page
            yield fallback
            return
        meta = failure.request.meta
        self._item_failed(meta, self.count_failure(failure), f"{failure.request.url} failed")

    def _item_failed(self, meta: dict[str, Any], reason: str, what: str) -> None:
        target: Target = meta["target"]
        walk: Walk | None = meta.get("walk")
        if walk is None:
            self.target_lost(target)
            return
        walk.fail(reason, f"{target.url} not archived: {what}")
        self._request_done(walk)

    # The pipelines' verdicts
    def item_passed(self, item: Any) -> None:
        self._item_done(item, ok=True)

    def item_lost(self, item: Any) -> None:
        self._item_done(item, ok=False)

    def _item_done(self, item: Any, *, ok: bool) -> None:
        if not isinstance(item, Post):
            return
        owners = self.awaiting.get((item.kind, item.id))
        if not owners:
            self.post_done(None, item, ok=ok)
            return
        owner = owners.pop(0)
        if not owners:
            del self.awaiting[(item.kind, item.id)]
        if isinstance(owner, Walk):
            owner.in_flight -= 1
            if not ok:
                owner.fail("lost", f"{item.url} could not be archived")
            self._settle(owner)
        else:
            self.post_done(owner, item, ok=ok)


def _target(item: ItemRef) -> Target:
    return Target(item.kind, item.id, item.url, question_id=item.question_id)

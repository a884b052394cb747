"""Walking lists (columns, collections, people, topics): the requests of their pages and the
bookkeeping of which list each post came from, shared by `archive` and `follow`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archiver.items import Post, Skip
from archiver.middlewares import FALLBACK_ON, Refused
from archiver.spiders.base import ArchiverSpider, body_text, categories_setting
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.listing import Listing, listings_of, parse_listing_page
from archiver.zhihu.targets import Target

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


@dataclass(eq=False)
class Walk:
    """One listing URL being walked: its pages still to come, its posts still in the pipelines.

    It succeeds when every page was read and every post it yielded passed the pipelines; a page
    that failed, a page that is no list, a private collection or a lost post fail it.
    """

    target: Target
    limit: int | None = None  # how many posts it may yield; None: all
    categories: str = ""  # a category path that overrides the kind's setting
    pages: int = 0  # pages requested and not parsed yet
    in_flight: int = 0  # posts yielded and not through the pipelines yet
    taken: int = 0
    requests: int = 0
    changed: int = 0  # (follow) posts new or edited since the index saw them
    stopped_early: bool = False
    failed: bool = False
    settled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.taken, 0)


class ListingSpider(ArchiverSpider):
    """A spider that walks lists. Subclasses say what a settled walk means (`walk_settled`) and
    whether to read a list's next page (`keep_paging`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (kind, id) of a post in the pipelines -> whose it is (a Walk, or an archive Target);
        # a list, as two URLs may yield the same item.
        self.awaiting: dict[tuple[str, str], list[Any]] = {}
        self.walked: set[tuple[str, str]] = set()  # posts some walk of this run has yielded

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
        """Called once per walk, when it has no page to come and no post in the pipelines."""

    def post_done(self, owner: Any, post: Post, *, ok: bool) -> None:
        """A post that is no walk's left the pipelines; `owner` is what awaited it, or None."""

    # Walking
    def walk_requests(self, walk: Walk) -> Iterator[Request]:
        for listing in listings_of(walk.target):
            yield self.listing_request(walk, listing, listing.first_url(self.base_url))

    def listing_request(self, walk: Walk, listing: Listing, url: str) -> Request:
        walk.pages += 1
        walk.requests += 1
        meta: dict[str, Any] = {"walk": walk, "listing": listing}
        if walk.target.kind == "collection":
            # Another person's private collection: 403 without a code of a block (see README).
            meta[FALLBACK_ON] = ("forbidden",)
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            headers={"Referer": listing.referer},
            meta=meta,
            dont_filter=True,
        )

    def parse_listing(self, response: Response) -> Iterator[Post | Request]:
        walk: Walk = response.meta["walk"]
        listing: Listing = response.meta["listing"]
        try:
            page = parse_listing_page(body_text(response), listing, self.base_url)
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"{walk.target.url}: {exc.detail}")])
            walk.failed = True
            self._page_done(walk)
            return
        self.skip(page.skipped)
        posts = page.posts if walk.remaining is None else page.posts[: walk.remaining]
        walk.taken += len(posts)
        # Judged before any post goes out: the pipelines update the index as they write.
        changed = sum(self.is_changed(post) for post in posts)
        walk.changed += changed
        for post in posts:
            if (post.kind, post.id) in self.walked:
                continue  # another list of this run has it on its way already
            self.walked.add((post.kind, post.id))
            walk.in_flight += 1
            self.awaiting.setdefault((post.kind, post.id), []).append(walk)
            yield self.walk_post(walk, listing, post)
        if page.refused_next:
            # The list cannot be walked further: it is not archived whole.
            why = f"paging.next is not this list's API, not followed: {page.refused_next}"
            self.skip([Skip("unexpected_paging", f"{walk.target.url}: {why}")])
            walk.failed = True
        if page.next_url is not None:
            if walk.remaining == 0:
                walk.notes.append("limit reached")
            elif self.keep_paging(walk, changed):
                yield self.listing_request(walk, listing, page.next_url)
            else:
                walk.stopped_early = True
        self._page_done(walk)

    def walk_post(self, walk: Walk, listing: Listing, post: Post) -> Post:
        path = walk.categories or self.settings[listing.categories_setting]
        return dataclasses.replace(post, categories=categories_setting(path))

    def is_changed(self, post: Post) -> bool:
        """(follow) Whether the archive lacks this post or has an older version of it."""
        return True

    def listing_failed(self, failure: Failure) -> None:
        walk: Walk = failure.request.meta["walk"]
        if failure.check(Refused):
            why = "Zhihu refuses its items (HTTP 403: a private collection)"
            self.skip([Skip("private", f"{walk.target.url}: {why}")])
        else:
            self.request_failed(failure)
        walk.failed = True
        self._page_done(walk)

    def _page_done(self, walk: Walk) -> None:
        walk.pages -= 1
        self._settle(walk)

    def _settle(self, walk: Walk) -> None:
        if walk.pages == 0 and walk.in_flight == 0 and not walk.settled:
            walk.settled = True
            self.walk_settled(walk)

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
            owner.failed |= not ok
            self._settle(owner)
        else:
            self.post_done(owner, item, ok=ok)

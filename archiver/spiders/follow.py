"""`scrapy crawl follow -a config=follow.toml`: the lists a user follows, from cron.

Each run archives what is new or edited since the last: a list is read page by page until a page
whose posts the archive already has, unchanged (the index's `updated_time`), so a routine run
costs a request or two per list; `-a full=1` reads every page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

from scrapy.http import Request

from archiver.archive.index import ArchiveIndex
from archiver.archive.layout import Layout
from archiver.config import Check, boolean, readable_toml
from archiver.items import ItemRef, Post
from archiver.spiders.listings import ListingSpider, Walk
from archiver.zhihu.listing import parse_follow_config


class FollowSpider(ListingSpider):
    name = "follow"
    warc_capture = True
    zhihu_cookies = ("d_c0",)
    arguments: ClassVar[dict[str, Check]] = {"config": readable_toml, "full": boolean}

    @classmethod
    def argument_problems(cls, args: dict[str, Any]) -> list[str]:
        problems = super().argument_problems(args)
        if not args.get("config"):
            problems.append("follow needs -a config=<follow.toml> (a [[source]] per list)")
        elif not problems:
            try:
                parse_follow_config(Path(args["config"]).read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"-a config={args['config']!r}: {exc}")
        return problems

    def __init__(self, config: str = "", full: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not config:
            raise ValueError("give the lists to follow: -a config=<follow.toml>")
        self.sources = parse_follow_config(Path(config).read_text(encoding="utf-8"))
        self.full = str(full).strip().lower() in ("1", "true")
        self.index: ArchiveIndex | None = None
        self.settled = 0
        self.failed = 0

    async def start(self) -> AsyncIterator[Request]:
        # Read only: whether a post is archived and unchanged decides how far to page.
        self.index = ArchiveIndex(Layout.of(self.settings).index)
        self.logger.info(
            "Following %d list(s)%s", len(self.sources), " (full walk)" if self.full else ""
        )
        for source in self.sources:
            walk = Walk(source.target, source.limit, source.categories)
            for request in self.walk_requests(walk):
                yield request

    def is_changed(self, item: Post | ItemRef) -> bool:
        assert self.index is not None
        known = self.index.get(f"{item.kind}:{item.id}")
        return known is None or known.updated_time != item.updated

    def keep_paging(self, walk: Walk, changed: int) -> bool:
        return self.full or changed > 0

    def walk_settled(self, walk: Walk) -> None:
        self.settled += 1
        self.failed += walk.failed
        if walk.failed:
            ending = "failed"
        elif walk.notes:
            ending = walk.notes[-1]
        elif walk.stopped_early:
            ending = "stopped at a page with nothing new"
        else:
            ending = "read to its end"
        self.logger.info(
            "Source %s: %d request(s), %d item(s), %d new or edited; %s",
            walk.target.url,
            walk.requests,
            walk.taken,
            walk.changed,
            ending,
        )
        self.logger.info(
            "Progress: %d/%d lists done, %d failed", self.settled, len(self.sources), self.failed
        )

    def closed(self, reason: str) -> None:
        if self.index is not None:
            self.index.close()

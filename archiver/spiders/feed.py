"""`scrapy crawl feed -a url=<RSS or Atom URL>`: one post per item, as the older generator did."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

from scrapy.http import Request, Response

from archiver.config import Check, category_path, feed_url, readable_toml, text
from archiver.feeds import FeedError, FeedSource, parse_feed, parse_feed_config
from archiver.items import Post, Skip
from archiver.spiders.base import ArchiverSpider, categories_setting, response_time


class FeedSpider(ArchiverSpider):
    name = "feed"
    categories_setting_name = "RSS_CATEGORIES"
    arguments: ClassVar[dict[str, Check]] = {
        "url": feed_url,
        "config": readable_toml,
        "categories": category_path,
        "source": text,
    }

    @classmethod
    def argument_problems(cls, args: dict[str, Any]) -> list[str]:
        problems = super().argument_problems(args)
        if not args.get("url") and not args.get("config"):
            problems.append("feed needs -a url=<RSS or Atom URL> or -a config=<feeds.toml>")
        if args.get("config") and not problems:
            problems += feed_config_problems(Path(args["config"]))
        return problems

    def __init__(
        self, url: str = "", categories: str = "", source: str = "", config: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.feeds = [FeedSource(url, categories, source)] if url else []
        if config:
            self.feeds += parse_feed_config(Path(config).read_text(encoding="utf-8"))
        if not self.feeds:
            raise ValueError("give a feed: -a url=<RSS or Atom URL>, or -a config=<feeds.toml>")

    async def start(self) -> AsyncIterator[Request]:
        for feed in self.feeds:
            yield Request(
                feed.url,
                callback=self.parse_feed,
                errback=self.request_failed,
                cb_kwargs={"feed": feed},
                meta={
                    # A feed that inflates without end must not take the machine's memory.
                    "download_maxsize": self.settings.getint("RSS_MAX_SIZE"),
                    # A local file that cannot be read will not be readable in a second either.
                    "dont_retry": feed.url.startswith("file:"),
                },
            )

    def parse_feed(self, response: Response, feed: FeedSource) -> Iterator[Post]:
        path = feed.categories or self.settings["RSS_CATEGORIES"]
        try:
            result = parse_feed(
                response.body,
                categories_setting(path),
                int(response_time(response).timestamp()),
                feed.source,
                feed.url,
            )
        except FeedError as exc:
            self.skip([Skip(exc.reason, f"{feed.url}: {exc.detail}")])
            return
        if not result.posts and not result.skipped:
            self.skip([Skip("empty_feed", f"{feed.url}: the feed has no items")])
        self.skip(result.skipped)
        self.logger.info(
            "Feed %s (%s): %d items", feed.url, result.title or "untitled", len(result.posts)
        )
        yield from result.posts


def feed_config_problems(path: Path) -> list[str]:
    """The feeds of a config file, checked as `-a url=` would be."""
    try:
        feeds = parse_feed_config(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"-a config={str(path)!r}: {exc}"]
    return [
        f"-a config={str(path)!r}: feed {feed.url!r} is not accepted: expected {expected}"
        for feed in feeds
        if (expected := feed_url(feed.url)) is not None
    ]

"""`scrapy crawl daily`: the day's Zhihu Daily stories; `-a since=YYYY-MM-DD` walks back day by day.

`-a until=YYYY-MM-DD` starts the walk at an earlier day than today. Every story is fetched once,
whether a day lists it among its stories, its top stories, or both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import Any, ClassVar

from scrapy.http import Request, Response

from archiver.config import Check, past_day
from archiver.items import Post, Skip
from archiver.spiders.base import ArchiverSpider, body_text
from archiver.zhihu.daily import ONE_DAY, TIMEZONE, ZONE, parse_listing, parse_story
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.kinds import DAILY_LISTING
from archiver.zhihu.urls import before_url, latest_url, story_url

# The longest walk, in days back from where it starts: a year (and a day), about 370 listings
# and a few thousand stories. A typo (2016 for 2026) must not start ten years of requests.
MAX_DAYS = 366


def window_problems(since: date | None, until: date | None, today: date) -> list[str]:
    """`since` after `until`, or more than MAX_DAYS before it (until: today by default)."""
    if since is None:
        return []
    last = until or today
    first = last - MAX_DAYS * ONE_DAY
    if first <= since <= last:
        return []
    return [
        f"-a since='{since}' is not accepted: expected a day from {first} to {last} (at most "
        f"{MAX_DAYS} days before -a until, by default today in {TIMEZONE})"
    ]


def _day(value: str) -> date | None:
    return date.fromisoformat(value.strip()) if value else None


class DailySpider(ArchiverSpider):
    name = "daily"
    categories_setting_name = DAILY_LISTING.categories
    warc_capture = True
    # Zhihu Daily's API wants no login and no signature: the run needs no ZHIHU_COOKIE, and
    # news-at.zhihu.com is never sent one (archiver.downloader.hosts.OPEN_HOSTS).
    zhihu_cookies = ()
    arguments: ClassVar[dict[str, Check]] = {
        "since": past_day(TIMEZONE),
        "until": past_day(TIMEZONE),
    }

    @classmethod
    def argument_problems(cls, args: dict[str, Any]) -> list[str]:
        problems = super().argument_problems(args)
        days = {name: args[name] for name in ("since", "until") if name in args}
        if any(cls.arguments[name](value) is not None for name, value in days.items()):
            return problems  # a day that is no day has its line already
        today = datetime.now(ZONE).date()
        since, until = _day(days.get("since", "")), _day(days.get("until", ""))
        return problems + window_problems(since, until, today)

    def __init__(self, since: str = "", until: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.since = _day(since)
        self.until = _day(until)
        self.stories: set[str] = set()  # ids asked for: each story once per run

    async def start(self) -> AsyncIterator[Request]:
        if self.until is None:
            yield self.listing_request(latest_url(), None)
        else:
            yield self.listing_request(before_url(self.until + ONE_DAY), self.until + ONE_DAY)

    def listing_request(self, url: str, before: date | None) -> Request:
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.request_failed,
            cb_kwargs={"before": before},
        )

    def parse_listing(self, response: Response, before: date | None) -> Iterator[Request]:
        try:
            listing = parse_listing(body_text(response))
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"Zhihu Daily listing {response.url}: {exc.detail}")])
            return
        self.skip(listing.skipped)
        self.logger.info("Zhihu Daily of %s: %d stories", listing.day, len(listing.stories))
        for story in listing.stories:
            if story.id not in self.stories:
                self.stories.add(story.id)
                yield Request(
                    story_url(story.id),
                    callback=self.parse_story,
                    errback=self.request_failed,
                    cb_kwargs={"day": listing.day, "ga_prefix": story.ga_prefix},
                )
        if self.since is None or listing.day <= self.since:
            return
        # Each listing must be of an earlier day than the one asked for: the walk always ends.
        if before is not None and listing.day >= before:
            detail = f"{response.url} lists {listing.day}, not a day before {before}: walk stopped"
            self.skip([Skip("unexpected_shape", detail)])
            return
        yield self.listing_request(before_url(listing.day), listing.day)

    def parse_story(self, response: Response, day: date, ga_prefix: str) -> Iterator[Post]:
        try:
            result = parse_story(body_text(response), day, ga_prefix)
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"Zhihu Daily story {response.url}: {exc.detail}")])
            return
        if isinstance(result, Skip):
            self.skip([result])
            return
        yield self.with_categories(result)

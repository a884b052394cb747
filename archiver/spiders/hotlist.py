"""`scrapy crawl hotlist`: the Zhihu hot list, and the top answers of each hot question."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from archiver.items import HotListSnapshot, Post, Skip
from archiver.spiders.base import ArchiverSpider, body_text, response_time
from archiver.zhihu.hotlist import parse_hot_list
from archiver.zhihu.jsonutil import ZhihuFormatError
from archiver.zhihu.kinds import HOT_LIST
from archiver.zhihu.schema import Call


class HotlistSpider(ArchiverSpider):
    name = "hotlist"
    categories_setting_name = HOT_LIST.categories
    warc_capture = True
    # The hot list wants a login; every API call is signed with d_c0.
    zhihu_cookies = ("z_c0", "d_c0")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_images: dict[str, str] = {}  # question id -> the image its entry shows

    async def start(self) -> AsyncIterator[Request]:
        # Zhihu has answered 401 here to clients it still serves at api.zhihu.com (its fallback).
        yield self.call_request(
            Call(HOT_LIST.endpoint, limit=self.settings.getint("ZHIHU_HOTLIST_LIMIT")),
            callback=self.parse_hot_list,
            errback=self.hot_list_failed,
        )

    def hot_list_failed(self, failure: Failure) -> Iterator[Request]:
        if fallback := self.fallback(failure):
            yield fallback
            return
        self.request_failed(failure)

    def parse_hot_list(self, response: Response) -> Iterator[Any]:
        try:
            questions, skipped = parse_hot_list(body_text(response))
        except ZhihuFormatError as exc:
            self.skip([Skip(exc.reason, f"hot list {response.url}: {exc.detail}")])
            return
        self.skip(skipped)
        self.logger.info("Hot list: %d questions", len(questions))
        yield HotListSnapshot(response_time(response), tuple(questions))
        self.entry_images.update((q.question_id, q.image) for q in questions if q.image)
        wanted = self.settings.getint("ZHIHU_ANSWERS_PER_QUESTION")
        for question in questions:
            yield self.answers_request(question.question_id, question.title, wanted)

    def with_categories(self, post: Post) -> Post:
        # Every post passes here on its way out: a hot-list answer takes its entry's image along,
        # the head image of an answer without one of its own.
        post = super().with_categories(post)
        image = self.entry_images.get(post.question_id, "")
        return dataclasses.replace(post, hot_image=image) if image else post

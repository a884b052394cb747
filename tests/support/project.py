"""The project as the tests see it: its settings, a crawler built with them, the seed's answer and
post, and a plain post to vary."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler

from archiver import settings as project_settings
from archiver.items import Post
from tests.support.fixture_server import FIXTURES

TESTS = Path(__file__).parents[1]
PROJECT_SETTINGS = {k: v for k, v in vars(project_settings).items() if k.isupper()}


def project_crawler(**overrides: object) -> Crawler:
    """A crawler with this project's settings, as `scrapy crawl` would build it."""
    crawler = get_crawler(settings_dict={**PROJECT_SETTINGS, **overrides})
    crawler.stats.open_spider()
    return crawler


SEED_QUESTION = "546512789"
SEED_ANSWERS = (
    FIXTURES
    / "www.zhihu.com/api/v4/questions"
    / SEED_QUESTION
    / "answers@limit=1&offset=0&sort_by=default&platform=desktop.json"
)
SEED_POST = TESTS / "golden" / "seed-post.md"


def make_post(**changes: object) -> Post:
    """A plain answer post; keyword arguments replace its fields."""
    fields = dict(
        kind="answer",
        id="1936787046304842491",
        url="https://www.zhihu.com/answer/1",
        title="问题",
        author="答主",
        updated=1700000000,
        content="<p>正文</p>",
        categories=("社交媒体", "知乎", "知乎热榜"),
        question_id="9",
    )
    return Post(**{**fields, **changes})

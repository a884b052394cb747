from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

from scrapy.crawler import Crawler  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from archiver import settings as project_settings  # noqa: E402
from archiver.items import Post  # noqa: E402
from tests.support.fixture_server import FIXTURES  # noqa: E402

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


@pytest.fixture
def seed_answer() -> dict:
    return json.loads(SEED_ANSWERS.read_text())["data"][0]

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import pytest

from tests.support import inprocess

# Before anything imports twisted.internet.reactor: the reactor `scrapy` installs, for the
# crawls run in this process (tests/support/inprocess.py) and the crawlers tests build.
inprocess.install()

from tests.support.crawling import serving  # noqa: E402
from tests.support.fixture_server import FixtureServer  # noqa: E402
from tests.support.project import SEED_ANSWERS  # noqa: E402


def pytest_unconfigure(config: pytest.Config) -> None:
    inprocess.stop()


@pytest.fixture
def fixture_server() -> Iterator[Callable[..., FixtureServer]]:
    """Starts a fixture server for the test and stops it when the test ends, for a test that
    holds one across runs or asks it itself: `fixture_server("edited", gate=..., delay=0.4)`
    serves the scenarios' fixtures over the base set (tests/support/crawling.py's `serving`).
    A plain `crawl(...)` starts its own for its run."""
    with contextlib.ExitStack() as servers:
        yield lambda *scenarios, **options: servers.enter_context(serving(*scenarios, **options))


@pytest.fixture
def seed_answer() -> dict:
    return json.loads(SEED_ANSWERS.read_text())["data"][0]

from __future__ import annotations

import json

import pytest

from tests.support.project import SEED_ANSWERS


@pytest.fixture
def seed_answer() -> dict:
    return json.loads(SEED_ANSWERS.read_text())["data"][0]

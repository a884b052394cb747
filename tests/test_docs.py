"""The README is a short entry that says where to read on; the pages of docs/ hold the rest, and
every link between them leads to a file and a heading that exist."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
QUICK_START = [
    "ZHIHU_COOKIE='<Cookie header of your browser on www.zhihu.com>' "
    "ZHIHU_USER_AGENT='<its User-Agent>' ./run crawl hotlist",
    "./run test",
]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"(`+).*?\1", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text as Markdown reads links in it: without code blocks or code spans."""
    return CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", FENCE.sub("", page.read_text()), re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(page.read_text()))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_the_readme_is_a_short_entry():
    assert len(README.read_text().splitlines()) <= 250


def test_the_readme_starts_with_the_quick_start_of_two_commands():
    text = README.read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    assert sections[1].startswith("Quick start\n")
    block = re.search(r"```sh\n(.*?)```", sections[1], re.DOTALL)[1]
    assert block.splitlines() == QUICK_START


def test_every_page_of_docs_is_linked_from_the_readme():
    linked = {(README.parent / unquote(t.split("#")[0])).resolve() for t in relative_links(README)}
    assert {page.resolve() for page in DOCS.glob("*.md")} <= linked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / unquote(path)).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and unquote(anchor) not in anchors(file):
            broken.append(f"{target}: no such heading in {file.relative_to(ROOT)}")
    assert not broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_file_a_page_names_exists(page: Path):
    """A page that names `archiver/x.py`, `tests/x.py` or `archiver/…/package-lock.json` names a
    file of the tree as it is (a stats key such as `archiver/failed/tls` has no suffix)."""
    named = re.findall(r"`((?:archiver|tests|benchmarks)/[\w/.-]+\.[a-z]+)`", page.read_text())
    assert [path for path in named if not (ROOT / path).exists()] == []


def test_the_system_packages_of_the_tests_are_named_where_the_tests_are_described():
    """What CI installs for the tests (a CJK font for the chart test among them) is named on the
    development page, in the section on what the tests need."""
    ci = (ROOT / ".ci" / "run").read_text()
    packages = set(re.findall(r"need\+=\(([\w.+-]+)\)", ci))
    assert "fonts-wqy-microhei" in packages
    development = (DOCS / "development.md").read_text()
    section = development.split("\n### What they need from the system\n", 1)[1].split("\n#", 1)[0]
    assert sorted(p for p in packages if f"`{p}`" not in section) == []

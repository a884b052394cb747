"""Rich content end to end (`scrapy archive`, through the fixture proxy): one answer with
formulas, an unclosed link card, references and a video, archived with each setting's default
and with all four on, in local-image mode."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from tests.support.crawling import crawl
from tests.support.rich_fragments import EXPECTED_TEX

URL = "https://www.zhihu.com/question/655599999/answer/3200000000000000001"
POST = "_posts/社交媒体/知乎/知乎回答/answer-3200000000000000001.md"
POSTER = "images/zhimg/v2-fedcba9876543210fedcba9876543210.jpg"
RICH = (
    "ARCHIVE_FORMULAS=tex",
    "ARCHIVE_LINK_CARDS=card",
    "ARCHIVE_REFERENCES=list",
    "ARCHIVE_VIDEOS=poster",
)


def archive(tmp_path, *settings: str):
    run = crawl(
        tmp_path, "rich", command=("archive", URL), settings=("ARCHIVE_IMAGES=local", *settings)
    )
    assert run.code == 0, run.log
    assert not run.server.gate.refused
    body = (tmp_path / POST).read_text(encoding="utf-8").split("<div>   \n", 1)[1]
    return run, lxml_html.fragment_fromstring(body.rsplit("  \n</div>", 1)[0], "div")


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    path = tmp_path_factory.mktemp("default")
    return path, *archive(path)


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    path = tmp_path_factory.mktemp("rich")
    return path, *archive(path, *RICH)


def test_default_archives_equation_images_as_today(default):
    path, run, root = default
    assert len(list((path / "images" / "equation").glob("*.svg"))) == 6
    assert any(p.startswith("/equation") for p in run.requested("www.zhihu.com"))
    assert "\\(" not in root.text_content() and root.find(".//h2") is None
    assert root.find(".//a[@class='video-box']") is not None


def test_all_four_settings_end_to_end(rich):
    path, run, root = rich
    text = root.text_content()
    assert all(tex in text for tex in EXPECTED_TEX)
    # Formulas as TeX are no figures: no equation image is fetched or stored.
    assert not any(p.startswith("/equation") for p in run.requested("www.zhihu.com"))
    assert not (path / "images" / "equation").exists()
    # The video's poster is archived and linked from the figure, in local mode.
    assert (path / POSTER).is_file()
    [poster] = root.xpath("//figure[@class='archiver-video']/a/img")
    assert poster.get("src") == f"/{POSTER}"
    assert poster.getparent().get("href") == "https://www.zhihu.com/video/1400000000000000001"
    # The card is closed after its title; its image archived.
    [card] = root.xpath("//a[@data-draft-type='link-card']")
    assert card.text_content() == "一篇文章的标题" and card.find("p") is None
    assert (path / card.find("img").get("src").lstrip("/")).is_file()
    # References: numbered links and the list at the end.
    assert root[-2].text == "参考" and len(root[-1].findall("li")) == 4

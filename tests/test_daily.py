"""The daily hot-list page, on plain data: its links, its text, its date."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import frontmatter

from archiver.post.daily import Sighting, daily_page, page_text, post_link
from archiver.post.render import PostOptions

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 25)
CATS = ("社交媒体", "知乎", "知乎热榜日报")
SLUG = "社交媒体/知乎/知乎热榜/answer-1"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 25, hour, minute, tzinfo=UTC)  # 08:00-ish in Shanghai


def text_of(sightings: list[Sighting], archived: dict[str, list[str]] | None = None) -> str:
    page = daily_page(DAY, ZONE, sightings, archived or {}, CATS)
    assert page is not None
    return page_text(page, PostOptions())


def test_a_nul_in_a_title_neither_breaks_the_page_nor_forges_a_tag():
    # Item 8: the page was built with NUL-delimited placeholders; a NUL in a title shifted them.
    sightings = [
        Sighting(at(1), 1, "1", "零\x00字节 {% post_link evil %}\x07", "1 万热度\x00"),
        Sighting(at(1), 2, "2", "第二\x00\x00", ""),
    ]
    text = text_of(sightings, {"1": [SLUG], "2": [SLUG + "0"]})
    assert "\x00" not in text and "\x07" not in text
    assert text.count("{%") == 2  # our two links, and nothing from a title
    assert f"{{% post_link {SLUG} %}}" in text and f"{{% post_link {SLUG}0 %}}" in text
    assert ">零字节 &#123;% post_link evil %&#125;</a>" in text
    assert "第二</a>" in text and "1 万热度，" in text
    page = frontmatter.loads(text.lstrip("\n"))
    assert page["title"] == "知乎热榜 2026-11-25"
    assert page["headimg"] == page["thumbnail"] == "/images/default/headimg.png"  # item 15


def test_slugs_a_tag_cannot_carry_are_named_not_linked():
    assert post_link("a b/answer-1") == '{% post_link "a b/answer-1" %}'
    assert post_link("a%}{{b/answer-1") == "a%&#125;&#123;&#123;b/answer-1"
    # Hexo's post_link reads `#` as an anchor: `{% post_link C#/answer-1 %}` fails the build.
    assert post_link("C#/answer-1") == "C#/answer-1"
    assert post_link("测试/a #b/answer-1") == "测试/a #b/answer-1"
    # It writes `&` raw into the link's href, where a browser reads `&copy/` as `©/`.
    assert post_link("&copy/answer-1") == "&amp;copy/answer-1"


def test_the_page_is_dated_by_the_latest_time_it_lists():
    # Item 17: from the recorded hot lists alone, never the clock of the run that writes it.
    first = [Sighting(at(1), 1, "1", "一", ""), Sighting(at(1), 2, "2", "二", "")]
    later = [Sighting(at(3), 1, "1", "一", ""), Sighting(at(3, 30), 3, "3", "三", "")]
    page = daily_page(DAY, ZONE, first + later, {}, CATS)
    assert page is not None
    assert page.post.updated == int(at(3, 30).timestamp())  # question 3, first seen at 03:30
    assert "date: Wed, 25 Nov 2026 03:30:00 GMT\n" in page_text(page, PostOptions())


def test_seeing_the_same_hot_list_again_changes_nothing():
    first = [Sighting(at(1), 1, "1", "一", "9 万热度"), Sighting(at(1), 2, "2", "二", "")]
    again = [Sighting(at(2), 1, "1", "一", "9 万热度"), Sighting(at(2), 2, "2", "二", "")]
    assert text_of(first) == text_of(first + again)

"""Every number read from Zhihu is ASCII digits in a sane range (archiver/numbers.py), and an
unusable one costs its comment, video card or reference, never the item (issue 24.1)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from lxml import html as lxml_html

from archiver.items import Comment, Skip
from archiver.post.comments import comments_section
from archiver.post.content import clean_content
from archiver.post.figures import figure_key
from archiver.post.periods import heat_value
from archiver.post.rich import RichOptions
from archiver.post.sanitize import link
from archiver.utils.numbers import timestamp, whole_number, zhihu_id
from archiver.zhihu.answers import answer_post
from archiver.zhihu.challenge import parse_written_cookie
from archiver.zhihu.comments import comment, read_comments
from archiver.zhihu.daily import ga_prefix_time, listing_day, story_time
from archiver.zhihu.hotlist import _question_id
from archiver.zhihu.pins import pin_post
from archiver.zhihu.targets import parse_targets
from archiver.zhihu.videos import variants

NOW = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
# What `str.isdigit` (and `\d`) take and no Zhihu number is: a superscript two, Arabic-Indic
# and full-width digits, and a digit with a sign, a blank, an exponent.
NOT_NUMBERS = ["²", "١٢٣", "１２", "-1", " 12", "12 ", "1e3", "", "0x1f", "1_000", "12.0"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_only_ascii_digits_make_a_number(text):
    assert whole_number(text) is None
    assert zhihu_id(text) == ""


def test_numbers_as_zhihu_sends_them():
    assert whole_number("0042") == 42 and whole_number(42) == 42
    assert whole_number(True) is None and whole_number(4.0) is None and whole_number(None) is None
    assert whole_number(-1) is None and whole_number(2**63) is None
    assert whole_number("9" * 5000) is None  # int() itself would refuse it (4300 digits)
    assert whole_number("7", low=8) is None and whole_number(9, high=8) is None


def test_ids_stay_as_given_up_to_twenty_digits():
    big = json.loads('{"id": 1936787046304842491}')["id"]
    assert zhihu_id(big) == zhihu_id("1936787046304842491") == "1936787046304842491"
    assert zhihu_id("9" * 20) == "9" * 20 and zhihu_id("9" * 21) == ""
    assert zhihu_id(10**20) == "" and zhihu_id(0) == "0"


def test_a_time_is_after_1970_and_at_most_a_day_past_now():
    assert timestamp(1764303600, now=NOW) == 1764303600
    assert timestamp(str(int(NOW) + 3600), now=NOW) == int(NOW) + 3600
    for bad in (0, -5, 10**13, int(NOW) + 2 * 86400, "²", "١٧٦٤٣٠٣٦٠٠", 1.5e9):
        assert timestamp(bad, now=NOW) is None, bad


def answer(**changes: object) -> dict:
    base = {
        "id": "1",
        "content": "<p>x</p>",
        "question": {"id": 9, "title": "问？"},
        "updated_time": 1764303600,
    }
    return {**base, **changes}


@pytest.mark.parametrize("value", ["²", 10**13, "١٧٦٤٣٠٣٦٠٠"])
def test_an_item_dated_out_of_range_is_skipped_as_such(value):
    skipped = answer_post(answer(updated_time=value))
    assert isinstance(skipped, Skip) and skipped.reason == "bad_number"
    assert "updated_time" in skipped.detail
    # the creation date stands in for a bad edit date, as for a missing one
    assert answer_post(answer(updated_time=value, created_time=1764300000)).updated == 1764300000
    pin = pin_post({"id": "2", "content": [{"type": "text", "content": "想"}], "updated": value})
    assert isinstance(pin, Skip) and pin.reason == "bad_number"


@pytest.mark.parametrize("value", ["١٢٣", "²"])
def test_an_id_of_other_digits_is_no_id(value):
    skipped = answer_post(answer(id=value))
    assert isinstance(skipped, Skip) and skipped.reason == "missing_field"
    assert answer_post(answer(question={"id": value, "title": "问？"})).question_id == ""


def entry(n: int, **changes: object) -> dict:
    base = {"id": 100 + n, "content": f"<p>第{n}条</p>", "created_time": 1764303600 + n}
    return {**base, "like_count": n, "author": {"name": f"人{n}"}, **changes}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"created_time": "²"}, "created_time"),
        ({"created_time": 10**13}, "created_time"),
        ({"created_time": -1}, "created_time"),
        ({"like_count": "١٢"}, "like_count"),
        ({"like_count": 10**30}, "like_count"),
        ({"like_count": None, "vote_count": "²"}, "like_count"),
    ],
)
def test_a_comment_with_a_bad_number_is_skipped_alone(changes, key):
    page = json.dumps({"data": [entry(1), entry(2, **changes), entry(3)]})
    comments, [skipped] = read_comments(page, 20)
    assert [c.id for c in comments] == ["101", "103"]
    assert skipped.reason == "bad_number" and key in skipped.detail and "102" in skipped.detail
    assert isinstance(comment(entry(2, **changes)), Skip)


def test_a_comment_without_date_or_likes_keeps_none():
    found = comment(entry(1, created_time=None, like_count=None))
    assert isinstance(found, Comment) and (found.created, found.likes) == (0, 0)


def test_a_skipped_comment_does_not_count_toward_those_wanted():
    page = json.dumps({"data": [entry(1, created_time="²"), entry(2), entry(3), entry(4)]})
    comments, skipped = read_comments(page, 2)
    assert [c.id for c in comments] == ["102", "103"] and len(skipped) == 1


def test_a_comment_the_index_kept_with_a_time_out_of_range_renders_without_date():
    # An index written before the parser was strict: rerender and repair must not stop on it.
    html = comments_section((Comment("1", "人", "", 10**13, 3, "<p>远</p>"),))
    meta = lxml_html.fragment_fromstring(html, create_parent="div").find(".//p")
    assert "<time" not in html and meta.text_content() == "人 · 3 赞"


RICH = RichOptions(references="list", videos="download")


def rich_body(fragment: str):
    return clean_content(fragment, rich=RICH)


def test_a_video_card_with_a_lens_id_of_other_digits_is_a_poster_and_counted():
    body = rich_body('<p>看</p><a class="video-box" data-lens-id="١٢٣" data-name="潮">潮</a>')
    assert body.videos == ()  # nothing to download, no URL made of it
    assert "video/" not in body.html and "▶ 潮" in body.html
    assert body.unusable == ("a video card's lens id '١٢٣'",)
    redirect = "https://link.zhihu.com/?target=https%3A//www.zhihu.com/video/%D9%A1%D9%A2"
    body = rich_body(f'<a class="video-box" href="{redirect}" data-lens-id="77">x</a>')
    assert body.videos == ("77",)  # the lens id, not the Arabic-Indic digits of the link


def test_a_reference_numbered_with_a_superscript_stays_as_it_was_and_is_counted():
    sup = '<sup data-draft-type="reference" data-numero="{}" data-text="{}" data-url="">[x]</sup>'
    body = rich_body(f"<p>甲{sup.format('1', '一')}乙{sup.format('²', '二')}</p>")
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    assert [li.get("value") for li in root.xpath("//ol[@class='ReferenceList']/li")] == ["1"]
    assert 'data-numero="²"' in body.html
    assert body.unusable == ("a reference numbered '²'",)
    assert rich_body(f"<p>{sup.format('²', '二')}</p>").unusable  # alone too: no sort on it


def test_by_default_nothing_is_judged_unusable():
    body = clean_content('<a class="video-box" data-lens-id="١٢٣">x</a>', rich=RichOptions())
    assert body.unusable == ()


def test_play_info_sizes_that_are_no_numbers_count_as_unknown():
    info = {
        "playlist": {
            "HD": {"play_url": "https://vdn1.vzuu.com/HD/a.mp4", "size": float("inf")},
            "SD": {"play_url": "https://vdn1.vzuu.com/SD/a.mp4", "width": float("nan")},
            "LD": {"play_url": "https://vdn1.vzuu.com/LD/a.mp4", "height": 10**400},
        }
    }
    found = variants(json.dumps(info).encode())
    assert [(v.size, v.width, v.height) for v in found] == [(0, 0, 0)] * 3


def test_daily_dates_read_ascii_digits_only():
    assert listing_day("20261128") == date(2026, 11, 28)
    assert listing_day("٢٠٢٦١١٢٨") is None
    day = date(2026, 11, 28)
    assert ga_prefix_time("١١٢٨٠٧", day) == ga_prefix_time("", day)  # the day's start
    assert story_time({"publish_time": 10**13}, day) == ga_prefix_time("", day)


def test_a_hot_list_link_and_a_url_of_other_digits_name_no_question():
    target = {"type": "answer", "url": "https://www.zhihu.com/question/١٢٣"}
    assert _question_id({}, target) == ""
    targets, errors = parse_targets(["https://www.zhihu.com/question/١٢٣"])
    assert targets == [] and len(errors) == 1


def test_a_challenge_cookies_max_age_of_other_digits_is_ignored():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for age in ("²", "-²", "١٠"):
        token = parse_written_cookie(f"__zse_ck=004_abc-m; max-age={age}", "m", now)
        assert token.expires is None, age


def test_a_heat_and_a_zhimg_size_bucket_read_ascii_digits_only():
    assert heat_value("1233 万热度") == 12_330_000 and heat_value("١٢٣٣ 万热度") == 0.0
    name = "v2-0123456789abcdef0123456789abcdef"
    assert figure_key(f"https://pic1.zhimg.com/80/{name}_720w.jpg") == figure_key(
        f"https://pic2.zhimg.com/{name}.jpg"
    )
    assert figure_key(f"https://pic1.zhimg.com/٨٠/{name}_720w.jpg") != figure_key(
        f"https://pic2.zhimg.com/{name}.jpg"
    )


def test_an_app_link_of_other_digits_links_nowhere():
    assert link("zhihu://answers/123") == "https://www.zhihu.com/answer/123"
    assert link("zhihu://answers/١٢٣") is None

"""Which URLs `scrapy archive` accepts, and the messages for those it refuses."""

import pytest

from archiver.zhihu.targets import Target, TargetError, parse_target, parse_targets, read_lines


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (
            "https://www.zhihu.com/question/546512789/answer/2583412650",
            ("answer", "2583412650", "546512789"),
        ),
        (
            "http://www.zhihu.com/question/546512789/answer/2583412650?utm_source=wechat",
            ("answer", "2583412650", "546512789"),
        ),
        (
            "https://zhihu.com/question/1/answer/1936787046304842491/",
            ("answer", "1936787046304842491", "1"),
        ),
        ("https://www.zhihu.com/answer/2583412650", ("answer", "2583412650", "")),
        ("https://api.zhihu.com/answers/2583412650", ("answer", "2583412650", "")),
        (
            "https://www.zhihu.com/api/v4/answers/2583412650?include=content",
            ("answer", "2583412650", ""),
        ),
        ("https://www.zhihu.com/question/546512789", ("question", "546512789", "")),
        ("https://www.zhihu.com/question/546512789?sort=created", ("question", "546512789", "")),
        ("https://api.zhihu.com/questions/546512789", ("question", "546512789", "")),
        ("https://zhuanlan.zhihu.com/p/23141946", ("article", "23141946", "")),
        ("http://zhuanlan.zhihu.com/p/23141946?utm_id=0#comments", ("article", "23141946", "")),
        ("https://api.zhihu.com/articles/23141946", ("article", "23141946", "")),
        ("https://www.zhihu.com/api/v4/articles/23141946", ("article", "23141946", "")),
        ("https://www.zhihu.com/pin/1800000000000000001", ("pin", "1800000000000000001", "")),
        ("https://zhuanlan.zhihu.com/dushu-biji?utm_source=x", ("column", "dushu-biji", "")),
        ("https://www.zhihu.com/column/dushu-biji", ("column", "dushu-biji", "")),
        ("https://www.zhihu.com/collection/700000001", ("collection", "700000001", "")),
        ("https://www.zhihu.com/people/St.Pancras", ("people", "St.Pancras", "")),
        ("https://www.zhihu.com/topic/19550517/top-answers", ("topic", "19550517", "")),
    ],
)
def test_accepted(url, target):
    parsed = parse_target(url)
    assert (parsed.kind, parsed.id, parsed.question_id) == target
    assert parsed.url == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com/question/1", "not a Zhihu URL"),
        ("https://zhihu.com.evil.example/answer/1", "not a Zhihu URL"),
        ("https://www.zhihu.com/people/someone/following", "not supported"),
        ("https://www.zhihu.com/people/../answers", "not supported"),
        ("https://zhuanlan.zhihu.com/p", "not supported"),
        ("https://www.zhihu.com/collection/abc", "not supported"),
        ("https://www.zhihu.com/topic/19550517", "not supported"),
        ("https://www.zhihu.com/zvideo/1500000000000000001", "not supported"),
        ("https://www.zhihu.com/question/abc", "not supported"),
        ("ftp://www.zhihu.com/question/1", "not a URL"),
        ("question/1", "not a URL"),
        # Python's parser and the HTTP client's disagree on the host: nobody's Zhihu URL.
        ("https://www.zhihu.com\\@example.org/question/1", "not a Zhihu URL"),
        ("www.zhihu.com@example.org/question/1", "not a Zhihu URL"),
        ("https://www.zhihu.com/question/١٢٣", "not supported"),  # ids are ASCII digits
        ("https://daily.zhihu.com/story/abc", "not supported"),
        ("https://news-at.zhihu.com/api/4/stories/latest", "not supported"),
    ],
)
def test_refused_with_the_url_and_what_is_accepted(url, says):
    with pytest.raises(TargetError) as info:
        parse_target(url)
    message = str(info.value)
    assert message.startswith(url) and says in message
    assert "https://zhuanlan.zhihu.com/p/<id>" in message and "\n" not in message


@pytest.mark.parametrize(
    ("url", "target"),
    [
        # Without a scheme, as a browser's address bar reads it (https).
        ("zhihu.com/question/1/answer/2", ("answer", "2", "1")),
        ("www.zhihu.com/question/2088649572151194406", ("question", "2088649572151194406", "")),
        ("zhuanlan.zhihu.com/p/1", ("article", "1", "")),
        ("www.zhihu.com/pin/1800000000000000001", ("pin", "1800000000000000001", "")),
        ("//www.zhihu.com/answer/2583412650", ("answer", "2583412650", "")),
        ("WWW.ZHIHU.COM./question/1", ("question", "1", "")),
        # The mobile site's answers, questions, articles and pins.
        (
            "https://m.zhihu.com/question/546512789/answer/2583412650",
            ("answer", "2583412650", "546512789"),
        ),
        ("m.zhihu.com/question/546512789", ("question", "546512789", "")),
        ("https://m.zhihu.com/answer/2583412650", ("answer", "2583412650", "")),
        ("https://m.zhihu.com/p/23141946", ("article", "23141946", "")),
        ("https://m.zhihu.com/pin/1800000000000000001", ("pin", "1800000000000000001", "")),
        # Zhihu Daily: the story's page, its share link, its API.
        ("https://daily.zhihu.com/story/9800101", ("daily", "9800101", "")),
        ("http://daily.zhihu.com/story/9800101?utm_source=wechat", ("daily", "9800101", "")),
        ("http://news-at.zhihu.com/story/9800101", ("daily", "9800101", "")),
        ("https://news-at.zhihu.com/api/4/news/9800101", ("daily", "9800101", "")),
    ],
)
def test_accepted_as_a_browser_reads_them(url, target):
    parsed = parse_target(url)
    assert (parsed.kind, parsed.id, parsed.question_id) == target
    assert parsed.url == url  # said back as the user wrote it


def test_duplicates_are_archived_once_in_input_order():
    targets, errors = parse_targets(
        [
            "https://www.zhihu.com/question/1/answer/2",
            "https://zhuanlan.zhihu.com/p/3",
            "https://www.zhihu.com/answer/2?x=1",
            "https://api.zhihu.com/answers/2",
        ]
    )
    assert errors == []
    assert [t.key for t in targets] == ["answer:2", "article:3"]
    assert targets[0] == Target("answer", "2", "https://www.zhihu.com/question/1/answer/2", "1")


def test_every_bad_line_is_reported():
    targets, errors = parse_targets(["https://example.com/", "https://www.zhihu.com/answer/1", "x"])
    assert len(targets) == 1 and len(errors) == 2


def test_input_files_skip_blank_lines_and_comments():
    text = (
        "# my reading list\n\nhttps://www.zhihu.com/answer/1  # great answer\n"
        "   https://zhuanlan.zhihu.com/p/2#comments\n"
    )
    assert read_lines(text) == [
        "https://www.zhihu.com/answer/1",
        "https://zhuanlan.zhihu.com/p/2#comments",
    ]


@pytest.mark.parametrize(
    ("url", "tab", "key"),
    [
        ("https://www.zhihu.com/people/lin-xiao-shu", "", "people:lin-xiao-shu"),
        (
            "https://www.zhihu.com/people/lin-xiao-shu/answers",
            "answers",
            "people:lin-xiao-shu/answers",
        ),
        ("https://www.zhihu.com/people/lin-xiao-shu/posts/", "posts", "people:lin-xiao-shu/posts"),
        ("https://www.zhihu.com/people/lin-xiao-shu/pins", "pins", "people:lin-xiao-shu/pins"),
    ],
)
def test_a_persons_page_and_its_tabs(url, tab, key):
    target = parse_target(url)
    assert (target.kind, target.tab, target.key, target.is_listing) == ("people", tab, key, True)

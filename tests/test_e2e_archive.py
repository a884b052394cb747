"""`scrapy archive URL...` end to end, through the fixture proxy."""

from __future__ import annotations

import os

import pytest

from tests.support.crawling import SECRET, crawl, posts

ANSWERS = "_posts/社交媒体/知乎/知乎回答"
ARTICLES = "_posts/社交媒体/知乎/知乎专栏"
GOOD = (
    "https://www.zhihu.com/question/546512789/answer/2583412650?utm_source=wechat",
    "http://www.zhihu.com/answer/3100000000000000001",
    "https://www.zhihu.com/question/2088649572151194406",
    "https://zhuanlan.zhihu.com/p/23141946",
    # the first answer again, spelled differently: archived once
    "https://api.zhihu.com/answers/2583412650",
)


def archive(tmp_path, *urls: str, stdin: str = "", options: tuple[str, ...] = (), **kwargs):
    return crawl(tmp_path, command=("archive", *options, *urls), stdin=stdin, **kwargs)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    archive_dir = tmp_path_factory.mktemp("archive")
    return archive_dir, archive(archive_dir, *GOOD)


def test_every_kind_is_archived_under_its_own_category(good):
    archive_dir, run = good
    assert run.code == 0, run.log
    assert set(posts(archive_dir)) == {
        f"{ANSWERS}/answer-2583412650.md",
        f"{ANSWERS}/answer-3100000000000000001.md",
        f"{ANSWERS}/answer-1937000000000000123.md",  # the question's top answer (after paging)
        f"{ARTICLES}/article-23141946.md",
    }


def test_duplicates_are_fetched_once(good):
    _, run = good
    assert len([p for p in run.requested("www.zhihu.com") if "/answers/2583412650" in p]) == 1


def test_article_post_format(good):
    archive_dir, _ = good
    text = posts(archive_dir)[f"{ARTICLES}/article-23141946.md"].decode()
    assert "title: '用 {{ 模板 }} 写博客时要注意的转义'" in text  # YAML: never Nunjucks
    assert "\n - 知乎专栏\n" in text
    assert "date: Tue, 01 Nov 2016 11:33:20 GMT" in text  # `updated`, not `updated_time`
    assert "写博客的人的文章<br><br><p>" in text
    assert "headimg: 'https://pic2.zhimg.com/v2-6666666666666666aaaa666666666666_1440w.jpg'" in text


def test_progress_and_summary(good):
    _, run = good
    assert "Archiving 4 URL(s)" in run.log
    assert "Progress: 4/4 archived, 0 failed" in run.log
    assert "Summary: 4 new" in run.log


def test_a_second_run_changes_nothing(good, tmp_path):
    first = archive(tmp_path, *GOOD)
    assert first.code == 0
    before = posts(tmp_path)
    again = archive(tmp_path, *GOOD)
    assert again.code == 0 and posts(tmp_path) == before
    assert "Summary: 0 new, 0 updated, 4 unchanged" in again.log


def test_urls_from_a_file_and_from_standard_input(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text(
        "# to read later\nhttps://www.zhihu.com/answer/3100000000000000001  # sqlite\n\n"
    )
    run = archive(
        tmp_path,
        "-i",
        str(listing),
        "-i",
        "-",
        stdin="https://zhuanlan.zhihu.com/p/23141946\n",
        in_subprocess=True,  # the command line and its standard input
    )
    assert run.code == 0, run.log
    assert set(posts(tmp_path)) == {
        f"{ANSWERS}/answer-3100000000000000001.md",
        f"{ARTICLES}/article-23141946.md",
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com/some/page", "not a Zhihu URL"),
        ("https://www.zhihu.com/zvideo/15", "this kind of Zhihu URL is not supported"),
        ("question/1", "not a URL"),  # a scheme-less URL is read as https (issue 24.9)
    ],
)
def test_bad_input_stops_everything_before_a_request(tmp_path, url, says):
    run = archive(
        tmp_path, "https://www.zhihu.com/answer/3100000000000000001", url, in_subprocess=True
    )
    assert run.code == 2, run.log
    assert (
        f"archive: error: {url}: {says}; accepted: https://www.zhihu.com/question/<id>" in run.log
    )
    assert run.server.seen == []
    assert posts(tmp_path) == {}


def test_urls_as_a_newcomer_pastes_them(good, tmp_path):
    """Without a scheme, and the mobile site's: the same posts as their www forms."""
    archive_dir, _ = good
    run = archive(
        tmp_path,
        "zhihu.com/question/546512789/answer/2583412650",
        "m.zhihu.com/answer/3100000000000000001",
        "https://m.zhihu.com/p/23141946",
    )
    assert run.code == 0, run.log
    assert "Progress: 3/3 archived, 0 failed" in run.log
    made, before = posts(tmp_path), posts(archive_dir)
    assert set(made) == {
        f"{ANSWERS}/answer-2583412650.md",
        f"{ANSWERS}/answer-3100000000000000001.md",
        f"{ARTICLES}/article-23141946.md",
    }
    assert all(made[path] == before[path] for path in made)


def test_a_missing_input_file_is_bad_input(tmp_path):
    run = archive(tmp_path, "-i", str(tmp_path / "nope.txt"), in_subprocess=True)
    assert run.code == 2
    assert "archive: error: cannot read" in run.log and "nope.txt" in run.log


def test_answers_that_no_longer_exist(tmp_path):
    run = archive(
        tmp_path,
        "https://www.zhihu.com/answer/404404404",
        "https://www.zhihu.com/answer/505505505",
        "https://www.zhihu.com/answer/3100000000000000001",
    )
    assert run.code == 1, run.log
    assert "Failed https://www.zhihu.com/api/v4/answers/404404404" in run.log
    assert "HTTP 404 (deleted, or never existed)" in run.log
    assert "'archiver/failed/not_found': 1" in run.log
    assert "Skipped (not_found): https://www.zhihu.com/answer/505505505" in run.log
    assert "Progress: 1/3 archived, 2 failed" in run.log
    assert set(posts(tmp_path)) == {f"{ANSWERS}/answer-3100000000000000001.md"}


def test_how_many_answers_of_a_question(tmp_path):
    run = archive(tmp_path, "https://www.zhihu.com/question/546512789", options=("-a", "answers=2"))
    # only one answer page exists for limit=1 in the fixtures: asking for 2 reads limit=2
    assert any("limit=2" in p for p in run.requested("www.zhihu.com"))


def test_an_article_is_read_from_the_signed_api_and_from_its_page_when_refused(tmp_path):
    through_api = crawl(
        tmp_path / "api", command=("archive", "https://zhuanlan.zhihu.com/p/23141946")
    )
    assert through_api.code == 0, through_api.log
    assert through_api.server.gate.refused == []
    [api] = [s for s in through_api.server.seen if "/api/v4/articles/" in s.path]
    assert api.headers["Referer"] == "https://zhuanlan.zhihu.com/p/23141946"
    assert "reading the article's page" not in through_api.log
    run = crawl(
        tmp_path / "page",
        "signed-articles",
        command=("archive", "https://zhuanlan.zhihu.com/p/23141946"),
    )
    assert run.code == 0, run.log
    assert "Zhihu refused the articles API; reading the article's page" in run.log
    assert "Blocked:" not in run.log
    assert posts(tmp_path / "page") == posts(tmp_path / "api") != {}


def test_a_post_that_cannot_be_written_fails_the_url_and_the_run(tmp_path):
    """A FIFO where the post goes: refused at once (not hung on), counted, said in one line."""
    target = tmp_path / ANSWERS / "answer-2583412650.md"
    target.parent.mkdir(parents=True)
    os.mkfifo(target)
    run = archive(
        tmp_path,
        "https://www.zhihu.com/answer/2583412650",
        "https://www.zhihu.com/answer/3100000000000000001",
    )
    assert run.code == 1, run.log
    assert "Progress: 1/2 archived, 1 failed (https://www.zhihu.com/answer/2583412650)" in run.log
    assert "'archiver/failed/unsafe_path': 1" in run.log
    assert "Summary: 1 new, 0 updated, 0 unchanged, 0 skipped, 1 failed" in run.log
    [line] = [ln for ln in run.log.splitlines() if "Dropped:" in ln]
    assert "unsafe_path: answer 2583412650 ('ai作画到了什么水平了？目前有哪些应用？')" in line
    assert "<p" not in line  # the item's HTML is never dumped into the log


def test_a_questions_answers_from_feeds_where_answers_is_refused(tmp_path):
    # scenarios/moved: /answers 403 although logged in; /feeds, cursor-paged, has the answer.
    url = "www.zhihu.com/question/2088649572151194406"  # 19 digits, kept as text throughout
    run = crawl(tmp_path, "moved", command=("archive", url))
    assert run.code == 0, run.log
    assert set(posts(tmp_path)) == {f"{ANSWERS}/answer-2090000000000000001.md"}
    assert "Progress: 1/1 archived, 0 failed" in run.log
    assert "'archiver/fallback/question_feeds': 1" in run.log
    assert run.server.gate.refused == []


def test_without_a_login_a_refusal_is_the_block_it_always_was(tmp_path):
    anonymous = "; ".join(p for p in SECRET.split("; ") if not p.startswith("z_c0="))
    run = crawl(
        tmp_path,
        "moved",
        command=("archive", "https://www.zhihu.com/question/2088649572151194406"),
        env={"ZHIHU_COOKIE": anonymous},
    )
    assert run.code == 3, run.log
    assert "Blocked: Zhihu requires a login for this request (HTTP 401, code 101" in run.log
    assert not any("/feeds" in p for p in run.requested("www.zhihu.com"))
    assert "archiver/fallback" not in run.log


def test_where_feeds_fails_too_the_refusal_of_answers_is_the_block(tmp_path):
    run = crawl(tmp_path, "moved", command=("archive", "https://www.zhihu.com/question/623456789"))
    assert run.code == 3, run.log
    [feeds] = [p for p in run.requested("www.zhihu.com") if "/feeds" in p]
    assert feeds.startswith("/api/v4/questions/623456789/feeds?")
    assert (
        run.log.count(
            "Blocked: Zhihu requires a login for this request (HTTP 401, code 101, "
            "at https://www.zhihu.com/api/v4/questions/623456789/answers?"
        )
        == 1
    )
    assert "Progress: 0/1 archived, 1 failed" in run.log

"""Comments end to end (`scrapy archive`, through the fixture proxy and its gate): an answer's
captured with it, their images archived, kept unchanged by later runs without a request,
captured again when the answer is edited, and a failed capture losing nothing else; an
article's and a pin's captured the same way."""

from __future__ import annotations

import shutil

import pytest
from lxml import html as lxml_html

from tests.support.crawling import crawl, mtimes, posts, scrapy_command

ANSWER = "3300000000000000001"
URL = f"https://www.zhihu.com/question/655533333/answer/{ANSWER}"
POST = f"_posts/社交媒体/知乎/知乎回答/answer-{ANSWER}.md"
COMMENTS = f"/api/v4/comment_v5/answers/{ANSWER}/root_comment?order_by=score&limit=20&offset="
COMMENT_IMAGE = "images/zhimg/v2-c0ffee00c0ffee00c0ffee00c0ffee00.jpg"
EDITED_IMAGE = "images/zhimg/v2-ed17ed17ed17ed17ed17ed17ed17ed17.jpg"
BODY_IMAGE = "images/zhimg/v2-b0d1b0d1b0d1b0d1b0d1b0d1b0d1b0d1.jpg"
SETTINGS = ("ZHIHU_COMMENTS=2", "ARCHIVE_IMAGES=local")


def archive(path, *scenarios: str, settings: tuple[str, ...] = SETTINGS):
    run = crawl(path, *scenarios, command=("archive", URL), settings=settings)
    assert run.code == 0, run.log
    assert run.server.gate.refused == []
    return run


def site_mtimes(path) -> dict[str, int]:
    """The modification times of what the site shows (posts, images), not of the index."""
    return {p: t for p, t in mtimes(path).items() if "/.archiver/" not in p}


def comment_requests(run) -> int:
    return run.requested("www.zhihu.com").count(COMMENTS)


def section(path, post=POST):
    """The post's body, parsed; its 评论 section's items."""
    text = (path / post).read_text(encoding="utf-8")
    body = text.split("<div>   \n", 1)[1].rsplit("  \n</div>", 1)[0]
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    return text, root, root.xpath("//ol[@class='CommentList']/li")


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    path = tmp_path_factory.mktemp("comments") / "archive"
    return path, archive(path)


def test_the_top_comments_are_captured_with_their_images(first):
    path, run = first
    assert comment_requests(run) == 1
    [request] = [s for s in run.server.seen if s.path == COMMENTS]
    assert request.headers["Referer"] == URL
    text, root, items = section(path)
    assert [h.text for h in root.findall("h2")] == ["评论"]
    authors = [li.find("p/a").text for li in items]
    assert authors == ["云上的猫", "河边的人"]  # the top 2 of 3, in Zhihu's order
    assert items[0].find("p/a").get("href") == "https://www.zhihu.com/people/yun-shang"
    assert items[0].find("p").text_content() == "云上的猫 · 2025-11-28 12:20 · 128 赞"
    # The comment's image is a figure: archived, and the post shows the archived copy.
    assert (path / COMMENT_IMAGE).is_file()
    assert items[0].find(".//img").get("src") == f"/{COMMENT_IMAGE}"
    # The head image and thumbnail stay the answer's own.
    assert f"headimg: '/{BODY_IMAGE}'" in text
    assert "thumbnail: '/images/thumbs/400x300/zhimg/v2-b0d1" in text
    assert "'archiver/comments/captured': 1" in run.log


def test_the_capture_is_in_the_warc_and_replays_to_the_same_post(first, tmp_path):
    path, _ = first
    cdxj = "".join(p.read_text() for p in (path / ".archiver" / "warc").glob("*.cdxj"))
    assert f"/api/v4/comment_v5/answers/{ANSWER}/root_comment" in cdxj
    replay = f"ARCHIVE_REPLAY={path / '.archiver' / 'warc'}"
    run = archive(tmp_path, settings=(*SETTINGS, replay))
    assert run.server.seen == []  # nothing fetched: all from the capture
    assert (tmp_path / POST).read_bytes() == (path / POST).read_bytes()


def test_a_strangers_comment_cannot_script_or_break_hexo(first):
    path, _ = first
    text, _, items = section(path)
    hostile = items[1]
    assert "[飙泪笑]" in hostile.text_content()
    assert "{{ site.title }} {% raw %}" in hostile.text_content()  # as text, to a reader
    body = text.split("---", 2)[2]
    # A `---` line stays inside the HTML block (no blank line before it), as in bodies.
    for bad in ("<script", "javascript:", "onmouseover", "{{", "{%", "\n```"):
        assert bad not in body, bad
    assert "第三位" not in text


def test_later_runs_keep_the_comments_then_an_edit_captures_them_again(first, tmp_path):
    path = tmp_path / "archive"
    shutil.copytree(first[0], path)  # the first run's archive stays as it was for the others
    before, times = posts(path), site_mtimes(path)
    # Unchanged: no comment request, not a byte changed, with or without the setting.
    for settings in (SETTINGS, ("ARCHIVE_IMAGES=local",)):
        run = archive(path, settings=settings)
        assert comment_requests(run) == 0
        assert posts(path) == before and site_mtimes(path) == times
    # `rerender` renders the comments the index holds: nothing changes.
    done = scrapy_command(path, "rerender", settings=SETTINGS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 changed, 1 unchanged" in done.stdout and posts(path) == before
    # Edited (a newer updated_time): captured again, with the new comment's image.
    run = archive(path, "comments-edited")
    assert comment_requests(run) == 1
    text, _, items = section(path)
    assert "补充：第二年搬回了城里。" in text
    assert [li.find("p/a").text for li in items] == ["后来者", "云上的猫"]
    assert (path / EDITED_IMAGE).is_file()


@pytest.mark.parametrize(
    ("scenario", "reason", "requests"),
    [("comments-failed", "http_500", 4), ("comments-forbidden", "forbidden", 1)],
)
def test_a_failed_capture_loses_nothing_else(tmp_path, scenario, reason, requests):
    run = archive(tmp_path, scenario)
    assert comment_requests(run) == requests  # a 500 is retried, a 403 is not
    text, root, items = section(tmp_path)
    assert items == [] and root.find("h2") is None
    assert "早上五点，雾从山谷里升起来。" in text and (tmp_path / BODY_IMAGE).is_file()
    assert f"Comments failed ({reason}): answer {ANSWER}" in run.log
    assert f"'archiver/comments/failed/{reason}': 1" in run.log
    assert "blocked: no" in run.log and "exit status 0" in run.log


def test_by_default_no_comment_is_asked_for(tmp_path):
    run = archive(tmp_path, settings=())
    assert comment_requests(run) == 0
    assert "评论" not in (tmp_path / POST).read_text(encoding="utf-8")


def test_an_articles_and_a_pins_comments_are_captured_the_same_way(tmp_path):
    article, pin = (
        "https://zhuanlan.zhihu.com/p/23141946",
        "https://www.zhihu.com/pin/1800000000000000001",
    )
    run = crawl(tmp_path, command=("archive", article, pin), settings=SETTINGS)
    assert run.code == 0, run.log
    assert run.server.gate.refused == []
    for resource, item_id, url in (("articles", "23141946", article), ("pins", pin[-19:], pin)):
        path = (
            f"/api/v4/comment_v5/{resource}/{item_id}/root_comment?order_by=score&limit=20&offset="
        )
        [request] = [s for s in run.server.seen if s.path == path]
        assert request.headers["Referer"] == url
    _, root, items = section(tmp_path, "_posts/社交媒体/知乎/知乎专栏/article-23141946.md")
    assert [h.text for h in root.findall("h2")] == ["评论"]
    assert [li.find("p").text_content().split(" · ")[0] for li in items] == ["读专栏的人", "路过"]
    assert items[1].find("p/a") is None  # no profile to link to
    text, _, items = section(tmp_path, "_posts/社交媒体/知乎/知乎想法/pin-1800000000000000001.md")
    assert [li.find("p/a").text for li in items] == ["想法的读者"]
    assert "今天的想法很有意思" in text and "<script" not in text.split("---", 2)[2]
    assert "'archiver/comments/captured': 2" in run.log

"""`scrapy crawl hotlist` end to end, against saved responses served on 127.0.0.1."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.crawling import SECRET, Run, assert_no_secret, crawl, scrapy_command
from tests.support.crawling import posts as all_posts
from tests.support.project import SEED_POST

CATEGORY = "_posts/社交媒体/知乎/知乎热榜"
EXPECTED = {
    f"{CATEGORY}/answer-{i}.md" for i in ("2583412650", "1937000000000000123", "3012345678")
}


def posts(archive: Path) -> dict[str, bytes]:
    """The answer posts (the daily hot-list page has tests of its own)."""
    return {k: v for k, v in all_posts(archive).items() if "/知乎热榜日报/" not in k}


def post_mtimes(archive: Path) -> dict[str, int]:
    return {p.as_posix(): p.stat().st_mtime_ns for p in archive.glob("_posts/**/*.md")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, Run]:
    archive = tmp_path_factory.mktemp("archive")
    return archive, crawl(archive)


def test_hot_list_becomes_posts(first_run):
    archive, run = first_run
    assert run.code == 0, run.log
    assert set(posts(archive)) == EXPECTED
    assert "Summary: 3 new, 0 updated, 0 unchanged, 3 skipped, 0 failed, blocked: no" in run.log


def test_seed_answer_front_matter_is_the_seeds(first_run):
    archive, _ = first_run
    ours = posts(archive)[f"{CATEGORY}/answer-2583412650.md"].decode()
    seed = SEED_POST.read_text(encoding="utf-8")
    assert ours.split("<div>", 1)[0] == seed.split("<div>", 1)[0]


def test_an_answer_without_a_figure_shows_its_hot_list_image(first_run):
    # Item 15: the hot list's `children[0].thumbnail`, carried on the item, as Zhihu gives it.
    archive, _ = first_run
    text = posts(archive)[f"{CATEGORY}/answer-3012345678.md"].decode()
    hot = "https://pic1.zhimg.com/80/v2-0123456789abcdef0123456789abcdef_720w.jpg?source=1940ef5c"
    assert f"\nheadimg: '{hot}'\n" in text and f"\nthumbnail: '{hot}'\n" in text
    seed = posts(archive)[f"{CATEGORY}/answer-2583412650.md"].decode()
    assert "headimg: 'https://pic1.zhimg.com/v2-158d1e80ca704d318c85b6d27958c439_1440w" in seed


def test_the_daily_page_shows_the_shipped_image(first_run):
    from archiver.assets import shipped_image

    archive, _ = first_run
    [page] = [v for k, v in all_posts(archive).items() if "/知乎热榜日报/page-hotlist-2" in k]
    assert b"\nheadimg: '/images/default/headimg.png'\n" in page
    assert (archive / "images/default/headimg.png").read_bytes() == shipped_image()


def test_skips_are_logged_with_their_reasons(first_run):
    _, run = first_run
    assert "Skipped (not_a_question)" in run.log
    assert "Skipped (truncated): answer 1936787046304842491" in run.log
    assert "Skipped (malformed_json): answers of question 623456789" in run.log
    assert "'archiver/skipped/truncated': 1" in run.log


def test_paging_is_followed_to_the_next_answer(first_run):
    _, run = first_run
    assert any("answers?" in s.path and "offset=1" in s.path for s in run.server.seen)


def test_5xx_is_retried(first_run):
    archive, run = first_run
    q3 = [path for path in run.requested("www.zhihu.com") if "/questions/612345678/" in path]
    assert len(q3) == 2
    assert f"{CATEGORY}/answer-3012345678.md" in posts(archive)


def test_requests_look_like_a_browser_from_zhihu(first_run):
    _, run = first_run
    for seen in run.server.seen:
        assert seen.headers["User-Agent"].startswith("Mozilla/5.0")
        assert seen.headers["Referer"].startswith("https://www.zhihu.com/")
        # the login cookie goes to Zhihu itself only, never to the image hosts
        assert seen.headers.get("Cookie") == (SECRET if seen.host == "www.zhihu.com" else None)


def test_cookie_never_reaches_logs_or_archive(first_run):
    archive, run = first_run
    assert_no_secret(run, archive)


def test_index_records_every_archived_answer(first_run):
    archive, _ = first_run
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    rows = db.execute(
        "SELECT item_id, path, updated_time FROM posts WHERE kind = 'answer' ORDER BY item_id"
    ).fetchall()
    assert {row[1] for row in rows} == EXPECTED
    assert ("2583412650", f"{CATEGORY}/answer-2583412650.md", 1658628417) in rows


def test_second_run_changes_nothing(tmp_path):
    crawl(tmp_path)
    before, times = posts(tmp_path), post_mtimes(tmp_path)
    again = crawl(tmp_path)
    assert again.code == 0, again.log
    assert posts(tmp_path) == before and post_mtimes(tmp_path) == times
    assert "Summary: 0 new, 0 updated, 3 unchanged" in again.log


def test_edited_answer_is_rewritten_in_place(tmp_path):
    crawl(tmp_path)
    edited = crawl(tmp_path, "edited")
    assert edited.code == 0, edited.log
    assert set(posts(tmp_path)) == EXPECTED
    text = posts(tmp_path)[f"{CATEGORY}/answer-2583412650.md"].decode()
    assert "（编辑：补充了一段）" in text
    assert "date: Sun, 24 Jul 2022 22:00:00 GMT" in text
    assert "Summary: 0 new, 1 updated, 2 unchanged" in edited.log


def test_two_answers_to_one_question_get_two_posts(tmp_path):
    run = crawl(tmp_path, "two-answers", settings=("ZHIHU_ANSWERS_PER_QUESTION=2",))
    assert run.code == 0, run.log
    texts = list(posts(tmp_path).values())
    assert len(texts) == 2
    assert all(b"title: 'ai\xe4\xbd\x9c\xe7\x94\xbb" in t for t in texts)
    assert any("另一位答主的回答".encode() in t for t in texts)


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        ("login-required", "Blocked: Zhihu requires a login for this request (HTTP 401, code 101"),
        ("login-expired", "Blocked: the Zhihu login in ZHIHU_COOKIE has expired or is invalid"),
        ("signature", "Blocked: Zhihu rejected the request signature"),
        (
            "risk-control",
            "Blocked: Zhihu's risk control is limiting this client (HTTP 403, code 40362",
        ),
        ("signin-redirect", "Blocked: Zhihu redirected to its sign-in page (HTTP 302"),
    ],
)
def test_blocked_runs_stop_loudly_and_write_nothing(tmp_path, scenario, says):
    run = crawl(tmp_path, scenario)
    assert run.code == 3, run.log
    assert says in run.log
    assert "To fix:" in run.log and "exit status 3" in run.log
    assert posts(tmp_path) == {}
    assert "TOPSECRETVALUE" not in run.log


MOVED_ANSWER = f"{CATEGORY}/answer-2090000000000000001.md"


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> tuple[Path, Run]:
    """Zhihu moved the core path: www.zhihu.com's hot list answers 401 although logged in, a
    question's /answers 403; the app host's hot list and /feeds answer (scenarios/moved)."""
    archive = tmp_path_factory.mktemp("moved")
    return archive, crawl(archive, "moved")


def test_where_zhihu_moved_the_hot_list_and_answers_the_run_follows(moved):
    archive, run = moved
    assert run.code == 0, run.log
    assert set(posts(archive)) == {f"{CATEGORY}/answer-2583412650.md", MOVED_ANSWER}
    hot = run.requested("api.zhihu.com")
    assert hot == ["/topstory/hot-lists/total?limit=50&reverse_order=0"]
    feeds = [p for p in run.requested("www.zhihu.com") if "/feeds" in p]
    assert [p.split("?")[0] for p in feeds] == ["/api/v4/questions/2088649572151194406/feeds"] * 2
    assert "cursor=5d1c3b7a9e2f4068a1b3c5d7e9f10243" in feeds[1]  # cursor paging followed
    # Each fallback counted, and said once.
    assert "'archiver/fallback/hot_list_app': 1" in run.log
    assert "'archiver/fallback/question_feeds': 1" in run.log
    assert run.log.count("with a login; reading it from api.zhihu.com, as RSSHub does") == 1
    assert run.log.count("with a login; reading it from /feeds, as Zhihu's web page does") == 1
    assert "Blocked:" not in run.log
    # A card that holds no answer is said and counted, not archived.
    assert (
        "Skipped (not_an_answer): a question's feed card of zvideo 2090000000000000777" in run.log
    )


def test_the_fallbacks_are_sent_as_their_clients_send_them(moved):
    _, run = moved
    assert run.server.gate.refused == []  # the login everywhere, /feeds signed
    [app] = [s for s in run.server.seen if s.host == "api.zhihu.com"]
    headers = {k.lower(): v for k, v in app.headers.items()}
    assert "z_c0=" in headers["cookie"] and "x-zse-96" not in headers  # RSSHub: the cookie alone
    [feeds, _] = [s for s in run.server.seen if "/feeds" in s.path]
    assert feeds.headers["Referer"] == "https://www.zhihu.com/question/2088649572151194406"


def test_an_area_shaped_hot_list_gives_its_entries_title_and_image(moved):
    archive, _ = moved
    text = posts(archive)[MOVED_ANSWER].decode()
    assert "\ntitle: '为什么家里的猫总在半夜跑酷？'\n" in text
    assert "屋顶上的猫的回答<br><br>" in text
    # The answer has no figure of its own: its entry's `image_area.url` is its head image.
    image = "https://pic2.zhimg.com/80/v2-9e8d7c6b5a4f30211203f4e5d6c7b8a9_720w.png"
    assert f"\nheadimg: '{image}'\n" in text and f"\nthumbnail: '{image}'\n" in text
    with sqlite3.connect(archive / ".archiver" / "index.sqlite3") as db:
        rows = db.execute(
            "SELECT rank, question_id, title, heat FROM hotlist ORDER BY rank"
        ).fetchall()
    assert rows == [
        (1, "546512789", "ai作画到了什么水平了？目前有哪些应用？", "1512 万热度"),
        (2, "2088649572151194406", "为什么家里的猫总在半夜跑酷？", "806 万热度"),
    ]


def test_a_rerender_of_the_moved_run_changes_nothing(moved, tmp_path):
    """The app host's hot list and /feeds are read back from the WARC as the crawl read them:
    the entry's image, the feed card's answer."""
    archive, _ = moved
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy)
    done = scrapy_command(copy, "rerender")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 changed, 2 unchanged, 0 failed" in done.stdout
    assert posts(copy) == posts(archive)


def test_a_fallback_that_fails_too_is_the_block_it_was(tmp_path):
    # login-required: www.zhihu.com's hot list 401, and nothing at api.zhihu.com either.
    run = crawl(tmp_path, "login-required")
    assert run.code == 3, run.log
    assert run.requested("api.zhihu.com") == ["/topstory/hot-lists/total?limit=50&reverse_order=0"]
    assert (
        run.log.count(
            "Blocked: Zhihu requires a login for this request (HTTP 401, code 101, "
            "at https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total"
        )
        == 1
    )
    assert "'archiver/fallback/hot_list_app': 1" in run.log
    assert posts(tmp_path) == {}


def test_a_stale_challenge_token_stops_the_run_with_what_to_copy(tmp_path):
    stale = SECRET.replace("__zse_ck=004_", "__zse_ck=004_STALE")
    run = crawl(tmp_path, env={"ZHIHU_COOKIE": stale})
    assert run.code == 3, run.log
    assert "Blocked: Zhihu served its JavaScript challenge page" in run.log
    assert "Cookie request header into ZHIHU_COOKIE" in run.log
    assert "User-Agent header into ZHIHU_USER_AGENT" in run.log
    assert posts(tmp_path) == {}


def test_a_block_in_the_middle_of_the_crawl_stops_it(tmp_path):
    run = crawl(tmp_path, "risk-control-answers")
    assert run.code == 3, run.log
    assert run.log.count("Blocked: Zhihu's risk control") == 1
    assert "Spider closed (blocked)" in run.log
    assert posts(tmp_path) == {}


def test_a_hot_list_that_is_not_json_fails_the_run(tmp_path):
    run = crawl(tmp_path, "not-json")
    assert run.code == 1, run.log
    assert "Skipped (malformed_json): hot list" in run.log
    assert posts(tmp_path) == {}


def test_requests_go_through_the_proxy_from_the_environment(first_run):
    # Every test crawl reaches Zhihu only through https_proxy (the fixture server): the
    # tunnels it was asked for name the real hosts.
    _, run = first_run
    hosts = {seen.host for seen in run.server.seen}
    assert "www.zhihu.com" in hosts
    assert hosts <= {
        "www.zhihu.com",
        "pic1.zhimg.com",
        "pic2.zhimg.com",
        "pic3.zhimg.com",
        "pic4.zhimg.com",
        "pica.zhimg.com",
        "picx.zhimg.com",
    }

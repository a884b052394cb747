"""`scrapy recheck` end to end, through the fixture proxy: a hot list (and a few URLs) archived,
then Zhihu serving each kind of going for some of them (tests/fixtures/scenarios/recheck-*)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import frontmatter
import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.post.vanished import LABELS, NOTE_CLASS, with_note
from tests.support.crawling import crawl, mtimes, posts

HOT = "_posts/社交媒体/知乎/知乎热榜"
ANSWERS = "_posts/社交媒体/知乎/知乎回答"
PIN = "_posts/社交媒体/知乎/知乎想法/pin-1800000000000000001.md"
PAGES = "_posts/社交媒体/知乎/知乎消失内容"
URLS = (
    "https://www.zhihu.com/answer/3100000000000000001",
    "https://www.zhihu.com/answer/3300000000000000001",
    "https://zhuanlan.zhihu.com/p/23141946",
    "https://www.zhihu.com/pin/1800000000000000001",
)
# key -> (class, the evidence: status, code, Zhihu's words; the kept post's author), its post
VANISHED = {
    "answer:2583412650": ("gone", 404, "4041", "这条内容已经找不到了", "养猫的哈士奇"),
    "answer:1937000000000000123": (
        "question_gone",
        404,
        "4041",
        "问题已经找不到了",
        "夜猫子研究所",
    ),
    "answer:3012345678": ("hidden", 200, "suggest_edit", "内容涉及不实信息", "匿名用户"),
    "answer:3100000000000000001": ("author_gone", 200, "author", "「已注销」", "数据库管理员"),
}
PATHS = {
    "answer:2583412650": f"{HOT}/answer-2583412650.md",
    "answer:1937000000000000123": f"{HOT}/answer-1937000000000000123.md",
    "answer:3012345678": f"{HOT}/answer-3012345678.md",
    "answer:3100000000000000001": f"{ANSWERS}/answer-3100000000000000001.md",
}
# Where the evidence of each is: the answer's own response, or (its question deleted) that of
# its question's answers, asked as the hot list asks them.
EVIDENCE = {
    "answer:2583412650": "/api/v4/answers/2583412650?include=",
    "answer:1937000000000000123": "/api/v4/questions/2088649572151194406/answers?include=",
    "answer:3012345678": "/api/v4/answers/3012345678?include=",
    "answer:3100000000000000001": "/api/v4/answers/3100000000000000001?include=",
}
CHECKED = {
    **{key: going[0] for key, going in VANISHED.items()},
    "answer:3300000000000000001": "folded",
    "article:23141946": "unchanged",
    "pin:1800000000000000001": "edited",
}
FIRST_SUMMARY = (
    "Summary: 7 checked (1 unchanged, 1 edited, 1 gone, 1 hidden, 1 question_gone, "
    "1 author_gone, 1 folded, 0 unknown; 0 back); 0 new, 1 updated, 0 unchanged"
)


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("archived")
    assert crawl(archive).code == 0
    run = crawl(archive, command=("archive", *URLS))
    assert run.code == 0, run.log
    return archive


@pytest.fixture
def archive(archived: Path, tmp_path: Path) -> Path:
    """A copy of the archived hot list, for one test to recheck."""
    return Path(shutil.copytree(archived, tmp_path / "archive"))


def recheck(archive: Path, *scenarios: str, options: tuple[str, ...] = (), settings=(), **kwargs):
    return crawl(archive, *scenarios, command=("recheck", *options), settings=settings, **kwargs)


def rows(archive: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def month_pages(archive: Path) -> dict[str, bytes]:
    return {path: data for path, data in posts(archive).items() if path.startswith(PAGES)}


def warc_response(archive: Path, name: str, record_id: str) -> tuple[str, int]:
    """(target URI, HTTP status) of a response record of the archive's WARC files."""
    with (archive / ".archiver" / "warc" / name).open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_headers.get_header("WARC-Record-ID") == record_id:
                assert record.rec_type == "response"
                uri = record.rec_headers.get_header("WARC-Target-URI")
                return uri, int(record.http_headers.get_statuscode())
    raise AssertionError(f"no record {record_id} in {name}")


def test_recheck_records_each_kind_of_going_and_a_second_one_adds_nothing(archive):
    before = posts(archive)
    run = recheck(archive, "recheck-vanished")
    assert run.code == 0, run.log
    assert run.server.gate.refused == []  # signed and logged in, as a crawl
    assert FIRST_SUMMARY in run.log
    assert "Summary:" in run.log and "exit status 0" in run.log

    found = rows(
        archive,
        "SELECT key, state, status, code, message, author, ended_at, warc_file, warc_record"
        " FROM vanished",
    )
    assert {row[0]: row[1:6] for row in found} == VANISHED
    assert all(row[6] == "" for row in found)  # none has ended
    for key, *_, warc_file, record_id in found:
        uri, status = warc_response(archive, warc_file, record_id)
        assert status == VANISHED[key][1]
        assert EVIDENCE[key] in uri
    assert dict(rows(archive, "SELECT key, state FROM checks")) == CHECKED

    # Every post kept byte for byte; the edited pin archived again, its old text kept.
    after = posts(archive)
    [page] = month_pages(archive)
    assert {p for p in after if after[p] != before.get(p)} == {PIN, page}
    assert rows(archive, "SELECT text FROM versions WHERE key = 'pin:1800000000000000001'") == [
        (before[PIN],)
    ]
    assert "记录四步" in after[PIN].decode()

    text = after[page].decode()
    categories = frontmatter.loads(text.lstrip("\n"))["categories"]
    assert categories == ["社交媒体", "知乎", "知乎消失内容"]
    for key, (_, _, _, _, author) in VANISHED.items():
        slug = PATHS[key].removeprefix("_posts/").removesuffix(".md")
        assert f"{{% post_link {slug} %}}" in text
        assert f"{author}的回答" in text
    for state in ("gone", "question_gone", "hidden", "author_gone"):
        assert LABELS[state] in text
    assert "在山里住一年" not in text and "写博客" not in text  # folded, unchanged: not gone

    story = crawl(archive, command=("history", "--question", "546512789"))
    assert story.code == 0
    assert f"vanished: {PATHS['answer:2583412650']}: gone (已从知乎删除), noticed " in story.log

    recorded = rows(archive, "SELECT * FROM vanished ORDER BY rowid")
    stamps = mtimes(archive)
    again = recheck(archive, "recheck-vanished")
    assert again.code == 0, again.log
    assert "7 checked (2 unchanged, 0 edited, 1 gone, 1 hidden, 1 question_gone" in again.log
    assert rows(archive, "SELECT * FROM vanished ORDER BY rowid") == recorded  # first noticed
    assert posts(archive) == after
    assert {p: t for p, t in mtimes(archive).items() if "/_posts/" in p} == {
        p: t for p, t in stamps.items() if "/_posts/" in p
    }


def test_with_the_setting_each_vanished_post_says_so_and_rerender_keeps_it(archive):
    before = posts(archive)
    run = recheck(archive, "recheck-vanished", settings=("ARCHIVE_VANISHED_NOTE=True",))
    assert run.code == 0, run.log
    after = posts(archive)
    for key, (state, status, code, *_) in VANISHED.items():
        text = after[PATHS[key]].decode()
        assert frontmatter.loads(text.lstrip("\n"))["vanished"] == state
        body = text.split("\n<div>   \n", 1)[1]
        assert body.startswith(f'<p class="{NOTE_CLASS}">')
        if status == 404:
            assert f"HTTP 404，错误码 {code}" in body.split("\n", 1)[0]
        assert with_note(text, None).encode() == before[PATHS[key]]  # the post, kept as it was
    unchanged = {p for p in after if p.endswith(("article-23141946.md", "3300000000000000001.md"))}
    assert all(after[p] == before[p] for p in unchanged) and len(unchanged) == 2

    rerun = crawl(
        archive, command=("rerender",), settings=("ARCHIVE_VANISHED_NOTE=True",), in_subprocess=True
    )
    assert rerun.code == 0, rerun.log
    assert " 0 changed," in rerun.log
    assert posts(archive) == after

    # Zhihu serves two of them again (the others: 404s without a code, unknown): back, unnoted.
    back = recheck(archive, settings=("ARCHIVE_VANISHED_NOTE=True",))
    assert back.code == 1, back.log  # the unknowns
    assert "; 2 back)" in back.log
    ended = rows(archive, "SELECT key, ended_as FROM vanished WHERE ended_at != ''")
    assert sorted(ended) == [("answer:2583412650", "back"), ("answer:3100000000000000001", "back")]
    for key in ("answer:2583412650", "answer:3100000000000000001"):
        assert posts(archive)[PATHS[key]] == before[PATHS[key]]
    [page] = month_pages(archive).values()
    assert page.decode().count("又回到了知乎") == 2


def test_a_block_during_recheck_records_nothing(archive):
    before = posts(archive)
    # The answer's 403 carries the 404 page's text: a block, never a deletion.
    run = recheck(archive, "recheck-blocked", "recheck-vanished")
    assert run.code == 3, run.log
    assert "Blocked: Zhihu refused the request (HTTP 403" in run.log
    assert rows(archive, "SELECT * FROM vanished") == []
    assert rows(archive, "SELECT * FROM checks") == []
    assert month_pages(archive) == {}
    after = posts(archive)
    # An edited item checked before the block is archived as any run archives (never a gone one).
    assert {p for p in after if after[p] != before.get(p)} <= {PIN}


def test_a_dry_run_says_what_it_would_ask_and_asks_nothing(archive):
    run = recheck(archive, "recheck-vanished", options=("--dry-run",), in_subprocess=True)
    assert run.code == 0, run.log
    assert run.server.seen == []
    asked = [line for line in run.log.splitlines() if line.startswith("would ask: ")]
    assert len(asked) == 7 and all("never checked" in line for line in asked)
    api = "GET https://www.zhihu.com/api/v4/answers/2583412650?include="
    assert any(line.startswith("would ask: answer:2583412650 (") and api in line for line in asked)
    assert "Recheck (dry run): 7 item(s) would be asked; nothing was sent" in run.log
    assert rows(archive, "SELECT * FROM checks") == []


def test_a_run_asks_the_longest_unchecked_first_and_no_more_than_its_limit(archive):
    first = recheck(archive, "recheck-vanished", options=("--limit", "3"))
    assert first.code == 0, first.log
    assert "Rechecking 3 archived item(s)" in first.log and "Summary: 3 checked" in first.log
    batch = {row[0] for row in rows(archive, "SELECT key FROM checks")}
    second = recheck(archive, "recheck-vanished", options=("--limit", "4"))
    assert second.code == 0, second.log
    asked = {
        line.split(" INFO: Checked ", 1)[1].split(": ", 1)[0]
        for line in second.log.splitlines()
        if " INFO: Checked " in line
    }
    assert len(batch) == 3 and asked == set(CHECKED) - batch  # never checked first
    # --since: only what was archived within so many days
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    db.execute("UPDATE posts SET first_seen = '2020-01-01T00:00:00+00:00' WHERE kind = 'answer'")
    db.commit()
    db.close()
    dry = recheck(archive, options=("--dry-run", "--since", "30"))
    asked = {line.split()[2] for line in dry.log.splitlines() if line.startswith("would ask: ")}
    assert asked == {"article:23141946", "pin:1800000000000000001"}


def test_an_answer_nothing_explains_is_unknown_and_fails_the_run(archive):
    run = recheck(archive, "recheck-unknown", "recheck-vanished")
    assert run.code == 1, run.log
    assert "WARNING: Checked answer:3300000000000000001: unknown (HTTP 404" in run.log
    assert "0 folded, 1 unknown" in run.log
    assert ("answer:3300000000000000001",) not in rows(archive, "SELECT key FROM vanished")
    assert len(rows(archive, "SELECT * FROM vanished")) == 4  # the others are recorded


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (("--limit", "0"), "recheck: error: --limit '0' is not accepted: expected a whole number"),
        (("--since", "a week"), "recheck: error: --since 'a week' is not accepted"),
        (("https://www.zhihu.com/answer/1",), "recheck: error: recheck takes no arguments"),
    ],
)
def test_bad_usage_is_one_line_exit_2_and_nothing_sent(tmp_path, options, says):
    run = recheck(tmp_path, options=options, in_subprocess=True)
    assert run.code == 2, run.log
    assert run.log.strip().splitlines() == [run.log.strip()] and says in run.log
    assert run.server.seen == []


def test_a_folder_that_is_no_archive_is_left_alone(tmp_path):
    run = recheck(tmp_path, in_subprocess=True)
    assert run.code == 2
    assert f"recheck: error: {tmp_path} is not an archive" in run.log
    assert list(tmp_path.iterdir()) == []


def test_an_article_its_api_refuses_is_asked_from_its_page(archive):
    run = recheck(archive, "signed-articles", "recheck-vanished")
    assert run.code == 0, run.log
    assert "Blocked" not in run.log
    assert any("zhuanlan.zhihu.com" in s.host for s in run.server.seen)
    assert ("article:23141946", "unchanged") in rows(archive, "SELECT key, state FROM checks")


def test_leaving_a_hot_question_s_top_answers_is_no_vanishing(archive):
    before = posts(archive)
    # The question's answers are no longer served (it left the list, or its top answers moved):
    # a crawl keeps the post and records no going; only a recheck of the answer itself decides.
    run = crawl(archive, "vanished")
    assert run.code == 0, run.log
    assert rows(archive, "SELECT * FROM vanished") == []
    assert rows(archive, "SELECT * FROM checks") == []
    assert posts(archive)[PATHS["answer:2583412650"]] == before[PATHS["answer:2583412650"]]

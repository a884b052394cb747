"""What a run says and its exit status, end to end through the fixture proxy (issue 24): nothing
lost while the summary says 0 failed (24.1), an interrupted run (24.5), a few clear lines with
the summary last at any level (24.6)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import html as lxml_html

from archiver import settings as project_settings
from tests.support.crawling import PROJECT, crawl, posts, scrapy_argv, scrapy_env
from tests.support.failing_pipeline import FAILING_ANSWER
from tests.support.fixture_server import FixtureServer

# The default, over the tests' own (tests/support/crawling.py).
QUIET = ("ARCHIVE_LOG_SCRAPY=False",)
HOTLIST = "_posts/社交媒体/知乎/知乎热榜"
DAILY = "_posts/社交媒体/知乎/知乎热榜日报"


def lines_of(log: str) -> list[str]:
    return log.strip().splitlines()


# 24.1: any exception for any item is counted, named, and fails the run


def test_an_item_lost_in_a_pipeline_is_named_and_fails_the_run(tmp_path):
    # A pipeline that raises for one answer, as the comment parser did for "²": the answer is
    # lost, so the run must say so and exit 1 (it said "0 failed" and exited 0).
    pipelines = {
        **project_settings.ITEM_PIPELINES,
        "tests.support.failing_pipeline.FailOnOneAnswer": 250,
    }
    run = crawl(
        tmp_path,
        settings=(f"ITEM_PIPELINES={json.dumps(pipelines)}",),
        in_subprocess=True,
    )
    assert run.code == 1, run.log
    assert (
        "Error processing answer 2583412650 ('ai作画到了什么水平了？目前有哪些应用？')" in run.log
    )
    assert "'archiver/failed/item_error': 1" in run.log
    summary = lines_of(run.log)[-1]
    assert "Summary: 2 new, 0 updated, 0 unchanged, 3 skipped, 1 failed," in summary
    assert summary.endswith("exit status 1")
    assert f"{HOTLIST}/answer-{FAILING_ANSWER}.md" not in posts(tmp_path)


BAD_NUMBERS = "https://www.zhihu.com/question/655544444/answer/3400000000000000001"
BAD_POST = "_posts/社交媒体/知乎/知乎回答/answer-3400000000000000001.md"


def test_a_bad_number_costs_its_comment_video_or_reference_not_the_post(tmp_path):
    # Comments dated "²" and 10**13 and liked "١٢" times, a video card of lens id "١٢٣", a
    # reference numbered "²": each made the answer disappear ("Error processing answer ...").
    settings = ("ZHIHU_COMMENTS=20", "ARCHIVE_VIDEOS=download", "ARCHIVE_REFERENCES=list")
    run = crawl(tmp_path, "bad-numbers", command=("archive", BAD_NUMBERS), settings=settings)
    assert run.code == 0, run.log
    assert "Error processing" not in run.log and "Traceback" not in run.log
    text = (tmp_path / BAD_POST).read_text(encoding="utf-8")
    body = lxml_html.fragment_fromstring(text.split("---", 2)[2], create_parent="div")
    comments = body.xpath("//ol[@class='CommentList']/li")
    assert [li.find("p/a").text for li in comments] == ["海边的人"]
    assert [li.get("value") for li in body.xpath("//ol[@class='ReferenceList']/li")] == ["1"]
    assert "▶ 退潮" in body.text_content() and "video/" not in text
    assert "'archiver/skipped/bad_number': 5" in run.log
    for said in ("created_time '²'", "created_time 10000000000000", "like_count '١٢'"):
        assert "Skipped (bad_number): answer 3400000000000000001: comment " in run.log
        assert said in run.log, said
    assert "a video card's lens id '١٢٣'" in run.log and "a reference numbered '²'" in run.log
    assert "Summary: 1 new, 0 updated, 0 unchanged, 5 skipped, 0 failed" in lines_of(run.log)[-1]
    assert not any("lens.zhihu.com" in s.host for s in run.server.seen)


# 24.6: a few clear lines, the summary last, at any level


def test_a_hot_list_run_prints_a_line_per_post_a_handful_more_and_the_summary_last(tmp_path):
    run = crawl(tmp_path, settings=QUIET, in_subprocess=True)
    assert run.code == 0, run.log
    lines = lines_of(run.log)
    written = posts(tmp_path)
    assert len(written) == 6  # three answers; the day's, week's and month's hot-list pages
    per_post = [line for line in lines if "_posts/" in line]
    others = [line for line in lines if "_posts/" not in line]
    assert len(per_post) == len(written)
    # the hot list, three skipped entries (said each), the WARC file, the summary
    assert len(others) <= 6, others
    assert lines[-1].endswith(
        "Summary: 3 new, 0 updated, 0 unchanged, 3 skipped, 0 failed, blocked: no; "
        "figures: 9 stored, 0 failed, 0 refused; exit status 0"
    )
    for scrapys in ("[scrapy.", "Scrapy 2.", "Enabled ", "Overridden settings", "Dumping"):
        assert scrapys not in run.log, scrapys


@pytest.mark.parametrize("level", ["WARNING", "ERROR", "CRITICAL"])
def test_the_summary_ends_a_run_at_any_level(tmp_path, level):
    run = crawl(tmp_path, settings=(*QUIET, f"LOG_LEVEL={level}"), in_subprocess=True)
    assert run.code == 0, run.log
    lines = lines_of(run.log)
    assert "INFO: Summary: 3 new," in lines[-1]
    below = [line for line in lines[:-1] if "] INFO: " in line or "] DEBUG: " in line]
    assert below == []


def test_scrapys_own_lines_at_debug_or_when_asked_and_the_log_file_ends_with_the_summary(
    tmp_path,
):
    debug = crawl(tmp_path / "a", settings=(*QUIET, "LOG_LEVEL=DEBUG"), in_subprocess=True)
    assert "DEBUG: Scrapy 2." in debug.log and "DEBUG: Dumping Scrapy stats" in debug.log
    assert "Summary: 3 new" in lines_of(debug.log)[-1]
    asked = crawl(tmp_path / "b", settings=("ARCHIVE_LOG_SCRAPY=True",), in_subprocess=True)
    assert "INFO: Enabled item pipelines" in asked.log
    log_file = tmp_path / "run.log"
    run = crawl(tmp_path / "c", settings=(*QUIET, f"LOG_FILE={log_file}"), in_subprocess=True)
    assert run.log.strip() == ""
    assert "Summary: 3 new" in lines_of(log_file.read_text(encoding="utf-8"))[-1]


@pytest.mark.parametrize("command", [("history",), ("package", "--since", "2000-01-01")])
def test_history_and_package_print_no_banner(tmp_path, command):
    assert crawl(tmp_path, settings=QUIET).code == 0
    done = subprocess.run(
        [*scrapy_argv(tmp_path, command), "--until", "2999-12-31", "-o", str(tmp_path / "a.wacz")]
        if command[0] == "package"
        else scrapy_argv(tmp_path, command),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Scrapy 2." not in done.stderr and "Overridden settings" not in done.stderr


# 24.5: one Ctrl-C (or SIGTERM) stops taking new work and ends with a summary that says so


class Interrupted:
    """`scrapy crawl hotlist` run in the background, its output gathered line by line."""

    def __init__(self, archive: Path, server: FixtureServer, settings: tuple[str, ...]) -> None:
        self.server = server
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            scrapy_argv(archive, ("crawl", "hotlist"), settings),
            cwd=PROJECT,
            env=scrapy_env(server),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def signal_when(self, condition: Callable[[], bool], signum: int) -> None:
        deadline = time.monotonic() + 120  # a hang guard, not a measure
        while not condition():
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.02)
        self.process.send_signal(signum)

    def end(self) -> int:
        code = self.process.wait(timeout=120)
        self.reader.join(timeout=30)
        return code


def assert_whole(archive: Path) -> None:
    """Posts whole or absent, no temporary file left, a sound index."""
    assert not list(archive.rglob("*.tmp"))
    for path, data in posts(archive).items():
        assert data.decode().endswith("  \n</div>\n" + " " * 12), path
    db = sqlite3.connect(archive / ".archiver" / "index.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_sends_nothing_new_finishes_what_is_in_hand_and_says_so(
    tmp_path, signum, fixture_server
):
    # DOWNLOAD_DELAY holds the answers' requests in the downloader for seconds: those Scrapy
    # used to send (and archive) after the first Ctrl-C, ending "0 failed ... exit status 1".
    server = fixture_server()
    run = Interrupted(tmp_path, server, (*QUIET, "DOWNLOAD_DELAY=5"))
    run.signal_when(lambda: run.said("Hot list: 4 questions"), signum)
    code = run.end()
    name = signal.Signals(signum).name
    assert code == 1, "\n".join(run.lines)
    assert [s.path for s in server.seen if "/answers" in s.path] == []
    assert run.lines[-1].endswith(
        "Summary: 0 new, 0 updated, 0 unchanged, 1 skipped, 0 failed, blocked: no; figures: 0 "
        f"stored, 0 failed, 0 refused; interrupted ({name}): 4 request(s) abandoned; "
        "exit status 1"
    ), run.lines
    assert run.said(f"Interrupted ({name}): ")
    assert not run.said("Failed https://")  # an abandoned request is no failure of its own
    # The hot list already in the pipelines was recorded, and its pages written.
    assert any(p.startswith(f"{DAILY}/page-hotlist-") for p in posts(tmp_path))
    assert_whole(tmp_path)


def test_a_second_signal_stops_at_once_and_the_summary_still_says_so(tmp_path, fixture_server):
    # The server takes seconds over each answer: the first signal waits for the one in transfer,
    # the second one stops the run before it comes.
    server = fixture_server(delay=3)
    run = Interrupted(tmp_path, server, QUIET)
    answers = lambda: any("/answers" in s.path for s in server.seen)  # noqa: E731
    run.signal_when(answers, signal.SIGINT)
    run.signal_when(lambda: run.said("Interrupted (SIGINT)"), signal.SIGINT)
    code = run.end()
    assert code == 1, "\n".join(run.lines)
    summary = run.lines[-1]
    assert "Summary: " in summary and "interrupted (SIGINT), then stopped at once: " in summary
    assert summary.endswith("exit status 1")
    again = crawl(tmp_path, settings=QUIET)  # sweeps what the stop left, completes the archive
    assert again.code == 0, again.log
    assert_whole(tmp_path)

"""Crawls run in the test process (tests/support/inprocess.py) are the runs of the command: the
same posts, exit code and summary as `scrapy` in a process of its own; each reads its proxy, its
trust and its cookie from its own environment; nothing of one run is left for the next."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from twisted.python import log as twisted_log

from archiver.logs import ScrapyChatter
from tests.support.crawling import crawl, posts
from tests.support.tls import ca_dir


def summary(log: str) -> str:
    [line] = [line for line in log.splitlines() if "Summary: " in line]
    return line.split("Summary: ", 1)[1]


def answers(archive: Path) -> dict[str, bytes]:
    """The answer posts (the hot-list pages say the time of their run)."""
    return {path: text for path, text in posts(archive).items() if "/知乎热榜/" in path}


def test_a_run_here_is_the_run_of_the_command_in_a_process(tmp_path):
    here = crawl(tmp_path / "here", in_subprocess=False)
    there = crawl(tmp_path / "there", in_subprocess=True)
    assert here.code == there.code == 0, here.log
    assert answers(tmp_path / "here") == answers(tmp_path / "there") != {}
    assert len(posts(tmp_path / "here")) == len(posts(tmp_path / "there"))
    assert summary(here.log) == summary(there.log)
    assert sorted(s.url for s in here.server.seen) == sorted(s.url for s in there.server.seen)


# The trust of each run, one after the other: SSL_CERT_FILE (the tests' CA, every test crawl's),
# a hashed folder in SSL_CERT_DIR, none (the system's store, which refuses the fixture server).
TRUST = {
    "file": ({}, 0),
    "dir": ({"SSL_CERT_FILE": None, "SSL_CERT_DIR": str(ca_dir())}, 0),
    "system": ({"SSL_CERT_FILE": None}, 1),
}


def test_each_run_here_trusts_what_its_own_environment_names(tmp_path):
    for number, trust in enumerate(("file", "system", "dir", "system", "file")):
        env, code = TRUST[trust]
        run = crawl(tmp_path / str(number), env=env, in_subprocess=False)
        assert run.code == code, (trust, run.log)
        # Through the proxy its environment names (a new server, a new port, each run).
        assert run.server.tunnels[0] == "www.zhihu.com"
        said = "TLS: certificate of www.zhihu.com not trusted" in run.log
        assert said == (trust == "system"), (trust, run.log)


def test_each_run_here_sends_the_cookie_of_its_own_environment(tmp_path):
    run = crawl(tmp_path / "a", env={"ZHIHU_COOKIE": ""}, in_subprocess=False)
    assert run.code == 3 and run.server.seen == []
    again = crawl(tmp_path / "b", in_subprocess=False)
    assert again.code == 0, again.log


def test_runs_here_of_one_spider_keep_a_warc_each(tmp_path):
    # Named by the spider, the second and the pid: the test process's pid for both.
    feed = ("crawl", "feed", "-a", "url=https://blog.example.org/feed/atom")
    for _ in range(3):  # each about half a second: two of them would share one
        run = crawl(tmp_path, command=feed, settings=("WARC_ENABLED=True",), in_subprocess=False)
        assert run.code == 0, run.log
    assert len(list((tmp_path / ".archiver" / "warc").glob("feed-*.warc.gz"))) == 3


def test_a_run_here_leaves_the_process_as_it_was(tmp_path):
    def state() -> tuple:
        loggers = [logging.root, logging.getLogger("scrapy"), logging.getLogger("twisted")]
        return (
            [(one.level, list(one.handlers), list(one.filters)) for one in loggers],
            list(twisted_log.theLogPublisher.observers),
            dict(os.environ),
            Path.cwd(),
        )

    before = state()
    quiet = crawl(tmp_path / "a", settings=("ARCHIVE_LOG_SCRAPY=False",), in_subprocess=False)
    assert quiet.code == 0, quiet.log
    assert state() == before
    # What the quiet run installed went with it: the filter that lowers Scrapy's lines, on
    # loggers that were there before the run or made during it.
    made = logging.root.manager.loggerDict.values()
    loggers = [one for one in made if isinstance(one, logging.Logger)]
    assert not [
        one.name for one in loggers if any(isinstance(f, ScrapyChatter) for f in one.filters)
    ]
    loud = crawl(tmp_path / "b", in_subprocess=False)
    assert "INFO: Dumping Scrapy stats" in loud.log
    assert "Dumping Scrapy stats" not in quiet.log


@pytest.mark.parametrize("command", [("rerender",)])
def test_a_command_that_forks_runs_in_a_process_of_its_own(tmp_path, command):
    with pytest.raises(AssertionError, match="runs in a subprocess only"):
        crawl(tmp_path, command=command, in_subprocess=False)

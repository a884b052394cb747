"""The run's outcome as components see it: any lost item fails the run (issue 24.1), the summary
says why a run ended (24.5), is printed at any level, and Scrapy's bookkeeping is DEBUG (24.6)."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from scrapy import Request, Spider, signals
from scrapy.settings import Settings
from twisted.python.failure import Failure

from archiver import stats as keys
from archiver.downloader.retry import BackoffRetryMiddleware
from archiver.extensions import (
    EXIT_FAILED,
    EXIT_OK,
    SUMMARY_LEVEL,
    RunSummary,
    interrupted,
    summary_line,
)
from archiver.logs import CHATTY, ScrapyChatter, quiet_scrapy
from archiver.spiders.hotlist import HotlistSpider
from tests.support.project import make_post, project_crawler


def summary_of(crawler) -> RunSummary:
    """The crawler's own RunSummary (EXTENSIONS), with a spider to close."""
    crawler.spider = HotlistSpider.from_crawler(crawler)
    ext = crawler.get_extension(RunSummary)
    assert ext is not None
    return ext


def failure() -> Failure:
    try:
        int("²")
    except ValueError:
        return Failure()
    raise AssertionError


def test_an_exception_in_a_pipeline_fails_the_run():
    crawler = project_crawler()
    ext = summary_of(crawler)
    crawler.stats.inc_value(f"{keys.POSTS}/new", 3)
    crawler.signals.send_catch_log(
        signals.item_error,
        item=make_post(),
        response=None,
        spider=crawler.spider,
        failure=failure(),
    )
    ext.spider_closed(crawler.spider, "finished")
    assert crawler.stats.get_value(f"{keys.FAILED}/item_error") == 1
    assert ext.exit_code == EXIT_FAILED


def test_an_exception_in_a_spider_callback_fails_the_run():
    crawler = project_crawler()
    ext = summary_of(crawler)
    crawler.stats.inc_value(f"{keys.POSTS}/new", 3)
    crawler.signals.send_catch_log(
        signals.spider_error, failure=failure(), response=None, spider=crawler.spider
    )
    ext.spider_closed(crawler.spider, "finished")
    assert crawler.stats.get_value(f"{keys.FAILED}/spider_error") == 1
    assert ext.exit_code == EXIT_FAILED


def test_a_clean_run_still_exits_0():
    crawler = project_crawler()
    ext = summary_of(crawler)
    crawler.stats.inc_value(f"{keys.POSTS}/new", 3)
    ext.spider_closed(crawler.spider, "finished")
    assert ext.exit_code == EXIT_OK


BASE = {f"{keys.POSTS}/new": 2, f"{keys.SKIPPED}/truncated": 1}


@pytest.mark.parametrize(
    ("stats", "reason", "says"),
    [
        ({}, "finished", "0 refused; exit status 1"),
        (
            {keys.INTERRUPTED: "SIGINT", f"{keys.INTERRUPTED}/abandoned": 4},
            "shutdown",
            "0 refused; interrupted (SIGINT): 4 request(s) abandoned; exit status 1",
        ),
        (
            {keys.INTERRUPTED: "SIGTERM"},
            "unfinished",
            "interrupted (SIGTERM), then stopped at once: 0 request(s) abandoned; exit status 1",
        ),
        ({}, "shutdown", "0 refused; interrupted: 0 request(s) abandoned; exit status 1"),
        ({}, "unfinished", "0 refused; stopped before the spider closed; exit status 1"),
        ({}, "closespider_timeout", "0 refused; stopped (closespider_timeout); exit status 1"),
        ({keys.BLOCKED: "login_required"}, "blocked", "blocked: login_required; figures: "),
    ],
)
def test_the_summary_says_why_a_run_ended(stats, reason, says):
    line = summary_line({**BASE, **stats}, reason, EXIT_FAILED)
    assert line.startswith("Summary: 2 new, 0 updated, 0 unchanged, 1 skipped, 0 failed, ")
    assert says in line


def run_log(level: str, *, failed: bool) -> str:
    """What a handler at LOG_LEVEL `level` writes of a run's summary."""
    crawler = project_crawler()
    ext = summary_of(crawler)
    crawler.stats.inc_value(f"{keys.POSTS}/new")
    if failed:
        crawler.stats.inc_value(f"{keys.FAILED}/item_error")
    ext.spider_closed(crawler.spider, "finished")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logging.root.addHandler(handler)
    try:
        ext.engine_stopped()
        ext.engine_stopped()  # said once
    finally:
        logging.root.removeHandler(handler)
    return out.getvalue()


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
@pytest.mark.parametrize("failed", [False, True])
def test_the_summary_is_printed_at_any_level_once_named_by_outcome(level, failed):
    [line] = run_log(level, failed=failed).splitlines()
    name = "ERROR" if failed else "INFO"
    assert line.startswith(f"{name}: Summary: 1 new, ") and line.endswith(
        f"exit status {int(failed)}"
    )
    assert SUMMARY_LEVEL > logging.CRITICAL


def record(name: str, level: int, msg: str = "x", args: object = None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)  # type: ignore[arg-type]


def test_scrapys_bookkeeping_is_lowered_to_debug_and_nothing_else():
    chatter = ScrapyChatter()
    for name in CHATTY:
        lowered = record(name, logging.INFO)
        assert chatter.filter(lowered) and lowered.levelno == logging.DEBUG
        assert lowered.levelname == "DEBUG"
        warning = record(name, logging.WARNING)
        assert chatter.filter(warning) and warning.levelno == logging.WARNING
    error = record("scrapy.core.engine", logging.INFO)
    error.exc_info = (ValueError, ValueError("x"), None)  # Scrapy logs some errors at INFO
    assert chatter.filter(error) and error.levelno == logging.INFO


def test_progress_of_a_long_run_is_kept_but_not_its_first_empty_line():
    stats = "Crawled %(pages)d pages (at %(pagerate)d pages/min), scraped %(items)d items"
    first = record("scrapy.extensions.logstats", logging.INFO, stats, ({"pages": 0},))
    later = record("scrapy.extensions.logstats", logging.INFO, stats, ({"pages": 120},))
    ScrapyChatter().filter(first)
    ScrapyChatter().filter(later)
    assert (first.levelno, later.levelno) == (logging.DEBUG, logging.INFO)


def test_archive_log_scrapy_leaves_scrapys_lines_alone():
    for name in CHATTY:
        for chatty in [f for f in logging.getLogger(name).filters if isinstance(f, ScrapyChatter)]:
            logging.getLogger(name).removeFilter(chatty)
    quiet_scrapy(Settings({"ARCHIVE_LOG_SCRAPY": True}))
    assert not any(logging.getLogger(name).filters for name in CHATTY)
    quiet_scrapy(Settings({"ARCHIVE_LOG_SCRAPY": False}))
    quiet_scrapy(Settings({"ARCHIVE_LOG_SCRAPY": False}))  # once per process
    assert all(len(logging.getLogger(name).filters) == 1 for name in CHATTY)
    # A later run of the same process that asks for Scrapy's lines gets them (loggers outlive
    # a run: a test's crawls, an embedding program's).
    quiet_scrapy(Settings({"ARCHIVE_LOG_SCRAPY": True}))
    assert not any(logging.getLogger(name).filters for name in CHATTY)


def test_an_interrupted_run_waits_out_no_retry_backoff():
    crawler = project_crawler(RETRY_BACKOFF_BASE=3600)
    crawler.spider = Spider("test")
    crawler.spider.crawler = crawler
    mw = BackoffRetryMiddleware.from_crawler(crawler)

    async def retry() -> object:
        signal = {"signal": interrupted, "signame": "SIGTERM"}
        asyncio.get_running_loop().call_soon(lambda: crawler.signals.send_catch_log(**signal))
        failed = mw.process_exception(Request("https://www.zhihu.com/api/v4/me"), TimeoutError())
        return await asyncio.wait_for(failed, 60)  # a hang guard: an hour's wait otherwise

    assert isinstance(asyncio.run(retry()), Request)  # given back at once, then not scheduled

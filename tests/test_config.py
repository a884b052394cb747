"""The tables of settings and arguments (docs/settings.md) are the contract: every entry is checked
before a crawl, and a bad value is one line, exit 2, nothing sent."""

from __future__ import annotations

import re

import pytest
from scrapy.settings import Settings

from archiver.config import SETTINGS, argument_problems, setting_problems
from archiver.spiders.archive import ArchiveSpider
from archiver.spiders.daily import DailySpider
from archiver.spiders.feed import FeedSpider
from archiver.spiders.follow import FollowSpider
from archiver.spiders.hotlist import HotlistSpider
from archiver.spiders.recheck import RecheckSpider
from tests.support.crawling import assert_refused_before_anything, crawl
from tests.support.project import PROJECT_SETTINGS, TESTS

SETTINGS_PAGE = (TESTS.parent / "docs" / "settings.md").read_text(encoding="utf-8")
SETTINGS_TABLE = SETTINGS_PAGE.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
ARGUMENTS_TABLE = SETTINGS_PAGE.split("\n## Spider arguments\n", 1)[1].split("\n## ", 1)[0]
SPIDERS = {
    "archive": ArchiveSpider,
    "daily": DailySpider,
    "feed": FeedSpider,
    "follow": FollowSpider,
    "hotlist": HotlistSpider,
    "recheck": RecheckSpider,
}

# One value per setting that must be refused (as typed on the command line).
BAD_SETTINGS = {
    "ZHIHU_BASE_URL": "www.zhihu.com",
    "ZHIHU_SIGNATURE_BYTE": "256",
    "ZHIHU_CHALLENGE_SOLVER": "on",
    "ZHIHU_CHALLENGE_TIMEOUT": "0",
    "ZHIHU_HOTLIST_LIMIT": "0",
    "ZHIHU_ANSWERS_PER_QUESTION": "-3",
    "ZHIHU_COMMENTS": "21",
    "ZHIHU_HOTLIST_CATEGORIES": "/",
    "ZHIHU_ANSWER_CATEGORIES": " / ",
    "ZHIHU_ARTICLE_CATEGORIES": "",
    "ZHIHU_PIN_CATEGORIES": "/",
    "ZHIHU_COLUMN_CATEGORIES": "",
    "ZHIHU_COLLECTION_CATEGORIES": " ",
    "ZHIHU_PEOPLE_CATEGORIES": "//",
    "ZHIHU_TOPIC_CATEGORIES": "/ /",
    "ZHIHU_DAILY_CATEGORIES": "/ / /",
    "RSS_CATEGORIES": "//",
    "RSS_MAX_SIZE": "lots",
    "ARCHIVE_DIR": "",
    "ARCHIVE_SOURCE_LABEL": " ",
    "ARCHIVE_TIMEZONE": "Mars/Olympus",
    "ARCHIVE_IMAGES": "locale",
    "ARCHIVE_FRONT_MATTER_UPDATED": "sometimes",
    "ARCHIVE_FRONT_MATTER_TITLE_DISPLAY": "shown",
    "ARCHIVE_BODY_BRACES": "jinja",
    "ARCHIVE_FORMULAS": "katex",
    "ARCHIVE_LINK_CARDS": "cards",
    "ARCHIVE_REFERENCES": "footnotes",
    "ARCHIVE_VIDEOS": "download-all",
    "ARCHIVE_VIDEO_MAX_SIZE": "50MB",
    "ARCHIVE_VIDEO_HOSTS": "https://vdn1.vzuu.com",
    "ARCHIVE_VANISHED_CATEGORIES": "/",
    "ARCHIVE_VANISHED_NOTE": "on",
    "FIGURES_ENABLED": "maybe",
    "FIGURES_ALLOWED_HOSTS": "https://zhimg.com",
    "FIGURES_MAX_SIZE": "20MB",
    "FIGURES_THUMB_SIZES": "abc",
    "FIGURES_MAX_PER_POST": "-1",
    "FIGURES_MAX_BYTES_PER_POST": "1e9",
    "FIGURES_MAX_BYTES_PER_RUN": "x",
    "FIGURES_MAX_PIXELS": "0",
    "FIGURES_THREADS": "65",
    "WARC_ENABLED": "yes please",
    "WARC_MAX_SIZE": "1GB",
    "ARCHIVE_MAX_READ_SIZE": "1000",
    "ARCHIVE_REPLAY": "/nowhere/at/all.warc.gz",
    "HISTORY_ENABLED": "2",
    "HISTORY_DAILY_PAGE": "on-ish",
    "HISTORY_TIMEZONE": "Asia/Shangai",
    "HISTORY_CATEGORIES": "/ /",
    "HISTORY_PERIOD_PAGES": "weekly",
    "HISTORY_CHARTS": "svg",
    "RETRY_BACKOFF_BASE": "-1",
    "RETRY_BACKOFF_MAX": "soon",
    "ARCHIVE_LOG_SCRAPY": "loud",
}
# Settings whose every value is fine (paths that a run creates, a free-form image URL).
FREE = {"ARCHIVE_INDEX", "ARCHIVE_DEFAULT_IMAGE", "WARC_DIR"}
BAD_ARGUMENTS = {
    ("archive", "answers"): ["abc", "-3", "0", "1001"],
    ("archive", "urls"): ["https://example.com/x"],
    ("archive", "limit"): ["0", "-1", "ten"],
    ("follow", "config"): ["/nowhere/follow.toml"],
    ("follow", "full"): ["yes please"],
    # a day that is no date, not in that form, in the future; more than 366 days back
    ("daily", "since"): ["2026-02-30", "yesterday", "20261128", "2999-01-01", "2001-01-01"],
    ("daily", "until"): ["2026-13-01", "", "2999-12-31"],
    ("feed", "url"): ["ftp://x/feed", "file:///nowhere.xml", "rss"],
    ("feed", "config"): ["/nowhere/feeds.toml"],
    ("feed", "categories"): ["/"],
    ("feed", "source"): [" "],
    ("recheck", "limit"): ["0", "-1", "all"],
    ("recheck", "since"): ["0", "a week", "7d"],
}


def table_names(table: str) -> set[str]:
    return set(re.findall(r"^\| `([A-Za-z_]+)` \|", table, re.MULTILINE))


def table_arguments() -> set[tuple[str, str]]:
    return set(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", ARGUMENTS_TABLE, re.MULTILINE))


def test_the_settings_page_tables_and_the_checks_agree():
    assert table_names(SETTINGS_TABLE) == set(SETTINGS)
    assert set(SETTINGS) == set(BAD_SETTINGS) | FREE
    documented = {(spider, name) for name, spider in table_arguments()}
    assert documented == {(s, a) for s, cls in SPIDERS.items() for a in cls.arguments}
    assert documented == set(BAD_ARGUMENTS)


def test_the_defaults_pass():
    assert setting_problems(Settings(PROJECT_SETTINGS)) == []


@pytest.mark.parametrize(("name", "value"), sorted(BAD_SETTINGS.items()))
def test_every_setting_refuses_a_bad_value_in_one_line(name, value):
    settings = Settings(PROJECT_SETTINGS)
    settings.set(name, value, priority="cmdline")
    [line] = setting_problems(settings)
    assert line.startswith(f"{name}={value!r} is not accepted: expected ")
    assert "\n" not in line


@pytest.mark.parametrize("name", ["FIGURES_ALLOWED_HOSTS", "ARCHIVE_VIDEO_HOSTS"])
@pytest.mark.parametrize("value", ['["127.0.0.1"]', "[zhimg.com", "zhimg.com,[::1"])
def test_a_host_list_in_brackets_is_one_line_not_a_traceback(name, value):
    # urlsplit reads `[...]` as an IPv6 address and raises on anything else inside
    settings = Settings(PROJECT_SETTINGS)
    settings.set(name, value, priority="cmdline")
    [line] = setting_problems(settings)
    assert line.startswith(f"{name}={value!r} is not accepted: expected ")


@pytest.mark.parametrize(
    ("spider", "name", "value"),
    [(s, n, v) for (s, n), values in sorted(BAD_ARGUMENTS.items()) for v in values],
)
def test_every_argument_refuses_a_bad_value_in_one_line(spider, name, value):
    problems = SPIDERS[spider].argument_problems({"url": "https://x.org/rss", name: value})
    assert any(p.startswith(f"-a {name}={value!r}") for p in problems), problems


def test_unknown_arguments_are_named_and_scrapyds_own_pass():
    [line] = argument_problems("hotlist", {}, {"answers": "3", "_job": "abc"})
    assert line == "-a answers='3': hotlist has no such argument (takes: none)"


def test_a_feed_needs_a_url_or_a_config(tmp_path):
    assert FeedSpider.argument_problems({}) == [
        "feed needs -a url=<RSS or Atom URL> or -a config=<feeds.toml>"
    ]
    broken = tmp_path / "feeds.toml"
    broken.write_text("[[feed]\nurl = 1", encoding="utf-8")
    [line] = FeedSpider.argument_problems({"config": str(broken)})
    assert "a valid TOML file" in line
    bad_url = tmp_path / "bad.toml"
    bad_url.write_text('[[feed]]\nurl = "gopher://x"\n', encoding="utf-8")
    [line] = FeedSpider.argument_problems({"config": str(bad_url)})
    assert "feed 'gopher://x' is not accepted" in line


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("crawl", "feed"), "feed needs -a url="),
        (("crawl", "feed", "-a", "config=/nowhere/feeds.toml"), "-a config='/nowhere/feeds.toml'"),
        (("archive", "-a", "answers=abc", "https://www.zhihu.com/question/1"), "-a answers='abc'"),
        (("archive", "-a", "answers=-3", "https://www.zhihu.com/question/1"), "-a answers='-3'"),
        (("archive", "-a", "answers=0", "https://www.zhihu.com/question/1"), "-a answers='0'"),
        (("crawl", "hotlist", "-s", "ARCHIVE_REPLAY=/nowhere"), "ARCHIVE_REPLAY='/nowhere'"),
        (("crawl", "hotlist", "-s", "ARCHIVE_IMAGES=lokal"), "ARCHIVE_IMAGES='lokal'"),
        (("crawl", "hotlist", "-s", "ARCHIVE_TIMEZONE=Asia/X"), "ARCHIVE_TIMEZONE='Asia/X'"),
        (("crawl", "hotlist", "-s", "HISTORY_TIMEZONE=utc+8"), "HISTORY_TIMEZONE='utc+8'"),
        (("crawl", "hotlist", "-s", "FIGURES_THUMB_SIZES=abc"), "FIGURES_THUMB_SIZES='abc'"),
        (("crawl", "hotlst"), "no spider named 'hotlst' (spiders: archive, daily, feed, follow"),
        # A setting's name mistyped: named, with the closest known name (issue 24.3)
        (
            ("crawl", "hotlist", "-s", "ARCHIVE_DIRR=/tmp/x"),
            "-s ARCHIVE_DIRR=/tmp/x: no such setting (did you mean ARCHIVE_DIR?)",
        ),
        (
            ("archive", "-s", "ZHIHU_ANSWER_PER_QUESTION=3", "https://www.zhihu.com/question/1"),
            "-s ZHIHU_ANSWER_PER_QUESTION=3: no such setting (did you mean "
            "ZHIHU_ANSWERS_PER_QUESTION?)",
        ),
        (("crawl", "daily", "-s", "DOWNLOAD_DELAYS=3"), "(did you mean DOWNLOAD_DELAY?)"),
        (("checkcookie", "-s", "ZHIHU_COOKIE=x"), "-s ZHIHU_COOKIE=x: no such setting"),
        (("shell", "https://www.zhihu.com/", "-s", "USER_AGNET=x"), "(did you mean USER_AGENT?)"),
        (("fetch", "https://www.zhihu.com/", "-s", "archive_dir=x"), "(did you mean ARCHIVE_DIR?)"),
        (("list", "-s", "SPIDER_MODULE=x"), "-s SPIDER_MODULE=x: no such setting"),
        (("settings", "--get", "X", "-s", "LOG_LEVLE=DEBUG"), "(did you mean LOG_LEVEL?)"),
        (("check", "-s", "FIGURES_THREAD=2"), "(did you mean FIGURES_THREADS?)"),
        (("version", "-s", "HISTORY_CHART=0"), "(did you mean HISTORY_CHARTS?)"),
        (("checkhexo", "-s", "ARCHIVE_TIMEZONES=UTC"), "(did you mean ARCHIVE_TIMEZONE?)"),
    ],
)
def test_a_typo_is_one_line_exit_2_and_nothing_sent(tmp_path, command, says):
    run = crawl(tmp_path / "archive", command=command, in_subprocess=True)
    assert_refused_before_anything(run, says, tmp_path / "archive")


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("verify", "-s", "WARC_DIRS=x"), "(did you mean WARC_DIR?)"),
        (("rerender", "-s", "ARCHIVE_IMAGE=local"), "(did you mean ARCHIVE_IMAGES?)"),
        (("history", "-s", "HISTORY_TIMEZOEN=UTC"), "(did you mean HISTORY_TIMEZONE?)"),
        (
            ("package", "--since", "2026-01-01", "-o", "x.wacz", "-s", "WARC_MAXSIZE=0"),
            "(did you mean WARC_MAX_SIZE?)",
        ),
    ],
)
def test_a_typo_in_a_setting_name_of_a_command_on_the_archive(tmp_path, command, says):
    run = crawl(tmp_path / "archive", command=command, in_subprocess=True)
    assert run.code == 2, run.log
    first = run.log.strip().splitlines()[0]  # then: no archive there
    assert says in first and f"{command[0]}: error: -s " in first, run.log


def test_only_names_given_with_s_are_judged():
    settings = Settings(PROJECT_SETTINGS)
    settings.set("MY_ADDON_SETTING", "1", priority="project")  # the project's own module
    given = {"LOG_FILE": "x.log", "FEEDS": "{}", "ARCHIVE_DIR": "x", "FILES_EXPIRES": "9"}
    given |= {"MEDIA_ALLOW_REDIRECTS": "1", "FIGURESPIPELINE_MEDIA_ALLOW_REDIRECTS": "1"}
    for name, value in given.items():  # Scrapy's (Scrapyd gives the first two), ours
        settings.set(name, value, priority="cmdline")
    assert setting_problems(settings) == []
    settings.set("ARCHIVE_DIRR", "/tmp/x", priority="cmdline")
    settings.set("ZZZ", "1", priority="cmdline")
    assert setting_problems(settings) == [
        "-s ARCHIVE_DIRR=/tmp/x: no such setting (did you mean ARCHIVE_DIR?)",
        "-s ZZZ=1: no such setting (see the settings in docs/settings.md)",
    ]


def test_a_name_of_the_projects_settings_module_is_known(tmp_path, monkeypatch):
    (tmp_path / "my_settings.py").write_text("MY_ADDON_KEY = 'k'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = Settings({**PROJECT_SETTINGS, "SETTINGS_MODULE": "my_settings"})
    settings.set("MY_ADDON_KEY", "other", priority="cmdline")
    assert setting_problems(settings) == []


def test_an_input_of_comments_only_says_it_held_no_url(tmp_path):
    run = crawl(
        tmp_path / "archive",
        command=("archive", "-i", "-"),
        stdin="# only comments\n\n",
        in_subprocess=True,
    )
    assert run.code == 2
    assert run.log.strip() == (
        "archive: error: standard input: the input held no URL (only blank lines or comments)"
    )


def test_a_missing_file_feed_is_one_line(tmp_path):
    run = crawl(
        tmp_path / "archive",
        command=("crawl", "feed", "-a", "url=file:///nowhere.xml"),
        in_subprocess=True,
    )
    assert run.code == 2 and len(run.log.strip().splitlines()) == 1
    assert "-a url='file:///nowhere.xml' is not accepted: expected a file:// URL" in run.log


def test_history_of_a_folder_that_is_not_an_archive_leaves_it_alone(tmp_path):
    run = crawl(tmp_path, command=("history",), in_subprocess=True)
    assert run.code == 2
    assert run.log.strip() == (
        f"history: error: {tmp_path} is not an archive (no {tmp_path}/.archiver/index.sqlite3)"
    )
    assert list(tmp_path.iterdir()) == []

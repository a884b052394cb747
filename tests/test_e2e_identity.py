"""Zhihu as it is in 2026, end to end: signed requests through a fixture server that refuses
what Zhihu refuses, and runs that lack a cookie stopped before they send anything."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archiver.utils.wire import wire_target
from archiver.zhihu.cookies import cookie_value
from archiver.zhihu.signing import sign, verify
from tests.support.crawling import SECRET, Run, assert_no_secret, crawl, posts, serving
from tests.support.fixture_server import ZSE_CK, FixtureServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
D_C0 = cookie_value(SECRET, "d_c0")
HOT_LIST = "/api/v3/feed/topstory/hot-lists/total?limit=50&desktop=true"


def api_requests(run: Run) -> list:
    return [s for s in run.server.seen if "zhihu.com" in s.host and s.path.startswith("/api/")]


def assert_signed_as_zhihus_client(run: Run) -> None:
    """Every API request carries the web client's headers and a signature of what was sent."""
    assert api_requests(run)
    for seen in api_requests(run):
        headers = {k.lower(): v for k, v in seen.headers.items()}
        assert headers["x-zse-93"] == "101_3_3.0"
        assert headers["x-api-version"] == "3.0.91"
        assert headers["x-app-za"] == "OS=Web"
        assert headers["x-requested-with"] == "fetch"
        d_c0 = cookie_value(headers["cookie"], "d_c0")
        assert verify(headers["x-zse-96"], seen.path, d_c0), seen.path


@pytest.fixture(scope="module")
def hotlist(tmp_path_factory) -> tuple[Path, Run]:
    archive = tmp_path_factory.mktemp("archive")
    return archive, crawl(archive, env={"ZHIHU_USER_AGENT": BROWSER})


def test_a_hot_list_run_passes_the_gate_with_zero_refusals(hotlist):
    archive, run = hotlist
    assert run.code == 0, run.log
    assert run.server.gate.refused == []
    assert len([p for p in posts(archive) if "/answer-" in p]) == 3
    assert_signed_as_zhihus_client(run)


def test_each_api_call_names_the_page_it_belongs_to(hotlist):
    _, run = hotlist
    for seen in api_requests(run):
        if seen.path == HOT_LIST:
            assert seen.headers["Referer"] == "https://www.zhihu.com/hot"
        else:
            question = seen.path.split("/")[4]
            assert seen.headers["Referer"] == f"https://www.zhihu.com/question/{question}"


def test_the_browsers_user_agent_goes_to_zhihu(hotlist):
    _, run = hotlist
    zhihu = [s for s in run.server.seen if s.host == "www.zhihu.com"]
    assert zhihu and all(s.headers["User-Agent"] == BROWSER for s in zhihu)


def test_an_archive_run_passes_the_gate_with_zero_refusals(tmp_path):
    run = crawl(
        tmp_path,
        command=(
            "archive",
            "https://www.zhihu.com/question/546512789/answer/2583412650",
            "https://www.zhihu.com/question/2088649572151194406",
            "https://zhuanlan.zhihu.com/p/23141946",
        ),
    )
    assert run.code == 0, run.log
    assert run.server.gate.refused == []
    assert len(posts(tmp_path)) == 3
    assert_signed_as_zhihus_client(run)


@pytest.mark.parametrize(
    ("command", "cookie", "says"),
    [
        (("crawl", "hotlist"), "", "ZHIHU_COOKIE has no z_c0 (the login) and d_c0"),
        (("crawl", "hotlist"), SECRET.replace("z_c0=", "x_z_c0="), "ZHIHU_COOKIE has no z_c0 "),
        (("crawl", "hotlist"), SECRET.replace("d_c0=", "x_d_c0="), "ZHIHU_COOKIE has no d_c0 "),
        (("archive", "https://www.zhihu.com/answer/1"), "", "ZHIHU_COOKIE has no d_c0 "),
    ],
)
def test_a_run_without_the_cookies_it_needs_sends_nothing(tmp_path, command, cookie, says):
    run = crawl(tmp_path, command=command, env={"ZHIHU_COOKIE": cookie})
    assert run.code == 3, run.log
    assert run.server.seen == []
    [line] = [ln for ln in run.log.splitlines() if "Blocked:" in ln]
    assert f"Blocked: {says}" in line
    assert "copy its whole Cookie request header into ZHIHU_COOKIE" in line
    assert "exit status 3" in run.log
    assert not list(tmp_path.rglob("*.warc.gz"))  # a run that fetched nothing keeps no WARC


def test_a_cookie_without_the_challenge_token_is_warned_about_once(tmp_path):
    cookie = SECRET.replace(f"__zse_ck={ZSE_CK}; ", "")
    run = crawl(tmp_path, env={"ZHIHU_COOKIE": cookie}, settings=("ZHIHU_CHALLENGE_SOLVER=off",))
    assert run.code == 0, run.log  # the API does not insist; pages would
    assert run.log.count("ZHIHU_COOKIE has no __zse_ck") == 1
    assert "the challenge solver is off" in run.log


def test_a_d_c0_that_zhihu_refreshes_is_sent_and_signed(tmp_path):
    run = crawl(tmp_path, "d_c0-refresh")
    assert run.code == 0, run.log
    assert run.server.gate.refused == []
    after = [s for s in api_requests(run) if s.path != HOT_LIST]
    assert after
    for seen in after:
        cookie = seen.headers["Cookie"]
        assert cookie.count("d_c0=") == 1 and 'd_c0="AGBQREFRESHEDd0c0Zz9=|1700000999"' in cookie
    assert_signed_as_zhihus_client(run)


def test_a_page_needs_the_challenge_token(tmp_path):
    """The article page fallback, with a cookie that has no __zse_ck: Zhihu's challenge."""
    cookie = SECRET.replace(f"__zse_ck={ZSE_CK}; ", "")
    run = crawl(
        tmp_path,
        "signed-articles",
        command=("archive", "https://zhuanlan.zhihu.com/p/23141946"),
        env={"ZHIHU_COOKIE": cookie},
    )
    assert run.code == 3, run.log
    assert "Blocked: Zhihu served its JavaScript challenge page" in run.log
    assert "User-Agent header into ZHIHU_USER_AGENT" in run.log


def test_no_secret_in_any_output(hotlist):
    archive, run = hotlist
    assert_no_secret(run, archive)


# The gate itself: what the stand-in Zhihu refuses, asked directly over HTTP.


def ask(server: FixtureServer, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{server.base_url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def signed_headers(path: str, d_c0: str = D_C0, cookie: str = SECRET) -> dict[str, str]:
    return {
        "User-Agent": BROWSER,
        "Cookie": cookie,
        "x-zse-93": "101_3_3.0",
        "x-zse-96": sign(path, d_c0),
    }


def code_of(body: bytes) -> int:
    return json.loads(body)["error"]["code"]


ANSWER = "/api/v4/answers/2583412650?include=content"


@pytest.fixture(scope="module")
def gate():
    with serving() as server:
        yield server


def test_the_gate_answers_a_signed_request(gate):
    status, body = ask(gate, ANSWER, signed_headers(ANSWER))
    assert status == 200 and b'"content"' in body


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"User-Agent": BROWSER, "Cookie": SECRET}, 403, 10003),  # unsigned
        (signed_headers("/api/v4/answers/1?include=content"), 403, 10003),  # another path
        (signed_headers(ANSWER, d_c0='"AGBQother=|1"'), 403, 10003),  # another d_c0
        (signed_headers(ANSWER, d_c0=D_C0.strip('"')), 403, 10003),  # d_c0 unquoted
        ({**signed_headers(ANSWER), "x-zse-93": "101_3_2.0"}, 403, 10003),
        ({**signed_headers(ANSWER), "Cookie": SECRET.replace("z_c0=", "x=")}, 401, 101),
        ({**signed_headers(ANSWER), "Cookie": ""}, 401, 101),  # no cookie at all
    ],
)
def test_the_gate_refuses_what_zhihu_refuses(gate, headers, status, code):
    got, body = ask(gate, ANSWER, headers)
    assert (got, code_of(body)) == (status, code)


def test_the_gate_signs_against_the_target_as_received(gate):
    path = "/api/v4/answers/2583412650?include=data%5B*%5D.content"
    assert ask(gate, path, signed_headers(path))[0] == 200
    wrong = path.replace("*", "%2A")
    assert ask(gate, path, signed_headers(wrong))[0] == 403
    assert wire_target(f"https://www.zhihu.com{path}") == path


def test_the_gate_wants_a_browser_and_the_challenge_token_for_pages(gate):
    assert ask(gate, ANSWER, {**signed_headers(ANSWER), "User-Agent": "Scrapy/2.19"})[0] == 400
    page = "/question/546512789"
    no_token = SECRET.replace(f"__zse_ck={ZSE_CK}; ", "")
    status, body = ask(gate, page, {"User-Agent": BROWSER, "Cookie": no_token})
    assert status == 403 and b'id="zh-zse-ck"' in body
    stale = SECRET.replace(ZSE_CK, "004_stale-token")
    assert ask(gate, ANSWER, signed_headers(ANSWER, cookie=stale))[0] == 403


def test_a_redirect_to_plain_http_never_carries_the_cookie(tmp_path):
    run = crawl(tmp_path, "http-redirect", command=("archive", "https://www.zhihu.com/answer/777"))
    [plain] = [s for s in run.server.seen if s.path.startswith("/api/v4/answers/2583412650")]
    assert "Cookie" not in plain.headers and "X-Zse-96" not in plain.headers
    assert run.code == 3  # and Zhihu, seeing no login, refuses: said as a block

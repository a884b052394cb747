"""What Zhihu answers for an item archived before, classified (archiver/zhihu/gone.py): on the
shapes public clients show (see the module's docstring), with text of our own."""

from __future__ import annotations

import json

import pytest

from archiver.items import Skip
from archiver.zhihu.answers import parse_answer
from archiver.zhihu.articles import parse_article
from archiver.zhihu.gone import Archived, Served, judge, with_question
from archiver.zhihu.jsonutil import NOT_FOUND_TEXT
from archiver.zhihu.pins import parse_pin

ANSWER = Archived("answer", "31", 1700000000, question_id="9")
ARTICLE = Archived("article", "41", 1700000000)
PIN = Archived("pin", "51", 1700000000)
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><body><h1>404</h1><p>你似乎来到了没有知识存在的荒原</p></body></html>"
)


def body(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def error(code: int, message: str = "一段说明", name: str = "NotFoundError") -> bytes:
    return body({"error": {"code": code, "message": message, "name": name}})


def answer(**changes: object) -> bytes:
    data = {
        "id": 31,
        "type": "answer",
        "author": {"id": "a1b2c3", "url_token": "someone", "name": "某人"},
        "question": {"id": 9, "title": "一个问题"},
        "created_time": 1690000000,
        "updated_time": 1700000000,
        "content": "<p>回答的正文。</p>",
        "is_collapsed": False,
        "collapsed_by": "nobody",
        "collapse_reason": "",
        "suggest_edit": {"status": False, "reason": "", "tip": "", "title": "", "url": ""},
        "content_need_truncated": False,
    }
    return body({**data, **changes})


def test_a_deleted_answer_is_gone_by_its_code_and_its_question_is_asked():
    verdict = judge(Served(404, error(4041, "资源不存在")), ANSWER, parse_answer)
    assert verdict.state == "gone"
    assert (verdict.evidence.status, verdict.evidence.code) == (404, "4041")
    assert verdict.evidence.message == "资源不存在"
    assert verdict.ask_question


@pytest.mark.parametrize("message", ["资源不存在", NOT_FOUND_TEXT, "别的说法", ""])
def test_the_code_decides_never_the_message(message):
    for code in (4041, 404):
        assert judge(Served(404, error(code, message)), ANSWER, parse_answer).state == "gone"


@pytest.mark.parametrize(
    ("archived", "parse"), [(ARTICLE, parse_article), (PIN, parse_pin)], ids=["article", "pin"]
)
def test_articles_and_pins_have_no_question_to_ask(archived, parse):
    verdict = judge(Served(404, error(4041)), archived, parse)
    assert verdict.state == "gone" and not verdict.ask_question


def test_an_answer_archived_without_its_question_is_not_asked_about_it():
    verdict = judge(Served(404, error(4041)), Archived("answer", "31", 1), parse_answer)
    assert verdict.state == "gone" and not verdict.ask_question


@pytest.mark.parametrize(
    ("status", "data"),
    [
        (404, NOT_FOUND_PAGE.encode()),  # the page's text alone: no code
        (404, b""),
        (404, error(4001, "别的错误")),
        (410, error(4041)),
        (404, body({"message": "没有 error 对象"})),
    ],
    ids=["page-text", "empty", "other-code", "410", "no-error-object"],
)
def test_what_no_code_explains_is_unknown_never_gone(status, data):
    assert judge(Served(status, data), ANSWER, parse_answer).state == "unknown"


def test_a_question_gone_takes_its_answers_with_it():
    gone = judge(Served(404, error(4041)), ANSWER, parse_answer)
    verdict = with_question(gone, Served(404, error(4041, "问题不存在")))
    assert verdict.state == "question_gone"
    assert verdict.evidence.message == "问题不存在"
    assert not verdict.ask_question


@pytest.mark.parametrize(
    "question",
    [
        Served(200, body({"data": [], "paging": {"is_end": True}})),
        Served(404, NOT_FOUND_PAGE.encode()),
        Served(404, error(4001)),
        Served(403, NOT_FOUND_PAGE.encode()),  # a block, never a deletion
    ],
    ids=["there", "no-code", "other-code", "blocked"],
)
def test_an_answer_whose_question_is_not_said_gone_is_gone_itself(question):
    gone = judge(Served(404, error(4041, "资源不存在")), ANSWER, parse_answer)
    verdict = with_question(gone, question)
    assert verdict.state == "gone" and verdict.evidence.message == "资源不存在"
    assert not verdict.ask_question


@pytest.mark.parametrize(
    ("status", "data", "cause"),
    [
        (403, NOT_FOUND_PAGE.encode(), "forbidden"),  # a 403 carrying the 404 page's text
        (403, error(40362, "暂时限制本次访问"), "risk_control"),
        (401, error(101, "身份未经过验证", "AuthenticationError"), "login_required"),
        (403, error(10003, "请求参数异常"), "signature"),
        (403, b'<html><meta id="zh-zse-ck" content="x"></html>', "challenge"),
    ],
)
def test_a_block_is_a_block_never_a_deletion(status, data, cause):
    verdict = judge(Served(status, data), ANSWER, parse_answer)
    assert verdict.state == "blocked"
    assert verdict.evidence.message == cause


def test_a_hidden_answer_answers_200_with_its_content_and_suggest_edit():
    hidden = {
        "status": True,
        "reason": "违反了某条规范",
        "tip": "修改后会重新显示",
        "title": "为什么被建议修改",
        "url": "",
        "unnormal_details": {"reason": "更具体的理由", "reason_id": 3, "status": "hidden"},
    }
    verdict = judge(Served(200, answer(suggest_edit=hidden)), ANSWER, parse_answer)
    assert verdict.state == "hidden"
    assert (verdict.evidence.status, verdict.evidence.code) == (200, "suggest_edit")
    assert verdict.evidence.message == "更具体的理由"
    del hidden["unnormal_details"]
    verdict = judge(Served(200, answer(suggest_edit=hidden)), ANSWER, parse_answer)
    assert verdict.evidence.message == "违反了某条规范"


def test_status_alone_would_call_a_hidden_answer_unchanged():
    shown = judge(Served(200, answer()), ANSWER, parse_answer)
    assert shown.state == "unchanged"
    hidden = judge(Served(200, answer(suggest_edit={"status": True})), ANSWER, parse_answer)
    assert hidden.state == "hidden"


def test_a_deleted_account_is_author_gone_and_its_answer_stays():
    deleted = {"id": "0", "url_token": "", "name": "「已注销」", "type": "people"}
    verdict = judge(Served(200, answer(author=deleted)), ANSWER, parse_answer)
    assert verdict.state == "author_gone"
    assert verdict.evidence.message == "「已注销」"


@pytest.mark.parametrize(
    "author",
    [
        {"id": "0", "url_token": "", "name": "匿名用户"},  # an anonymous answer
        {"id": "0", "url_token": "", "name": "知乎用户", "is_privacy": True},  # a privacy setting
        {"id": "0", "url_token": "", "name": "知乎用户"},
        {"id": "e5e5e5", "url_token": "someone", "name": "「已注销」"},  # a name, with an account
        {},
        None,
    ],
    ids=["anonymous", "privacy", "privacy-name", "an-account", "empty", "none"],
)
def test_other_authors_without_an_account_are_no_deletion(author):
    assert judge(Served(200, answer(author=author)), ANSWER, parse_answer).state == "unchanged"


def test_a_folded_answer_is_folded_not_gone():
    folded = answer(is_collapsed=True, collapsed_by="admin", collapse_reason="与问题无关")
    verdict = judge(Served(200, folded), ANSWER, parse_answer)
    assert verdict.state == "folded"
    assert verdict.evidence.message == "与问题无关"


def test_a_pin_zhihu_keeps_as_deleted_is_gone():
    pin = {"id": "51", "updated": 1700000000, "is_deleted": True, "state": "deleted"}
    verdict = judge(Served(200, body(pin)), PIN, parse_pin)
    assert verdict.state == "gone"
    assert verdict.evidence.code == "is_deleted"


def test_an_edit_is_a_new_updated_time_and_brings_the_item():
    verdict = judge(Served(200, answer(updated_time=1700086400)), ANSWER, parse_answer)
    assert verdict.state == "edited"
    assert verdict.post is not None and verdict.post.updated == 1700086400
    assert verdict.post.content == "<p>回答的正文。</p>"


def test_a_guest_cut_is_never_an_edit():
    cut = answer(content="<p>回答的正", content_need_truncated=True)
    assert judge(Served(200, cut), ANSWER, parse_answer).state == "unchanged"
    later = answer(content="<p>回答的正", content_need_truncated=True, updated_time=1700086400)
    verdict = judge(Served(200, later), ANSWER, parse_answer)
    assert verdict.state == "unknown" and verdict.evidence.code == "truncated"


@pytest.mark.parametrize(
    "data",
    [b"not json at all", NOT_FOUND_PAGE.encode(), body([1, 2]), error(4041)],
    ids=["garbage", "page", "array", "error-with-200"],
)
def test_a_200_that_holds_no_item_is_unknown(data):
    assert judge(Served(200, data), ANSWER, parse_answer).state == "unknown"


def test_a_page_is_read_by_its_own_parser():
    def page_parser(text: str) -> Skip:
        assert text == "<html>the article's page</html>"
        return Skip("missing_field", "not in its page")

    verdict = judge(Served(200, b"<html>the article's page</html>"), ARTICLE, page_parser)
    assert verdict.state == "unknown" and verdict.evidence.code == "missing_field"

"""Zhihu's refusals, recognised from status, body and redirects."""

import json

import pytest

from archiver.zhihu.blocks import detect_block

URL = "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50&desktop=true"


def error(code, message="m", **extra):
    return json.dumps({"error": {"code": code, "message": message, **extra}}).encode()


@pytest.mark.parametrize(
    ("status", "body", "cause"),
    [
        (401, error(101, "身份未经过验证", name="AuthenticationError"), "login_required"),
        (401, error(100, "ERR_LOGIN_TICKET_EXPIRED"), "login_expired"),
        (403, error(10003, "请求参数异常，请升级客户端后重试。"), "signature"),
        (403, error(40362, "您当前请求存在异常，暂时限制本次访问。"), "risk_control"),
        (
            200,
            '{"error":{"message":"您当前请求存在异常，暂时限制本次访问。abc"}}'.encode(),
            "risk_control",
        ),
        (400, b'{"HitLabels":null}', "signature"),
        (
            403,
            b'<html><meta id="zh-zse-ck" content="t"><script src="/zse-ck/v4/a.js"></script>',
            "challenge",
        ),
        (
            200,
            b'<html><script src="https://static.zhihu.com/zse-ck/v4/ab.js"></script></html>',
            "challenge",
        ),
        (401, b"", "login_required"),
        (403, b"<html>Forbidden</html>", "forbidden"),
    ],
)
def test_blocks(status, body, cause):
    block = detect_block(status, URL, body)
    assert block is not None and block.cause == cause
    assert "To fix:" in block.message and str(status) in block.message


def test_signin_redirects():
    assert detect_block(302, URL, b"", "https://www.zhihu.com/signin?next=%2Fhot").cause == (
        "signin_redirect"
    )
    assert detect_block(200, "https://www.zhihu.com/signin?next=%2Fhot", b"<html>").cause == (
        "signin_redirect"
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            200,
            json.dumps(
                {
                    "data": [
                        {"content": "<p>讲讲 zh-zse-ck 和 /zse-ck/ 反爬 暂时限制本次访问</p>" * 200}
                    ]
                }
            ).encode(),
        ),
        (200, b'{"data": [], "paging": {"is_end": true}}'),
        (404, "<html>404 没有知识存在的荒原</html>".encode()),
        (503, b"<html>503</html>"),
        (302, b""),
    ],
)
def test_not_blocks(status, body):
    assert detect_block(status, URL, body, "https://www.zhihu.com/question/1") is None


def test_message_names_the_cause_and_what_to_do():
    message = detect_block(401, URL, error(101)).message
    assert message.startswith("Blocked: Zhihu requires a login")
    assert "ZHIHU_COOKIE" in message and "\n" not in message

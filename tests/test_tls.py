"""Verified TLS: every https connection checks the chain and the host name before it sends
anything. The fixture server's certificates come from the tests' own CA (tests/support/tls.py),
which each test crawl trusts as a user trusts a corporate proxy's, through SSL_CERT_FILE; here it
shows another CA's, a self-signed one or one for another name, as a machine in the middle would."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from OpenSSL import SSL
from scrapy import Request
from scrapy.exceptions import DownloadFailedError
from service_identity import VerificationError
from service_identity.hazmat import DNS_ID, DNSMismatch
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web.client import ResponseNeverReceived

from archiver.downloader.tls import (
    UNTRUSTED,
    WRONG_HOST,
    CertificateCheckMiddleware,
    CertificateRefused,
    certificate_problem,
)
from tests.support.crawling import (
    NO_TOKEN,
    SECRET_MARKERS,
    assert_no_secret,
    crawl,
    posts,
    runtime,
)
from tests.support.fixture_server import ZhihuGate
from tests.support.project import project_crawler
from tests.support.tls import HOSTS, authority, ca_dir, fixture_ca, leaf_context

HOTLIST = "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50&desktop=true"


def another_ca(hosts: tuple[str, ...] = HOSTS):
    """A leaf for the right names from a CA nobody was given."""
    return leaf_context(hosts, authority("Someone in the middle"))


def self_signed_for_another_name():
    return leaf_context(("proxy.example.net",), None)


def right_ca_wrong_name():
    return leaf_context(("www.zhihu.com.example.net", "static.zhimg.com.example.net"), fixture_ca())


# What a failed download was: pure, over the exceptions Scrapy raises (Twisted's, OpenSSL's).


def downloader_error(reason: BaseException) -> DownloadFailedError:
    """As Scrapy's HTTP/1.1 handler raises it: DownloadFailedError from Twisted's client error."""
    try:
        try:
            raise ResponseNeverReceived([Failure(reason)])
        except ResponseNeverReceived as exc:
            raise DownloadFailedError(str(exc)) from exc
    except DownloadFailedError as exc:
        return exc


@pytest.mark.parametrize(
    ("reason", "problem"),
    [
        (SSL.Error([("SSL routines", "", "certificate verify failed")]), UNTRUSTED),
        (VerificationError([DNSMismatch(DNS_ID("www.zhihu.com"))]), WRONG_HOST),
        (SSL.Error([("SSL routines", "", "wrong version number")]), None),
        (ConnectionLost("gone"), None),
    ],
)
def test_a_refused_certificate_is_told_from_other_failures(reason, problem):
    assert certificate_problem(downloader_error(reason)) == problem
    assert certificate_problem(reason) == problem


def test_the_middleware_names_the_host_and_never_lets_a_refusal_be_retried():
    middleware = CertificateCheckMiddleware.from_crawler(project_crawler())
    request = Request("https://pic3.zhimg.com/v2-abc.jpg")
    untrusted = SSL.Error([("SSL routines", "", "certificate verify failed")])
    with pytest.raises(CertificateRefused) as refused:
        middleware.process_exception(request, downloader_error(untrusted))
    assert str(refused.value) == (
        "TLS: certificate of pic3.zhimg.com not trusted (self-signed or unknown CA, or expired)"
    )
    # a DownloadFailedError still, for whoever catches those (the challenge's script fetch)
    assert isinstance(refused.value, DownloadFailedError)
    assert middleware.process_exception(request, downloader_error(ConnectionLost())) is None


def test_verification_is_on_and_turning_it_off_is_said(caplog):
    crawler = project_crawler()
    assert crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
    with caplog.at_level(logging.WARNING):
        CertificateCheckMiddleware.from_crawler(crawler)
        assert not caplog.records
        CertificateCheckMiddleware.from_crawler(project_crawler(DOWNLOAD_VERIFY_CERTIFICATES=False))
    [record] = caplog.records
    assert "not verified" in record.getMessage()


# Whole runs through the fixture server.


def refusals(log: str) -> list[str]:
    return [line for line in log.splitlines() if "TLS: certificate of" in line]


def test_a_certificate_from_another_ca_is_refused_with_nothing_sent(tmp_path):
    run = crawl(tmp_path, certificates={"www.zhihu.com": another_ca()})
    assert run.code == 1, run.log
    # The tunnel was opened once (no retry), and no request line ever reached the server.
    assert run.server.tunnels == ["www.zhihu.com"]
    assert run.server.seen == []
    [line] = refusals(run.log)
    assert line.endswith(
        f"Failed {HOTLIST}: TLS: certificate of www.zhihu.com not trusted "
        "(self-signed or unknown CA, or expired)"
    )
    assert "'archiver/failed/tls': 1" in run.log
    assert "Traceback" not in run.log
    assert posts(tmp_path) == {}
    assert_no_secret(run, tmp_path)


def test_a_leaf_of_the_right_ca_for_another_name_is_refused(tmp_path):
    run = crawl(tmp_path, certificates={"www.zhihu.com": right_ca_wrong_name()})
    assert run.code == 1, run.log
    assert run.server.tunnels == ["www.zhihu.com"]
    assert run.server.seen == []
    [line] = refusals(run.log)
    assert line.endswith(
        "TLS: certificate of www.zhihu.com is for another host name (hostname mismatch)"
    )


@pytest.mark.parametrize("host", ["www.zhihu.com", "evil.example.net"])
def test_a_leaf_of_the_right_ca_naming_no_host_is_refused(tmp_path, host):
    """A certificate without a subjectAltName: Twisted's own check logs service_identity's
    CertificateError and lets it pass (the login went to a server whose certificate named
    evil.example.net); the handler's check refuses it, as browsers do, whatever its CN says."""
    certificate = leaf_context((host,), fixture_ca(), named=False)
    run = crawl(tmp_path, certificates={"www.zhihu.com": certificate})
    assert run.code == 1, run.log
    assert run.server.tunnels == ["www.zhihu.com"]
    assert run.server.seen == []
    [line] = refusals(run.log)
    assert line.endswith("TLS: certificate of www.zhihu.com names no host (no subjectAltName)")
    assert "Traceback" not in run.log
    assert_no_secret(run, tmp_path)


# How the crawl is told whom to trust: the tests' CA in SSL_CERT_FILE (every test crawl's), as a
# hashed folder in SSL_CERT_DIR, or not at all (the system's CA store only).
TRUST = {
    "file": dict,
    "dir": lambda: {"SSL_CERT_FILE": None, "SSL_CERT_DIR": str(ca_dir())},
    "system": lambda: {"SSL_CERT_FILE": None},
}


@pytest.mark.parametrize(
    ("trust", "certificate", "code", "says"),
    [
        # The review's case: a proxy showing a self-signed certificate for another name.
        (
            "file",
            self_signed_for_another_name,
            5,
            "checkcookie: TLS: certificate of www.zhihu.com is for another host name "
            "(hostname mismatch); nothing was sent. To fix: if your network's proxy inspects "
            "TLS, give its CA in SSL_CERT_FILE",
        ),
        ("file", another_ca, 5, "checkcookie: TLS: certificate of www.zhihu.com not trusted"),
        ("system", None, 5, "checkcookie: TLS: certificate of www.zhihu.com not trusted"),
        ("dir", None, 0, "The cookie works"),
        ("file", None, 0, "The cookie works"),
    ],
)
def test_checkcookie_sends_the_cookie_only_over_a_verified_connection(
    tmp_path, trust, certificate, code, says
):
    run = crawl(
        tmp_path,
        command=("checkcookie",),
        env=TRUST[trust](),
        certificates={"www.zhihu.com": certificate()} if certificate else {},
        in_subprocess=True,
    )
    assert run.code == code, run.log
    assert says in run.log
    assert "Traceback" not in run.log
    if code:
        assert run.server.seen == []  # z_c0 and d_c0 never left
    else:
        assert [s.host for s in run.server.seen] == ["www.zhihu.com"]
    for marker in SECRET_MARKERS:
        assert marker not in run.log


def test_a_figure_refused_so_is_a_failed_figure_and_keeps_its_remote_url(tmp_path):
    run = crawl(
        tmp_path, settings=("ARCHIVE_IMAGES=local",), certificates={"pic2.zhimg.com": another_ca()}
    )
    assert run.code == 0, run.log  # as for any failed figure: the posts are written
    assert run.requested("pic2.zhimg.com") == []
    assert run.server.tunnels.count("pic2.zhimg.com") == 2  # one each, none retried
    lines = refusals(run.log)
    assert len(lines) == 2
    assert all("Figure failed (tls): https://pic2.zhimg.com/" in line for line in lines)
    assert all(
        line.endswith(
            "TLS: certificate of pic2.zhimg.com not trusted (self-signed or unknown CA, or expired)"
        )
        for line in lines
    )
    assert "'archiver/figures/failed/tls': 2" in run.log
    assert "figures: 7 stored, 2 failed, 0 refused" in run.log
    texts = b"".join(posts(tmp_path).values()).decode()
    assert texts.count("https://pic2.zhimg.com/") >= 2 and "/images/zhimg/" in texts
    # A refusal on this network says nothing of the figure: not remembered, tried next run.
    db = sqlite3.connect(tmp_path / ".archiver" / "index.sqlite3")
    assert db.execute("SELECT count(*) FROM figure_failures").fetchone() == (0,)


def test_a_feed_refused_so_is_a_failed_feed(tmp_path):
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[[feed]]\nurl = "https://blog.example.org/feed/atom"\n\n'
        '[[feed]]\nurl = "https://rsshub.app/zhihu/hotlist"\n'
    )
    run = crawl(
        tmp_path / "archive",
        command=("crawl", "feed", "-a", f"config={config}"),
        certificates={"blog.example.org": another_ca()},
    )
    assert run.code == 1, run.log
    assert run.requested("blog.example.org") == []
    [line] = refusals(run.log)
    assert "Failed https://blog.example.org/feed/atom: TLS: certificate of blog.example.org" in line
    assert "'archiver/failed/tls': 1" in run.log
    assert len(posts(tmp_path / "archive")) == 3  # the other feed is archived


def test_the_challenge_script_comes_only_over_a_verified_connection(tmp_path):
    runtime()
    run = crawl(
        tmp_path,
        env={"ZHIHU_COOKIE": NO_TOKEN},
        settings=("ZHIHU_CHALLENGE_TIMEOUT=3",),
        gate=ZhihuGate(challenge=True),
        certificates={"static.zhihu.com": another_ca()},
    )
    assert run.code == 3, run.log
    assert run.requested("static.zhihu.com") == []
    [blocked] = [line for line in run.log.splitlines() if "Blocked:" in line]
    assert "its script could not be fetched (TLS: certificate of static.zhihu.com not" in blocked


def test_the_host_check_is_of_the_leafs_names_only():
    from OpenSSL.crypto import X509

    from archiver.downloader.tls import host_problem
    from tests.support.tls import leaf

    named, _ = leaf(("www.zhihu.com", "*.zhimg.com"), fixture_ca())
    unnamed, _ = leaf(("www.zhihu.com",), fixture_ca(), named=False)
    assert host_problem(X509.from_cryptography(named), "www.zhihu.com") is None
    assert host_problem(X509.from_cryptography(named), "pic1.zhimg.com") is None
    assert isinstance(host_problem(X509.from_cryptography(named), "zhihu.com"), VerificationError)
    assert isinstance(host_problem(X509.from_cryptography(named), "127.0.0.1"), VerificationError)
    problem = host_problem(X509.from_cryptography(unnamed), "www.zhihu.com")
    assert problem is not None and not isinstance(problem, VerificationError)

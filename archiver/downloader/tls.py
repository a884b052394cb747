"""Verified TLS: what a refused certificate looks like to the user, and that it is not retried.

Every https connection is verified by Scrapy itself (`DOWNLOAD_VERIFY_CERTIFICATES`, on in
settings.py; through a proxy, inside the CONNECT tunnel): the chain against OpenSSL's default
trust, which is the system's CA store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, and the host
name. A refused handshake ends before the request is written, so nothing (no cookie) is sent.
Scrapy reports it as a DownloadFailedError around Twisted's and OpenSSL's errors; this module
turns that into one line naming the host and the reason.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn, Self

from OpenSSL import SSL
from scrapy.exceptions import DownloadFailedError
from scrapy.utils.httpobj import urlparse_cached
from service_identity import VerificationError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

UNTRUSTED = "not trusted (self-signed or unknown CA, or expired)"
WRONG_HOST = "is for another host name (hostname mismatch)"
# OpenSSL's reason for a chain it could not verify (the detail stays in its verify result).
_VERIFY_FAILED = "certificate verify failed"


class CertificateRefused(DownloadFailedError):
    """A download whose TLS handshake was refused for the server's certificate."""

    def __init__(self, host: str, problem: str) -> None:
        super().__init__(f"TLS: certificate of {host} {problem}")
        self.host = host
        self.problem = problem


def certificate_problem(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, if that is what failed this download."""
    for error in _causes(exc):
        if isinstance(error, VerificationError):
            return WRONG_HOST
        if isinstance(error, SSL.Error) and any(
            _VERIFY_FAILED in str(part) for part in _openssl_reasons(error)
        ):
            return UNTRUSTED
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it was raised from, and the reasons Twisted's client gives."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        if isinstance(error, ResponseFailed):
            pending += [r.value for r in error.reasons if isinstance(r, Failure)]
        pending += [e for e in (error.__cause__, error.__context__) if e is not None]


def _openssl_reasons(error: SSL.Error) -> list[object]:
    """The (library, function, reason) entries of pyOpenSSL's error, flattened."""
    entries = error.args[0] if error.args and isinstance(error.args[0], list) else error.args
    return [part for entry in entries for part in (entry if isinstance(entry, tuple) else (entry,))]


class CertificateCheckMiddleware:
    """A download refused for its certificate fails at once with a CertificateRefused.

    Placed after the retry middleware in the exception path: a certificate that is not trusted
    now is not trusted a minute later, and every retry would only repeat the line.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"):
            logger.warning(
                "TLS certificates are not verified (DOWNLOAD_VERIFY_CERTIFICATES is off): "
                "the cookie goes to whoever answers"
            )
        return cls()

    def process_exception(self, request: Request, exception: Exception) -> None:
        problem = certificate_problem(exception)
        if problem is not None:
            self._refuse(request, problem, exception)

    @staticmethod
    def _refuse(request: Request, problem: str, exception: Exception) -> NoReturn:
        host = urlparse_cached(request).hostname or request.url
        raise CertificateRefused(host, problem) from exception

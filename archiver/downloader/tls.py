"""Verified TLS: what a refused certificate looks like to the user, and that it is not retried.

Every https connection is verified by Scrapy itself (`DOWNLOAD_VERIFY_CERTIFICATES`, on in
settings.py; through a proxy, inside the CONNECT tunnel): the chain against OpenSSL's default
trust, which is the system's CA store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, and the host
name. A refused handshake ends before the request is written, so nothing (no cookie) is sent.
Scrapy reports it as a DownloadFailedError around Twisted's and OpenSSL's errors; this module
turns that into one line naming the host and the reason.

Twisted's check of the host name fails open on one certificate: a leaf that names no host in a
subjectAltName makes service_identity raise CertificateError, which Twisted's verify callback
(twisted.internet._sslverify._verifyCB) logs and lets pass, keeping OpenSSL's verdict on the
chain alone. Any CA's certificate for another name without a subjectAltName then received the
login. The https download handler here checks the host name itself, failing closed on both.
"""

from __future__ import annotations

import logging
from ipaddress import ip_address
from typing import TYPE_CHECKING, NoReturn, Self

from OpenSSL import SSL
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadFailedError
from scrapy.utils.httpobj import urlparse_cached
from service_identity import CertificateError, VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed
from twisted.web.iweb import IPolicyForHTTPS
from zope.interface import implementer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from OpenSSL.crypto import X509
    from scrapy import Request
    from scrapy.crawler import Crawler
    from twisted.protocols.tls import TLSMemoryBIOProtocol

logger = logging.getLogger(__name__)

UNTRUSTED = "not trusted (self-signed or unknown CA, or expired)"
WRONG_HOST = "is for another host name (hostname mismatch)"
NO_HOST = "names no host (no subjectAltName)"
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
        if isinstance(error, CertificateError):
            return NO_HOST
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


class HostCheckedDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler for https, whose connections check the server's host name in a
    way that fails closed (see the module's docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if crawler.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"):
            # The handler's one policy, which its agents (and proxy tunnels) ask per host.
            self._contextFactory = HostCheckedPolicy(self._contextFactory)


@implementer(IPolicyForHTTPS)
class HostCheckedPolicy:
    """Scrapy's verifying TLS policy, each connection's certificate check made fail-closed."""

    def __init__(self, policy: IPolicyForHTTPS) -> None:
        self.policy = policy

    def creatorForNetloc(self, hostname: bytes, port: int) -> HostChecked:
        return HostChecked(self.policy.creatorForNetloc(hostname, port), hostname.decode("ascii"))


@implementer(IOpenSSLClientConnectionCreator)
class HostChecked:
    """A connection creator whose verify callback replaces Twisted's with the same checks, its
    every failure a refusal: OpenSSL's verdict on the chain, and the leaf's names."""

    def __init__(self, creator: IOpenSSLClientConnectionCreator, hostname: str) -> None:
        self.creator = creator
        self.hostname = hostname

    def clientConnectionForTLS(self, protocol: TLSMemoryBIOProtocol) -> SSL.Connection:
        connection = self.creator.clientConnectionForTLS(protocol)
        connection.set_verify(
            SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, _verifier(protocol, self.hostname)
        )
        return connection


def _verifier(
    protocol: TLSMemoryBIOProtocol, hostname: str
) -> Callable[[SSL.Connection, X509, int, int, int], bool]:
    # The protocol is dropped once used, as Twisted does: the connection holds this callback.
    held: list[TLSMemoryBIOProtocol] = [protocol]

    def verify(connection: SSL.Connection, cert: X509, errno: int, depth: int, ok: int) -> bool:
        if depth != 0:
            return bool(ok)  # the chain above the leaf, as OpenSSL judged it
        # The leaf's names are judged whatever the chain's verdict, as Twisted does, so that a
        # certificate for another name is said to be one even when nobody trusts its issuer.
        problem = host_problem(cert, hostname)
        if problem is not None and held:
            held.pop().failVerification(Failure(problem))
        held.clear()
        return bool(ok) and problem is None

    return verify


def host_problem(cert: X509, hostname: str) -> Exception | None:
    """Why the leaf certificate is not one for `hostname` (a DNS name or an IP address)."""
    try:
        address = ip_address(hostname)
    except ValueError:
        address = None
    try:
        if address is None:
            verify_certificate_hostname(cert.to_cryptography(), hostname)
        else:
            verify_certificate_ip_address(cert.to_cryptography(), str(address))
    except (VerificationError, CertificateError) as exc:
        return exc
    return None

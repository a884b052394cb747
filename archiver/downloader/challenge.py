"""Zhihu's `__zse_ck` challenge, answered as its page does: by running its script in the
sandboxed solver (archiver.downloader.solver)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Self

from scrapy import Spider, signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archiver.archive.layout import Layout
from archiver.downloader.hosts import ZhihuHosts
from archiver.downloader.meta import (
    CHALLENGE_RETRY,
    CHALLENGE_SCRIPT,
    CHALLENGE_UNSOLVED,
    FIGURE_META,
)
from archiver.downloader.session import ZhihuSessionMiddleware
from archiver.downloader.solver import (
    CachedToken,
    Runtime,
    SolverFailed,
    SolverUnavailable,
    TokenCache,
    digest,
    find_runtime,
    run_solver,
)
from archiver.utils.logtext import loggable
from archiver.zhihu.blocks import detect_block
from archiver.zhihu.challenge import (
    ChallengeError,
    ChallengePage,
    parse_challenge_page,
    parse_written_cookie,
)
from archiver.zhihu.cookies import (
    CHALLENGE,
    ROLES,
    cookie_value,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ZhihuChallengeMiddleware:
    """Answer Zhihu's `__zse_ck` challenge as its page does, by running the page's script.

    On a 403 challenge page: fetch the script it names (static.zhihu.com only, through this
    downloader, so the WARC keeps it), run it in the sandboxed solver
    (archiver.downloader.solver) with the page, its URL and the crawl's User-Agent, send the
    token it writes from then on, and retry the refused request once. What it cannot answer
    goes on to ZhihuBlockMiddleware, which stops the crawl saying why. The token is cached
    under .archiver/ for later runs, never logged.
    """

    def __init__(self, crawler: Crawler, mode: str, timeout: float, cache: TokenCache) -> None:
        self.crawler = crawler
        self.mode = mode
        self.timeout = timeout
        self.cache = cache
        self.hosts = ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"])
        self.lock = asyncio.Lock()
        self.token: str | None = None  # the solved token this run sends
        self.solves = 0
        self.unsolved = ""  # why the last attempt failed: not tried again this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        mw = cls(
            crawler,
            settings["ZHIHU_CHALLENGE_SOLVER"],
            settings.getfloat("ZHIHU_CHALLENGE_TIMEOUT"),
            TokenCache(Layout.of(settings).token_cache),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    @property
    def session(self) -> ZhihuSessionMiddleware:
        session = self.crawler.get_downloader_middleware(ZhihuSessionMiddleware)
        assert session is not None
        return session

    def user_agent(self) -> str:
        return self.session.user_agent or self.crawler.settings["USER_AGENT"]

    def spider_opened(self, spider: Spider) -> None:
        """A token solved by an earlier run, if ZHIHU_COOKIE has none or the one Zhihu refused."""
        if not getattr(spider, "zhihu_cookies", ()) or self.crawler.settings["ARCHIVE_REPLAY"]:
            return
        given = self.session.identity.value(CHALLENGE)
        cached = self.cache.load()
        now = datetime.now(UTC)
        usable = cached is not None and cached.usable(self.user_agent(), now)
        if cached and usable and (given is None or digest(given) == cached.replaces):
            self.token = cached.value
            self.session.use_challenge_token(cached.value)
            logger.info("Using the challenge token solved earlier (until %s)", cached.expires)
            return
        if given is None and self.mode == "off":
            logger.warning(
                "ZHIHU_COOKIE has no %s (%s) and the challenge solver is off: Zhihu may answer "
                "with its challenge; copy the whole Cookie header, and set ZHIHU_USER_AGENT to "
                "that browser's",
                CHALLENGE,
                ROLES[CHALLENGE],
            )

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.url not in self.hosts or _own_request(request):
            return response
        location = response.headers.get("Location", b"").decode("latin-1")
        block = detect_block(response.status, response.url, response.body, location)
        if block is None or block.cause != "challenge":
            return response
        if request.meta.get(CHALLENGE_RETRY):
            request.meta[CHALLENGE_UNSOLVED] = "Zhihu refused the token the solver got as well"
            return response
        try:
            await self._solved(request, response)
        except ChallengeUnsolved as exc:
            # The reason may quote the script or the page: one line, escaped, in the log.
            request.meta[CHALLENGE_UNSOLVED] = loggable(str(exc), 500)
            return response
        retry = request.replace(dont_filter=True)
        retry.meta[CHALLENGE_RETRY] = True
        # Built again from the jar and the session, with the new token.
        retry.headers.pop("Cookie", None)
        return retry

    async def _solved(self, request: Request, response: Response) -> None:
        """A token newer than the one `request` was refused with; ChallengeUnsolved otherwise."""
        async with self.lock:  # many requests refused at once: one solve
            sent = cookie_value(request.headers.get("Cookie", b"").decode("latin-1"), CHALLENGE)
            if self.token is not None and sent != self.token:
                return  # solved meanwhile, for another request
            if self.unsolved:
                raise ChallengeUnsolved(self.unsolved)
            try:
                value = await self._solve(request, response)
            except ChallengeUnsolved as exc:
                self.unsolved = str(exc)
                raise
            self.token = value
            self.session.use_challenge_token(value)

    async def _solve(self, request: Request, response: Response) -> str:
        if self.mode == "off":
            raise ChallengeUnsolved("the challenge solver is off (ZHIHU_CHALLENGE_SOLVER)")
        self.solves += 1
        if self.solves > _MAX_SOLVES:
            raise ChallengeUnsolved(f"Zhihu challenged {_MAX_SOLVES} solved tokens in one run")
        try:
            runtime = _runtime()
            page = parse_challenge_page(response.text, request.url)
        except (SolverUnavailable, ChallengeError) as exc:
            raise ChallengeUnsolved(f"the solver cannot run: {exc}") from None
        script = await self._fetch_script(page, request.url)
        user_agent = self.user_agent()
        try:
            written = await maybe_deferred_to_future(
                deferToThread(
                    run_solver,
                    runtime,
                    response.text,
                    script,
                    request.url,
                    user_agent,
                    self.timeout,
                )
            )
            token = parse_written_cookie(written, page.meta, datetime.now(UTC))
        except (SolverFailed, ChallengeError) as exc:
            raise ChallengeUnsolved(f"its script could not be answered: {exc}") from None
        self._remember(token.value, user_agent, token.expires)
        return token.value

    async def _fetch_script(self, page: ChallengePage, referer: str) -> str:
        script_request = Request(
            page.script_url, headers={"Referer": referer}, meta={CHALLENGE_SCRIPT: True}
        )
        assert self.crawler.engine is not None
        try:
            script = await self.crawler.engine.download_async(script_request)
        except _DOWNLOAD_ERRORS as exc:
            raise ChallengeUnsolved(f"its script could not be fetched ({exc})") from None
        if script.status != 200 or not isinstance(script, TextResponse):
            raise ChallengeUnsolved(f"its script could not be fetched (HTTP {script.status})")
        return script.text

    def _remember(self, value: str, user_agent: str, expires: datetime | None) -> None:
        given = self.session.identity.value(CHALLENGE)
        replaces = digest(given) if given and given != self.token else ""
        self.cache.save(
            CachedToken(value, user_agent, expires.isoformat() if expires else "", replaces)
        )
        logger.info(
            "Answered Zhihu's challenge; the token is valid until %s",
            expires.isoformat() if expires else "unknown",
        )


class ChallengeUnsolved(Exception):
    """Why the challenge could not be answered, said in the `Blocked:` line."""


_MAX_SOLVES = 3
_DOWNLOAD_ERRORS = (
    IgnoreRequest,
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadCancelledError,
    DownloadFailedError,
    ResponseDataLossError,
    OSError,
)


def _own_request(request: Request) -> bool:
    """A figure, or the challenge script itself: never a challenge to answer."""
    return FIGURE_META in request.meta or CHALLENGE_SCRIPT in request.meta


@cache
def _runtime() -> Runtime:
    return find_runtime()

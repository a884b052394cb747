"""Downloader middlewares: Zhihu's session, signed headers, blocks, retry with backoff."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Self
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
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
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archiver import stats as keys
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
from archiver.extensions import interrupted
from archiver.post.figures import is_allowed
from archiver.utils.logtext import loggable
from archiver.utils.wire import wire_target
from archiver.zhihu.blocks import Block, detect_block
from archiver.zhihu.challenge import (
    ChallengeError,
    ChallengePage,
    parse_challenge_page,
    parse_written_cookie,
)
from archiver.zhihu.cookies import (
    CHALLENGE,
    DEVICE,
    LOGIN,
    ROLES,
    Identity,
    cookie_value,
    merge_cookie_header,
    missing_message,
)
from archiver.zhihu.signing import ZSE_93, sign
from archiver.zhihu.videos import PLAY_INFO_PATH

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

COOKIE_ENV = "ZHIHU_COOKIE"
USER_AGENT_ENV = "ZHIHU_USER_AGENT"
DEFAULT_REFERER = "https://www.zhihu.com/"
# What Zhihu's web client sends with every API call, besides the signature.
API_HEADERS = {
    "x-zse-93": ZSE_93,
    "x-api-version": "3.0.91",
    "x-app-za": "OS=Web",
    "x-requested-with": "fetch",
}


# Zhihu's hosts that serve everyone without a session: Zhihu Daily's API wants no login and no
# signature, nor does the video play-info of lens.zhihu.com (archiver/zhihu/videos.py: public
# clients send neither). A credential is sent only where it is needed, so these get no cookie.
OPEN_HOSTS = frozenset({"news-at.zhihu.com", "lens.zhihu.com"})


class ZhihuHosts:
    """Which requests go to Zhihu itself: the configured base host and *.zhihu.com.

    Image hosts (zhimg.com), feed hosts and Zhihu's OPEN_HOSTS are not Zhihu for this purpose:
    they never get the login cookie, and their refusals are failed downloads, not a blocked crawl.
    """

    def __init__(self, base_url: str) -> None:
        self.base_host = urlsplit(base_url).netloc

    def __contains__(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host in OPEN_HOSTS:
            return False
        return parts.netloc == self.base_host or host == "zhihu.com" or host.endswith(".zhihu.com")

    @staticmethod
    def is_open(url: str) -> bool:
        return (urlsplit(url).hostname or "") in OPEN_HOSTS

    def is_api(self, url: str) -> bool:
        return url in self and urlsplit(url).path.startswith("/api/")


def stop_crawl(crawler: Crawler, block: Block) -> None:
    """Count a refusal; the first one of a run is logged and closes the spider."""
    stats = crawler.stats
    assert stats is not None
    stats.inc_value(f"{keys.BLOCKED}/{block.cause}")
    if stats.get_value(keys.BLOCKED) is not None:
        return
    stats.set_value(keys.BLOCKED, block.cause)
    logger.error(block.message)
    assert crawler.engine is not None
    # Not awaited: closing waits for in-flight downloads, possibly the caller's own.
    deferred_from_coro(crawler.engine.close_spider_async(reason="blocked"))


class ZhihuSessionMiddleware:
    """The user's identity on Zhihu's own hosts: the cookie (over https only) and User-Agent.

    ZHIHU_COOKIE is parsed once. A spider names the cookies it cannot work without
    (`zhihu_cookies`); a run that lacks one is stopped as blocked before it sends anything.
    """

    def __init__(
        self, crawler: Crawler, hosts: ZhihuHosts, identity: Identity, user_agent: str
    ) -> None:
        self.crawler = crawler
        self.hosts = hosts
        self.identity = identity
        self.user_agent = user_agent
        self.refused = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = cls(
            crawler,
            ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"]),
            Identity.from_header(os.environ.get(COOKIE_ENV, "").strip()),
            os.environ.get(USER_AGENT_ENV, "").strip(),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        if self.crawler.settings["ARCHIVE_REPLAY"]:
            return  # a replay sends nothing: it needs no identity
        needed = getattr(spider, "zhihu_cookies", ())
        if missing := self.identity.missing(needed):
            self.refused = True
            what = missing_message(missing, f"`{spider.name}`")
            stop_crawl(self.crawler, Block("missing_cookie", what=what))
            return

    def use_challenge_token(self, value: str) -> None:
        """From now on send this `__zse_ck` (a solved challenge) instead of the one given."""
        self.identity = self.identity.with_cookie(CHALLENGE, value)

    def process_request(self, request: Request) -> None:
        if self.refused:
            raise Blocked("the run lacks a cookie it needs")
        request.headers.setdefault("Referer", DEFAULT_REFERER)
        if self.hosts.is_open(request.url):
            # Not even a .zhihu.com cookie that www.zhihu.com set in the jar (a refreshed d_c0).
            request.headers.pop("Cookie", None)
            return
        if request.url not in self.hosts:
            return
        if self.user_agent:
            request.headers["User-Agent"] = self.user_agent
        if urlsplit(request.url).scheme != "https":
            # Never a credential in clear text, not even one Zhihu set in the jar.
            request.headers.pop("Cookie", None)
            return
        # CookiesMiddleware has already written the jar's cookies; ours fill in the rest.
        jar = request.headers.get("Cookie", b"").decode("latin-1")
        if header := merge_cookie_header(jar, list(self.identity.pairs)):
            request.headers["Cookie"] = header


class ZhihuSigningMiddleware:
    """Zhihu's API headers on every API request, with `x-zse-96` signed over the request as sent.

    It runs after every middleware that may change a request's URL or cookies, so it signs the
    path and query as the HTTP client will put them on the wire and the `d_c0` the Cookie header
    carries (Zhihu may refresh it with Set-Cookie during a run). Retries and redirects come
    through here again and are signed again.
    """

    def __init__(self, hosts: ZhihuHosts, signature_byte: int) -> None:
        self.hosts = hosts
        self.signature_byte = signature_byte

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        value = crawler.settings.getint("ZHIHU_SIGNATURE_BYTE")
        if not 0 <= value <= 255:
            raise ValueError(f"ZHIHU_SIGNATURE_BYTE is a byte (0-255), not {value}")
        return cls(ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"]), value)

    def process_request(self, request: Request) -> None:
        if not self.hosts.is_api(request.url):
            return
        for name, value in API_HEADERS.items():
            request.headers[name] = value
        d_c0 = cookie_value(request.headers.get("Cookie", b"").decode("latin-1"), DEVICE)
        if d_c0 is None:
            # Nothing to sign with (a spider that needs no identity): Zhihu will say no.
            request.headers.pop("x-zse-96", None)
            return
        # A body (the video play-info's JSON) is signed too, as Zhihu's web client signs it.
        body = request.body.decode("utf-8", errors="replace")
        request.headers["x-zse-96"] = sign(
            wire_target(request.url), d_c0, self.signature_byte, body=body
        )


CHALLENGE_UNSOLVED = "archiver_challenge_unsolved"  # request meta: why the solver could not
CHALLENGE_RETRY = "archiver_challenge_retry"  # request meta: sent again with a solved token
CHALLENGE_SCRIPT = "archiver_challenge_script"  # request meta: the challenge's script
FALLBACK_ON = "archiver_fallback_on"  # request meta: block causes the spider works around
# Request meta: another endpoint of the same data, where Zhihu moved it. Zhihu turns a client away
# from an endpoint it no longer serves it with the refusals of LOGIN_REFUSALS; they say "not this
# endpoint" only of a request that carried the login: without it, they mean what they say (log
# in), and the other endpoint would not answer either.
FALLBACK_URL = "archiver_fallback_url"
FALLBACK_OF = "archiver_fallback_of"  # request meta of a fallback: the Block (or 404) it replaces
LOGIN_REFUSALS = ("login_required", "forbidden")


def sent_login(request: Request) -> bool:
    """Whether the request went out with the login cookie (as sent, after every middleware)."""
    return cookie_value(request.headers.get("Cookie", b"").decode("latin-1"), LOGIN) is not None


class Blocked(IgnoreRequest):
    """A request dropped because Zhihu refused the run: said once, in the `Blocked:` line."""


class Refused(Blocked):
    """A refusal the request's spider has a fallback for (see FALLBACK_ON)."""

    def __init__(self, block: Block) -> None:
        super().__init__(block.message)
        self.block = block


class ZhihuBlockMiddleware:
    """Stop the whole crawl, with one clear message, the first time Zhihu refuses us.

    An error page must never reach a callback (and so never become a post): blocked responses are
    dropped here, before the spider sees them.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.hosts = ZhihuHosts(crawler.settings["ZHIHU_BASE_URL"])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        # Figures (equation images live on www.zhihu.com) and videos (the web player's
        # play-info) fail on their own; they never block.
        if request.url not in self.hosts or _media(request):
            return response
        location = response.headers.get("Location", b"").decode("latin-1")
        block = detect_block(response.status, response.url, response.body, location)
        if block is None:
            return response
        if block.cause == "challenge" and (why := request.meta.get(CHALLENGE_UNSOLVED)):
            block = dataclasses.replace(block, what=f"{challenge_line(block)}, and {why}")
        if block.cause in request.meta.get(FALLBACK_ON, ()) and (
            FALLBACK_URL not in request.meta or sent_login(request)
        ):
            # The spider has another way to this content (an article's page when its API wants
            # a signature, an endpoint Zhihu moved to): this refusal is the spider's to handle,
            # not the end of the crawl, unless the other way fails too (FALLBACK_OF).
            raise Refused(block)
        stop_crawl(self.crawler, block)
        raise Blocked(block.message)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry policy (RETRY_TIMES, RETRY_HTTP_CODES), waiting longer before each retry.

    Zhihu answers bursts with 429 and 5xx; retrying at once only prolongs them.
    """

    backoff_base: float
    backoff_max: float
    stopping = False  # the run is interrupted: no more waiting
    waiting: set[asyncio.Future[None]]  # the backoffs under way

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        mw.backoff_max = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        mw.waiting = set()
        crawler.signals.connect(mw.interrupted, signal=interrupted)
        return mw

    def interrupted(self, signame: str) -> None:
        """No backoff waits out an interrupted run (the retry it delays is never scheduled)."""
        self.stopping = True
        for waiting in self.waiting:
            _done(waiting)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        return await self._after_backoff(super().process_response(request, response))

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        return await self._after_backoff(super().process_exception(request, exception))

    async def _after_backoff(self, result: Request | Response | None) -> Request | Response | None:
        if isinstance(result, Request):
            delay = backoff_delay(
                result.meta.get("retry_times", 1), self.backoff_base, self.backoff_max
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await self._backoff(delay)
        return result

    async def _backoff(self, delay: float) -> None:
        """`asyncio.sleep(delay)`, over at once when the run is interrupted."""
        if self.stopping:
            return
        waiting = asyncio.get_running_loop().create_future()
        timer = asyncio.get_running_loop().call_later(delay, _done, waiting)
        self.waiting.add(waiting)
        try:
            await waiting
        finally:
            timer.cancel()
            self.waiting.discard(waiting)


def _done(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, retry_times - 1))


FIGURE_META = "archiver_figure"  # request meta of every figure download (FiguresPipeline)
VIDEO_META = "archiver_video"  # request meta of every video download (VideosPipeline): lens id
# Where a video request may go besides ARCHIVE_VIDEO_HOSTS: the play-info endpoints (the lens
# host, and the web player's path on the ZHIHU_BASE_URL host).
VIDEO_INFO_HOSTS = ("lens.zhihu.com",)


class RefusedFigure(IgnoreRequest):
    """A figure request, or a redirect of one, to a URL off FIGURES_ALLOWED_HOSTS."""


class FigureAllowlistMiddleware:
    """Judge every figure request against FIGURES_ALLOWED_HOSTS as it is about to be sent, and
    every video request against ARCHIVE_VIDEO_HOSTS (and the play-info's host).

    The pipeline judges a figure's URL before requesting it; this judges it again on the way
    out, so no other path (a redirect to 127.0.0.1, a retry, a request some future code builds)
    reaches a host off the list. A redirect comes back through here as a new request.
    """

    def __init__(
        self, crawler: Crawler, allowlist: list[str], video_hosts: list[str] | None = None
    ) -> None:
        self.crawler = crawler
        self.allowlist = allowlist
        self.video_hosts = [*(video_hosts or ()), *VIDEO_INFO_HOSTS]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        web_player = f"{urlsplit(settings['ZHIHU_BASE_URL']).hostname}{PLAY_INFO_PATH}"
        return cls(
            crawler,
            settings.getlist("FIGURES_ALLOWED_HOSTS"),
            [*settings.getlist("ARCHIVE_VIDEO_HOSTS"), web_player],
        )

    def process_request(self, request: Request) -> None:
        if VIDEO_META in request.meta and not is_allowed(request.url, self.video_hosts):
            self._refuse(request, keys.VIDEOS, "Video", "ARCHIVE_VIDEO_HOSTS")
        if FIGURE_META in request.meta and not is_allowed(request.url, self.allowlist):
            self._refuse(request, keys.FIGURES, "Figure", "FIGURES_ALLOWED_HOSTS")

    def _refuse(self, request: Request, stats: str, what: str, setting: str) -> NoReturn:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{stats}/refused_host")
        redirected = request.meta.get("redirect_urls", [])
        logger.warning(
            "%s not fetched (host not on %s): %s%s",
            what,
            setting,
            request.url,
            f" (redirected from {redirected[0]})" if redirected else "",
        )
        raise RefusedFigure(f"not on {setting}: {request.url}")


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
        folder = Path(settings["ARCHIVE_DIR"]) / ".archiver"
        mw = cls(
            crawler,
            settings["ZHIHU_CHALLENGE_SOLVER"],
            settings.getfloat("ZHIHU_CHALLENGE_TIMEOUT"),
            TokenCache(folder / "zse_ck.json"),
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


def _media(request: Request) -> bool:
    """A figure or a video's request: never a block of the crawl."""
    return FIGURE_META in request.meta or VIDEO_META in request.meta


def _own_request(request: Request) -> bool:
    """A figure, or the challenge script itself: never a challenge to answer."""
    return "archiver_figure" in request.meta or CHALLENGE_SCRIPT in request.meta


@cache
def _runtime() -> Runtime:
    return find_runtime()


def challenge_line(block: Block) -> str:
    return f"Zhihu served its JavaScript challenge page (HTTP {block.status}, at {block.url})"

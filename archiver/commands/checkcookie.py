"""`scrapy checkcookie`: is the identity in ZHIHU_COOKIE complete, and does Zhihu accept it?

Exit 0 yes; 3 a cookie is missing or Zhihu refuses it (with what to do); 5 Zhihu could not be
reached (network, proxy, DNS, or a TLS certificate not trusted); 1 Zhihu answered something this
command cannot read.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

from archiver import stats as keys
from archiver.archive.layout import Layout
from archiver.commands.crawl import refuse
from archiver.config import setting_problems
from archiver.downloader.session import COOKIE_ENV, USER_AGENT_ENV
from archiver.downloader.solver import SolverUnavailable, TokenCache, find_runtime
from archiver.extensions import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
from archiver.logs import quiet_scrapy
from archiver.spiders.cookie import CookieSpider
from archiver.zhihu.cookies import (
    CHALLENGE,
    DEVICE,
    LOGIN,
    ROLES,
    WHERE_TO_COPY,
    Identity,
    missing_message,
)

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings


def identity_report(identity: Identity, user_agent: str) -> list[str]:
    """One line per cookie that matters, and where the User-Agent comes from. No values."""
    lines = [
        f"{name} ({ROLES[name]}): {'present' if identity.has(name) else 'missing'}"
        for name in (LOGIN, DEVICE, CHALLENGE)
    ]
    lines.append(f"User-Agent: {'from ' + USER_AGENT_ENV if user_agent else 'the project default'}")
    return lines


def solver_report(settings: BaseSettings, user_agent: str) -> list[str]:
    """Whether a challenge can be answered here, and until when the cached token lasts."""
    if settings["ZHIHU_CHALLENGE_SOLVER"] == "off":
        solver = "off (ZHIHU_CHALLENGE_SOLVER)"
    else:
        try:
            runtime = find_runtime()
        except SolverUnavailable as exc:
            solver = f"unavailable: {exc}"
        else:
            solver = f"available (Node.js {runtime.node_version}, jsdom, sandboxed)"
    cached = TokenCache(Layout.of(settings).token_cache).load()
    if cached is None:
        token = "none"
    elif cached.user_agent != user_agent:
        token = "one for another User-Agent (not used)"
    elif cached.usable(user_agent, datetime.now(UTC)):
        token = f"valid until {cached.expires or 'unknown'}"
    else:
        token = f"expired at {cached.expires}"
    return [f"challenge solver: {solver}", f"solved challenge token: {token}"]


class Command(ScrapyCommand):
    requires_project = True

    def short_desc(self) -> str:
        return "Check ZHIHU_COOKIE: exit 0 works, 3 missing or refused, 5 unreachable, 1 unknown"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        quiet_scrapy(self.settings)
        refuse("checkcookie", setting_problems(self.settings), self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        header = os.environ.get(COOKIE_ENV, "").strip()
        if not header:
            self._say(f"{COOKIE_ENV} is not set. To fix: {WHERE_TO_COPY}.")
            self.exitcode = EXIT_BLOCKED
            return
        identity = Identity.from_header(header)
        user_agent = os.environ.get(USER_AGENT_ENV, "").strip()
        assert self.settings is not None
        lines = identity_report(identity, user_agent) + solver_report(
            self.settings, user_agent or self.settings["USER_AGENT"]
        )
        for line in lines:
            print(f"checkcookie: {line}")
        if missing := identity.missing(CookieSpider.zhihu_cookies):
            self._say(f"{missing_message(missing, 'a signed request')}. To fix: {WHERE_TO_COPY}.")
            self.exitcode = EXIT_BLOCKED
            return
        self.exitcode = self._ask_zhihu()

    def _ask_zhihu(self) -> int:
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(CookieSpider)
        self.crawler_process.crawl(crawler, name=CookieSpider.internal_name)
        self.crawler_process.start()
        spider = crawler.spider
        assert isinstance(spider, CookieSpider)
        if crawler.stats is not None and crawler.stats.get_value(keys.BLOCKED):
            return EXIT_BLOCKED
        if spider.user:
            return EXIT_OK
        if spider.untrusted:
            self._say(
                f"{spider.untrusted}; nothing was sent. To fix: if your network's proxy inspects "
                "TLS, give its CA in SSL_CERT_FILE; otherwise someone is in the way: do not run "
                "from this network."
            )
            return EXIT_UNREACHABLE
        if spider.unreachable:
            self._say(
                f"could not reach Zhihu ({spider.unreachable}). To fix: check the network, "
                "the proxy (https_proxy) and DNS, then run again."
            )
            return EXIT_UNREACHABLE
        self._say(
            f"Zhihu was reached, but {spider.unusable or 'it gave no answer'} (/api/v4/me). To "
            "fix: run again later; if it persists, Zhihu has changed this API (see the log)."
        )
        return EXIT_FAILED

    @staticmethod
    def _say(line: str) -> None:
        print(f"checkcookie: {line}", file=sys.stderr)

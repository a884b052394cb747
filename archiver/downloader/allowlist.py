"""Figures and videos are fetched from their allowed hosts only, redirects included."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn, Self
from urllib.parse import urlsplit

from scrapy.http import Request

from archiver import stats as keys
from archiver.downloader.meta import FIGURE_META, VIDEO_META, RefusedFigure
from archiver.utils.allowlist import is_allowed
from archiver.zhihu.videos import PLAY_INFO_PATH

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


# Where a video request may go besides ARCHIVE_VIDEO_HOSTS: the play-info endpoints (the lens
# host, and the web player's path on the ZHIHU_BASE_URL host).
VIDEO_INFO_HOSTS = ("lens.zhihu.com",)


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

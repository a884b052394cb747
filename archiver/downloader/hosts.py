"""Which requests go to Zhihu itself (they carry the login and may be blocked), and which of
Zhihu's hosts serve everyone without a session (they are sent no credential)."""

from __future__ import annotations

from urllib.parse import urlsplit

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

"""A download over its size limit, as one typed error: TooLarge.

Scrapy stops a download in two places, each with an error of its own: the download handler
cancels one that announces or reaches more than `download_maxsize` bytes (DownloadCancelledError,
which other cancellations raise too), and HttpCompressionMiddleware drops one that inflates past
it (IgnoreRequest, which every filter raises). Both are turned into TooLarge here, next to where
Scrapy raises them, so that whoever counts a failure (spiders, the media pipelines) asks its type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

if TYPE_CHECKING:
    from scrapy.http import Request, Response

# What Scrapy's download handlers say of a download cancelled for its size (get_maxsize_msg).
_MAX_SIZE = "larger than download max size"


class TooLarge(IgnoreRequest):
    """A response over its size limit (DOWNLOAD_MAXSIZE, or the request's `download_maxsize`),
    as transferred or once decompressed: dropped, never retried."""


class SizeLimitMiddleware:
    """Next to the download handler: its cancellation for size becomes TooLarge."""

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError) and _MAX_SIZE in str(exception):
            raise TooLarge(str(exception)) from exception


class DecompressionLimitMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware, whose drop for size is TooLarge (the only drop it
    makes: it raises IgnoreRequest from its decompressor's size error and for nothing else)."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            # Scrapy 2.14+ deprecates handing a spider to it (a warning per response otherwise).
            return super().process_response(request, response)
        except TooLarge:
            raise
        except IgnoreRequest as exc:
            _too_large(exc)


def _too_large(exc: IgnoreRequest) -> NoReturn:
    raise TooLarge(str(exc)) from exc

"""The downloader middlewares' former home, kept so settings that name them here (a user's
DOWNLOADER_MIDDLEWARES, a Scrapyd egg's settings) keep working; they live in archiver.downloader."""

from archiver.downloader.middlewares import (
    BackoffRetryMiddleware,
    FigureAllowlistMiddleware,
    ZhihuBlockMiddleware,
    ZhihuChallengeMiddleware,
    ZhihuSessionMiddleware,
    ZhihuSigningMiddleware,
)

__all__ = [
    "BackoffRetryMiddleware",
    "FigureAllowlistMiddleware",
    "ZhihuBlockMiddleware",
    "ZhihuChallengeMiddleware",
    "ZhihuSessionMiddleware",
    "ZhihuSigningMiddleware",
]

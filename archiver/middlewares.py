"""The downloader middlewares' former home, kept so settings that name them here (a user's
DOWNLOADER_MIDDLEWARES, a Scrapyd egg's settings) keep working; they live in archiver.downloader."""

from archiver.downloader.allowlist import FigureAllowlistMiddleware
from archiver.downloader.blocks import ZhihuBlockMiddleware
from archiver.downloader.challenge import ZhihuChallengeMiddleware
from archiver.downloader.retry import BackoffRetryMiddleware
from archiver.downloader.session import ZhihuSessionMiddleware
from archiver.downloader.signing import ZhihuSigningMiddleware

__all__ = [
    "BackoffRetryMiddleware",
    "FigureAllowlistMiddleware",
    "ZhihuBlockMiddleware",
    "ZhihuChallengeMiddleware",
    "ZhihuSessionMiddleware",
    "ZhihuSigningMiddleware",
]

"""The web archive: capture into WARC files and replay from them (middleware), the one reader of
their records (records), their CDXJ indexes (cdxj). The middlewares are named here too, where
settings of earlier versions name them (`archiver.webarchive.WarcCaptureMiddleware`)."""

from archiver.webarchive.middleware import WarcCaptureMiddleware, WarcReplayMiddleware

__all__ = ["WarcCaptureMiddleware", "WarcReplayMiddleware"]

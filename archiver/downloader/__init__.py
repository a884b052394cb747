"""downloader."""

"""Pure functions from items to the post format of FORMAT.md. No Scrapy, no I/O."""

"""Pure functions from what Zhihu serves (JSON, HTML, error pages) to items. No Scrapy, no I/O."""

"""`scrapy fetch`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.fetch import Command as ScrapyFetch

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapyFetch):
    pass

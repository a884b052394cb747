"""`scrapy version`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.version import Command as ScrapyVersion

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapyVersion):
    pass

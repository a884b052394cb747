"""`scrapy settings`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.settings import Command as ScrapySettings

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapySettings):
    pass

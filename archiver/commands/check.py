"""`scrapy check`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.check import Command as ScrapyCheck

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapyCheck):
    pass

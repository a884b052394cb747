"""`scrapy list`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.list import Command as ScrapyList

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapyList):
    pass

"""`scrapy shell`: Scrapy's, refusing first a `-s` name that is no setting (exit 2)."""

from scrapy.commands.shell import Command as ScrapyShell

from archiver.commands.crawl import SettingsChecked


class Command(SettingsChecked, ScrapyShell):
    pass

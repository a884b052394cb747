"""Spiders: they build requests and hand responses to the pure parsers in archiver.zhihu."""

"""`scrapy recheck [--limit N] [--since DAYS] [--dry-run]`: ask Zhihu again about archived items
(answers, articles, pins), the longest unchecked first, and record which were deleted, hidden or
edited since (the `recheck` spider; what it finds: archiver/zhihu/gone.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands import BaseRunSpiderCommand

from archiver.commands.crawl import refuse, run_and_report, usage_problems
from archiver.commands.verify import archive_problems
from archiver.logs import quiet_scrapy
from archiver.spiders.recheck import DEFAULT_LIMIT, RecheckSpider, due_items

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[--limit N] [--since DAYS] [--dry-run]"

    def short_desc(self) -> str:
        return "Ask Zhihu again about archived items: which were deleted, hidden or edited"

    def long_desc(self) -> str:
        return (
            "Ask Zhihu again about archived answers, articles and pins, the longest unchecked "
            f"first (--limit, default {DEFAULT_LIMIT}; --since DAYS: only items archived within "
            "that many days), as a crawl asks, and record what became of each. Exit status: 0 "
            "the checks ran (items gone from Zhihu included), 1 some could not be checked, 2 "
            "bad usage, 3 blocked by Zhihu (nothing recorded), 4 archive busy."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--limit", help=f"items to ask about (default {DEFAULT_LIMIT})")
        parser.add_argument("--since", metavar="DAYS", help="only items archived within DAYS")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be asked, and ask nothing"
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        quiet_scrapy(self.settings)
        if args:
            refuse("recheck", [f"recheck takes no arguments, not {' '.join(args)!r}"])
        problems = []
        for name in ("limit", "since"):
            value = getattr(opts, name)
            if value is None:
                continue
            if (expected := RecheckSpider.arguments[name](value)) is not None:
                problems.append(f"--{name} {value!r} is not accepted: expected {expected}")
            opts.spargs[name] = value
        refuse("recheck", problems, self.settings)
        refuse("recheck", usage_problems(self.settings, "recheck", opts.spargs), self.settings)
        # Never make an archive of a folder by asking about it.
        refuse("recheck", archive_problems("recheck", self.settings), self.settings)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if opts.dry_run:
            self.exitcode = dry_run(self.settings, opts.spargs)
            return
        run_and_report(self, "recheck", opts.spargs)


def dry_run(settings: BaseSettings, spider_args: dict[str, str]) -> int:
    """Print what a run would ask, one line an item, in the order it would choose them."""
    spider = RecheckSpider(**spider_args)
    spider.settings = settings  # type: ignore[assignment]  # its requests, without a crawler
    due = due_items(settings, spider.check_limit, spider.since_days)
    for item in due:
        entry = item.entry
        when = f"last checked {item.checked_at}" if item.checked_at else "never checked"
        print(
            f"would ask: {entry.key} ({entry.title}): GET {spider.check_request(item).url}"
            f" (archived {entry.first_seen}, {when})"
        )
    print(f"Recheck (dry run): {len(due)} item(s) would be asked; nothing was sent")
    return 0

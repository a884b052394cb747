"""Benchmark: what WARC capture costs a real hot-list crawl of 1,000 answers with figures.

Run from the project root:

    ./run python benchmarks/bench_warc.py [--answers N] [--rounds R] [--seed S]

A synthetic hot list of N questions is generated into a temporary fixture root (deterministic,
seeded): each question has an answers page with one answer of 10-40 KB of Zhihu-style HTML
(`<p data-pid>` paragraphs, bold, links, headings, quotes, lists) and 1-2 figures with unique
hashes, and every figure URL serves the same real 640x480 JPEG. One FixtureServer
(tests/support/fixture_server.py) serves it all as the HTTPS proxy of the crawl, exactly as the
tests do.

Each round runs the real `python -m scrapy crawl hotlist` as a subprocess twice, once with
`WARC_ENABLED=False` and once with `WARC_ENABLED=True`, each into a fresh ARCHIVE_DIR, and times
the whole subprocess (start-up included: that is what a cron run costs). The order of the two
alternates between rounds (5 by default). The figure is the median of the rounds' ratios capture /
no capture (each ratio of two runs side by side in time), against the goal of at most 1.10x;
the median time of each variant is shown, and the size and record count of one capture run's
WARC. The crawl process's own CPU time (user + system) is shown too, for context: the fixture
server shares the machine, so wall time also holds its share of the waiting. `measure()` returns
the figures by name (benchmarks/run_all.py).

Every run must exit 0 and write N answer posts and every figure (and a capture run exactly one
WARC, an uncaptured run none), so a failing crawl is never timed. This is a benchmark, not a
test: it never fails on a slow ratio, only on a crawl that did not do its work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
# The fixture server, its URL-to-file naming and the image factories live with the tests
# (tests/support/), imported as the package `tests` from the project's folder.
sys.path.insert(0, str(PROJECT))

import scrapy  # noqa: E402
import warcio  # noqa: E402
from bench_convert import PID_CHARS, ZH_WORDS  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from archiver.zhihu.urls import hot_list_url  # noqa: E402
from tests.support import images  # noqa: E402
from tests.support.crawling import scrapy_argv, scrapy_env  # noqa: E402
from tests.support.fixture_server import FixtureServer, fixture_name  # noqa: E402

GOAL = 1.10
MIN_HTML_BYTES = 10_000
MAX_HTML_BYTES = 40_000
# A lone run above this is too slow to repeat in rounds: the default --answers would shrink.
SLOW_RUN_SECONDS = 180
BASE_URL = "https://www.zhihu.com"
CRAWL_SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS=16",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "HISTORY_DAILY_PAGE=False",
    "LOG_LEVEL=WARNING",
)

_TITLE_WORDS = (  # noqa: SIM905
    "为什么 如何 评价 怎样 看待 年轻人 猫 城市 工作 大学 AI 电影 历史 房价 程序员 旅行"
).split()


@dataclass(frozen=True)
class Fixtures:
    root: Path
    answers: int
    figures: int
    html_bytes: int  # of all answer contents, UTF-8


class ContentGenerator:
    """Deterministic hot list, answers and figure URLs in Zhihu's shapes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.hashes: set[str] = set()
        # A pool of sentences picked whole: building 25 MB of text word by word would make
        # generation as slow as the crawls it prepares.
        self.sentences = [self._sentence() for _ in range(600)]

    def _sentence(self) -> str:
        words = self.rng.choices(ZH_WORDS, k=self.rng.randint(8, 30))
        return "".join(words) + self.rng.choice("，。。！？")

    def pid(self) -> str:
        return "".join(self.rng.choices(PID_CHARS, k=8))

    def text(self, sentences: int) -> str:
        return "".join(self.rng.choices(self.sentences, k=sentences))

    def figure_hash(self) -> str:
        while True:
            digest = f"{self.rng.getrandbits(128):032x}"
            if digest not in self.hashes:  # every figure its own file, as on Zhihu
                self.hashes.add(digest)
                return digest

    def figure(self) -> tuple[str, str]:
        """A figure's markup and the URL the figures pipeline downloads (data-original)."""
        host = f"pic{self.rng.randint(1, 4)}.zhimg.com"
        name = f"v2-{self.figure_hash()}"
        original = f"https://{host}/{name}_r.jpg"
        markup = (
            '<figure data-size="normal">'
            f'<img src="https://{host}/{name}_720w.jpg" data-caption="" data-size="normal" '
            'data-rawwidth="800" data-rawheight="600" class="origin_image zh-lightbox-thumb" '
            f'width="800" data-original="{original}"/></figure>'
        )
        return markup, original

    def block(self) -> str:
        kind = self.rng.random()
        if kind < 0.06:
            return f"<h2>{self.text(1)[:20]}</h2>"
        if kind < 0.12:
            return f'<blockquote data-pid="{self.pid()}">{self.text(2)}</blockquote>'
        if kind < 0.17:
            items = "".join(f"<li>{self.text(1)}</li>" for _ in range(self.rng.randint(2, 5)))
            return f"<ul>{items}</ul>"
        body = self.text(self.rng.randint(1, 6))
        if kind < 0.30:
            body = f"<b>{self.text(1)}</b>{body}"
        elif kind < 0.38:
            body += (
                '<a href="https://link.zhihu.com/?target=https%3A//example.com/'
                f'{self.pid()}" class=" wrap external" target="_blank" '
                'rel="nofollow noreferrer">example.com</a>'
            )
        return f'<p data-pid="{self.pid()}">{body}</p>'

    def content(self) -> tuple[str, list[str]]:
        """10-40 KB of answer HTML with 1-2 figures between its paragraphs."""
        target = self.rng.randint(MIN_HTML_BYTES, MAX_HTML_BYTES)
        blocks: list[str] = []
        size = 0
        while size < target:
            block = self.block()
            blocks.append(block)
            size += len(block.encode())
        urls: list[str] = []
        for _ in range(self.rng.randint(1, 2)):
            markup, url = self.figure()
            blocks.insert(self.rng.randint(1, len(blocks)), markup)
            urls.append(url)
        return "".join(blocks), urls

    def title(self, index: int) -> str:
        # The index keeps titles (and so post file names) distinct across 1,000 questions.
        return "".join(self.rng.choices(_TITLE_WORDS, k=4)) + f"？（{index}）"


def hot_list_entry(rank: int, question_id: int, title: str) -> dict[str, object]:
    return {
        "type": "hot_list_feed",
        "style_type": "1",
        "id": f"{rank}_1764028800.{rank:04d}",
        "card_id": f"Q_{question_id}",
        "target": {
            "id": question_id,
            "title": title,
            "url": f"https://api.zhihu.com/questions/{question_id}",
            "type": "question",
            "created": 1763990000 - rank * 60,
            "answer_count": 100 + rank,
            "follower_count": 1000,
            "comment_count": 5,
            "author": {"type": "people", "id": "0", "name": "用户", "url_token": ""},
            "bound_topic_ids": [988],
            "is_following": False,
            "excerpt": "",
        },
        "attached_info": "CkAIi5HDzJDW8tcaEAMa",
        "detail_text": f"{max(1, 2000 - rank)} 万热度",
        "trend": 0,
        "debut": False,
        "children": [{"type": "answer", "thumbnail": ""}],
    }


def answers_page(question_id: int, answer_id: int, title: str, content: str) -> dict[str, object]:
    excerpt = content.split(">", 2)[-1][:80]
    return {
        "data": [
            {
                "id": answer_id,
                "type": "answer",
                "answer_type": "normal",
                "url": f"https://www.zhihu.com/api/v4/answers/{answer_id}",
                "author": {
                    "id": f"{answer_id:032x}",
                    "url_token": f"user-{answer_id}",
                    "name": "养猫的哈士奇",
                    "headline": "",
                    "type": "people",
                    "user_type": "people",
                },
                "question": {
                    "id": question_id,
                    "type": "question",
                    "title": title,
                    "question_type": "normal",
                    "created": 1763900000,
                    "updated_time": 1763900000,
                    "url": f"https://www.zhihu.com/api/v4/questions/{question_id}",
                },
                "created_time": 1763950000,
                "updated_time": 1763960000,
                "voteup_count": 37,
                "comment_count": 4,
                "is_copyable": True,
                "content_need_truncated": False,
                "excerpt": excerpt,
                "content": content,
            }
        ],
        # is_end: the spider wants one answer per question and asks for no second page
        "paging": {"is_end": True, "is_start": True, "totals": 1, "next": "", "previous": ""},
    }


def fixture_path(root: Path, url: str, ext: str) -> Path:
    parts = urlsplit(url)
    path = root / f"{fixture_name(parts.netloc, parts.path, parts.query)}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_fixtures(root: Path, answers: int, seed: int, photos: Sequence[bytes] = ()) -> Fixtures:
    """The hot list and its answers; figure n serves photos[n % len(photos)], by default one
    small JPEG for all."""
    gen = ContentGenerator(seed)
    # Ten-digit ids, like today's Zhihu answers and recent questions; unique by construction.
    question_ids = gen.rng.sample(range(10**9, 10**10), answers)
    answer_ids = gen.rng.sample(range(10**9, 10**10), answers)
    # By default one JPEG for every figure: encoding 1,500 would cost more than the crawl is
    # worth timing, and the crawl decodes and thumbnails each download anyway.
    photos = photos or [images.jpeg(640, 480)]
    entries: list[dict[str, object]] = []
    figures = html_bytes = 0
    for rank, (question_id, answer_id) in enumerate(zip(question_ids, answer_ids, strict=True)):
        title = gen.title(rank + 1)
        entries.append(hot_list_entry(rank, question_id, title))
        content, urls = gen.content()
        html_bytes += len(content.encode())
        page = answers_page(question_id, answer_id, title, content)
        # The spider asks for one answer per question: limit=1 (its include= is not in names).
        url = (
            f"{BASE_URL}/api/v4/questions/{question_id}/answers"
            "?limit=1&offset=0&sort_by=default&platform=desktop"
        )
        fixture_path(root, url, "json").write_text(
            json.dumps(page, ensure_ascii=False), encoding="utf-8"
        )
        for figure_url in urls:
            fixture_path(root, figure_url, "jpeg").write_bytes(photos[figures % len(photos)])
            figures += 1
    hot_list = {
        "data": entries,
        "paging": {"is_end": True, "next": "", "previous": ""},
        "fresh_text": "热榜已更新",
    }
    # Named for the very URL the spider requests with ZHIHU_HOTLIST_LIMIT=answers.
    fixture_path(root, hot_list_url(BASE_URL, answers), "json").write_text(
        json.dumps(hot_list, ensure_ascii=False), encoding="utf-8"
    )
    return Fixtures(root, answers, figures, html_bytes)


@dataclass(frozen=True)
class Run:
    capture: bool
    seconds: float
    cpu_seconds: float  # user + system time of the crawl process
    archive: Path


def crawl(server: FixtureServer, fixtures: Fixtures, capture: bool, scratch: Path) -> Run:
    """One timed `scrapy crawl hotlist` into a fresh archive, checked to have done its work."""
    archive = Path(tempfile.mkdtemp(prefix="warc-on-" if capture else "warc-off-", dir=scratch))
    settings = (
        *CRAWL_SETTINGS,
        f"ZHIHU_HOTLIST_LIMIT={fixtures.answers}",
        f"WARC_ENABLED={capture}",
    )
    argv = scrapy_argv(archive, ("crawl", "hotlist"), settings)
    env = scrapy_env(server)
    before = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    seconds = time.perf_counter() - start
    cpu_seconds = children_cpu() - before
    check_run(done, archive, fixtures, capture)
    return Run(capture, seconds, cpu_seconds, archive)


def children_cpu() -> float:
    # The crawl's own CPU time: the wall time also holds waits on the fixture server, which
    # shares the machine's cores and can hide (or add) a few seconds either way.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def check_run(
    done: subprocess.CompletedProcess[str], archive: Path, fixtures: Fixtures, capture: bool
) -> None:
    problems: list[str] = []
    if done.returncode != 0:
        problems.append(f"exit code {done.returncode}")
    posts = len(list(archive.glob("_posts/**/answer-*.md")))
    if posts != fixtures.answers:
        problems.append(f"{posts} answer posts, expected {fixtures.answers}")
    # Originals only: thumbnails live under images/thumbs/.
    stored = len(list((archive / "images" / "zhimg").glob("*")))
    if stored != fixtures.figures:
        problems.append(f"{stored} figures stored, expected {fixtures.figures}")
    warcs = warc_files(archive)
    if capture and len(warcs) != 1:
        problems.append(f"{len(warcs)} WARC files, expected 1")
    if not capture and warcs:
        problems.append(f"capture was off, yet {len(warcs)} WARC files were written")
    if problems:
        log = (done.stdout + done.stderr)[-4000:]
        variant = "with" if capture else "without"
        raise SystemExit(
            f"crawl {variant} capture failed: {'; '.join(problems)}\n--- log tail ---\n{log}"
        )


def warc_files(archive: Path) -> list[Path]:
    return sorted((archive / ".archiver" / "warc").glob("*.warc.gz"))


def warc_summary(path: Path) -> tuple[int, dict[str, int]]:
    counts: dict[str, int] = {}
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            counts[record.rec_type] = counts.get(record.rec_type, 0) + 1
    return sum(counts.values()), counts


def measure(
    answers: int = 1000,
    rounds: int = 5,
    seed: int = 20251125,
    say: Callable[[str], object] = lambda line: None,
) -> dict[str, float]:
    """Time the crawl without and with capture, `rounds` alternating pairs; the figures by name.

    `capture_overhead` is the median of the rounds' ratios (capture / no capture, the two runs of
    a round side by side in time, so drift on a shared machine cancels out); the raw medians in
    seconds besides. `say` gets each line the command-line run prints.
    """
    say(
        f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, "
        f"warcio {warcio_version()}, {platform.machine()} x{os.cpu_count()} CPUs"
    )
    scratch = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    try:
        start = time.perf_counter()
        fixtures = write_fixtures(scratch / "fixtures", answers, seed)
        average_kb = fixtures.html_bytes / fixtures.answers / 1024
        say(
            f"fixtures: {fixtures.answers} answers ({average_kb:.1f} KB of HTML each on "
            f"average), {fixtures.figures} figures (640x480 JPEG), "
            f"made in {time.perf_counter() - start:.1f} s"
        )
        times: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        ratios: list[float] = []
        warc_mib = warc_records = 0.0
        with FixtureServer(roots=[fixtures.root]) as server:
            for round_no in range(rounds):
                # Alternating which variant goes first evens out warm caches and drift.
                order = (False, True) if round_no % 2 == 0 else (True, False)
                for capture in order:
                    run = crawl(server, fixtures, capture, scratch)
                    times[capture].append(run.seconds)
                    cpu[capture].append(run.cpu_seconds)
                    label = "capture" if capture else "no capture"
                    say(
                        f"round {round_no + 1}: {label:<10} {run.seconds:7.2f} s "
                        f"(crawl CPU {run.cpu_seconds:6.2f} s)"
                    )
                    if capture and not warc_records:
                        (warc,) = warc_files(run.archive)
                        records, kinds = warc_summary(warc)
                        warc_mib, warc_records = warc.stat().st_size / 2**20, records
                        expected = 1 + 2 * (1 + fixtures.answers + fixtures.figures)
                        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
                        say(
                            f"WARC of one capture run: {warc_mib:.1f} MiB, "
                            f"{records} records ({detail}; expected {expected})"
                        )
                    shutil.rmtree(run.archive)  # a 1,000-answer archive per run adds up
                ratios.append(times[True][-1] / times[False][-1])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    cpu_off, cpu_on = statistics.median(cpu[False]), statistics.median(cpu[True])
    for label, wall, cpu_time in (("no capture", off, cpu_off), ("capture", on, cpu_on)):
        say(
            f"{label + ':':<11} {wall:7.2f} s  ({answers / wall:5.1f} answers/s), "
            f"crawl CPU {cpu_time:6.2f} s  (median of {rounds})"
        )
    if off > SLOW_RUN_SECONDS:
        say(f"note: one run takes {off:.0f} s, over {SLOW_RUN_SECONDS} s")
    say(f"crawl CPU with capture / without: {cpu_on / cpu_off:.2f}x (no goal; for context)")
    overhead = statistics.median(ratios)
    verdict = "met" if overhead <= GOAL else "NOT met"
    say(
        f"capture costs {overhead:.2f}x, the median of the {rounds} rounds' ratios "
        f"({', '.join(f'{r:.2f}' for r in ratios)}; goal <= {GOAL:.2f}x): {verdict}"
    )
    return {
        "capture_overhead": overhead,
        "capture_overhead_of_medians": on / off,
        "capture_s": on,
        "no_capture_s": off,
        "capture_cpu_s": cpu_on,
        "no_capture_cpu_s": cpu_off,
        "answers": answers,
        "rounds": rounds,
        "warc_mib": warc_mib,
        "warc_records": warc_records,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000, help="hot questions (1 answer each)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating pairs of runs (5)")
    parser.add_argument("--seed", type=int, default=20251125)
    args = parser.parse_args(argv)
    if args.answers < 1 or args.rounds < 1:
        parser.error("--answers and --rounds must be at least 1")
    measure(args.answers, args.rounds, args.seed, say=print)
    return 0


def warcio_version() -> str:
    from importlib.metadata import version

    return getattr(warcio, "__version__", None) or version("warcio")


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: answers per second of a hot-list crawl with photos, image work on the reactor
thread against a pool of worker threads (FIGURES_THREADS).

Run from the project root:

    ./run python benchmarks/bench_crawl.py [--answers N] [--rounds R] [--threads T] [--seed S]

The fixtures are bench_warc's synthetic hot list of N questions, one answer each with 1-2
figures (about 1.5 N), served through the fixture server as the crawl's HTTPS proxy; every
figure URL serves one of PHOTOS real JPEGs from bench_thumbnails' photo generator (gradients,
sharp shapes, grain; quality 90) at phone and camera sizes (1080x1440, 1920x1080, 3024x4032...),
so decoding them costs what it costs on Zhihu's photos.

Each round runs the real `python -m scrapy crawl hotlist` as a subprocess twice, into fresh
archives: with FIGURES_THREADS=0 (today's flow: every figure decoded and thumbnailed on the
reactor thread) and with the pool (FIGURES_THREADS=T, default: the setting's default, one
thread per core). Which goes first alternates between rounds. No delays, no autothrottle, 16
requests at a time, WARC capture off (bench_warc measures that). Timed: the whole subprocess,
start-up included; the crawl's CPU time and the fixture server's (this process, on the same
cores) are shown too. The crawl's peak RSS is its VmHWM, read from /proc while it runs (its
ru_maxrss would start at this process's own high-water mark: see bench_thumbnails).

Reported: the median answers/s of each variant, the median of the rounds' ratios (pool /
reactor thread: the goal is >= 1.5x) and the highest peak RSS of the pool's runs (goal <= 300
MB). Every run must exit 0 and write N posts, every figure and its thumbnail, else it stops.
`measure()` returns the figures for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import scrapy
from bench_thumbnails import photo
from bench_warc import CRAWL_SETTINGS, PROJECT, Fixtures, write_fixtures  # tests/ on sys.path
from crawling import scrapy_argv, scrapy_env
from fixture_server import FixtureServer
from PIL import Image

GOAL_RATIO = 1.5
GOAL_RSS_MB = 300
# Portrait phone photos first: most of what Zhihu answers show.
SIZES = ((1080, 1440), (1440, 1080), (1080, 1920), (1920, 1080), (1200, 900), (3024, 4032))
PHOTOS = 24
REACTOR = 0  # FIGURES_THREADS=0: on the reactor thread, as before the pool


def make_photos(count: int, seed: int) -> list[bytes]:
    photos = []
    for index in range(count):
        rng = random.Random(seed * 7919 + index)
        out = BytesIO()
        photo(rng, SIZES[index % len(SIZES)]).save(out, "JPEG", quality=90)
        photos.append(out.getvalue())
    return photos


@dataclass(frozen=True)
class Run:
    threads: int | None  # None: the setting's default
    seconds: float
    cpu_seconds: float  # user + system time of the crawl process
    server_cpu_seconds: float  # of this process meanwhile: the fixture server, on the same cores
    peak_rss_mb: float


def crawl(server: FixtureServer, fixtures: Fixtures, threads: int | None, scratch: Path) -> Run:
    """One timed `scrapy crawl hotlist` into a fresh archive, checked to have done its work."""
    archive = Path(tempfile.mkdtemp(prefix="crawl-", dir=scratch))
    settings = (*CRAWL_SETTINGS, f"ZHIHU_HOTLIST_LIMIT={fixtures.answers}", "WARC_ENABLED=False")
    if threads is not None:
        settings += (f"FIGURES_THREADS={threads}",)
    log = scratch / "crawl.log"
    before, server_before = children_cpu(), own_cpu()
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            scrapy_argv(archive, ("crawl", "hotlist"), settings),
            cwd=PROJECT,
            env=scrapy_env(server),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, vm_hwm_mb(process.pid))
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    check_run(process.returncode, archive, fixtures, log)
    shutil.rmtree(archive)
    return Run(threads, seconds, children_cpu() - before, own_cpu() - server_before, peak)


def vm_hwm_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone between poll() and here
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return 0.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def check_run(code: int | None, archive: Path, fixtures: Fixtures, log: Path) -> None:
    problems: list[str] = []
    if code != 0:
        problems.append(f"exit code {code}")
    posts = len(list(archive.glob("_posts/**/answer-*.md")))
    if posts != fixtures.answers:
        problems.append(f"{posts} answer posts, expected {fixtures.answers}")
    stored = len(list((archive / "images" / "zhimg").glob("*")))
    thumbs = len(list((archive / "images" / "thumbs").rglob("*.jpg")))
    if stored != fixtures.figures or thumbs != fixtures.figures:
        problems.append(f"{stored} figures, {thumbs} thumbnails, expected {fixtures.figures}")
    if problems:
        raise SystemExit(f"crawl failed: {'; '.join(problems)}\n{log.read_text()[-4000:]}")


def label(threads: int | None) -> str:
    if threads == REACTOR:
        return "reactor thread"
    return f"{threads} threads" if threads is not None else "pool (default)"


def measure(
    answers: int = 1000,
    rounds: int = 3,
    threads: int | None = None,
    seed: int = 20251125,
    echo: bool = False,
    scratch_dir: str | None = None,
) -> dict[str, float]:
    """Median answers/s on the reactor thread and with the pool, their ratio, peak RSS."""
    say = print if echo else (lambda *args, **kwargs: None)
    scratch = Path(tempfile.mkdtemp(prefix="bench-crawl-", dir=scratch_dir))
    try:
        start = time.perf_counter()
        photos = make_photos(PHOTOS, seed)
        fixtures = write_fixtures(scratch / "fixtures", answers, seed, photos)
        megabytes = sum(len(p) for p in photos) / len(photos) / 1e6
        say(
            f"fixtures: {fixtures.answers} answers, {fixtures.figures} figures ({len(photos)} "
            f"JPEGs of {megabytes:.2f} MB on average, {SIZES[0][0]}x{SIZES[0][1]} to "
            f"{SIZES[-1][0]}x{SIZES[-1][1]}), made in {time.perf_counter() - start:.1f} s"
        )
        runs: dict[int | None, list[Run]] = {REACTOR: [], threads: []}
        ratios: list[float] = []
        with FixtureServer(roots=[fixtures.root]) as server:
            for round_no in range(rounds):
                order = (REACTOR, threads) if round_no % 2 == 0 else (threads, REACTOR)
                for variant in order:
                    run = crawl(server, fixtures, variant, scratch)
                    runs[variant].append(run)
                    say(
                        f"round {round_no + 1}: {label(variant):<15} {run.seconds:7.2f} s, "
                        f"{answers / run.seconds:6.1f} answers/s, crawl CPU "
                        f"{run.cpu_seconds:6.2f} s, server CPU {run.server_cpu_seconds:6.2f} s, "
                        f"peak RSS {run.peak_rss_mb:5.0f} MB"
                    )
                ratios.append(runs[REACTOR][-1].seconds / runs[threads][-1].seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median_rate(variant: int | None) -> float:
        return answers / statistics.median(run.seconds for run in runs[variant])

    return {
        "crawl_answers_per_s_ratio_vs_single_thread": statistics.median(ratios),
        "peak_rss_mb": max(run.peak_rss_mb for run in runs[threads]),
        "peak_rss_mb_single_thread": max(run.peak_rss_mb for run in runs[REACTOR]),
        "crawl_answers_per_s": median_rate(threads),
        "crawl_answers_per_s_single_thread": median_rate(REACTOR),
        "crawl_cpu_s": statistics.median(run.cpu_seconds for run in runs[threads]),
        "crawl_cpu_s_single_thread": statistics.median(run.cpu_seconds for run in runs[REACTOR]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000, help="hot questions (1 answer each)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each variant")
    parser.add_argument("--threads", type=int, help="FIGURES_THREADS of the pool (its default)")
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument(
        "--scratch", help="folder of the fixtures and archives (default: the temporary folder)"
    )
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, Pillow "
        f"{Image.__version__}, {platform.machine()} x{os.cpu_count()} CPUs"
    )
    found = measure(args.answers, args.rounds, args.threads, args.seed, True, args.scratch)
    pool = label(args.threads)
    print(
        f"reactor thread: {found['crawl_answers_per_s_single_thread']:6.1f} answers/s, "
        f"{pool}: {found['crawl_answers_per_s']:6.1f} answers/s (medians of {args.rounds})"
    )
    ratio, rss = found["crawl_answers_per_s_ratio_vs_single_thread"], found["peak_rss_mb"]
    print(f"{pool} / reactor thread: {ratio:.2f}x (median of the rounds; goal >= {GOAL_RATIO}x)")
    print(
        f"peak RSS of the crawl: {rss:.0f} MB with the pool (goal <= {GOAL_RSS_MB} MB), "
        f"{found['peak_rss_mb_single_thread']:.0f} MB on the reactor thread"
    )


if __name__ == "__main__":
    main()

"""Benchmark: answers per second of a hot-list crawl with photos, image work on the reactor
thread against a pool of worker threads (FIGURES_THREADS); and what TLS verification costs it.

Run from the project root:

    ./run python benchmarks/bench_crawl.py [--answers N] [--rounds R] [--threads T] [--seed S]

The fixtures are bench_warc's synthetic hot list of N questions, one answer each with 1-2
figures (about 1.5 N), served through the fixture server as the crawl's HTTPS proxy; every
figure URL serves one of PHOTOS real JPEGs from bench_thumbnails' photo generator (gradients,
sharp shapes, grain; quality 90) at phone and camera sizes (1080x1440, 1920x1080, 3024x4032...),
so decoding them costs what it costs on Zhihu's photos.

Each round runs the real `python -m scrapy crawl hotlist` as a subprocess three times, into
fresh archives: with FIGURES_THREADS=0 (every figure decoded and thumbnailed on the reactor
thread), with the pool (FIGURES_THREADS=T, default: the setting's default, one thread per core),
and with the pool and DOWNLOAD_VERIFY_CERTIFICATES=False (TLS unverified, as before verification
was on). The order rotates between rounds. Every https request goes through the fixture server's
CONNECT tunnels and TLS, verified against SSL_CERT_FILE holding the system's CA bundle and the
tests' CA, so each new connection loads a real bundle as it would on a user's machine. No delays,
no autothrottle, 16 requests at a time, WARC capture off (bench_warc measures that). Timed: the
whole subprocess, start-up included; the crawl's CPU time and the fixture server's (this process,
on the same cores) are shown too. The crawl's peak RSS is its VmHWM, read from /proc while it runs
(its ru_maxrss would start at this process's own high-water mark: see bench_thumbnails).

Reported: the median answers/s of each variant, the median of the rounds' ratios (pool /
reactor thread: the goal is >= 1.5x; verified / unverified time, minus 1: what verification
costs, the goal is <= 5%) and the highest peak RSS of the pool's runs (goal <= 300 MB). Every
run must exit 0 and write N posts, every figure and its thumbnail, else it stops. `measure()`
returns the figures for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import ssl
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import scrapy
from bench_thumbnails import photo
from bench_warc import CRAWL_SETTINGS, PROJECT, Fixtures, write_fixtures  # the project on sys.path
from PIL import Image

from tests.support.crawling import scrapy_argv, scrapy_env
from tests.support.fixture_server import FixtureServer
from tests.support.tls import ca_file

GOAL_RATIO = 1.5
GOAL_RSS_MB = 300
GOAL_TLS_COST = 0.05
# Portrait phone photos first: most of what Zhihu answers show.
SIZES = ((1080, 1440), (1440, 1080), (1080, 1920), (1920, 1080), (1200, 900), (3024, 4032))
PHOTOS = 24
REACTOR = 0  # FIGURES_THREADS=0: on the reactor thread, as before the pool


@dataclass(frozen=True)
class Variant:
    threads: int | None  # FIGURES_THREADS; None: the setting's default
    verify: bool = True  # DOWNLOAD_VERIFY_CERTIFICATES

    @property
    def label(self) -> str:
        if self.threads == REACTOR:
            pool = "reactor thread"
        else:
            pool = f"{self.threads} threads" if self.threads is not None else "pool (default)"
        return pool if self.verify else f"{pool}, TLS unverified"


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
    variant: Variant
    seconds: float
    cpu_seconds: float  # user + system time of the crawl process
    server_cpu_seconds: float  # of this process meanwhile: the fixture server, on the same cores
    peak_rss_mb: float
    tunnels: int  # CONNECT tunnels, each a TLS handshake


def crawl(
    server: FixtureServer, fixtures: Fixtures, variant: Variant, scratch: Path, trust: Path
) -> Run:
    """One timed `scrapy crawl hotlist` into a fresh archive, checked to have done its work."""
    archive = Path(tempfile.mkdtemp(prefix="crawl-", dir=scratch))
    settings = (*CRAWL_SETTINGS, f"ZHIHU_HOTLIST_LIMIT={fixtures.answers}", "WARC_ENABLED=False")
    if variant.threads is not None:
        settings += (f"FIGURES_THREADS={variant.threads}",)
    settings += (f"DOWNLOAD_VERIFY_CERTIFICATES={variant.verify}",)
    tunnels = len(server.tunnels)
    log = scratch / "crawl.log"
    before, server_before = children_cpu(), own_cpu()
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            scrapy_argv(archive, ("crawl", "hotlist"), settings),
            cwd=PROJECT,
            env=scrapy_env(server, {"SSL_CERT_FILE": str(trust)}),
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
    return Run(
        variant,
        seconds,
        children_cpu() - before,
        own_cpu() - server_before,
        peak,
        len(server.tunnels) - tunnels,
    )


def trust_bundle(scratch: Path) -> Path:
    """The system's CA bundle and the tests' CA in one file: what a user behind a corporate proxy
    gives in SSL_CERT_FILE, and as costly to load for each connection as the system store."""
    system = ssl.get_default_verify_paths().cafile
    bundle = scratch / "ca-bundle.pem"
    bundle.write_bytes((Path(system).read_bytes() if system else b"") + ca_file().read_bytes())
    return bundle


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


def measure(
    answers: int = 1000,
    rounds: int = 3,
    threads: int | None = None,
    seed: int = 20251125,
    echo: bool = False,
    scratch_dir: str | None = None,
) -> dict[str, float]:
    """Median answers/s on the reactor thread, with the pool, and with the pool unverified; the
    ratio pool / reactor thread, the cost of TLS verification, peak RSS."""
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
        trust = trust_bundle(scratch)
        reactor, pool, unverified = Variant(REACTOR), Variant(threads), Variant(threads, False)
        variants = (reactor, pool, unverified)
        runs: dict[Variant, list[Run]] = {variant: [] for variant in variants}
        ratios: list[float] = []
        tls_costs: list[float] = []
        tls_cpu_costs: list[float] = []
        with FixtureServer(roots=[fixtures.root]) as server:
            for round_no in range(rounds):
                shift = round_no % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    run = crawl(server, fixtures, variant, scratch, trust)
                    runs[variant].append(run)
                    say(
                        f"round {round_no + 1}: {variant.label:<30} {run.seconds:7.2f} s, "
                        f"{answers / run.seconds:6.1f} answers/s, crawl CPU "
                        f"{run.cpu_seconds:6.2f} s, server CPU {run.server_cpu_seconds:6.2f} s, "
                        f"peak RSS {run.peak_rss_mb:5.0f} MB, {run.tunnels} TLS handshakes"
                    )
                ratios.append(runs[reactor][-1].seconds / runs[pool][-1].seconds)
                verified, bare = runs[pool][-1], runs[unverified][-1]
                tls_costs.append(verified.seconds / bare.seconds - 1)
                tls_cpu_costs.append(verified.cpu_seconds / bare.cpu_seconds - 1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median_rate(variant: Variant) -> float:
        return answers / statistics.median(run.seconds for run in runs[variant])

    def median_cpu(variant: Variant) -> float:
        return statistics.median(run.cpu_seconds for run in runs[variant])

    return {
        "crawl_answers_per_s_ratio_vs_single_thread": statistics.median(ratios),
        "peak_rss_mb": max(run.peak_rss_mb for run in runs[pool]),
        "peak_rss_mb_single_thread": max(run.peak_rss_mb for run in runs[reactor]),
        "crawl_answers_per_s": median_rate(pool),
        "crawl_answers_per_s_single_thread": median_rate(reactor),
        "crawl_answers_per_s_tls_unverified": median_rate(unverified),
        "crawl_cpu_s": median_cpu(pool),
        "crawl_cpu_s_single_thread": median_cpu(reactor),
        "crawl_cpu_s_tls_unverified": median_cpu(unverified),
        # verified / unverified time - 1, median of the rounds (each pair side by side in time)
        "crawl_tls_verification_cost": statistics.median(tls_costs),
        # the same in the crawl's CPU time, which other load on the machine disturbs less
        "crawl_tls_verification_cpu_cost": statistics.median(tls_cpu_costs),
        "crawl_tls_handshakes": statistics.median(run.tunnels for run in runs[pool]),
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
    pool = Variant(args.threads).label
    print(
        f"reactor thread: {found['crawl_answers_per_s_single_thread']:6.1f} answers/s, "
        f"{pool}: {found['crawl_answers_per_s']:6.1f} answers/s, TLS unverified: "
        f"{found['crawl_answers_per_s_tls_unverified']:6.1f} answers/s (medians of {args.rounds})"
    )
    ratio, rss = found["crawl_answers_per_s_ratio_vs_single_thread"], found["peak_rss_mb"]
    print(f"{pool} / reactor thread: {ratio:.2f}x (median of the rounds; goal >= {GOAL_RATIO}x)")
    print(
        f"peak RSS of the crawl: {rss:.0f} MB with the pool (goal <= {GOAL_RSS_MB} MB), "
        f"{found['peak_rss_mb_single_thread']:.0f} MB on the reactor thread"
    )
    cost = found["crawl_tls_verification_cost"]
    print(
        f"TLS verification: {cost:+.1%} of the run's time, "
        f"{found['crawl_tls_verification_cpu_cost']:+.1%} of its CPU time "
        f"({found['crawl_tls_handshakes']:.0f} handshakes; medians of the rounds; goal <= "
        f"{GOAL_TLS_COST:.0%})"
    )


if __name__ == "__main__":
    main()

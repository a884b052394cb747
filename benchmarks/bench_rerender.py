"""Benchmark: `scrapy rerender` and `scrapy verify` on a year-sized synthetic archive.

Run from the project root:

    ./run python benchmarks/bench_rerender.py [--answers N] [--runs R] [--captures C]

The archive is made by the real code: bench_warc.py's fixtures (N hot questions, one answer of
10-40 KB each, here with 1-4 figures per answer, ~2.5 on average, as the older generator's blog
has: 6,100 answers, ~15,000 figures) are crawled by one real `scrapy crawl hotlist` with WARC
capture, through the fixture server. That run's one WARC is then cut into R files named as R
runs two hours apart over a year (4,380 by default) would name them: each answers page with its
request goes to one run (and to the C-1 runs after it when C > 1: a question stays on the hot
list for a while), each figure to the run of its answer, and every run gets a hot list of its own
(50 entries around its questions, so a title is always known). Records are copied byte for byte;
each file is indexed with the capture middleware's own `write_cdxj`.

Timed (each `scrapy` command a subprocess, start-up included):

* the bare conversion of the same answers: the crawl's own conversion, answer JSON -> post
  text, in-process and without any file (bench_convert.py's conversion side, best of 3 passes);
  and, for context, bench_convert.py's own baseline, a bare lxml parse + serialise of each
  answer's HTML;
* `scrapy rerender` with the crawl's settings (nothing changes: every post must come out
  unchanged, which also shows the cut archive is sound), and again with `--jobs 1`;
* `scrapy rerender -s ARCHIVE_FRONT_MATTER_UPDATED=True` (every post rewritten);
* `scrapy verify` and `scrapy verify --warc`.

Each rerender's time is put against the goal of at most 3x the bare conversion, its peak memory
(with its worker processes) against 300 MB. `--profile` adds a cProfile of the rewriting
rerender (run after the timed ones; the command's own process only). This is a benchmark, not
a test: it fails only on a command that did not do its work.
`measure(answers, runs)` does the same from Python and returns the figures by name
(`rerender_vs_conversion_unchanged`, `rerender_vs_conversion_rewritten`, the same against lxml
as `rerender_vs_lxml_*`, `rerender_peak_rss_mb`, `verify_s`, and the raw seconds); `--json`
prints them.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # tests.support: as bench_warc.py has it

import bench_warc  # noqa: E402
from bench_convert import bare, convert, time_pass  # noqa: E402
from bench_warc import (  # noqa: E402
    BASE_URL,
    CRAWL_SETTINGS,
    ContentGenerator,
    Fixtures,
    check_run,
    fixture_path,
)
from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402

from archiver.webarchive.cdxj import cdxj_path, read_cdxj, write_cdxj  # noqa: E402
from archiver.webarchive.middleware import FastGzipWARCWriter, load_response  # noqa: E402
from archiver.zhihu.urls import hot_list_url  # noqa: E402
from tests.support.crawling import SECRET, scrapy_argv, scrapy_env  # noqa: E402
from tests.support.fixture_server import FixtureServer  # noqa: E402

GOAL_RATIO = 3.0
GOAL_RSS_MB = 300
HOT_LIST_SIZE = 50
FIRST_RUN = datetime(2025, 1, 1, tzinfo=UTC)
_ORIGINAL = re.compile(r'data-original="([^"]+)"')


class YearGenerator(ContentGenerator):
    """bench_warc's answers with 1-4 figures (2.5 on average: ~15,000 for 6,100 answers)."""

    def content(self) -> tuple[str, list[str]]:
        html, urls = super().content()  # 1-2 figures
        blocks = html.split("</p>")
        for _ in range(self.rng.randint(0, 2)):  # 0-2 more: 1-4 in all
            markup, url = self.figure()
            blocks.insert(self.rng.randint(1, len(blocks) - 1), markup)
            urls.append(url)
        return "</p>".join(blocks), urls


@contextmanager
def year_fixtures(figure_size: tuple[int, int]) -> Iterator[None]:
    """bench_warc.write_fixtures with this benchmark's generator and a smaller JPEG."""
    saved = bench_warc.ContentGenerator, bench_warc.images
    small = saved[1].jpeg(*figure_size)
    bench_warc.ContentGenerator = YearGenerator  # type: ignore[misc]
    bench_warc.images = SimpleNamespace(jpeg=lambda width, height: small)
    try:
        yield
    finally:
        bench_warc.ContentGenerator, bench_warc.images = saved  # type: ignore[misc]


def crawl_archive(fixtures: Fixtures, archive: Path) -> float:
    """One real captured `scrapy crawl hotlist` of every fixture answer into `archive`."""
    settings = (*CRAWL_SETTINGS, f"ZHIHU_HOTLIST_LIMIT={fixtures.answers}", "WARC_ENABLED=True")
    start = time.perf_counter()
    with FixtureServer(roots=[fixtures.root]) as server:
        done = subprocess.run(
            scrapy_argv(archive, ("crawl", "hotlist"), settings),
            cwd=bench_warc.PROJECT,
            env=scrapy_env(server),
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    seconds = time.perf_counter() - start
    check_run(done, archive, fixtures, capture=True)
    return seconds


@dataclass
class Answer:
    question_id: str
    content: str
    figures: list[str]
    entry: dict[str, object]  # its hot-list entry
    raw: str  # the answer's JSON, as its API returns it


def fixture_answers(root: Path, count: int) -> list[Answer]:
    """The answers in hot-list order, with their HTML and figure URLs, from the fixtures."""
    hot_file = fixture_path(root, hot_list_url(BASE_URL, count), "json")
    entries = json.loads(hot_file.read_text(encoding="utf-8"))["data"]
    pages = {}
    for path in root.rglob("*.json"):
        if "/answers" in path.as_posix():
            data = json.loads(path.read_text(encoding="utf-8"))["data"][0]
            pages[str(data["question"]["id"])] = data
    answers = []
    for entry in entries:
        question = str(entry["target"]["id"])
        data = pages[question]
        content = data["content"]
        raw = json.dumps(data, ensure_ascii=False)
        answers.append(Answer(question, content, _ORIGINAL.findall(content), entry, raw))
    return answers


def records_of(warc: Path) -> list[tuple[str, str, int, int]]:
    """(type, target URL, offset, length) of every record of a WARC file."""
    found = []
    with warc.open("rb") as handle:
        records = ArchiveIterator(handle)
        for record in records:
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            records.read_to_end(record)
            found.append(
                (record.rec_type, url, records.get_record_offset(), records.get_record_length())
            )
    return found


def split_into_runs(archive: Path, answers: list[Answer], runs: int, captures: int) -> Path:
    """The crawl's one WARC cut into `runs` run files two hours apart; returns their folder."""
    folder = archive / ".archiver" / "warc"
    (warc,) = sorted(folder.glob("*.warc.gz"))
    records = records_of(warc)
    hot_url = next(url for kind, url, _, _ in records if "hot-lists" in url and kind == "response")
    (hot_capture,) = [c for c in read_cdxj(warc) or [] if c.url == hot_url]
    _, hot_headers, _ = load_response(hot_capture)
    run_of_question = {a.question_id: i * runs // len(answers) for i, a in enumerate(answers)}
    run_of_figure = {url: run_of_question[a.question_id] for a in answers for url in a.figures}
    # Which runs each record goes to; anything else (none expected) to the first run.
    plan: dict[int, list[tuple[int, int]]] = {run: [] for run in range(runs)}
    question_of = re.compile(r"/api/v4/questions/(\d+)/answers")
    for _kind, url, offset, length in records:
        if url == hot_url or not url:
            continue  # every run gets a hot list of its own; warcinfo: each its own
        if match := question_of.search(url):
            first = run_of_question[match[1]]
            targets = range(first, min(first + captures, runs))
        else:
            targets = range(run_of_figure.get(url, 0), run_of_figure.get(url, 0) + 1)
        for run in targets:
            plan[run].append((offset, length))
    listed: dict[int, list[int]] = {run: [] for run in range(runs)}
    for i, a in enumerate(answers):
        first = run_of_question[a.question_id]
        for run in range(first, min(first + captures, runs)):
            listed[run].append(i)
    with warc.open("rb") as source:
        for run in range(runs):
            when = FIRST_RUN + timedelta(hours=2 * run)
            path = folder / f"hotlist-{when:%Y%m%dT%H%M%SZ}-{100000 + run}.warc.gz"
            with path.open("wb") as handle:
                writer = FastGzipWARCWriter(handle, gzip=True, warc_version="1.1")
                writer.write_record(writer.create_warcinfo_record(path.name, {"software": "x"}))
                entries = hot_entries(answers, listed[run])
                write_hot_list(writer, hot_headers, entries, when)
                for offset, length in plan[run]:
                    source.seek(offset)
                    handle.write(source.read(length))
            write_cdxj(path)
    cdxj_path(warc).unlink()
    warc.unlink()
    return folder


def hot_entries(answers: list[Answer], listed: list[int]) -> list[dict[str, object]]:
    """50 entries around the run's own questions, as a real hot list would have them."""
    centre = (listed[0] + listed[-1]) // 2 if listed else 0
    start = max(0, min(centre - HOT_LIST_SIZE // 2, len(answers) - HOT_LIST_SIZE))
    chosen = set(range(start, min(start + HOT_LIST_SIZE, len(answers)))) | set(listed)
    return [answers[i].entry for i in sorted(chosen)]


def write_hot_list(
    writer: FastGzipWARCWriter, headers: object, entries: list[dict[str, object]], when: datetime
) -> None:
    body = json.dumps(
        {"data": entries, "paging": {"is_end": True, "next": "", "previous": ""}},
        ensure_ascii=False,
    ).encode()
    kept = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, values in headers.items()  # type: ignore[attr-defined]
        for v in values
        if k.lower() not in (b"content-encoding", b"content-length", b"date")
    ]
    kept += [("Content-Length", str(len(body))), ("Date", email.utils.format_datetime(when))]
    http = StatusAndHeaders("200 OK", kept, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        hot_list_url(BASE_URL, HOT_LIST_SIZE),
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
    )
    writer.write_record(record)


@dataclass
class Timed:
    seconds: float
    rss_mb: float
    output: str


def scrapy(
    archive: Path, command: tuple[str, ...], settings: tuple[str, ...] = (), memory: bool = False
) -> Timed:
    """A `scrapy` command on the archive, offline, timed; with `memory`, its peak memory too:
    the largest sum of the proportional set sizes of it and its worker processes (shared pages
    counted once), sampled every 50 ms (which costs time: timed runs are not sampled)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["ZHIHU_COOKIE"] = SECRET
    argv = scrapy_argv(archive, command, (*CRAWL_SETTINGS, *settings))
    peak = 0
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=bench_warc.PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True
        )
        while memory and process.poll() is None:
            peak = max(peak, tree_pss_kb(process.pid))
            time.sleep(0.05)
        process.wait()
        seconds = time.perf_counter() - start
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{output[-4000:]}")
    return Timed(seconds, peak / 1024, output)


def tree_pss_kb(root: int) -> int:
    """The summed PSS of a process and its descendants (Linux), in KiB; 0 once it is gone."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            todo += map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # gone meanwhile
        total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)[1])  # type: ignore[index]
    return total


def expect(timed: Timed, pattern: str, what: str) -> re.Match[str]:
    match = re.search(pattern, timed.output)
    if match is None:
        raise SystemExit(f"{what}: unexpected output:\n{timed.output[-4000:]}")
    return match


def profile_rerender(archive: Path, settings: tuple[str, ...], top: int = 30) -> None:
    """A rerender again under cProfile (with settings that rewrite every post), its top
    functions by own time and by cumulative time."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["ZHIHU_COOKIE"] = SECRET
    with tempfile.NamedTemporaryFile(suffix=".prof") as out:
        argv = scrapy_argv(archive, ("rerender",), (*CRAWL_SETTINGS, *settings))
        argv[1:2] = ["-m", "cProfile", "-o", out.name, "-m"]  # python -m cProfile -m scrapy
        subprocess.run(argv, cwd=bench_warc.PROJECT, env=env, capture_output=True, check=True)
        stats = pstats.Stats(out.name)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


def measure(
    answers: int = 6100,
    runs: int = 4380,
    *,
    captures: int = 1,
    figure_size: tuple[int, int] = (320, 240),
    seed: int = 20251125,
    profile: bool = False,
    keep: bool = False,
    reuse: Path | None = None,
    report: Callable[[str], object] = lambda line: None,
) -> dict[str, float]:
    """Make the archive (or `reuse` the folder a `keep` run left), time everything; the figures
    by name (seconds, MB, ratios). `report` gets each line the command-line run prints."""
    report(
        f"Python {platform.python_version()}, {platform.machine()} x{os.cpu_count()} CPUs; "
        f"{answers} answers, {runs} runs, each answer captured {captures}x"
    )
    figures: dict[str, float] = {"answers": answers, "runs": runs}
    scratch = reuse or Path(tempfile.mkdtemp(prefix="bench-rerender-"))
    archive = scratch / "archive"
    try:
        if reuse is None:
            listed = make_archive(
                scratch, answers, runs, captures, figure_size, seed, figures, report
            )
        else:
            listed = fixture_answers(scratch / "fixtures", answers)
            scrapy(archive, ("rerender",))  # the posts as the crawl wrote them, whatever ran last
            report(f"reusing {archive}")

        # The bare conversion: the crawl's own, answer JSON -> post text, without any file.
        convert_seconds = min(time_pass(convert, [a.raw for a in listed]) for _ in range(3))
        figures["convert_s"] = convert_seconds
        report(f"bare conversion (JSON -> post text, in-process): {convert_seconds:12.2f} s")
        # bench_convert's own baseline, for context: what lxml alone takes over the same HTML.
        bare_seconds = min(time_pass(bare, [a.content for a in listed]) for _ in range(3))
        figures["lxml_parse_serialise_s"] = bare_seconds
        report(f"lxml parse + serialise alone (in-process): {bare_seconds:18.2f} s")

        plain = scrapy(archive, ("rerender",))
        expect(
            plain,
            rf"Rerender: \d+ posts: 0 changed, {answers} unchanged, 0 failed",
            "rerender",
        )
        # One process, for context: what the workers (one per core, the default) bring.
        single = scrapy(archive, ("rerender", "--jobs", "1"))
        expect(single, rf"Rerender: \d+ posts: 0 changed, {answers} unchanged", "rerender -j 1")
        changing = ("ARCHIVE_FRONT_MATTER_UPDATED=True",)
        rewrite = scrapy(archive, ("rerender",), changing)
        expect(
            rewrite,
            rf"Rerender: \d+ posts: {answers} changed, 0 unchanged, 0 failed",
            "rerender (every post rewritten)",
        )
        # Memory, in runs of their own: the same two, each sampled.
        memory = {
            "unchanged": scrapy(archive, ("rerender",), changing, memory=True).rss_mb,
            "rewritten": scrapy(archive, ("rerender",), memory=True).rss_mb,  # back as crawled
        }
        verify = scrapy(archive, ("verify",), memory=True)
        expect(verify, r"; 0 problem\(s\)", "verify")
        verify_warc = scrapy(archive, ("verify", "--warc"), memory=True)
        expect(verify_warc, r"WARC files read; 0 problem\(s\)", "verify --warc")

        figures["rerender_one_process_unchanged_s"] = single.seconds
        report(f"rerender -j 1, nothing changes: {single.seconds:7.2f} s (one process)")
        for name, label, timed in (
            ("unchanged", "rerender, nothing changes", plain),
            ("rewritten", "rerender, all rewritten", rewrite),
        ):
            ratio = timed.seconds / convert_seconds
            inner = float(expect(timed, r"; ([\d.]+) s; exit status", label)[1])
            figures[f"rerender_{name}_s"] = timed.seconds
            figures[f"rerender_{name}_inner_s"] = inner
            figures[f"rerender_vs_conversion_{name}"] = ratio
            figures[f"rerender_vs_lxml_{name}"] = timed.seconds / bare_seconds
            figures[f"rerender_{name}_rss_mb"] = memory[name]
            verdict = "meets" if ratio <= GOAL_RATIO and memory[name] <= GOAL_RSS_MB else "MISSES"
            report(
                f"{label + ':':<27} {timed.seconds:7.2f} s ({inner:.1f} s inside the command), "
                f"{ratio:5.2f}x the conversion (goal <= {GOAL_RATIO:.0f}x; "
                f"{timed.seconds / bare_seconds:.2f}x the bare lxml parse), peak memory "
                f"{memory[name]:5.0f} MB (goal <= {GOAL_RSS_MB} MB): {verdict} the goal"
            )
        figures["rerender_peak_rss_mb"] = max(memory.values())
        for name, label, timed in (
            ("verify", "verify:", verify),
            ("verify_warc", "verify --warc:", verify_warc),
        ):
            figures[f"{name}_s"] = timed.seconds
            figures[f"{name}_rss_mb"] = timed.rss_mb
            report(f"{label:<27} {timed.seconds:7.2f} s, memory {timed.rss_mb:5.0f} MB (no goal)")
        if profile:
            # The crawl's settings again: every post goes back to its first form (rewritten).
            profile_rerender(archive, ())
        if keep:
            report(f"archive kept: {archive} (--reuse {scratch})")
    finally:
        if not keep and reuse is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return figures


def make_archive(
    scratch: Path,
    answers: int,
    runs: int,
    captures: int,
    figure_size: tuple[int, int],
    seed: int,
    figures: dict[str, float],
    report: Callable[[str], object],
) -> list[Answer]:
    """Fixtures, their crawl and its cut into runs, under `scratch`; the answers."""
    width, height = figure_size
    start = time.perf_counter()
    with year_fixtures((width, height)):
        fixtures = bench_warc.write_fixtures(scratch / "fixtures", answers, seed)
    made = time.perf_counter() - start
    report(
        f"fixtures: {fixtures.answers} answers, {fixtures.figures} figures "
        f"({width}x{height} JPEG), {fixtures.html_bytes / 2**20:.1f} MiB of HTML; {made:.1f} s"
    )
    figures["figures"] = fixtures.figures
    archive = scratch / "archive"
    figures["crawl_s"] = crawl_archive(fixtures, archive)
    report(
        f"archive crawled (one real captured `scrapy crawl hotlist`): {figures['crawl_s']:.1f} s"
    )
    listed = fixture_answers(fixtures.root, fixtures.answers)
    assert len(listed) == fixtures.answers
    start = time.perf_counter()
    folder = split_into_runs(archive, listed, runs, captures)
    warcs = sorted(folder.glob("*.warc.gz"))
    size = sum(w.stat().st_size for w in warcs)
    figures["cut_s"] = time.perf_counter() - start
    report(
        f"cut into {len(warcs)} run WARCs ({size / 2**20:.0f} MiB, indexed): "
        f"{figures['cut_s']:.1f} s"
    )
    return listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=6100, help="answers (one per question)")
    parser.add_argument("--runs", type=int, default=4380, help="WARC files (two-hourly runs)")
    parser.add_argument("--captures", type=int, default=1, help="runs capturing each answer")
    parser.add_argument("--figure-size", default="320x240", help="the figures' JPEG size")
    parser.add_argument("--seed", type=int, default=20251125)
    parser.add_argument("--profile", action="store_true", help="cProfile the rewriting rerender")
    parser.add_argument("--keep", action="store_true", help="keep the archive (path printed)")
    parser.add_argument("--reuse", type=Path, help="time again the folder a --keep run kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args()
    width, height = (int(n) for n in args.figure_size.split("x"))
    figures = measure(
        args.answers,
        args.runs,
        captures=args.captures,
        figure_size=(width, height),
        seed=args.seed,
        profile=args.profile,
        keep=args.keep,
        reuse=args.reuse,
        report=lambda line: print(line, flush=True),
    )
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

"""Benchmark: the cost of the hot-list charts, what a run pays at its end.

Run from the project root:

    ./run python benchmarks/bench_charts.py [--questions 50] [--runs 12] [--days 30] [--rounds 3]

A synthetic index (deterministic, seeded) holds a month of hot lists: `--runs` lists a day of
`--questions` entries each, ranks shuffled a little between lists, a few new questions a list.
Timed, each the best of `--rounds` (matplotlib imported and its font found before timing):

- one day's chart (`--questions` × `--runs`), drawn from the day's sightings;
- the month's chart, from the month's sightings (the time on the list of every question);
- a run's end as the pipeline does it: the day's, the week's and the month's page and chart,
  from the index (queries, pages, charts, atomic writes), the charts' data changed;
- the same again with nothing changed: every chart found drawn, nothing drawn again.

`measure()` returns those seconds by name (benchmarks/run_all.py).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from archiver.archive.history import record_hot_list, sightings_between, write_day, write_period
from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.items import HotQuestion
from archiver.post.charts import cjk_family, draw
from archiver.post.daily import day_bounds, day_chart
from archiver.post.periods import month_of, period_bounds, period_chart, question_times, week_of
from archiver.post.render import PostOptions

ZONE = ZoneInfo("Asia/Shanghai")
CATS = ("社交媒体", "知乎", "知乎热榜日报")
FIRST = date(2026, 11, 1)


def fill(index: ArchiveIndex, questions: int, runs: int, days: int, seed: int) -> None:
    rng = random.Random(seed)
    on_list = [str(10_000 + n) for n in range(questions)]
    next_id = 10_000 + questions
    for day in range(days):
        start = datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), tzinfo=ZONE)
        for run in range(runs):
            for _ in range(rng.randint(1, 4)):  # a few new questions come in
                on_list.insert(rng.randrange(len(on_list)), str(next_id))
                next_id += 1
            on_list = on_list[:questions]
            i = rng.randrange(len(on_list) - 1)
            on_list[i], on_list[i + 1] = on_list[i + 1], on_list[i]
            at = (start + timedelta(hours=8 + run)).astimezone(UTC)
            entries = [
                HotQuestion(
                    rank, qid, f"问题 {qid}：为什么它上了热榜？", f"{2000 - 30 * rank} 万热度", ""
                )
                for rank, qid in enumerate(on_list, 1)
            ]
            record_hot_list(index, at, entries)


def best(rounds: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(
    questions: int = 50,
    runs: int = 12,
    days: int = 30,
    rounds: int = 3,
    seed: int = 16,
    say: Callable[[str], object] = lambda line: None,
) -> dict[str, float]:
    """Time each piece (the best of `rounds`); the seconds by name. `say` gets each line the
    command-line run prints."""
    say(f"CJK font: {cjk_family()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        index = ArchiveIndex(root / ".archiver" / "index.sqlite3")
        fill(index, questions, runs, days, seed)
        day = FIRST + timedelta(days=min(days, 30) // 2)
        one_day = sightings_between(index, *day_bounds(day, ZONE))
        month = month_of(day)
        one_month = sightings_between(index, *period_bounds(month, ZONE))
        draw(day_chart(day, ZONE, one_day))  # warm up: matplotlib's imports and caches
        writer = PostWriter(root, index)

        def run_end() -> None:
            write_day(writer, day, ZONE, CATS, PostOptions())
            for period in (week_of(day), month):
                write_period(writer, period, ZONE, CATS, PostOptions())

        def run_end_changed() -> None:
            for svg in (root / "images" / "hotlist").glob("*.svg"):
                svg.unlink()  # as if a new hot list had come in: every chart is drawn
            run_end()

        pieces = (
            (
                "charts_day_chart_s",
                f"day chart ({len({s.fetched_at for s in one_day})} lists × {questions} "
                f"questions, {len({s.question_id for s in one_day})} in all)",
                lambda: draw(day_chart(day, ZONE, one_day)),
            ),
            (
                "charts_month_statistics_s",
                f"month's statistics ({len(one_month)} entries)",
                lambda: question_times(one_month, ZONE),
            ),
            (
                "charts_month_chart_s",
                "month chart (statistics + drawing)",
                lambda: draw(period_chart(month, question_times(one_month, ZONE))),
            ),
            (
                "charts_run_end_s",
                "run end: day + week + month pages and charts, all drawn",
                run_end_changed,
            ),
            (
                "charts_run_end_unchanged_s",
                "run end again, nothing changed (no chart drawn)",
                run_end,
            ),
        )
        results = {key: (name, best(rounds, work)) for key, name, work in pieces}
        index.close()
    for name, seconds in results.values():
        say(f"{seconds:8.3f} s  {name}")
    return {key: seconds for key, (_, seconds) in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    measure(args.questions, args.runs, args.days, args.rounds, args.seed, say=print)


if __name__ == "__main__":
    main()

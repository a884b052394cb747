"""Every benchmark that exposes `measure()`, one after another: one JSON object of named figures.

Run from the project root:

    ./run python benchmarks/run_all.py --json FILE [--quick] [--only NAME ...]

Each `benchmarks/bench_*.py` whose module has `measure(...) -> dict[str, float]` is imported and
run with its own defaults (`--quick`: small sizes, a smoke test of the machinery, not figures to
quote). FILE gets

    {"machine": {cpu, cores, ram_gb, python, platform}, "date": ISO 8601 UTC,
     "figures": {name: value, ...}, "raw": {benchmark: {name: value, ...}}, "errors": {...}}

`figures` holds the headline figures (the goals of the issues: `convert_vs_lxml`,
`capture_overhead`, ...), `raw` everything each benchmark returned. A benchmark whose module has
no `measure()`, or whose run fails, is an error entry (`raw[name] = {"error": ...}`) and the
others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Benchmarks import each other as top-level modules (bench_warc's fixtures, bench_convert's words).
sys.path.insert(0, str(HERE))

# Known benchmarks first, in this order (cheap to costly); any other bench_*.py after them.
ORDER = (
    "bench_convert",
    "bench_archive",
    "bench_charts",
    "bench_thumbnails",
    "bench_warc",
    "bench_crawl",
    "bench_rerender",
)
# The headline figures of each benchmark (fnmatch patterns over the names measure() returns).
HEADLINES: dict[str, tuple[str, ...]] = {
    "bench_convert": ("convert_vs_lxml",),
    "bench_warc": ("capture_overhead",),
    "bench_thumbnails": ("thumbs_vs_libvips", "thumbs_vs_scrapy", "thumb_quality"),
    "bench_crawl": (
        "crawl_answers_per_s_ratio_vs_single_thread",
        "peak_rss_mb",
        "crawl_tls_verification_cost",
    ),
    "bench_rerender": ("rerender_vs_conversion_*", "rerender_peak_rss_mb"),
    "bench_archive": ("replay_startup_speedup",),
    "bench_charts": ("charts_run_end_s", "charts_run_end_unchanged_s"),
}
# --quick: sizes that make each run take seconds. Only the parameters a measure() takes are given.
QUICK: dict[str, dict[str, Any]] = {
    "bench_convert": {"answers": 20, "rounds": 2},
    "bench_archive": {"runs": 10, "figures": 4},
    "bench_charts": {"questions": 10, "runs": 2, "days": 3, "rounds": 1},
    "bench_thumbnails": {"images": 4, "rounds": 1},
    "bench_warc": {"answers": 20, "rounds": 1},
    "bench_crawl": {"answers": 20, "rounds": 1},
    "bench_rerender": {"answers": 30, "runs": 20},
}
# What a measure() may call to report its progress lines.
_PROGRESS_PARAMETERS = ("say", "report")


def benchmark_names(only: Sequence[str] = ()) -> list[str]:
    found = {path.stem for path in HERE.glob("bench_*.py")}
    names = [name for name in ORDER if name in found]
    names += sorted(found - set(ORDER))
    if only:
        unknown = [name for name in only if name not in found]
        if unknown:
            raise SystemExit(f"no such benchmark: {', '.join(unknown)}")
        names = [name for name in names if name in only]
    return names


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(_ram_bytes() / 2**30, 1),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def arguments(measure: Callable[..., Any], wanted: dict[str, Any], log: Callable[[str], None]):
    """The keyword arguments of `wanted` that `measure` takes, and its progress callback."""
    parameters = inspect.signature(measure).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    kwargs = {key: value for key, value in wanted.items() if takes_any or key in parameters}
    for name in _PROGRESS_PARAMETERS:
        if name in parameters:
            kwargs[name] = log
    if "echo" in parameters:
        kwargs["echo"] = True  # bench_crawl prints its progress itself
    return kwargs


def run_one(name: str, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """The benchmark's figures, or {"error": why} when it has no measure() or its run fails."""
    try:
        module = importlib.import_module(name)
    except BaseException as error:  # a benchmark that cannot even be imported is one error
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"error": f"import failed: {_describe(error)}"}
    measure = getattr(module, "measure", None)
    if not callable(measure):
        return {"error": "no measure() in the module"}
    kwargs = arguments(measure, QUICK.get(name, {}) if quick else {}, log)
    try:
        figures = measure(**kwargs)
    except BaseException as error:  # SystemExit too: benchmarks exit on a run that failed
        if isinstance(error, KeyboardInterrupt):
            raise
        log(traceback.format_exc().rstrip())
        return {"error": _describe(error)}
    if not isinstance(figures, dict):
        return {"error": f"measure() returned {type(figures).__name__}, not a dict"}
    return {key: _number(value) for key, value in figures.items()}


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def headlines(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    patterns = HEADLINES.get(name, ())
    return {
        key: value
        for key, value in figures.items()
        if any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)
    }


def run_all(names: Sequence[str], quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "machine": machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "figures": {},
        "raw": {},
        "errors": {},
    }
    for name in names:
        log(f"== {name}{' (quick)' if quick else ''}")
        started = time.perf_counter()
        figures = run_one(name, quick, log)
        seconds = time.perf_counter() - started
        report["raw"][name] = figures
        if "error" in figures:
            report["errors"][name] = figures["error"]
            log(f"== {name}: ERROR {figures['error']} ({seconds:.0f} s)")
            continue
        report["figures"].update(headlines(name, figures))
        log(f"== {name}: done in {seconds:.0f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, type=Path, help="where to write the figures")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="these benchmarks")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = run_all(benchmark_names(args.only), args.quick, log)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for key, value in report["figures"].items():
        log(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    for name, error in report["errors"].items():
        log(f"{name}: ERROR {error}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

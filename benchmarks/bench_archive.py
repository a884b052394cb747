"""Replay start-up through CDXJ indexes against reading every WARC, on a synthetic archive.

One WARC per run, each with answers pages and figures (random bytes: images do not compress), as
the capture middleware writes them; then every file indexed as a run's end does. Measured in one
process: `latest_captures` (what replay and rerender start with) with the indexes, and with every
file read whole (the indexes moved away), and the indexing itself. `measure()` returns the figures
by name (benchmarks/run_all.py): `replay_startup_speedup` is the time without over the time with.

    ./run python benchmarks/bench_archive.py [RUNS] [FIGURES_PER_RUN]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

from archiver.webarchive.cdxj import cdxj_path, latest_captures, write_cdxj
from archiver.webarchive.middleware import FastGzipWARCWriter


def write_run(folder: Path, run: int, figures: int) -> Path:
    day = f"2026{1 + run // 62 % 12:02d}{1 + run % 28:02d}"
    path = folder / f"hotlist-{day}T{run % 24:02d}0000Z-{run}.warc.gz"
    with path.open("wb") as handle:
        writer = FastGzipWARCWriter(handle, gzip=True, warc_version="1.1")
        for n in range(8):
            body = json.dumps({"data": [{"id": run * 100 + n, "content": "<p>答</p>" * 400}]})
            add(writer, f"https://www.zhihu.com/api/v4/questions/{run}{n}/answers", body.encode())
        for n in range(figures):
            add(writer, f"https://pic1.zhimg.com/v2-{run:06d}{n:04d}.jpg", os.urandom(40_000))
    return path


def add(writer: FastGzipWARCWriter, url: str, body: bytes) -> None:
    headers = StatusAndHeaders("200 OK", [("Content-Type", "application/json")], "HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=BytesIO(body), length=len(body), http_headers=headers
    )
    writer.write_record(record)


def measure(
    runs: int = 146, figures: int = 20, say: Callable[[str], object] = lambda line: None
) -> dict[str, float]:
    """Replay start-up with and without the indexes; the figures by name (seconds, ratio).
    `say` gets each line the command-line run prints."""
    folder = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    try:
        warcs = [write_run(folder, run, figures) for run in range(runs)]
        size = sum(w.stat().st_size for w in warcs)
        started = time.perf_counter()
        for warc in warcs:
            write_cdxj(warc)
        indexing = time.perf_counter() - started
        started = time.perf_counter()
        indexed = latest_captures(folder)
        with_index = time.perf_counter() - started
        aside = folder / "aside"
        aside.mkdir()
        for warc in warcs:
            cdxj_path(warc).rename(aside / cdxj_path(warc).name)
        started = time.perf_counter()
        scanned = latest_captures(folder)
        without = time.perf_counter() - started
        assert {u: c.offset for u, c in indexed.items()} == {
            u: c.offset for u, c in scanned.items()
        }
    finally:
        shutil.rmtree(folder)
    say(f"{runs} WARC files, {size / 2**20:.0f} MB, {len(indexed)} responses")
    say(f"indexing at the end of each run: {indexing / runs * 1000:.1f} ms per file")
    say(f"replay start-up with CDXJ indexes: {with_index:.3f} s")
    say(f"replay start-up reading every WARC: {without:.3f} s")
    say(f"ratio: {without / with_index:.0f}x faster with the indexes")
    return {
        "replay_startup_speedup": without / with_index,
        "replay_startup_indexed_s": with_index,
        "replay_startup_scan_s": without,
        "indexing_s_per_file": indexing / runs,
        "warc_files": runs,
        "warc_mb": size / 2**20,
        "responses": len(indexed),
    }


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 146
    figures = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    measure(runs, figures, say=print)


if __name__ == "__main__":
    main()

"""Benchmark: photo thumbnails per second, ours against Scrapy's ImagesPipeline and libvips.

Run from the project root (the `bench` extra installs pyvips with a bundled libvips):

    ./run pip install -e '.[bench]'
    ./run python benchmarks/bench_thumbnails.py [--images N] [--rounds R] [--memory-images M]

Every path turns the same in-memory JPEG bytes into a JPEG thumbnail that fits a 400x300 box:

- ours:    `archiver.archive.images.process_figure(data, ["400x300"])` (draft shrink-on-load to the
           smallest DCT scale that covers the box, BICUBIC with reducing_gap, quality 85); the
           line "ours: JPEG draft decode only" times its decoding alone, the floor under it
           (no goal);
- scrapy:  the real `ImagesPipeline.get_images` of a stock pipeline with IMAGES_THUMBS
           {"small": (400, 300)}: open, exif_transpose, `convert_image` of the original (a
           full-size RGB decode and, because the transposed copy has lost its format, a
           full-size JPEG re-encode), then `convert_image(image, (400, 300))` (copy, LANCZOS
           `thumbnail`, JPEG at Pillow's default quality 75). Nothing is written to the store.
           The line "scrapy thumb only" times just open + exif_transpose + the thumbnail
           `convert_image`, to show how much of the gap the full-size re-encode is; it has no goal;
- libvips: `pyvips.Image.thumbnail_buffer(data, 400, height=300)` then `.jpg[Q=85]`, with one
           worker thread (VIPS_CONCURRENCY=1) and the operation cache off, so repeated rounds
           are not served from cache. Skipped, with a note, when pyvips cannot be imported.

The photos are generated deterministically (seeded) with Pillow: soft gradients and blurred
blobs, sharp shapes and lines, and grain, saved at quality 90, 1000-3000 px on the long side in
six aspect ratios (portraits too), ~0.3-2 MB each. Each path is first checked once on every
photo (a JPEG, inside the box, touching it, aspect ratio kept) and its quality measured: the
PSNR of its thumbnails against references made the slow, careful way (the photo decoded whole,
EXIF-turned, LANCZOS-resized to the thumbnail's own size), over the whole set. Then the paths
run over the whole set in alternating rounds, in a rotating order; the median round of each is
reported with CPU/wall time (about 1.0 means one core), and each ratio is the median of the
rounds' ratios of CPU time, which a busy machine disturbs less than wall time (a ratio is
"times as fast": libvips's time over ours; every path runs on one thread). Goals: ours 2x as fast as
Scrapy's, 1.6x as fast as libvips, with a PSNR at most 0.5 dB below libvips's. `measure()`
returns the figures for benchmarks/run_all.py. Peak memory is measured in a fresh
subprocess per path that thumbnails --memory-images photos (cycling through the set) and reads
its own peak RSS (VmHWM on Linux, as ru_maxrss would include the parent's; ru_maxrss elsewhere):
Pillow and libvips allocate pixels in C, where tracemalloc cannot see them.
This is a benchmark, not a test: it fails only when a path produces a wrong thumbnail.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import PIL
import scrapy
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps, ImageStat, features
from scrapy.http import Request, Response
from scrapy.pipelines.images import ImagesPipeline
from scrapy.utils.test import get_crawler

from archiver.archive.images import process_figure

BOX = (400, 300)
SIZE = f"{BOX[0]}x{BOX[1]}"
QUALITY = 85
GOAL_VS_SCRAPY = 2.0  # ours must make at least twice as many thumbnails per second
GOAL_VS_VIPS = 1.6  # ... and 1.6 times as many as libvips on one core
QUALITY_MARGIN_DB = 0.5  # ... with a PSNR at most this far below libvips's
MIN_LONG_SIDE = 1000
MAX_LONG_SIDE = 3000
ASPECTS = ((4, 3), (3, 2), (16, 9), (1, 1), (3, 4), (2, 3))  # width:height, portraits included
SOURCE_QUALITY = 90  # a typical camera or phone JPEG
URL = "https://pic1.zhimg.com/v2-0123456789abcdef0123456789abcdef_r.jpg"

Thumbnailer = Callable[[bytes], bytes]


@dataclass
class Method:
    """One way of making a thumbnail; `func` is None when it cannot run here (`note` says why)."""

    name: str
    label: str
    func: Thumbnailer | None
    note: str = ""


# -- photos ------------------------------------------------------------------------------------


def generate_photos(count: int, seed: int) -> list[bytes]:
    """`count` JPEGs, long sides spread evenly over MIN_LONG_SIDE..MAX_LONG_SIDE."""
    photos = []
    for index in range(count):
        rng = random.Random(seed * 1_000_003 + index)  # each photo on its own stream
        fraction = index / (count - 1) if count > 1 else 1.0
        long_side = round(MIN_LONG_SIDE + (MAX_LONG_SIDE - MIN_LONG_SIDE) * fraction)
        aspect_w, aspect_h = ASPECTS[index % len(ASPECTS)]
        if aspect_w >= aspect_h:
            size = (long_side, round(long_side * aspect_h / aspect_w))
        else:
            size = (round(long_side * aspect_w / aspect_h), long_side)
        out = BytesIO()
        photo(rng, size).save(out, "JPEG", quality=SOURCE_QUALITY)
        photos.append(out.getvalue())
    return photos


def photo(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    # The smooth part (gradients, out-of-focus blobs) is drawn at 1/8 scale and scaled up:
    # cheap to make, and it has the soft edges of a real background.
    small = (max(width // 8, 16), max(height // 8, 16))
    channels = []
    for _ in range(3):
        ramp = Image.linear_gradient("L") if rng.random() < 0.5 else Image.radial_gradient("L")
        ramp = ramp.rotate(
            rng.uniform(0, 360), Image.Resampling.BILINEAR, fillcolor=rng.randrange(256)
        )
        low, high = rng.randrange(0, 128), rng.randrange(128, 256)
        ramp = ramp.point([low + v * (high - low) // 255 for v in range(256)])
        channels.append(ramp.resize(small, Image.Resampling.BILINEAR))
    base = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(base)
    for _ in range(rng.randrange(6, 14)):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        radius = rng.randrange(4, max(small) // 3)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_colour(rng))
    base = base.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    # Sharp details at full scale: edges are what JPEG and the resampling filters work hardest on.
    draw = ImageDraw.Draw(base)
    for _ in range(rng.randrange(20, 60)):
        x, y = rng.randrange(width), rng.randrange(height)
        box = (x, y, x + rng.randrange(5, width // 4), y + rng.randrange(5, height // 4))
        kind = rng.randrange(3)
        if kind == 0:
            draw.rectangle(box, fill=_colour(rng))
        elif kind == 1:
            draw.ellipse(box, outline=_colour(rng), width=rng.randrange(1, 8))
        else:
            points = [(rng.randrange(width), rng.randrange(height)) for _ in range(4)]
            draw.line(points, fill=_colour(rng), width=rng.randrange(1, 5))
    # Seeded grain (not effect_noise, whose C rand() is not ours to seed): without it the files
    # would be a few tens of KB, far smaller than photos, and decoding would look too cheap.
    grain = Image.frombytes("L", size, rng.randbytes(width * height))
    return Image.blend(base, Image.merge("RGB", (grain, grain, grain)), rng.uniform(0.04, 0.10))


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


# -- the paths -----------------------------------------------------------------------------------


def ours() -> Method:
    def thumbnail(data: bytes) -> bytes:
        return process_figure(data, [SIZE]).thumbnails[0].data

    return Method("ours", "ours (process_figure)", thumbnail)


def scrapy_pipeline(store: str) -> tuple[Method, Method]:
    """Scrapy's own methods on a stock ImagesPipeline, built without running a crawl."""
    settings = {"IMAGES_STORE": store, "IMAGES_THUMBS": {"small": BOX}}
    pipeline = ImagesPipeline.from_crawler(get_crawler(settings_dict=settings))
    request = Request(URL)

    def full(data: bytes) -> bytes:
        # get_images yields the converted original, then one thumbnail per IMAGES_THUMBS entry;
        # image_downloaded would then hash and store them, which is I/O and left out.
        *_, (_path, _image, buf) = pipeline.get_images(Response(URL, body=data), request, None)
        return buf.getvalue()

    def thumb_only(data: bytes) -> bytes:
        image = ImageOps.exif_transpose(Image.open(BytesIO(data)))
        _image, buf = pipeline.convert_image(image, BOX, response_body=BytesIO(data))
        return buf.getvalue()

    return (
        Method("scrapy", "scrapy ImagesPipeline", full),
        Method("scrapy-thumb", "scrapy thumb only (info)", thumb_only),
    )


def draft_decode() -> Method:
    """Only the decoding in ours: the JPEG at the reduced scale that `draft` picks for the box,
    with no resize or encode. The floor under our thumbnails; it has no goal."""

    def decode(data: bytes) -> bytes:
        with Image.open(BytesIO(data)) as image:
            scale = min(BOX[0] / image.width, BOX[1] / image.height)
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
            image.load()
        return b""

    return Method("draft", "ours: JPEG draft decode only", decode)


VipsState = Callable[[], dict[str, int | str]]


def libvips() -> tuple[Method, VipsState | None]:
    """The libvips method, and a function reporting its version, threads and cache."""
    # libvips sizes its thread pool from VIPS_CONCURRENCY when it starts, i.e. on import.
    os.environ["VIPS_CONCURRENCY"] = "1"
    try:
        import pyvips
    except (ImportError, OSError) as exc:  # no binding, or no libvips for it to load
        note = f"skipped: pyvips is not importable ({exc.__class__.__name__}: {exc})"
        return Method("vips", "libvips (1 thread)", None, note), None
    pyvips.concurrency_set(1)  # in case libvips had already started before the variable was set
    # The operation cache would hand back the result of an identical earlier call (same buffer,
    # same arguments), and every round after the first would time a cache lookup.
    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    pyvips.cache_set_max_files(0)
    save = f".jpg[Q={QUALITY}]"

    def thumbnail(data: bytes) -> bytes:
        return pyvips.Image.thumbnail_buffer(data, BOX[0], height=BOX[1]).write_to_buffer(save)

    def state() -> dict[str, int | str]:
        return {
            "version": ".".join(str(pyvips.version(i)) for i in range(3)),
            "pyvips": pyvips.__version__,
            "concurrency": pyvips.concurrency_get(),
            "cache_max": pyvips.cache_get_max(),
            "cache_size": pyvips.cache_get_size(),
        }

    return Method("vips", "libvips (1 thread)", thumbnail), state


def build(name: str, store: str) -> Method:
    if name == "ours":
        return ours()
    if name == "scrapy":
        return scrapy_pipeline(store)[0]
    if name == "vips":
        return libvips()[0]
    raise ValueError(f"no method {name!r}")


# -- checking and timing -----------------------------------------------------------------------


class References:
    """The reference thumbnails: each photo decoded whole, EXIF-turned, LANCZOS to a size."""

    def __init__(self, photos: list[bytes]) -> None:
        self.photos = photos
        self.made: dict[tuple[int, tuple[int, int]], Image.Image] = {}

    def of(self, index: int, size: tuple[int, int]) -> Image.Image:
        # At the size a path made (libvips may round a side the other way): same-size pixels.
        if (index, size) not in self.made:
            with Image.open(BytesIO(self.photos[index])) as source:
                whole = ImageOps.exif_transpose(source).convert("RGB")
            self.made[index, size] = whole.resize(size, Image.Resampling.LANCZOS)
        return self.made[index, size]


def squared_error(image: Image.Image, reference: Image.Image) -> float:
    """Mean squared error per pixel and channel (Pillow's rms per band: no numpy needed)."""
    bands = ImageStat.Stat(ImageChops.difference(image.convert("RGB"), reference)).rms
    return sum(rms * rms for rms in bands) / len(bands)


def psnr(mse: float) -> float:
    return 10 * math.log10(255**2 / mse) if mse else math.inf


def check(
    method: Method, func: Thumbnailer, photos: list[bytes], references: References
) -> tuple[list[str], int, float]:
    """Problems with `method`'s thumbnails of `photos`, their total bytes, and their PSNR (dB)
    against the references over the whole set."""
    problems = []
    total = 0
    errors = []
    for index, data in enumerate(photos):
        with Image.open(BytesIO(data)) as source:
            width, height = source.size
        thumb = func(data)
        total += len(thumb)
        with Image.open(BytesIO(thumb)) as image:
            kind, (got_w, got_h), mode = image.format, image.size, image.mode
            errors.append(squared_error(image, references.of(index, image.size)))
        scale = min(BOX[0] / width, BOX[1] / height)
        want_w, want_h = width * scale, height * scale  # fills the box on one side
        where = f"{method.name}: photo {index} ({width}x{height})"
        if kind != "JPEG" or mode != "RGB":
            problems.append(f"{where}: a {mode} {kind}, not an RGB JPEG")
        elif got_w > BOX[0] or got_h > BOX[1] or abs(got_w - want_w) > 1 or abs(got_h - want_h) > 1:
            problems.append(f"{where}: {got_w}x{got_h}, expected {want_w:.0f}x{want_h:.0f}")
    return problems, total, psnr(sum(errors) / len(errors))


def time_pass(func: Thumbnailer, photos: list[bytes]) -> tuple[float, float]:
    """Wall and CPU seconds for one pass over `photos` (CPU counts every thread)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    for data in photos:
        func(data)
    return time.perf_counter() - wall, time.process_time() - cpu


def _peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB."""
    # On Linux ru_maxrss survives fork and exec: a child starts with its parent's high-water
    # mark (here the ~200 MB the photo generator peaked at) and could not show its own.
    # VmHWM belongs to the address space that exec made fresh, so it is the child's alone.
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, KiB here


def memory_child(name: str, inputs: Path, count: int) -> int:
    """Thumbnail `count` photos from `inputs` in this fresh process; print one JSON line."""
    with tempfile.TemporaryDirectory() as store:
        method = build(name, store)
        if method.func is None:
            print(json.dumps({"skipped": method.note}))
            return 0
        # Photos are read, not generated, here: making a 3000 px photo takes far more memory
        # than thumbnailing it, and ru_maxrss would keep that high-water mark.
        photos = [path.read_bytes() for path in sorted(inputs.glob("*.jpg"))]
        gc.collect()
        before = after_set = _peak_rss_mb()
        start = time.perf_counter()
        for index in range(count):
            method.func(photos[index % len(photos)])
            if index + 1 == len(photos):
                after_set = _peak_rss_mb()  # any growth after this is kept, not transient
        seconds = time.perf_counter() - start
        peak = _peak_rss_mb()
    report = {"before": before, "after_set": after_set, "peak": peak, "seconds": seconds}
    print(json.dumps(report | {"count": count, "set": len(photos)}))
    return 0


def measure_memory(name: str, inputs: Path, count: int) -> dict[str, float | str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", name]
    command += ["--inputs", str(inputs), "--memory-images", str(count)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"skipped": f"failed ({done.returncode}): {done.stderr.strip()[-500:]}"}
    return json.loads(lines[-1])


# -- report ------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


class BadThumbnails(Exception):
    """A path made a wrong thumbnail: nothing of it is worth timing."""


def measure(
    images: int = 40, rounds: int = 5, seed: int = 20240601, say: Callable[..., None] | None = None
) -> dict[str, float]:
    """Medians of the rounds' ratios, thumbnail quality, and ms per thumbnail of each path."""
    photos = generate_photos(images, seed)
    vips, vips_state = libvips()
    with tempfile.TemporaryDirectory() as store:
        scrapy_full, scrapy_thumb = scrapy_pipeline(store)
        methods = [ours(), scrapy_full, scrapy_thumb, vips, draft_decode()]
        return compare(photos, methods, rounds, vips_state, say or (lambda *a, **k: None))


def compare(
    photos: list[bytes],
    methods: list[Method],
    rounds: int,
    vips_state: VipsState | None,
    say: Callable[..., None],
) -> dict[str, float]:
    versions = (
        f"Python {platform.python_version()}, Pillow {PIL.__version__} "
        f"(libjpeg-turbo {features.version('libjpeg_turbo')}), Scrapy {scrapy.__version__}"
    )
    if vips_state:
        state = vips_state()
        versions += f", libvips {state['version']} (pyvips {state['pyvips']})"
    say(f"{versions}; {os.cpu_count()} CPUs")

    runnable = [(method, method.func) for method in methods if method.func is not None]
    sizes: dict[str, int] = {}
    quality: dict[str, float] = {}
    problems: list[str] = []
    references = References(photos)
    for method, func in runnable:  # also the warm-up: imports, decoder set-up, caches
        if method.name == "draft":
            func(photos[0])  # makes no thumbnail to check
            continue
        found, sizes[method.name], quality[method.name] = check(method, func, photos, references)
        problems += found
    if problems:
        raise BadThumbnails("\n  ".join(problems))
    say(
        f"sanity: every path made an RGB JPEG inside {SIZE}, filling it on one side with the "
        f"photo's aspect ratio (+-1 px), for all {len(photos)} photos"
    )

    walls: dict[str, list[float]] = {method.name: [] for method, _ in runnable}
    cpus: dict[str, list[float]] = {method.name: [] for method, _ in runnable}
    for round_ in range(rounds):
        shift = round_ % len(runnable)  # rotate who goes first: no path always runs cold
        for method, func in runnable[shift:] + runnable[:shift]:
            wall, cpu = time_pass(func, photos)
            walls[method.name].append(wall)
            cpus[method.name].append(cpu)

    count = len(photos)
    say(f"\nrounds: {rounds} over the {count} photos, median round of each path")
    say(
        f"{'path':28} {'thumbs/s':>9} {'ms/thumb':>9} {'CPU/wall':>9} {'avg thumb':>10} {'PSNR':>8}"
    )
    for method in methods:
        if method.func is None:
            say(f"{method.label:28} {method.note}")
            continue
        wall, cpu = statistics.median(walls[method.name]), statistics.median(cpus[method.name])
        made = (
            f"{sizes[method.name] / count / 1e3:7.1f} KB {quality[method.name]:5.2f} dB"
            if method.name in sizes
            else ""
        )
        say(
            f"{method.label:28} {count / wall:9.1f} {wall / count * 1e3:9.2f} {cpu / wall:9.2f} "
            f"{made}"
        )
    if vips_state:
        state = vips_state()
        say(
            f"libvips: concurrency {state['concurrency']}, operation cache max "
            f"{state['cache_max']}, {state['cache_size']} operations cached after the rounds"
        )
    say(
        "PSNR: against the photo decoded whole, EXIF-turned and LANCZOS-resized to the "
        "thumbnail's size, over the whole set"
    )

    def ratio(slow: str, fast: str, times: dict[str, list[float]] = cpus) -> float:
        """Median of the rounds' time ratios: how many times as fast `fast` is. CPU time by
        default: on a shared machine, wall time also counts the waits for a core."""
        return statistics.median(a / b for a, b in zip(times[slow], times[fast], strict=True))

    figures = {
        "thumbs_vs_scrapy": ratio("scrapy", "ours"),
        "thumb_quality": quality["ours"],
        "thumb_quality_scrapy": quality["scrapy"],
        **{f"thumb_ms_{name}": statistics.median(w) / count * 1e3 for name, w in walls.items()},
    }
    say(
        f"\nours vs scrapy:  {figures['thumbs_vs_scrapy']:.2f}x as fast (goal >= "
        f"{GOAL_VS_SCRAPY:g}x): {verdict(figures['thumbs_vs_scrapy'] >= GOAL_VS_SCRAPY)}"
    )
    if "vips" not in walls:
        say("ours vs libvips: no comparison, libvips was skipped")
        return figures
    figures |= {
        "thumbs_vs_libvips": ratio("vips", "ours"),
        "thumbs_vs_libvips_wall": ratio("vips", "ours", walls),
        "draft_decode_vs_libvips": ratio("vips", "draft"),
        "thumb_quality_libvips": quality["vips"],
    }
    say(
        f"ours vs libvips: {figures['thumbs_vs_libvips']:.2f}x as fast (goal >= "
        f"{GOAL_VS_VIPS:g}x): {verdict(figures['thumbs_vs_libvips'] >= GOAL_VS_VIPS)}; "
        f"the JPEG draft decode alone: {figures['draft_decode_vs_libvips']:.2f}x (by CPU time; "
        f"by wall time ours is {figures['thumbs_vs_libvips_wall']:.2f}x)"
    )
    gap = quality["vips"] - quality["ours"]
    say(
        f"quality: ours {quality['ours']:.2f} dB, libvips {quality['vips']:.2f} dB PSNR "
        f"(goal: at most {QUALITY_MARGIN_DB:g} dB below libvips): "
        f"{verdict(gap <= QUALITY_MARGIN_DB)}"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40, help="photos to generate (40)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per path (5)")
    parser.add_argument(
        "--memory-images",
        type=int,
        default=1000,
        help="thumbnails per memory subprocess, cycling through the photos; 0 skips (1000)",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="photo generator seed")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)  # internal: one memory run
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        return memory_child(args.memory_child, args.inputs, args.memory_images)
    if args.images < 1 or args.rounds < 1 or args.memory_images < 0:
        parser.error("--images and --rounds must be at least 1, --memory-images at least 0")

    started = time.perf_counter()
    try:
        measure(args.images, args.rounds, args.seed, say=print)
    except BadThumbnails as exc:
        print(f"sanity check FAILED:\n  {exc}")
        return 1
    if args.memory_images:
        photos = generate_photos(args.images, args.seed)
        vips, _ = libvips()
        with tempfile.TemporaryDirectory() as store:
            report_memory(args.memory_images, photos, [ours(), scrapy_pipeline(store)[0], vips])
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    return 0


def report_memory(count: int, photos: list[bytes], methods: list[Method]) -> None:
    print(
        f"\npeak memory: a fresh process per path thumbnails {count} photos "
        f"(cycling through the {len(photos)}), peak RSS"
    )
    print(
        f"{'path':28} {'peak RSS':>9} {'before':>9} {'thumbnailing':>13} "
        f"{'growth after 1st pass':>22} {'thumbs/s':>9}"
    )
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder)
        for index, data in enumerate(photos):
            (inputs / f"{index:04d}.jpg").write_bytes(data)
        for method in methods:
            result = measure_memory(method.name, inputs, count)
            if "skipped" in result:
                print(f"{method.label:28} {result['skipped']}")
                continue
            peak, before = float(result["peak"]), float(result["before"])
            growth = peak - float(result["after_set"]) if count > len(photos) else 0.0
            print(
                f"{method.label:28} {peak:6.1f} MB {before:6.1f} MB {peak - before:+10.1f} MB "
                f"{growth:+19.1f} MB {count / float(result['seconds']):9.1f}"
            )


if __name__ == "__main__":
    raise SystemExit(main())

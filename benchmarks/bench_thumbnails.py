"""Benchmark: photo thumbnails per second, ours against Scrapy's ImagesPipeline and libvips.

Run from the project root (the `bench` extra installs pyvips with a bundled libvips):

    ./run pip install -e '.[bench]'
    ./run python benchmarks/bench_thumbnails.py [--images N] [--rounds R] [--memory-images M]

Every path turns the same in-memory JPEG bytes into a JPEG thumbnail that fits a 400x300 box:

- ours:    `archiver.images.process_figure(data, ["400x300"])` (draft shrink-on-load, LANCZOS
           with reducing_gap, quality 85);
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
photo (a JPEG, inside the box, touching it, aspect ratio kept); then the paths run over the
whole set in alternating rounds, in a rotating order, and the best (minimum) round of each is
reported with CPU/wall time (about 1.0 means one core). Peak memory is measured in a fresh
subprocess per path that thumbnails --memory-images photos (cycling through the set) and reads
its own peak RSS (VmHWM on Linux, as ru_maxrss would include the parent's; ru_maxrss elsewhere):
Pillow and libvips allocate pixels in C, where tracemalloc cannot see them.
This is a benchmark, not a test: it fails only when a path produces a wrong thumbnail.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
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
from PIL import Image, ImageDraw, ImageFilter, ImageOps, features
from scrapy.http import Request, Response
from scrapy.pipelines.images import ImagesPipeline
from scrapy.utils.test import get_crawler

from archiver.images import process_figure

BOX = (400, 300)
SIZE = f"{BOX[0]}x{BOX[1]}"
QUALITY = 85
GOAL_VS_SCRAPY = 2.0  # ours must make at least twice as many thumbnails per second
GOAL_VS_VIPS = 1.0  # ... and at least as many as libvips on one core
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
        _photo(rng, size).save(out, "JPEG", quality=SOURCE_QUALITY)
        photos.append(out.getvalue())
    return photos


def _photo(rng: random.Random, size: tuple[int, int]) -> Image.Image:
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


def check(method: Method, func: Thumbnailer, photos: list[bytes]) -> tuple[list[str], int]:
    """Problems with `method`'s thumbnails of `photos`, and their total size in bytes."""
    problems = []
    total = 0
    for index, data in enumerate(photos):
        with Image.open(BytesIO(data)) as source:
            width, height = source.size
        thumb = func(data)
        total += len(thumb)
        with Image.open(BytesIO(thumb)) as image:
            kind, (got_w, got_h), mode = image.format, image.size, image.mode
        scale = min(BOX[0] / width, BOX[1] / height)
        want_w, want_h = width * scale, height * scale  # fills the box on one side
        where = f"{method.name}: photo {index} ({width}x{height})"
        if kind != "JPEG" or mode != "RGB":
            problems.append(f"{where}: a {mode} {kind}, not an RGB JPEG")
        elif got_w > BOX[0] or got_h > BOX[1] or abs(got_w - want_w) > 1 or abs(got_h - want_h) > 1:
            problems.append(f"{where}: {got_w}x{got_h}, expected {want_w:.0f}x{want_h:.0f}")
    return problems, total


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40, help="photos to generate (40)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per path (3)")
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
    photos = generate_photos(args.images, args.seed)
    made = time.perf_counter() - started
    lengths = sorted(len(data) for data in photos)
    print(
        f"photos: {len(photos)} JPEGs (q{SOURCE_QUALITY}), {MIN_LONG_SIDE}-{MAX_LONG_SIDE} px "
        f"long side, {lengths[0] / 1e6:.2f}-{lengths[-1] / 1e6:.2f} MB each "
        f"({sum(lengths) / 1e6:.1f} MB), generated in {made:.1f} s"
    )

    vips, vips_state = libvips()
    with tempfile.TemporaryDirectory() as store:
        scrapy_full, scrapy_thumb = scrapy_pipeline(store)
        methods = [ours(), scrapy_full, scrapy_thumb, vips]
        return run(args, photos, methods, vips_state, started)


def run(
    args: argparse.Namespace,
    photos: list[bytes],
    methods: list[Method],
    vips_state: VipsState | None,
    started: float,
) -> int:
    versions = (
        f"Python {platform.python_version()}, Pillow {PIL.__version__} "
        f"(libjpeg-turbo {features.version('libjpeg_turbo')}), Scrapy {scrapy.__version__}"
    )
    if vips_state:
        state = vips_state()
        versions += f", libvips {state['version']} (pyvips {state['pyvips']})"
    print(f"{versions}; {os.cpu_count()} CPUs")

    runnable = [(method, method.func) for method in methods if method.func is not None]
    sizes: dict[str, int] = {}
    problems: list[str] = []
    for method, func in runnable:  # also the warm-up: imports, decoder set-up, caches
        found, sizes[method.name] = check(method, func, photos)
        problems += found
    if problems:
        print("sanity check FAILED:", *problems, sep="\n  ")
        return 1
    print(
        f"sanity: every path made an RGB JPEG inside {SIZE}, filling it on one side with the "
        f"photo's aspect ratio (+-1 px), for all {len(photos)} photos"
    )

    best: dict[str, tuple[float, float]] = {}
    for round_ in range(args.rounds):
        shift = round_ % len(runnable)  # rotate who goes first: no path always runs cold
        for method, func in runnable[shift:] + runnable[:shift]:
            wall, cpu = time_pass(func, photos)
            if method.name not in best or wall < best[method.name][0]:
                best[method.name] = (wall, cpu)

    count = len(photos)
    print(f"\nrounds: {args.rounds} over the {count} photos, best round of each path")
    print(f"{'path':28} {'thumbs/s':>9} {'ms/thumb':>9} {'CPU/wall':>9} {'avg thumb':>10}")
    for method in methods:
        if method.func is None:
            print(f"{method.label:28} {method.note}")
            continue
        wall, cpu = best[method.name]
        print(
            f"{method.label:28} {count / wall:9.1f} {wall / count * 1e3:9.2f} {cpu / wall:9.2f} "
            f"{sizes[method.name] / count / 1e3:7.1f} KB"
        )
    if vips_state:
        state = vips_state()
        print(
            f"libvips: concurrency {state['concurrency']}, operation cache max "
            f"{state['cache_max']}, {state['cache_size']} operations cached after the rounds"
        )

    ours_wall = best["ours"][0]
    vs_scrapy = best["scrapy"][0] / ours_wall
    print(
        f"\nours vs scrapy:  {vs_scrapy:.2f}x as fast (goal >= {GOAL_VS_SCRAPY:g}x): "
        f"{verdict(vs_scrapy >= GOAL_VS_SCRAPY)}"
    )
    if "vips" in best:
        vs_vips = best["vips"][0] / ours_wall
        print(
            f"ours vs libvips: {vs_vips:.2f}x as fast (goal >= {GOAL_VS_VIPS:g}x): "
            f"{verdict(vs_vips >= GOAL_VS_VIPS)}"
        )
    else:
        print("ours vs libvips: no comparison, libvips was skipped")

    if args.memory_images:
        report_memory(
            args.memory_images, photos, [m for m, _ in runnable if m.name != "scrapy-thumb"]
        )
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

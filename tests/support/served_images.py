"""The image bytes the fixture server serves for figure URLs, made with Pillow at test time.

Binary fixtures are not committed: each figure URL of the saved answers maps to a factory of
tests/support/images.py, and `write_image_root` lays them out as fixture files named after their
URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import images
from tests.support.fixture_server import fixture_name

# zhimg figures and equation images, as they stand in JSON strings and XML text
_IMAGE_URL = re.compile(
    r"https?://(?:pic\w+\.zhimg\.com/[\w./-]+|www\.zhihu\.com/equation\?tex=[\w%.+-]+)"
    r"(?:\?source=\w+)?"
)


def hexname(char: str) -> str:
    return f"v2-{char * 32}"


# The figures scenario: every kind of image Zhihu serves, and every way an image goes wrong.
Z = "https://pic{n}.zhimg.com/{name}_r.{ext}"
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    Z.format(n=1, name=hexname("a"), ext="jpg") + "?source=d16d100b": (images.jpeg, "jpeg"),
    Z.format(n=2, name=hexname("b"), ext="jpg"): (lambda: images.jpeg(progressive=True), "jpeg"),
    Z.format(n=3, name=hexname("c"), ext="png"): (images.png_alpha, "png"),
    Z.format(n=4, name=hexname("d"), ext="gif"): (images.animated_gif, "gif"),
    Z.format(n="a", name=hexname("e"), ext="webp"): (images.webp, "webp"),
    # Zhihu serves WebP under .jpg names: the stored file takes the real extension
    Z.format(n="x", name=hexname("9"), ext="jpg"): (lambda: images.webp(alpha=True), "webp"),
    Z.format(n=1, name=hexname("f"), ext="jpg"): (images.exif_rotated_jpeg, "jpeg"),
    "https://www.zhihu.com/equation?tex=x%5E2%2By%5E2": (
        lambda: images.equation_svg("x^2+y^2"),
        "svg",
    ),
    Z.format(n=2, name=hexname("1"), ext="jpg"): (images.truncated_jpeg, "jpeg"),
    Z.format(n=3, name=hexname("2"), ext="png"): (images.decompression_bomb, "png"),
    Z.format(n=4, name=hexname("3"), ext="jpg"): (images.html_page, "jpeg"),
    Z.format(n=1, name=hexname("4"), ext="jpg"): (images.unknown_format, "jpeg"),
    Z.format(n=2, name=hexname("5"), ext="jpg"): (
        lambda: images.jpeg(3000, 2000, quality=95),
        "jpeg",
    ),
}


# The figure-urls scenario: URLs Scrapy normalises, and what hostile ones would reach if
# requested, keyed by the URL as the fixture server sees it.
ODD: dict[str, tuple[Callable[[], bytes], str]] = {
    Z.format(n=1, name=hexname("7"), ext="jpg"): (images.mpo, "jpeg"),  # a phone's MPO
    Z.format(n=2, name=hexname("8"), ext="jpg"): (images.jpeg, "jpeg"),  # written upper-case
    "https://pic3.zhimg.com/a%20b.jpg": (images.jpeg, "jpeg"),  # written with a space
    "https://pic4.zhimg.com/%E5%9B%BE%E7%89%87.jpg": (images.jpeg, "jpeg"),  # 图片.jpg
    f"https://pica.zhimg.com/dir/{hexname('6')}_r.jpg": (images.jpeg, "jpeg"),  # a backslash
    # Off the allowlist: a stored figure here means the allowlist was bypassed.
    f"https://127.0.0.1/.zhimg.com/v2-{'4b' * 16}_r.jpg": (images.jpeg, "jpeg"),
    "https://127.0.0.1/secret.jpg": (images.jpeg, "jpeg"),
}


# Figures whose first download answers 503 (served once, then the image)
FLAKY = {Z.format(n=2, name=hexname("b"), ext="jpg")}


def fixture_figure_urls(fixtures: Path) -> set[str]:
    """Every image URL that appears in the saved responses (any variant of any figure)."""
    urls: set[str] = set()
    for path in fixtures.rglob("*"):
        if path.suffix in {".json", ".xml"}:
            urls |= set(_IMAGE_URL.findall(path.read_text(encoding="utf-8")))
    return urls


def write_image_root(root: Path, fixtures: Path) -> Path:
    """Files for every figure URL: the hostile set as declared, the rest as plain JPEGs/GIFs."""
    served = dict(HOSTILE) | ODD
    for url in fixture_figure_urls(fixtures) - set(served):
        if "/equation" in url:
            served[url] = (images.equation_svg, "svg")
        elif url.split("?")[0].endswith(".gif"):
            served[url] = (images.animated_gif, "gif")
        else:
            served[url] = (lambda: images.jpeg(640, 480), "jpeg")
    for url, (make, ext) in served.items():
        parts = urlsplit(url)
        path = root / f"{fixture_name(parts.netloc, parts.path, parts.query)}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
        if url in FLAKY:  # a transient failure first: the figure must still be stored
            path.with_name(path.name.removesuffix(f".{ext}") + ".503.once.html").write_text("busy")
    return root

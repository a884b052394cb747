"""The image factories make what they claim, so figure pipeline tests can trust them."""

import io
import zlib
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from tests.support import images

SVG_NS = "{http://www.w3.org/2000/svg}"
PILLOW_DEFAULT_MAX_PIXELS = 89_478_485


def open_image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.fixture
def strict_loading(monkeypatch):
    # Another test (or the pipeline) may relax these globals; these checks need the defaults.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", PILLOW_DEFAULT_MAX_PIXELS)


def test_jpeg_is_a_baseline_rgb_photo():
    image = open_image(images.jpeg())
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1200, 800))
    assert not image.info.get("progressive")
    assert not image.info.get("progression")
    # Not flat: a flat image would hide size-dependent behaviour in the pipeline.
    assert len(image.getcolors(maxcolors=1_000_000) or ()) > 1000


def test_jpeg_progressive():
    image = open_image(images.jpeg(320, 200, progressive=True))
    assert (image.format, image.size) == ("JPEG", (320, 200))
    assert image.info.get("progressive") or image.info.get("progression")


def test_jpeg_quality_changes_the_encoding():
    assert len(images.jpeg(400, 300, quality=30)) < len(images.jpeg(400, 300, quality=95))


def test_png_alpha_has_partial_and_full_transparency():
    image = open_image(images.png_alpha())
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (640, 480))
    alpha = image.getchannel("A")
    low, high = alpha.getextrema()
    assert low == 0
    assert high >= 250
    assert len(alpha.getcolors()) > 100


@pytest.mark.parametrize("frames", [2, 4, 7])
def test_animated_gif_frames(frames):
    image = open_image(images.animated_gif(frames=frames))
    assert (image.format, image.size) == ("GIF", (320, 240))
    assert image.is_animated
    assert image.n_frames == frames
    assert image.info.get("loop") == 0
    corners = set()
    for index in range(frames):
        image.seek(index)
        assert image.info.get("duration") == 100
        corners.add(image.convert("RGB").getpixel((319, 239)))
    assert len(corners) == frames


def test_webp_lossy_rgb():
    image = open_image(images.webp())
    assert (image.format, image.mode, image.size) == ("WEBP", "RGB", (800, 600))


def test_webp_with_alpha():
    image = open_image(images.webp(alpha=True))
    assert (image.format, image.mode, image.size) == ("WEBP", "RGBA", (800, 600))
    low, high = image.getchannel("A").getextrema()
    assert low == 0
    assert high >= 250


@pytest.mark.parametrize(
    ("orientation", "shown"),
    [(1, (1200, 800)), (3, (1200, 800)), (6, (800, 1200)), (8, (800, 1200))],
)
def test_exif_rotated_jpeg(orientation, shown):
    image = open_image(images.exif_rotated_jpeg(orientation=orientation))
    assert (image.format, image.size) == ("JPEG", (1200, 800))
    assert image.getexif()[images.EXIF_ORIENTATION] == orientation
    assert ImageOps.exif_transpose(image).size == shown


def test_exif_rotated_jpeg_default_is_portrait():
    image = open_image(images.exif_rotated_jpeg(640, 480))
    assert image.getexif()[images.EXIF_ORIENTATION] == 6
    assert ImageOps.exif_transpose(image).size == (480, 640)


@pytest.mark.parametrize("tex", ["E=mc^2", r"a<b \& c>d", "\\frac{1}{2}“引号”"])
def test_equation_svg(tex):
    data = images.equation_svg(tex)
    assert data.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" ')
    root = ElementTree.fromstring(data.decode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    assert root.find(f"{SVG_NS}title").text == tex
    assert len(data) < 2000


def test_truncated_jpeg_opens_but_fails_to_load(strict_loading):
    data = images.truncated_jpeg()
    assert 0.55 < len(data) / len(images.jpeg()) < 0.65
    image = open_image(data)
    assert (image.format, image.size) == ("JPEG", (1200, 800))
    with pytest.raises(OSError, match="truncated"):
        image.load()


@pytest.fixture(scope="module")
def bomb():
    # Each build costs ~0.15 s of zlib work; share one across the checks below.
    before = Image.MAX_IMAGE_PIXELS
    data = images.decompression_bomb()
    assert before == Image.MAX_IMAGE_PIXELS, "making the bomb must leave the guard alone"
    return data


def test_decompression_bomb_trips_the_guard(strict_loading, bomb):
    assert len(bomb) < 1_000_000
    with pytest.raises(Image.DecompressionBombError):
        open_image(bomb)


def test_decompression_bomb_is_a_valid_png(monkeypatch, bomb):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    image = open_image(bomb)
    assert (image.format, image.mode, image.size) == ("PNG", "1", (20_000, 20_000))
    assert image.size[0] * image.size[1] > 2 * PILLOW_DEFAULT_MAX_PIXELS
    image.verify()  # chunk CRCs

    # Decode in bounded steps rather than load(): the pixels alone would take ~50 MB.
    idat = bomb[bomb.index(b"IDAT") + 4 : bomb.index(b"IEND") - 8]
    stream = zlib.decompressobj()
    total, chunk = 0, idat
    while chunk or not stream.eof:
        out = stream.decompress(chunk, 1 << 22)
        assert not out.strip(b"\x00")
        total += len(out)
        chunk = stream.unconsumed_tail
    assert total == 20_000 * (1 + 20_000 // 8)


def test_html_page_is_html_not_an_image():
    data = images.html_page()
    assert data.startswith(b"<!DOCTYPE html><html>")
    assert data.rstrip().endswith(b"</html>")
    with pytest.raises(UnidentifiedImageError):
        open_image(data)


def test_unknown_format_is_neither_image_nor_markup():
    data = images.unknown_format()
    assert b"<" not in data
    with pytest.raises(UnidentifiedImageError):
        open_image(data)


@pytest.mark.parametrize(
    ("kind", "factory"),
    [
        ("jpeg", images.jpeg),
        ("png", images.png_alpha),
        ("gif", images.animated_gif),
        ("webp", images.webp),
    ],
)
def test_content_types_match_pillow(kind, factory):
    image = open_image(factory(64, 48))
    assert Image.MIME[image.format] == images.CONTENT_TYPES[kind]


def test_svg_content_type():
    assert images.CONTENT_TYPES["svg"] == "image/svg+xml"


@pytest.mark.parametrize(
    "make",
    [
        images.jpeg,
        pytest.param(lambda: images.jpeg(progressive=True), id="jpeg-progressive"),
        images.png_alpha,
        images.animated_gif,
        images.webp,
        pytest.param(lambda: images.webp(alpha=True), id="webp-alpha"),
        images.exif_rotated_jpeg,
        images.equation_svg,
        images.truncated_jpeg,
        images.decompression_bomb,
        images.html_page,
        images.unknown_format,
    ],
)
def test_factories_are_deterministic(make):
    assert make() == make()

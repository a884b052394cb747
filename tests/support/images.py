"""Real images made with Pillow, in memory, for the figure pipeline tests.

The figure pipeline sniffs, decodes, transposes and re-encodes what Zhihu's CDN serves, so
its tests need genuine encoder output rather than hand-typed magic bytes: a fake header
would pass a sniffer yet never exercise Pillow's decoders, EXIF handling or safety guards.

Every factory is deterministic (no randomness, no timestamps, fixed frame timing) so that
tests may compare bytes, hashes and file sizes across runs.
"""

from __future__ import annotations

import io
import struct
import zlib
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "svg": "image/svg+xml",
}

EXIF_ORIENTATION = 0x0112

# Pillow refuses to open anything above twice this many pixels; the bomb must clear it.
_BOMB_SIDE = 20_000


def _photo(width: int, height: int) -> Image.Image:
    """An RGB picture with smooth gradients and hard edges, so codecs have real work to do.

    A flat image would compress to almost nothing and hide size-dependent behaviour
    (re-encoding thresholds, truncation points) that the pipeline tests care about.
    """
    # Pillow's built-in 256x256 gradients, resized, are far cheaper than per-pixel loops.
    vertical = Image.linear_gradient("L").resize((width, height))
    horizontal = vertical.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (horizontal, vertical, radial))

    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.ellipse((w * 0.10, h * 0.15, w * 0.40, h * 0.60), fill=(230, 60, 40))
    draw.rectangle((w * 0.55, h * 0.50, w * 0.90, h * 0.85), fill=(30, 90, 200))
    draw.polygon([(w * 0.50, h * 0.05), (w * 0.70, h * 0.40), (w * 0.30, h * 0.40)], fill="white")
    draw.line((0, h - 1, w - 1, 0), fill="black", width=max(1, min(w, h) // 100))
    return image


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg(
    width: int = 1200, height: int = 800, *, progressive: bool = False, quality: int = 85
) -> bytes:
    """A photo-like RGB JPEG, baseline by default or progressive on request."""
    return _encode(_photo(width, height), "JPEG", quality=quality, progressive=progressive)


def _translucent(width: int, height: int) -> Image.Image:
    """The photo with alpha ramping left to right and one fully clear corner."""
    image = _photo(width, height)
    alpha = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((width, height))
    # A resized gradient never quite reaches 0, and the pipeline must see a truly clear pixel.
    ImageDraw.Draw(alpha).rectangle((0, 0, max(0, width // 4 - 1), max(0, height // 4 - 1)), fill=0)
    image.putalpha(alpha)
    return image


def png_alpha(width: int = 640, height: int = 480) -> bytes:
    """An RGBA PNG with partial transparency: alpha varies, and some pixels are fully clear."""
    return _encode(_translucent(width, height), "PNG")


def animated_gif(width: int = 320, height: int = 240, frames: int = 4) -> bytes:
    """A looping GIF with `frames` visibly different frames, 100 ms each."""
    images = []
    for index in range(frames):
        # Distinct colours per frame: Pillow merges identical consecutive frames on save,
        # which would silently lower n_frames.
        hue = (index * 67) % 256
        frame = Image.new("RGB", (width, height), (hue, 255 - hue, (index * 29) % 256))
        x = (index * width) // max(frames, 1)
        ImageDraw.Draw(frame).rectangle((x, 0, x + width // 8, height - 1), fill=(255, 255, 255))
        images.append(frame)
    return _encode(images[0], "GIF", save_all=True, append_images=images[1:], loop=0, duration=100)


def webp(width: int = 800, height: int = 600, *, alpha: bool = False) -> bytes:
    """A lossy WebP, RGB by default or RGBA with real transparency."""
    image = _translucent(width, height) if alpha else _photo(width, height)
    # method=2 trades a few percent of size for ~3x faster encoding than the default 4.
    return _encode(image, "WEBP", quality=80, method=2)


def exif_rotated_jpeg(width: int = 1200, height: int = 800, orientation: int = 6) -> bytes:
    """A JPEG stored as width x height whose EXIF says to display it rotated.

    Phones save sensor-order pixels plus an Orientation tag; the pipeline must honour the tag
    or portrait photos end up sideways.
    """
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    return _encode(_photo(width, height), "JPEG", quality=85, exif=exif.tobytes())


def equation_svg(tex: str = "E=mc^2") -> bytes:
    """An SVG shaped like the ones Zhihu's equation endpoint returns for `tex`."""
    # Zhihu's endpoint renders with MathJax; only the outline matters here, not the glyphs.
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="9ex" height="2.5ex"'
        ' viewBox="0 -800 3900 1080" role="img" focusable="false">'
        f"<title>{escape(tex)}</title>"
        '<g stroke="currentColor" fill="currentColor" stroke-width="0">'
        '<text x="0" y="0" font-size="900">'
        f"{escape(tex)}"
        "</text></g></svg>"
    )
    return svg.encode("utf-8")


def truncated_jpeg() -> bytes:
    """A JPEG cut short, as a dropped CDN connection leaves it: header fine, scan data missing."""
    data = jpeg()
    return data[: len(data) * 6 // 10]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def decompression_bomb() -> bytes:
    """A tiny, valid 1-bit PNG declaring 20000 x 20000 pixels, past Pillow's bomb guard.

    Built by hand because letting Pillow encode it takes most of a second and ~50 MB; here
    zlib streams the all-zero rows, so memory stays small and bytes stay deterministic.
    """
    side = _BOMB_SIDE
    # Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = bytes(1 + (side + 7) // 8)  # filter byte "None", then packed pixels
    rows_per_block = 1000
    compressor = zlib.compressobj(9)
    parts = []
    block = row * rows_per_block
    for _ in range(side // rows_per_block):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(row * (side % rows_per_block)))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def html_page() -> bytes:
    """The kind of error page a CDN or login wall returns while still claiming image/jpeg."""
    return (
        b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>403 Forbidden</title>'
        b"</head><body><h1>403 Forbidden</h1><p>Request blocked.</p></body></html>"
    )


def unknown_format() -> bytes:
    """Bytes no sniffer should accept: not an image Pillow knows, and not markup either."""
    return b"\x00\x01 not an image" * 10


def mpo(width: int = 800, height: int = 600) -> bytes:
    """A phone camera's MPO: a JPEG with a second image appended (depth map, preview)."""
    first = _photo(width, height)
    second = _photo(width // 2, height // 2)
    return _encode(first, "MPO", save_all=True, append_images=[second], quality=85)


def big_png(side: int, colour_type: int = 6) -> bytes:
    """A valid 8-bit PNG of side x side pixels (RGB: 2, RGBA: 6), built row by row with zlib.

    Encoding a 9400 px image with Pillow would take the memory the tests measure elsewhere.
    """
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    header = struct.pack(">IIBBBBB", side, side, 8, colour_type, 0, 0, 0)
    pixels = bytes(range(256)) * (side * channels // 256 + 1)
    row = b"\x00" + pixels[: side * channels]
    compressor = zlib.compressobj(6)
    parts = [compressor.compress(row * 100) for _ in range(side // 100)]
    parts += [compressor.compress(row * (side % 100)), compressor.flush()]
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )

"""Real MP4 files, made at test time with PyAV (FFmpeg's libx264 in its wheel): H.264 in an MP4
whose `moov` comes first, as Zhihu's CDN serves them, which Chromium plays."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw


@cache
def mp4(seconds: float = 1.0, width: int = 320, height: int = 180, fps: int = 10) -> bytes:
    """A video of a bar growing across a coloured field; the same bytes for the same arguments."""
    import av  # the test extra (pyproject.toml): only the tests that make videos need it

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "video.mp4"
        # `+faststart` rewrites the file with its index first: it needs a real file, not memory.
        with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            stream = out.add_stream(
                "libx264", rate=fps, options={"preset": "ultrafast", "threads": "1"}
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            frames = max(1, round(seconds * fps))
            for number in range(frames):
                for packet in stream.encode(
                    av.VideoFrame.from_image(_frame(number, frames, width, height))
                ):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        return path.read_bytes()


def _frame(number: int, frames: int, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (30, 90 + 120 * number // frames, 160))
    bar = (number + 1) * width // frames
    ImageDraw.Draw(image).rectangle(
        (0, height // 2 - 10, bar, height // 2 + 10), fill=(250, 200, 0)
    )
    return image

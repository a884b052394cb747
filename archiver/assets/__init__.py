"""Files the project ships (package data) and writes into the archive where posts need them."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from archiver.archive.layout import SHIPPED_IMAGE
from archiver.archive.storage import atomic_write, read_bytes

# A 640x360 PNG, committed: the same bytes on every machine and every run (never drawn at run
# time, never random), so a post that shows it never changes because of it.
SHIPPED_IMAGE_FILE = "default-headimg.png"


def shipped_image() -> bytes:
    return files(__name__).joinpath(SHIPPED_IMAGE_FILE).read_bytes()


def install_shipped_image(archive_dir: Path) -> bool:
    """Put the shipped head image at its site path in the archive; whether it was written.

    Written atomically, and only when the file is missing or differs: re-runs touch nothing.
    """
    target = archive_dir / SHIPPED_IMAGE
    data = shipped_image()
    if read_bytes(target) == data:
        return False
    atomic_write(target, data)
    return True

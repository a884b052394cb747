"""One run at a time per archive: an exclusive lock the operating system drops with the process.

flock, not a PID file: a run killed with SIGKILL leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from archiver.archive.storage import open_regular


class ArchiveBusy(RuntimeError):
    """Another process holds the archive's lock."""


class ArchiveLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: int | None = None

    def __enter__(self) -> ArchiveLock:
        return self.acquire()

    def acquire(self) -> ArchiveLock:
        """Hold the lock; ArchiveBusy when another process does, UnsafePath when the lock file
        is a link or no regular file, OSError when it cannot be made at all."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Never through a link: cron often runs as root, and a `lock` pointing at another file
        # would have this run truncate it. open_regular raises UnsafePath for anything else.
        handle = open_regular(self.path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 200).decode(errors="replace").strip() or "another process"
            os.close(handle)
            raise ArchiveBusy(
                f"Another run is using the archive {self.path.parent.parent} ({holder}); "
                "this one exits without touching it."
            ) from None
        os.ftruncate(handle, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(handle, f"pid {os.getpid()}, started {started}\n".encode())
        self.handle = handle
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def release(self) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing drops the lock
            self.handle = None

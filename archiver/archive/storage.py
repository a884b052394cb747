"""Files on disk: written whole or not at all, and never through a link or into a pipe."""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import tempfile
from functools import cache
from pathlib import Path

# Every temporary file of ours starts with this: the sweep removes these and nothing else (a
# Hexo `source/` folder holds the user's own files, dotfiles and `.tmp` files among them).
TEMP_PREFIX = ".zhihu-archiver-"
TEMP_SUFFIX = ".tmp"
# ARCHIVE_MAX_READ_SIZE's default, the most bytes a record, an index or a row is read to: well
# above the largest figure or video a crawl keeps by default (FIGURES_MAX_SIZE 20 MB,
# ARCHIVE_VIDEO_MAX_SIZE 50 MB), well below a machine's memory.
DEFAULT_MAX_READ = 128 * 1024 * 1024


class UnsafePath(OSError):
    """A path where the archive expects a regular file holds a link, a pipe, a device..."""


def atomic_write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one.

    The temporary file is a dotfile in the same folder (Hexo ignores dotfiles, and a rename is
    only atomic within one file system); mkstemp creates it exclusively, never through a link.
    Renaming over a symlink replaces the link itself, never its target. The file gets the mode a
    plain `open` would give it (0666 less the umask), so a blog built or served by another user
    can read it; `private` files (a secret) are their owner's alone (0600) from the start.
    """
    tmp = _temporary(path, data, sync=True, private=private)
    try:
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stage(path: Path, data: bytes) -> Path:
    """`data` in a new temporary file beside `path` (named as `atomic_write` names its own),
    neither synced nor in place yet: `put_in_place` does both, for many files at once."""
    return _temporary(path, data, sync=False)


def _temporary(path: Path, data: bytes, *, sync: bool, private: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX
    )
    try:
        # mkstemp makes every file 0600 whatever the umask: give it the mode open(2) would.
        if not private:
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


@cache
def umask() -> int:
    """The process's umask, read once (Linux tells it in /proc without changing it; elsewhere
    it is set and restored, which is safe only before threads start: the first call is at
    import)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


umask()


def put_in_place(staged: list[tuple[Path, Path]]) -> list[tuple[Path, OSError]]:
    """Staged files (temporary, target): each synced, then each renamed over its target, so a
    crash leaves either the old file or the new one, as with `atomic_write`. The syncs come
    first and together: one syncfs(2) per file system where there is one (Linux), else one
    fsync each. Returns the targets that could not be put in place, with why (their temporary file
    removed)."""
    failed: list[tuple[Path, OSError]] = []
    synced = []
    whole = _sync_file_systems([tmp for tmp, _ in staged])
    for tmp, target in staged:
        try:
            if not whole:
                _fsync(tmp)
            synced.append((tmp, target))
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            failed.append((target, exc))
    for tmp, target in synced:
        try:
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            failed.append((target, exc))
    return failed


def _sync_file_systems(paths: list[Path]) -> bool:
    """syncfs(2) once for each file system holding `paths`: one disk flush for them all, where
    an fsync each costs a flush each. False where there is no syncfs, or it failed."""
    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None:
        return False
    done: set[int] = set()
    try:
        for path in paths:
            if (device := path.stat().st_dev) in done:
                continue
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if syncfs(fd) != 0:
                    return False
            finally:
                os.close(fd)
            done.add(device)
    except OSError:
        return False
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_temporaries(root: Path) -> int:
    """Remove what atomic_write leaves when its process is killed mid-write; call under the lock."""
    removed = 0
    for leftover in root.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        if leftover.is_file() and not leftover.is_symlink():
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


def open_regular(path: Path, flags: int, mode: int = 0o644) -> int:
    """A descriptor of the regular file at `path`; UnsafePath for a link, a FIFO, a device.

    O_NOFOLLOW refuses a symlink at the last component, O_NONBLOCK keeps a FIFO from hanging
    the open, and fstat checks what was actually opened (no window between check and use).
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(
                errno.ELOOP, "a symbolic link, not a regular file", str(path)
            ) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(errno.EINVAL, "not a regular file", str(path))
    return fd


def inside(root: Path, relpath: str, folders: set[str] | None = None) -> Path:
    """`root / relpath` for a path read from a file of the archive (an index row, a CDXJ line),
    or UnsafePath when it would lead elsewhere: an absolute path, a `..`, an empty one, or a
    symbolic link on the way below `root` (the last component included).

    Such a path is never used, neither read nor written: a tampered index must not make a
    command running as root write `/etc/cron.d/x` or read `/root/.ssh/id_rsa`. `root` itself may
    be a link (a Hexo `source/` on another disk); nothing below it may be. `folders`: those
    found no link already, by a caller judging thousands of paths in one go (verify), which
    then looks at each folder once.
    """
    parts = [part for part in relpath.split("/") if part not in ("", ".")]
    odd = relpath.startswith("/") or "\x00" in relpath or "\\" in relpath
    if not parts or odd or ".." in parts:
        raise UnsafePath(errno.EINVAL, "not a plain path inside the archive", relpath)
    step = os.fspath(root)
    for n, part in enumerate(parts, start=1):
        step = f"{step}/{part}"
        if folders is not None and n < len(parts) and step in folders:
            continue
        try:
            mode = os.lstat(step).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break  # nothing further exists: whatever is made there is made as a folder or a file
        if stat.S_ISLNK(mode):
            raise UnsafePath(errno.ELOOP, "a symbolic link on the way", relpath)
        if folders is not None and n < len(parts):
            folders.add(step)
    return root.joinpath(*parts)


def read_bytes(path: Path, limit: int | None = None) -> bytes | None:
    """The file's bytes, None when there is none; UnsafePath when it is not a regular file,
    OSError (EFBIG) when it holds more than `limit` bytes."""
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if limit is not None and os.fstat(fd).st_size > limit:
            raise OSError(errno.EFBIG, f"holds more than {limit} bytes", str(path))
        return handle.read()

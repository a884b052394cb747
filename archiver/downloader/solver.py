"""Run Zhihu's challenge script, fetched from the network, in a sandbox:
archiver/downloader/jsdom/solve.js under Node.js with jsdom, inside bubblewrap.

jsdom alone is no sandbox (a script reaches Node's `process` through the window's constructor),
so the process around it is what keeps the script in. It gets no capability at all:
- bubblewrap (`bwrap`) gives it namespaces of its own: a network namespace with no interface
  up, and a mount namespace holding only /usr (and the /lib links), the loader's cache, the
  Node.js binary and the solver's folder, all read-only, and no /tmp, /proc, /dev or /run: no
  socket of any kind (a Unix socket's file is not there to connect to, none can be made), no
  file of ours to read or write; a PID namespace, so no other process exists to signal; IPC
  and UTS namespaces; a user namespace with the unprivileged uid 65534 and no capability; a
  session of its own (no terminal to push input into); and it dies with its parent;
- its environment holds no secret (the cookie is never given to it), its input only the page,
  the script, the page's URL and the User-Agent;
- Node's permission model besides (read the solver's folder only, no writes, no child
  processes, no workers);
- bounded memory: an address-space limit (`prlimit --as`) that ArrayBuffers and WebAssembly
  memories count against too, and V8's heap cap; bounded output: what it prints is read in
  chunks and it is stopped past a byte cap; a time limit, after which the whole sandbox is killed;
- only a `__zse_ck` of Zhihu's shape is taken back (archiver.zhihu.challenge), and every text of
  it that may reach a log goes through archiver.utils.logtext.loggable.
Where such a sandbox cannot be made, the solver is not used at all (SolverUnavailable).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import selectors
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from archiver.archive.storage import atomic_write, read_bytes
from archiver.utils.logtext import loggable
from archiver.zhihu.challenge import TOKEN

SOLVER_DIR = Path(__file__).parent / "jsdom"
INSIDE = "/solver"  # where the solver's folder is seen inside the sandbox
HEAP_MB = 128
# V8 reserves much address space it never uses (about 0.8 GB for jsdom with the arenas capped
# below); Zhihu's script runs with 0.9 GB. What is left bounds the script's ArrayBuffers and
# WebAssembly memories.
ADDRESS_SPACE = 1200 * 1000 * 1000
OUTPUT_LIMIT = 64 * 1024  # bytes of stdout and stderr together; the answer is a few hundred
START_UP = 5.0  # seconds for the sandbox and jsdom to start, on top of the script's own time
# Node.js with WebAssembly bounds checks that need no 10 GB reservation (else no WebAssembly
# memory fits under the address-space limit): --disable-wasm-trap-handler, 20.15 and 22.2 on.
NODE_SINCE = ((20, 15), (22, 2))
# Only what Node needs: no locale files, no timezone data; malloc arenas capped, each one
# reserves 64 MB of address space.
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2"}
SYSTEM_DIRS = ("bin", "lib", "lib32", "lib64", "libx32")  # links into /usr, or folders of their own


class SolverUnavailable(RuntimeError):
    """No sandboxed JavaScript runtime here; the message says what is missing."""


class SolverFailed(RuntimeError):
    """The script ran and gave no cookie; the message (one line, escaped) says what happened."""


@dataclass(frozen=True)
class Runtime:
    argv: tuple[str, ...]  # runs solve.js in its sandbox
    node_version: str


def find_runtime(node: str = "node") -> Runtime:
    """The sandboxed command for solve.js, tried once; SolverUnavailable with the reason else."""
    path = shutil.which(node)
    if path is None:
        raise SolverUnavailable(f"no Node.js ({node}) on PATH")
    if not (SOLVER_DIR / "node_modules" / "jsdom").is_dir():
        raise SolverUnavailable(f"jsdom is not installed (./run installs it in {SOLVER_DIR})")
    version = _version_of(path)
    if not _node_supported(version):
        raise SolverUnavailable(
            f"Node.js {version} cannot run WebAssembly under a memory limit "
            "(--disable-wasm-trap-handler): 20.15 or later is needed"
        )
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SolverUnavailable("no bubblewrap (bwrap) on PATH, which the sandbox is made with")
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise SolverUnavailable("no prlimit (util-linux) on PATH, which limits its memory")
    runtime = Runtime(_sandboxed(prlimit, bwrap, os.path.realpath(path), version), version)
    if why := _cannot_run(runtime.argv):
        raise SolverUnavailable(f"the sandbox cannot be made here: {why}")
    return runtime


def run_solver(
    runtime: Runtime, page: str, script: str, url: str, user_agent: str, timeout: float
) -> str:
    """The `__zse_ck=...` cookie string the script writes; SolverFailed otherwise.

    Blocking (a process): call it off the reactor.
    """
    request = {
        "page": page,
        "script": script,
        "url": url,
        "userAgent": user_agent,
        "waitMs": int(timeout * 1000),
    }
    ended = _run(runtime.argv, json.dumps(request).encode(), timeout + START_UP)
    if ended.stopped == "time":
        raise SolverFailed(f"the script wrote no cookie within {timeout:g} s (stopped)")
    if ended.stopped == "output":
        raise SolverFailed(f"the script printed more than {OUTPUT_LIMIT // 1024} KiB (stopped)")
    answer = _answer(ended.stdout)
    cookie, error = answer.get("cookie"), answer.get("error")
    if isinstance(cookie, str):
        return cookie
    if isinstance(error, str):
        raise SolverFailed(loggable(error))
    said = _last_line(ended.stderr)
    raise SolverFailed(
        f"the solver ended with status {ended.status} and no answer"
        + (f" ({said})" if said else "")
    )


def _sandboxed(prlimit: str, bwrap: str, node: str, version: str) -> tuple[str, ...]:
    """prlimit, then bwrap around Node running solve.js: see the module's docstring."""
    return (
        prlimit,
        f"--as={ADDRESS_SPACE}",
        "--",
        bwrap,
        "--unshare-all",
        "--unshare-user",  # even as root: uid 65534 and no capability inside
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--cap-drop",
        "ALL",
        *(("--disable-userns",) if _bwrap_version(bwrap) >= (0, 8) else ()),
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        *_system_dirs(),
        "--ro-bind-try",  # where the dynamic loader finds the libraries, as outside
        "/etc/ld.so.cache",
        "/etc/ld.so.cache",
        *(() if node.startswith("/usr/") else ("--ro-bind", node, node)),
        "--ro-bind",
        str(SOLVER_DIR),
        INSIDE,
        "--chdir",
        INSIDE,
        "--remount-ro",
        "/",
        "--",
        node,
        "--permission" if _version(version) >= (22, 0) else "--experimental-permission",
        f"--allow-fs-read={INSIDE}",
        f"--max-old-space-size={HEAP_MB}",
        "--disable-wasm-trap-handler",
        "--no-warnings",
        f"{INSIDE}/solve.js",
    )


def _system_dirs() -> list[str]:
    """/bin, /lib... as this system has them: links into /usr, or folders bound read-only."""
    argv: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", str(path.readlink()), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    return argv


@cache
def _cannot_run(argv: tuple[str, ...]) -> str:
    """Why the sandbox gives no answer here ("" when it does): a trivial script, run in it."""
    script = 'document.cookie = "__zse_ck=004_probe-m"'
    try:
        written = run_solver(Runtime(argv, ""), "<p>", script, "https://www.zhihu.com/", "", 5)
    except SolverFailed as exc:
        return str(exc)
    return "" if written == "__zse_ck=004_probe-m" else "it gave another answer"


@dataclass
class _Ended:
    status: int | None  # None: stopped
    stdout: bytes = b""
    stderr: bytes = b""
    stopped: str = ""  # "time" or "output" when it was stopped


@dataclass
class _Pipes:
    """The child's input still to write, and what it printed so far."""

    data: memoryview
    printed: dict[int, bytearray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(chunk) for chunk in self.printed.values())


def _run(argv: tuple[str, ...], data: bytes, timeout: float) -> _Ended:
    """Run `argv` with `data` as its input: what it printed, read as it comes and stopped past
    OUTPUT_LIMIT bytes or `timeout` seconds (not `capture_output`, which holds whatever comes)."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENVIRONMENT,  # nothing of ours, no cookie
        cwd="/",
        start_new_session=True,
    ) as process:
        try:
            return _exchange(process, data, time.monotonic() + timeout)
        finally:
            # Killing bwrap kills the sandbox: its init dies with it (--die-with-parent), and
            # every process of a PID namespace dies with its init.
            if process.poll() is None:
                process.kill()


def _exchange(process: subprocess.Popen[bytes], data: bytes, deadline: float) -> _Ended:
    assert process.stdin and process.stdout and process.stderr
    pipes = _Pipes(memoryview(data))
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdin, selectors.EVENT_WRITE)
        for stream in (process.stdout, process.stderr):
            selector.register(stream, selectors.EVENT_READ)
            pipes.printed[stream.fileno()] = bytearray()
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return _Ended(None, stopped="time")
            for key, _ in selector.select(left):
                if key.fileobj is process.stdin:
                    _write(selector, process, pipes)
                elif not _read(selector, key, pipes):
                    continue
                if pipes.size > OUTPUT_LIMIT:
                    return _Ended(None, stopped="output")
    try:
        status = process.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return _Ended(None, stopped="time")
    out, err = pipes.printed.values()
    return _Ended(status, bytes(out), bytes(err))


def _write(
    selector: selectors.BaseSelector, process: subprocess.Popen[bytes], pipes: _Pipes
) -> None:
    assert process.stdin
    try:
        # A pipe reported writable takes PIPE_BUF bytes without blocking.
        written = os.write(process.stdin.fileno(), pipes.data[: select.PIPE_BUF])
    except BrokenPipeError:
        written = len(pipes.data)  # it reads no more: what it got is its input
    pipes.data = pipes.data[written:]
    if not pipes.data:
        selector.unregister(process.stdin)
        process.stdin.close()


def _read(selector: selectors.BaseSelector, key: selectors.SelectorKey, pipes: _Pipes) -> bool:
    chunk = os.read(key.fd, 65536)
    if not chunk:
        selector.unregister(key.fileobj)
        return False
    pipes.printed[key.fd] += chunk
    return True


def _answer(stdout: bytes) -> dict[str, object]:
    try:
        answer = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return loggable(lines[-1].strip(), 200) if lines else ""


def _version_of(path: str) -> str:
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "v0"
    return done.stdout.strip()[:40] or "v0"


def _node_supported(version: str) -> bool:
    (old_major, old_minor), since = NODE_SINCE
    found = _version(version)
    return found >= since or (found[0] == old_major and found[1] >= old_minor)


def _version(text: str) -> tuple[int, ...]:
    """(major, minor) of `v20.15.1` or `bubblewrap 0.8.0`; (0, 0) when there is none."""
    match = re.search(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _bwrap_version(bwrap: str) -> tuple[int, ...]:
    return _version(_version_of(bwrap))


@dataclass(frozen=True)
class CachedToken:
    """A solved `__zse_ck`, kept for later runs: a secret, in a 0600 file under .archiver/."""

    value: str
    user_agent: str  # the token is bound to the browser (User-Agent) that earned it
    expires: str  # ISO 8601, UTC; "" when the script gave none
    replaces: str = ""  # sha256 of the ZHIHU_COOKIE token Zhihu refused, "" if none

    def usable(self, user_agent: str, now: datetime) -> bool:
        if self.user_agent != user_agent:
            return False
        return not self.expires or datetime.fromisoformat(self.expires) > now


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class TokenCache:
    """`<ARCHIVE_DIR>/.archiver/zse_ck.json`: the last solved token, readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> CachedToken | None:
        try:
            data = read_bytes(self.path)
            fields = json.loads(data) if data else None
            token = CachedToken(**fields) if isinstance(fields, dict) else None
            if token is not None and not _well_formed(token):
                return None
            return token
        except (OSError, ValueError, TypeError):
            return None  # a damaged or foreign file: solve again

    def save(self, token: CachedToken) -> None:
        # A secret: 0600 from its creation on, and renamed into place as it is.
        atomic_write(self.path, json.dumps(asdict(token), sort_keys=True).encode(), private=True)


def _well_formed(token: CachedToken) -> bool:
    """A cached token as this tool writes it; raises ValueError for a date it did not write."""
    if not all(isinstance(value, str) for value in asdict(token).values()):
        return False
    if token.expires and datetime.fromisoformat(token.expires).tzinfo is None:
        return False
    return TOKEN.fullmatch(token.value) is not None

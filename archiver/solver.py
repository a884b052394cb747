"""Run Zhihu's challenge script, fetched from the network, in a sandbox: archiver/jsdom/solve.js
under Node.js with jsdom.

jsdom alone is no sandbox (a script reaches Node's `process` through the window's constructor),
so the process itself is what keeps the script in:
- its environment holds no secret (the cookie is never given to it), its input only the page,
  the script, the page's URL and the User-Agent;
- Node's permission model: it may read the solver's own folder, nothing else, and may not
  write files, start processes or workers;
- a network namespace of its own with no interface up (`unshare`), so no socket reaches
  anything; where the system allows none, the solver is not used at all;
- a heap cap and a time limit, after which it is killed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from archiver.storage import atomic_write, read_bytes

SOLVER_DIR = Path(__file__).parent / "jsdom"
HEAP_MB = 128


class SolverUnavailable(RuntimeError):
    """No sandboxed JavaScript runtime here; the message says what is missing."""


class SolverFailed(RuntimeError):
    """The script ran and gave no cookie; the message says what happened."""


@dataclass(frozen=True)
class Runtime:
    argv: tuple[str, ...]  # runs solve.js in its sandbox
    node_version: str


def find_runtime(node: str = "node") -> Runtime:
    """The sandboxed command for solve.js; SolverUnavailable with the reason when there is none."""
    path = shutil.which(node)
    if path is None:
        raise SolverUnavailable(f"no Node.js ({node}) on PATH")
    if not (SOLVER_DIR / "node_modules" / "jsdom").is_dir():
        raise SolverUnavailable(f"jsdom is not installed (./run installs it in {SOLVER_DIR})")
    version = _node_version(path)
    major = int(version.lstrip("v").split(".")[0]) if version[1:2].isdigit() else 0
    if major < 20:
        raise SolverUnavailable(f"Node.js {version} has no permission model (20 or later has)")
    isolation = _network_isolation()
    if isolation is None:
        raise SolverUnavailable("no network namespace may be made here (unshare -n or -rn)")
    permission = "--permission" if major >= 22 else "--experimental-permission"
    argv = (
        *isolation,
        path,
        permission,
        f"--allow-fs-read={SOLVER_DIR}",
        f"--max-old-space-size={HEAP_MB}",
        "--no-warnings",
        str(SOLVER_DIR / "solve.js"),
    )
    return Runtime(argv, version)


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
    try:
        done = subprocess.run(
            runtime.argv,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout + 5,  # start-up, then the script's own time
            env={"PATH": os.defpath, "LANG": "C.UTF-8"},  # nothing of ours, no cookie
            cwd=SOLVER_DIR,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SolverFailed(f"the script wrote no cookie within {timeout:g} s (stopped)") from None
    try:
        answer = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and isinstance(answer.get("cookie"), str):
        return answer["cookie"]
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        raise SolverFailed(answer["error"][:200])
    raise SolverFailed(f"the solver ended with status {done.returncode} and no answer")


def _node_version(path: str) -> str:
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "v0"
    return done.stdout.strip() or "v0"


@cache
def _network_isolation() -> tuple[str, ...] | None:
    """The prefix that runs a command in a network namespace of its own, if any works here."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    for flags in ("-n", "-rn"):  # as root; else in a user namespace of its own
        try:
            ok = subprocess.run([unshare, flags, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ok.returncode == 0:
            return (unshare, flags)
    return None


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
            return CachedToken(**fields) if isinstance(fields, dict) else None
        except (OSError, ValueError, TypeError):
            return None  # a damaged or foreign file: solve again

    def save(self, token: CachedToken) -> None:
        # A secret: 0600 from its creation on, and renamed into place as it is.
        atomic_write(self.path, json.dumps(asdict(token), sort_keys=True).encode(), private=True)

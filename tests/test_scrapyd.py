"""Scrapyd as docs/guide.md says ("Running under Scrapyd"): a real Scrapyd on 127.0.0.1,
`scrapyd-deploy` from the checkout, `hotlist` scheduled against the fixture server, and what an
operator reads in the job's log.

Scrapyd runs in this environment's Python, which has the project installed (the guide's
`pip install scrapyd -e <checkout>`); the test installs nothing. Slow (an egg built with
setuptools, a daemon, crawls): `./run test -m "not slow"` leaves those out. Without Scrapyd, a
refusal still reaches a LOG_FILE given with -s, the way Scrapyd gives it.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from archiver.archive.lock import ArchiveLock
from tests.support.crawling import (
    FAST,
    PROJECT,
    SECRET_MARKERS,
    crawl,
    posts,
    scrapy_argv,
    scrapy_env,
    serving,
)
from tests.support.fixture_server import FixtureServer
from tests.support.hexo_site import unavailable

HOTLIST = "_posts/社交媒体/知乎/知乎热榜/"
SEED = f"{HOTLIST}answer-2583412650.md"
TARGET = "scrapyd-test"  # the deploy target of this test, in its own ~/.scrapy.cfg
# Never through a proxy: the environment's http_proxy must not see 127.0.0.1.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
slow = pytest.mark.slow


@dataclass
class Scrapyd:
    url: str
    home: Path
    output: Path  # Scrapyd's own log (twistd), where jobs' stdout and stderr go
    server: FixtureServer

    def get(self, endpoint: str, **query: str) -> dict:
        with LOCAL.open(f"{self.url}{endpoint}?{urlencode(query)}", timeout=30) as response:
            return json.load(response)

    def schedule(self, spider: str, settings: dict[str, str], **arguments: str) -> str:
        form = [("project", "archiver"), ("spider", spider), *arguments.items()]
        form += [("setting", f"{name}={value}") for name, value in settings.items()]
        request = urllib.request.Request(
            f"{self.url}schedule.json", data=urlencode(form).encode(), method="POST"
        )
        with LOCAL.open(request, timeout=60) as response:
            answer = json.load(response)
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def finish(self, job: str, timeout: float = 240.0) -> str:
        """Wait for the job to end; its log as Scrapyd serves it (`log_url`)."""
        deadline = time.monotonic() + timeout
        while True:
            done = [j for j in self.get("listjobs.json", project="archiver")["finished"]]
            if ended := [j for j in done if j["id"] == job]:
                break
            assert time.monotonic() < deadline, f"job {job} still running:\n{self.log()}"
            time.sleep(0.2)
        with LOCAL.open(self.url.rstrip("/") + ended[0]["log_url"], timeout=30) as response:
            return response.read().decode("utf-8")

    def exit_status(self, job: str) -> int:
        """What Scrapyd's own log says of the job's process (it does not serve the status)."""
        for line in self.log().splitlines():
            if f"job='{job}'" in line:
                if "Process finished:" in line:
                    return 0
                if died := re.search(r"Process died: exitstatus=(\d+)", line):
                    return int(died[1])
        raise AssertionError(f"no end of job {job} in Scrapyd's log:\n{self.log()}")

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")


def untracked_and_ignored() -> set[str]:
    """`git status` of the checkout: untracked and ignored paths (bytecode caches aside)."""
    if not shutil.which("git"):
        unavailable("git is needed to see what scrapyd-deploy leaves in the checkout")
    done = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        unavailable(f"the checkout is not a git work tree: {done.stderr.strip()}")
    lines = {ln for ln in done.stdout.splitlines() if ln[:2] in ("??", "!!")}
    return {ln for ln in lines if "__pycache__" not in ln and ".pytest_cache" not in ln}


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    scripts = Path(sys.executable).parent
    if not (scripts / "scrapyd").exists() or not (scripts / "scrapyd-deploy").exists():
        unavailable("scrapyd and scrapyd-client (the test extra) are needed")
    home = tmp_path_factory.mktemp("scrapyd")
    with socket.socket() as probe:  # a free port (Scrapyd takes no 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Scrapyd reads scrapyd.conf from its working directory (and ~/.scrapyd.conf: HOME is ours).
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "jobs_dir =\n"
        "poll_interval = 0.2\n"
        "max_proc = 1\n"
    )
    output = home / "scrapyd.out"
    with serving() as server, output.open("wb") as sink:
        # As the guide: Scrapyd started with the cookie in its environment (and here, the
        # fixture server as the proxy its jobs go through).
        process = subprocess.Popen(
            [scripts / "scrapyd"],
            cwd=home,
            env=scrapy_env(server, {"HOME": str(home)}),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        scrapyd = Scrapyd(f"http://127.0.0.1:{port}/", home, output, server)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, scrapyd.log()
                assert time.monotonic() < deadline, scrapyd.log()
                try:
                    if scrapyd.get("daemonstatus.json")["status"] == "ok":
                        break
                except OSError:
                    time.sleep(0.1)
            yield scrapyd
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def deployed(scrapyd):
    """`scrapyd-deploy` from the checkout, as the guide has it: the server's answer, and the
    untracked or ignored files before and after."""
    project = configparser.ConfigParser()
    project.read(PROJECT / "scrapy.cfg")
    name = project["deploy:local"]["project"]
    (scrapyd.home / ".scrapy.cfg").write_text(
        f"[deploy:{TARGET}]\nurl = {scrapyd.url}\nproject = {name}\n"
    )
    before = untracked_and_ignored()
    done = subprocess.run(
        [Path(sys.executable).parent / "scrapyd-deploy", TARGET],
        cwd=PROJECT,
        # no proxy (Scrapyd is on 127.0.0.1), the test's HOME (its .scrapy.cfg, no .netrc)
        env={
            **scrapy_env(scrapyd.server),
            "https_proxy": "",
            "http_proxy": "",
            "HOME": str(scrapyd.home),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    after = untracked_and_ignored()
    return done, before, after


@slow
def test_deploy_leaves_nothing_in_the_checkout(deployed):
    done, before, after = deployed
    assert done.returncode == 0, done.stderr
    # scrapyd-deploy writes setup.py when there is none, and setuptools its build/ folder.
    assert not after - before, f"scrapyd-deploy left {sorted(after - before)}"
    assert not (PROJECT / "build").exists()


@slow
def test_the_deployed_egg_lists_the_spiders(deployed, scrapyd):
    # scrapyd-deploy exits 0 whatever Scrapyd answers: an egg that cannot be imported (its
    # dependencies missing from Scrapyd's Python) is an answer with "status": "error".
    done, _, _ = deployed
    answer = json.loads(done.stdout)
    assert answer["status"] == "ok", answer.get("message", answer)
    assert answer["project"] == "archiver" and answer["spiders"] >= 3
    spiders = scrapyd.get("listspiders.json", project="archiver")["spiders"]
    assert {"hotlist", "archive", "feed"} <= set(spiders)


@slow
def test_a_scheduled_hotlist_archives_and_logs_its_summary(deployed, scrapyd, tmp_path):
    archive = tmp_path / "scheduled"
    fast = dict(setting.split("=", 1) for setting in FAST)
    job = scrapyd.schedule("hotlist", {"ARCHIVE_DIR": str(archive), **fast})
    log = scrapyd.finish(job)
    assert scrapyd.exit_status(job) == 0, log
    assert re.search(r"Summary: [1-9]\d* new, .*; exit status 0", log), log
    assert not scrapyd.server.gate.refused
    # the same posts as `scrapy crawl hotlist` writes
    direct = crawl(tmp_path / "direct")
    assert direct.code == 0, direct.log
    ours = {path: text for path, text in posts(archive).items() if path.startswith(HOTLIST)}
    assert SEED in ours
    assert ours == {path: text for path, text in posts(tmp_path / "direct").items() if path in ours}
    assert set(ours) == {path for path in posts(tmp_path / "direct") if path.startswith(HOTLIST)}
    for text in (log, scrapyd.log()):
        assert not [marker for marker in SECRET_MARKERS if marker in text]


@slow
def test_a_busy_archive_and_a_refusal_are_in_the_job_log(deployed, scrapyd, tmp_path):
    fast = dict(setting.split("=", 1) for setting in FAST)
    with ArchiveLock(tmp_path / ".archiver" / "lock"):
        busy = scrapyd.schedule("hotlist", {"ARCHIVE_DIR": str(tmp_path), **fast})
        busy_log = scrapyd.finish(busy)
    assert scrapyd.exit_status(busy) == 4, busy_log
    assert f"Another run is using the archive {tmp_path}" in busy_log
    refused = scrapyd.schedule("hotlist", {"ARCHIVE_DIR": str(tmp_path), **fast}, bogus="1")
    refused_log = scrapyd.finish(refused)
    assert scrapyd.exit_status(refused) == 2, refused_log
    assert "archiver: error: -a bogus='1': hotlist has no such argument" in refused_log
    assert not posts(tmp_path)


def test_the_guide_steps_install_the_project_where_scrapyd_runs():
    """The steps this test follows are the guide's: the checkout installed (editable) into
    Scrapyd's Python, with the Scrapyd this suite runs; the deploy target of scrapy.cfg; the
    spider scheduled with an ARCHIVE_DIR."""
    guide = (PROJECT / "docs" / "guide.md").read_text(encoding="utf-8")
    section = guide.split("## Running under Scrapyd\n", 1)[1].split("\n## ", 1)[0]
    steps = re.search(r"```sh\n(.*?)```", section, re.DOTALL)[1].replace("\\\n", " ")
    lines = [line.split("#", 1)[0].split() for line in steps.splitlines()]
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    pinned = next(
        r for r in pyproject["project"]["optional-dependencies"]["test"] if "scrapyd>" in r
    )
    install = next(line for line in lines if "install" in line and "-e" in line)
    assert f"'{pinned}'" in install and install[0].endswith("/bin/pip")
    venv = install[0].removesuffix("/bin/pip")
    # Scrapyd started from that environment, with the cookie in its environment
    assert any(f"{venv}/bin/scrapyd" in line and "cookie.env" in " ".join(line) for line in lines)
    checkout = install[install.index("-e") + 1]
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT / "scrapy.cfg")
    deploy = next(line for line in lines if "scrapyd-deploy" in line)
    assert deploy == ["cd", checkout, "&&", "./run", "scrapyd-deploy", "local"]
    schedule = next(line for line in lines if line and line[0] == "curl")
    assert schedule[1] == cfg["deploy:local"]["url"] + "schedule.json"
    form = [schedule[i + 1] for i, word in enumerate(schedule) if word == "-d"]
    assert f"project={cfg['deploy:local']['project']}" in form and "spider=hotlist" in form
    assert any(field.startswith("setting=ARCHIVE_DIR=/") for field in form)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("-a", "bogus=1"), "archiver: error: -a bogus='1': hotlist has no such argument"),
        (
            ("-s", "ZHIHU_ANSWERS_PER_QUESTION=abc"),
            "archiver: error: ZHIHU_ANSWERS_PER_QUESTION='abc' is not accepted",
        ),
    ],
)
def test_a_refusal_is_in_the_log_file_as_on_stderr(tmp_path, arguments, expected):
    log_file = tmp_path / "job.log"
    argv = [*scrapy_argv(tmp_path / "archive", ("crawl", "hotlist")), *arguments]
    done = subprocess.run(
        [*argv, "-s", f"LOG_FILE={log_file}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(expected) and done.stderr.count("\n") == 1, done.stderr
    assert expected in log_file.read_text(encoding="utf-8")

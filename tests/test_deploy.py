"""deploy/ and the operational defaults say what the docs say."""

import configparser
import os
import re
import shlex
import subprocess
import sys

from tests.support.project import PROJECT_SETTINGS, TESTS

ROOT = TESTS.parent
RUN_COMMANDS = re.search(r"\n  (crawl\|[^)]*)\)", (ROOT / "run").read_text())[1].split("|")


def crontab_runs() -> dict[str, list[str]]:
    """The crontab's `./run` command lines, by spider."""
    runs = {}
    for line in (ROOT / "deploy/crontab").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6  # five time fields and the command
        command = fields[5]
        assert ". ./deploy/cookie.env" in command
        run = shlex.split(command.split("&&")[2].split(">>")[0])
        assert run[:2] == ["./run", "crawl"] and run[1] in RUN_COMMANDS
        runs[run[2]] = run
    return runs


def test_crontab_line_runs_the_hotlist_with_the_cookie_file():
    assert "hotlist" in crontab_runs()


def test_crontab_follows_the_example_config(tmp_path):
    from archiver.zhihu.listing import parse_follow_config

    run = crontab_runs()["follow"]
    assert "config=deploy/follow.toml" in run
    example = (ROOT / "deploy/follow.toml.example").read_text(encoding="utf-8")
    assert parse_follow_config(example)
    assert "deploy/follow.toml" in (ROOT / ".gitignore").read_text().splitlines()


def test_systemd_units_agree():
    service = configparser.ConfigParser(strict=False)
    service.read_string((ROOT / "deploy/zhihu-archiver.service").read_text())
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].split()[1:3] == ["crawl", "hotlist"]
    assert service["Service"]["EnvironmentFile"].endswith("cookie.env")
    timer = configparser.ConfigParser()
    timer.read_string((ROOT / "deploy/zhihu-archiver.timer").read_text())
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


def test_cookie_files_stay_out_of_git():
    assert "deploy/cookie.env" in (ROOT / ".gitignore").read_text().splitlines()
    assert "ZHIHU_COOKIE=" in (ROOT / "deploy/cookie.env.example").read_text()


def test_scrapyd_deploy_target():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "scrapy.cfg")
    assert cfg["deploy:local"]["project"] == "archiver"
    assert cfg["deploy:local"]["url"].startswith("http://localhost:")


def test_politeness_defaults():
    s = PROJECT_SETTINGS
    assert s["DOWNLOAD_DELAY"] >= 1 and s["AUTOTHROTTLE_ENABLED"]
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] <= 2
    assert {429, 500, 502, 503, 504} <= set(s["RETRY_HTTP_CODES"])
    assert s["DOWNLOADER_MIDDLEWARES"]["archiver.downloader.retry.BackoffRetryMiddleware"]
    assert s["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert not s["TELNETCONSOLE_ENABLED"]


def test_every_setting_of_ours_is_on_the_settings_page():
    readme = (ROOT / "docs" / "settings.md").read_text()
    ours = [
        k
        for k in PROJECT_SETTINGS
        if k.startswith(("ZHIHU_", "ARCHIVE_", "FIGURES_", "HISTORY_", "RSS_", "RETRY_BACKOFF"))
    ]
    missing = [k for k in ours if f"`{k}`" not in readme]
    assert not missing


def test_run_help_is_the_projects_own_usage():
    for flag in ("--help", "-h", "help"):
        done = subprocess.run(["./run", flag], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0 and done.stderr == ""
        assert done.stdout.startswith("usage: ./run COMMAND")
        assert "./run crawl hotlist" in done.stdout and "./run test" in done.stdout
    bare = subprocess.run(["./run"], cwd=ROOT, capture_output=True, text=True)
    assert bare.returncode == 2 and bare.stderr.startswith("usage: ./run COMMAND")


def test_every_command_of_the_project_runs_through_run():
    commands = {p.stem for p in (ROOT / "archiver/commands").glob("*.py") if p.stem != "__init__"}
    assert commands <= set(RUN_COMMANDS)


def test_run_installs_the_test_tools_only_for_the_tests(tmp_path):
    """A crawl's environment holds the archiver's dependencies; `./run test` adds its tools."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    log = tmp_path / "pip.log"
    # A Python whose venv is a folder with this same stub as its python: it logs pip's arguments.
    python = stubs / "python"
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2" = "-m venv" ]; then\n'
        '  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0\n'
        "fi\n"
        f'[ "$2" = pip ] && echo "$*" >> {log}\n'
        "exit 0\n"
    )
    python.chmod(0o755)
    (stubs / "ruff").write_text("#!/bin/sh\nexit 0\n")
    (stubs / "ruff").chmod(0o755)
    venv = tmp_path / "venv"
    env = {**os.environ, "PYTHON": str(python), "VENV": str(venv)}
    env["PATH"] = f"{stubs}:{env['PATH']}"

    def run(*argv: str) -> list[str]:
        done = subprocess.run(["./run", *argv], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        installs = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return [line for line in installs if "install --quiet -e" in line]

    assert run("true") == ["-m pip install --quiet -e ."]  # no test extras for a crawl
    assert run("true") == []  # once
    assert run("test") == ["-m pip install --quiet -e .[test]"]
    assert run("true") == [] and run("test") == []  # the test environment serves both


def user_spiders() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_scrapy_list_shows_the_spiders_a_user_runs_only():
    assert "cookie" not in user_spiders()  # checkcookie's request, no spider of a user's
    assert {"archive", "daily", "feed", "follow", "hotlist"} <= set(user_spiders())


def test_run_help_lists_every_spider_and_every_command():
    usage = subprocess.run(["./run", "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    [crawl_line] = [line for line in usage.splitlines() if line.startswith("  crawl ")]
    listed = crawl_line.split()[1].split("|")
    commands = {p.stem for p in (ROOT / "archiver/commands").glob("*.py") if p.stem != "__init__"}
    # a spider with a command of its own (archive, recheck) is listed as that command
    assert sorted(listed) == sorted(s for s in user_spiders() if s not in commands)
    section = usage.split("\nCommands:\n", 1)[1].split("\nExit status", 1)[0]
    assert {c for c in commands if not re.search(rf"^  .*\b{c}\b", section, re.M)} == set()


def test_archive_offers_no_feed_export():
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "archive", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "-a NAME=VALUE" in done.stdout
    for option in ("-o FILE", "-O FILE", "--output", "--overwrite-output"):
        assert option not in done.stdout, option

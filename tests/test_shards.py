"""`archiver.rerender.shards` and `.workers`: rerender's worker processes, what they hand back
and how they fail."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archiver.archive.index import IndexEntry
from archiver.archive.layout import Layout
from archiver.archive.publish import Publisher, PublishOptions
from archiver.archive.storage import TEMP_PREFIX, stage
from archiver.pipelines.posts import publish_options
from archiver.rerender.rebuild import Captured
from archiver.rerender.shards import Rendered, Share, _in_place
from archiver.rerender.workers import ForkedWorker, WorkerFailed
from tests.support.crawling import PROJECT, scrapy_argv, wait_for
from tests.support.warcs import HOT, answers, page_url, write_run


def placed(key: str, path: str) -> Rendered:
    return Rendered(key, "placed", IndexEntry(key, "answer", key, "", "", "", path, 0, "h"))


def test_a_post_that_cannot_be_put_in_place_is_failed_and_the_rest_are_placed(tmp_path):
    (tmp_path / "a.md").write_bytes(b"old")
    (tmp_path / "b.md").mkdir()  # a folder where the post was: it cannot be replaced
    staged = [(stage(tmp_path / name, b"new"), tmp_path / name) for name in ("a.md", "b.md")]
    results = [
        placed("answer:1", "a.md"),
        Rendered("answer:2", "unchanged"),
        placed("answer:3", "b.md"),
    ]
    done = _in_place(results, staged, tmp_path)
    assert [r.state for r in done] == ["placed", "unchanged", "failed"]
    assert done[2].detail and (tmp_path / "a.md").read_bytes() == b"new"
    assert staged == [] and sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.md"]


class Broken(Share):
    def read(self, progress):
        raise RuntimeError("a bug in reading")


def test_a_worker_that_fails_says_so_with_its_traceback(tmp_path):
    captured = Captured(tmp_path, (), parse=False)
    worker = ForkedWorker(Broken(captured, Layout(tmp_path), PublishOptions(), 0, 1))
    try:
        with pytest.raises(WorkerFailed, match=r"(?s)a rerender worker failed:.*a bug in reading"):
            worker.read(lambda count: None)
    finally:
        worker.stop()
    assert worker.process.exitcode == 0  # it ended by itself, having said why


ANSWERS = 1500  # enough that a stop asked at the first post put in place finds work left


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    """An archive of ANSWERS hot-list answers, each captured, written and indexed as a crawl
    writes them (remote images)."""
    root = tmp_path_factory.mktemp("big") / "archive"
    folder = root / ".archiver" / "warc"
    folder.mkdir(parents=True)
    pages = [
        (page_url(str(n)), answers(str(n), str(10_000 + n), f"问题 {n}", f"<p>回答 {n}</p>" * 20))
        for n in range(ANSWERS)
    ]
    write_run(folder, 1, pages)
    settings = Settings()
    settings.setmodule("archiver.settings")
    settings.set("ARCHIVE_DIR", str(root))
    layout = Layout.of(settings)
    publisher = Publisher.open(root, layout.index, publish_options(settings))
    try:
        for post in Captured(folder, HOT).posts.values():
            publisher.publish(replace(post, categories=HOT))
    finally:
        publisher.close()
    return root


@pytest.fixture
def archive(big_archive, tmp_path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(big_archive, copy)
    return copy


def rerender_until_a_post_is_placed(archive: Path) -> subprocess.Popen[str]:
    """`rerender -j 2` rewriting every post, in a process group of its own, once it has said
    a post was put in place."""
    argv = scrapy_argv(archive, ("rerender", "-j", "2"), ("ARCHIVE_FRONT_MATTER_UPDATED=True",))
    process = subprocess.Popen(
        argv,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("Updated ") or " Updated " in line:
            return process
    raise AssertionError(f"rerender ended before it placed a post: {process.wait()}")


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def leftovers(archive: Path) -> list[Path]:
    return list(archive.rglob(f"{TEMP_PREFIX}*"))


def test_a_ctrl_c_stops_rerender_and_its_workers_with_the_index_agreeing(archive):
    process = rerender_until_a_post_is_placed(archive)
    os.killpg(process.pid, signal.SIGINT)  # a Ctrl-C at the terminal reaches the whole group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    assert "Traceback" not in err
    summary = out.splitlines()[-1]
    found = re.match(
        r"Rerender: interrupted \(SIGINT\) after (\d+) of (\d+) posts: (\d+) changed", summary
    )
    assert found, summary
    assert int(found[1]) < int(found[2]) == ANSWERS and int(found[3]) > 0
    assert group_gone(process.pid)  # no worker outlives it
    assert leftovers(archive) == []
    verify = subprocess.run(
        scrapy_argv(archive, ("verify",)), cwd=PROJECT, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout  # every post as the index records it


def test_rerender_workers_stop_when_the_command_is_killed(archive):
    process = rerender_until_a_post_is_placed(archive)
    process.kill()  # the command alone: its workers are told by the kernel
    _, err = process.communicate(timeout=60)
    wait_for(lambda: group_gone(process.pid))
    assert leftovers(archive) == [], err

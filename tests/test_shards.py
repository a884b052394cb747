"""`archiver.shards`: rerender's worker processes, what they hand back and how they fail."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from archiver.index import IndexEntry
from archiver.rebuild import Captured
from archiver.shards import ForkedWorker, Rendered, Share, WorkerFailed, _in_place
from archiver.storage import stage


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
    worker = ForkedWorker(Broken(captured, Settings(), 0, 1))
    try:
        with pytest.raises(WorkerFailed, match=r"(?s)a rerender worker failed:.*a bug in reading"):
            worker.read(lambda count: None)
    finally:
        worker.stop()
    assert worker.process.exitcode == 0  # it ended by itself, having said why

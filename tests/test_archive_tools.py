"""CDXJ indexes, WARC rotation, `scrapy verify`, `rerender` and `package`, on real archives made
by crawls through the fixture server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from crawling import PROJECT, crawl, mtimes, posts
from test_webarchive import files, replay
from warcio.archiveiterator import ArchiveIterator

from archiver.warcindex import cdxj_path, read_cdxj

LOCAL = ("ARCHIVE_IMAGES=local",)
POSTS = "_posts/社交媒体/知乎/知乎热榜"


def scrapy(archive: Path, *command: str, settings: tuple[str, ...] = LOCAL):
    argv = [sys.executable, "-m", "scrapy", *command, "-s", f"ARCHIVE_DIR={archive}"]
    for setting in settings:
        argv += ["-s", setting]
    done = subprocess.run(argv, cwd=PROJECT, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    archive = tmp_path_factory.mktemp("made") / "archive"
    run = crawl(archive, settings=LOCAL)
    assert run.code == 0, run.log
    return archive


@pytest.fixture
def archive(made, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(made, copy)
    return copy


def site_mtimes(archive: Path) -> dict[str, int]:
    """Modification times of the site's files (the index and lock change with every run)."""
    return {p: t for p, t in mtimes(archive).items() if "/.archiver/" not in p}


def the_warc(archive: Path) -> Path:
    [warc] = (archive / ".archiver" / "warc").glob("*.warc.gz")
    return warc


def test_each_warc_gets_a_sound_cdxj_index_of_its_responses(made):
    warc = the_warc(made)
    assert cdxj_path(warc).name == warc.name.replace(".warc.gz", ".cdxj")
    lines = cdxj_path(warc).read_text().splitlines()
    assert lines == sorted(lines)  # what pywb and ReplayWeb.page expect
    listed = read_cdxj(warc)
    with warc.open("rb") as handle:
        records = ArchiveIterator(handle)
        offsets = [records.get_record_offset() for r in records if r.rec_type == "response"]
    assert listed is not None and sorted(c.offset for c in listed) == offsets


def test_rotated_warcs_each_indexed_and_replayed_through_the_indexes(tmp_path, made):
    archive = tmp_path / "rotated"
    run = crawl(archive, settings=("WARC_MAX_SIZE=20000",))
    assert run.code == 0, run.log
    warcs = sorted((archive / ".archiver" / "warc").glob("*.warc.gz"))
    assert len(warcs) > 2
    assert all(read_cdxj(w) is not None for w in warcs)
    code, log = replay(tmp_path / "again", archive / ".archiver" / "warc")
    assert code == 0, log
    assert f"({len(warcs)} file(s) by their index, 0 read whole)" in log
    assert files(tmp_path / "again") == files(archive)


def test_a_warc_without_a_sound_index_is_read_whole(archive, tmp_path):
    warc = the_warc(archive)
    cdxj_path(warc).write_text("not an index\n")
    code, log = replay(tmp_path / "again", warc.parent)
    assert code == 0, log
    assert "(0 file(s) by their index, 1 read whole)" in log
    cdxj_path(warc).unlink()
    code, log = replay(tmp_path / "third", warc.parent)
    assert "(0 file(s) by their index, 1 read whole)" in log


def test_verify_passes_on_a_whole_archive(archive):
    code, out, err = scrapy(archive, "verify", "--warc")
    assert code == 0, out + err
    [line] = out.splitlines()
    assert re.fullmatch(
        r"Verify: \d+ posts, 9 figures checked, WARC files read; 0 problem\(s\); exit status 0",
        line,
    )


def test_verify_finds_each_kind_of_damage_and_repair_mends_what_it_can(archive):
    before = posts(archive)
    post = f"{POSTS}/answer-3012345678.md"
    edited = f"{POSTS}/answer-2583412650.md"
    (archive / post).unlink()
    (archive / edited).write_bytes(b"edited by hand\n")
    figures = sorted((archive / "images/zhimg").iterdir())
    gone, altered = figures[0], figures[1]
    original = altered.read_bytes()
    gone_bytes = gone.read_bytes()
    gone.unlink()
    altered.write_bytes(b"junk")
    (archive / "images/mine.png").write_bytes(b"the user's")
    (archive / POSTS / ".zhihu-archiver-x.md.1234.tmp").write_bytes(b"half")
    code, out, _ = scrapy(archive, "verify")
    assert code == 1
    assert f"missing_post: {post}" in out
    assert f"altered_post: {edited} (sha256" in out
    assert f"missing_figure: {gone.relative_to(archive).as_posix()}" in out
    assert f"altered_figure: {altered.relative_to(archive).as_posix()}" in out
    assert "unknown_file: images/mine.png (not in the index)" in out
    assert f"temporary_file: {POSTS}/.zhihu-archiver-x.md.1234.tmp" in out
    assert "broken_src: " in out  # the posts that show the missing figure
    assert out.splitlines()[-1].endswith("problem(s); exit status 1")

    code, out, _ = scrapy(archive, "verify", "--repair")
    assert code == 1, out  # the user's file stays, and is still reported
    assert "not repaired: unknown_file: images/mine.png: not the archive's" in out
    assert f"repaired: missing_post: {post}: rebuilt from the WARC capture (as recorded)" in out
    assert posts(archive) == before  # both posts byte for byte as they were
    assert gone.read_bytes() == gone_bytes and altered.read_bytes() == original
    assert not (archive / POSTS / ".zhihu-archiver-x.md.1234.tmp").exists()
    assert re.match(r"Verify: \d+ posts, 9 figures checked; 1 problem\(s\)", out.splitlines()[-1])
    (archive / "images/mine.png").unlink()
    assert scrapy(archive, "verify")[0] == 0


def test_verify_warc_finds_a_damaged_capture_and_indexes_an_unindexed_one(archive):
    warc = the_warc(archive)
    cdxj_path(warc).unlink()
    code, out, _ = scrapy(archive, "verify", "--warc", "--repair")
    assert f"unindexed_warc: {warc}" in out and f"repaired: unindexed_warc: {warc}: indexed" in out
    assert code == 0, out
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) // 2])
    code, out, _ = scrapy(archive, "verify", "--warc", "--repair")
    assert code == 1
    assert f"damaged_warc: {warc} (damaged after" in out
    assert "not repaired: damaged_warc" in out
    assert scrapy(archive, "verify")[0] == 0  # without --warc the files are not read


def test_rerender_rewrites_exactly_the_posts_a_setting_changes(archive):
    before, times = posts(archive), site_mtimes(archive)
    code, out, _ = scrapy(archive, "rerender")
    assert code == 0, out
    pages = len([p for p in before if "/answer-" not in p])  # the hot list's own pages
    assert re.match(
        rf"Rerender: \d+ posts: 0 changed, 3 unchanged, 0 failed, {pages} not in the captures; "
        r"1 WARC file\(s\) by index, 0 read whole; [\d.]+ s; exit status 0$",
        out.splitlines()[-1],
    )
    assert site_mtimes(archive) == times

    code, out, err = scrapy(  # two worker processes, one per captured page
        archive, "rerender", "-j", "2", settings=(*LOCAL, "ARCHIVE_FRONT_MATTER_UPDATED=True")
    )
    assert code == 0, out + err
    after = posts(archive)
    changed = {path for path in after if after[path] != before[path]}
    answers = {path for path in before if "/知乎热榜/answer-" in path}
    assert changed == answers and len(answers) == 3
    for path in changed:
        assert b"\nupdated: " in after[path]
        assert after[path].replace(after[path].split(b"\nupdated: ")[1].split(b"\n")[0], b"")
        assert f"Updated {path}: " in err
    assert re.match(r"Rerender: \d+ posts: 3 changed, 0 unchanged", out.splitlines()[-1])
    untouched = {p: t for p, t in site_mtimes(archive).items() if "/answer-" not in p}
    assert untouched == {p: t for p, t in times.items() if "/answer-" not in p}
    # In one process, back to the crawl's settings: the crawl's own bytes again.
    code, out, _ = scrapy(archive, "rerender", "--jobs", "1")
    assert code == 0 and re.match(r"Rerender: \d+ posts: 3 changed", out.splitlines()[-1]), out
    assert posts(archive) == before


def test_package_writes_a_wacz_its_validator_accepts(archive, tmp_path):
    out_file = tmp_path / "year.wacz"
    code, out, err = scrapy(
        archive, "package", "--since", "2000-01-01", "--until", "2999-12-31", "-o", str(out_file)
    )
    assert code == 0, out + err
    assert f"Package: 1 WARC file(s) into {out_file}; exit status 0" in out
    done = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out_file)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "Validation succeeded" in done.stdout, done.stdout
    with zipfile.ZipFile(out_file) as wacz:
        header, *listed = map(json.loads, wacz.read("pages/pages.jsonl").splitlines())
    assert header["format"] == "json-pages-1.0"
    # A page for each captured response that holds archived items, with its title and time.
    assert len(listed) == 2  # the answers pages of the two questions (three answers)
    for page in listed:
        assert re.search(r"/api/v4/questions/\d+/(answers|feeds)\?", page["url"]), page
        assert page["title"] and re.match(r"\d{4}-\d\d-\d\dT", page["ts"]), page
    code, _, err = scrapy(
        archive,
        "package",
        "--since",
        "1990-01-01",
        "--until",
        "1990-01-02",
        "-o",
        str(tmp_path / "none.wacz"),
    )
    assert code == 1 and "no WARC file of a run from 1990-01-01 to 1990-01-02" in err


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("verify", "extra"), "verify: error: verify takes no arguments, not 'extra'"),
        (("rerender", "x"), "rerender: error: rerender takes no arguments, not 'x'"),
        (("rerender", "-j", "0"), "rerender: error: --jobs is a number from 1 to 64, not '0'"),
        (
            ("package", "--since", "2026-02-30", "--until", "2026-03-01", "-o", "a.wacz"),
            "package: error: --since is YYYY-MM-DD, like 2026-11-25, not '2026-02-30'",
        ),
        (
            ("package", "--since", "2026-03-01", "--until", "2026-03-01", "-o", "a.zip"),
            "package: error: -o is the WACZ file to write, FILE.wacz, not 'a.zip'",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(archive, command, message):
    code, _, err = scrapy(archive, *command)
    assert code == 2
    assert err.strip() == message


def test_a_folder_that_is_no_archive_is_refused(tmp_path):
    for command in ("verify", "rerender"):
        code, _, err = scrapy(tmp_path, command)
        assert code == 2 and err.strip().startswith(
            f"{command}: error: {tmp_path} is not an archive"
        )
    assert not (tmp_path / ".archiver").exists()

"""CDXJ indexes, WARC rotation, `scrapy verify`, `rerender` and `package`, on real archives made
by crawls through the fixture server."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.archive.lock import ArchiveLock
from archiver.webarchive.cdxj import cdxj_path, read_cdxj
from tests.support.crawling import (
    PROJECT,
    crawl,
    files,
    mtimes,
    posts,
    replay,
    scrapy_command,
    slow_crawl,
    wait_for,
)

LOCAL = ("ARCHIVE_IMAGES=local",)
POSTS = "_posts/社交媒体/知乎/知乎热榜"


def scrapy(archive: Path, *command: str, settings: tuple[str, ...] = LOCAL):
    done = scrapy_command(archive, *command, settings=settings)
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
        (
            ("package", "-o", "/nonexistent/dir/x.wacz"),
            "package: error: -o /nonexistent/dir/x.wacz: no folder /nonexistent/dir to write it in",
        ),
        (
            ("package", "--since", "2000-01-01", "-o", "/nonexistent/dir/x.wacz"),
            "package: error: -o /nonexistent/dir/x.wacz: no folder /nonexistent/dir to write it in",
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


def index_db(archive: Path) -> sqlite3.Connection:
    return sqlite3.connect(archive / ".archiver" / "index.sqlite3")


def test_an_index_row_that_leads_out_of_the_archive_is_reported_and_left_alone(archive):
    """A tampered index: a post path with `..`, a figure at an absolute path, a thumbnail
    behind a symbolic link. verify reports each, `--repair` and rerender write none of them."""
    outside = archive.parent / "outside"
    outside.mkdir()
    post = f"{POSTS}/answer-3012345678.md"
    with index_db(archive) as db:
        db.execute("UPDATE posts SET path = '../PWNED-post.md' WHERE path = ?", (post,))
        [(key,)] = db.execute("SELECT key FROM figures LIMIT 1").fetchall()
        db.execute("UPDATE figures SET path = ? WHERE key = ?", (f"{outside}/PWNED.jpg", key))
        [(thumbs,)] = db.execute(
            "SELECT thumbnails FROM figures WHERE key != ? LIMIT 1", (key,)
        ).fetchall()
    # A folder of thumbnails replaced by a link to elsewhere: its figure's thumbnail is there.
    [thumb] = json.loads(thumbs).values()
    folder = (archive / thumb).parent
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)

    code, out, err = scrapy(archive, "verify", "--repair")
    assert code == 1, out + err
    assert "Traceback" not in err
    assert "unsafe_path: ../PWNED-post.md (not a plain path inside the archive)" in out
    assert f"unsafe_path: {outside}/PWNED.jpg (not a plain path inside the archive)" in out
    assert f"unsafe_path: {thumb} (a symbolic link on the way)" in out
    assert "not repaired: unsafe_path: ../PWNED-post.md: " in out
    assert not (archive.parent / "PWNED-post.md").exists()
    assert list(outside.iterdir()) == []  # no figure, no thumbnail written there
    code, out, err = scrapy(archive, "rerender")
    assert code == 1, out + err
    assert "rerender: not rendered: ../PWNED-post.md: unsafe_path: " in err
    assert not (archive.parent / "PWNED-post.md").exists() and list(outside.iterdir()) == []


BOMB = 400 * 1024 * 1024  # what each bomb inflates to
READ_LIMIT = ("ARCHIVE_MAX_READ_SIZE=1048576",)


def gzip_stream(parts, level: int = 9) -> bytes:
    """One gzip member of these byte strings, made without holding them all."""
    squeeze = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join(squeeze.compress(part) for part in parts) + squeeze.flush()


def response_record(url: str, http: bytes, body_parts, body_length: int) -> list[bytes]:
    """A WARC response record's bytes, in parts (the body's given as made)."""
    block = len(http) + body_length
    head = (
        "WARC/1.1\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\nWARC-Target-URI: {url}\r\n"
        "WARC-Date: 2999-12-31T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {block}\r\n\r\n"
    ).encode()
    return [head, http, *body_parts, b"\r\n\r\n"]


def zeros(size: int):
    return (bytes(1024 * 1024) for _ in range(size // (1024 * 1024)))


def plant_bombs(archive: Path) -> tuple[Path, str, str]:
    """A later run's WARC holding the two answers pages of the crawl again, each a gzip
    bomb: one whose record inflates to 400 MB, one whose body does (Content-Encoding: gzip),
    indexed. Returns the file and the two URLs."""
    urls = [c.url for c in read_cdxj(the_warc(archive)) or [] if "/answers?" in c.url][:2]
    first, second = urls
    json_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
    record = gzip_stream(
        response_record(first, (json_head + "\r\n").format(BOMB).encode(), zeros(BOMB), BOMB)
    )
    body = gzip_stream(zeros(BOMB))
    http = (json_head + "Content-Encoding: gzip\r\n\r\n").format(len(body)).encode()
    encoded = gzip_stream(response_record(second, http, [body], len(body)), level=1)
    warc = archive / ".archiver" / "warc" / "hotlist-29991231T000000Z-1.warc.gz"
    warc.write_bytes(record + encoded)
    lines = [
        f'x 29991231000000 {{"url": "{url}", "mime": "application/json", "status": "200", '
        f'"length": "{length}", "offset": "{offset}", "filename": "{warc.name}"}}\n'
        for url, offset, length in ((first, 0, len(record)), (second, len(record), len(encoded)))
    ]
    cdxj_path(warc).write_text("".join(lines))
    return warc, first, second


def peak_rss_mb(
    archive: Path, *command: str, settings: tuple[str, ...]
) -> tuple[int, str, str, float]:
    """`scrapy` as `scrapy()` runs it, and the largest resident size (MB) of it and its workers."""
    argv = [sys.executable, "-m", "scrapy", *command, "-s", f"ARCHIVE_DIR={archive}"]
    for setting in settings:
        argv += ["-s", setting]
    measure = (
        "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]);"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(f'peak {peak}', file=sys.stderr); sys.exit(done.returncode)"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, *argv], cwd=PROJECT, capture_output=True, text=True
    )
    peak = int(done.stderr.rsplit("peak ", 1)[1]) / 1024
    return done.returncode, done.stdout, done.stderr.rsplit("peak ", 1)[0], peak


def test_a_gzip_bomb_in_a_capture_is_a_damaged_record_read_no_further(archive):
    warc, first, second = plant_bombs(archive)
    assert warc.stat().st_size < 2 * 1024 * 1024  # two bombs of 400 MB each, inflated
    code, out, err, peak = peak_rss_mb(archive, "rerender", settings=(*LOCAL, *READ_LIMIT))
    assert code == 1, out + err
    assert "Traceback" not in err
    assert (
        f"rerender: damaged record: {warc} at offset 0: {first}: the record at offset 0 holds "
        "more than 1048576 bytes once decompressed" in err
    )
    assert f": {second}: its body holds more than 1048576 bytes once decoded" in err
    assert re.search(r"read whole, 2 damaged record\(s\); [\d.]+ s; exit status 1$", out), out
    print(f"rerender peaked at {peak:.0f} MB")
    assert peak < 300, f"rerender peaked at {peak:.0f} MB"

    code, out, err, peak = peak_rss_mb(archive, "verify", "--warc", settings=(*LOCAL, *READ_LIMIT))
    assert code == 1 and "Traceback" not in err, out + err
    assert (
        f"damaged_warc: {warc} (damaged after 0 whole records (the record at offset 0 holds "
        "more than 1048576 bytes once decompressed))" in out
    )
    assert peak < 300, f"verify --warc peaked at {peak:.0f} MB"


def misdirect(archive: Path) -> None:
    """The CDXJ lines of the two answers pages pointed elsewhere: the first at the file's
    warcinfo record, the second at the first page's record."""
    index = cdxj_path(the_warc(archive))
    lines = index.read_text().splitlines(keepends=True)
    pages = [n for n, line in enumerate(lines) if "/answers?" in line.split(" ", 2)[2]][:2]
    first = json.loads(lines[pages[0]].split(" ", 2)[2])
    for n, offset in zip(pages, ("0", first["offset"]), strict=True):
        key, stamp, fields = lines[n].split(" ", 2)
        lines[n] = f"{key} {stamp} {json.dumps({**json.loads(fields), 'offset': offset})}\n"
    index.write_text("".join(lines))


def test_a_cdxj_line_pointing_at_another_record_is_found_by_reading_the_file(archive):
    before = posts(archive)
    misdirect(archive)
    code, out, err = scrapy(archive, "rerender")
    assert code == 0, out + err
    assert "Traceback" not in err
    assert re.search(r"Rerender: \d+ posts: 0 changed, 3 unchanged, 0 failed", out), out
    [warned] = [line for line in err.splitlines() if "CDXJ index points at other records" in line]
    assert warned.startswith(f"rerender: WARC {the_warc(archive)}: ")  # once, not per worker
    post = f"{POSTS}/answer-3012345678.md"
    (archive / post).unlink()
    code, out, err = scrapy(archive, "verify", "--repair")
    assert code == 0 and "Traceback" not in err, out + err
    assert f"repaired: missing_post: {post}: rebuilt from the WARC capture (as recorded)" in out
    assert posts(archive) == before
    # Reading every file, verify sees the index does not match it, and makes it again.
    code, out, _ = scrapy(archive, "verify", "--warc", "--repair")
    assert f"unindexed_warc: {the_warc(archive)} (its CDXJ index names other records)" in out
    assert code == 0, out
    assert scrapy(archive, "verify", "--warc")[0] == 0


def test_a_lock_that_is_a_link_stops_every_command_in_one_line(archive, tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    lock = archive / ".archiver" / "lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    wacz = tmp_path / "x.wacz"
    for command in (("verify",), ("rerender",), ("history",), ("package", "-o", str(wacz))):
        code, out, err = scrapy(archive, *command)
        assert code == 2, (command, out + err)
        assert err.strip() == (
            f"{command[0]}: error: {lock} is a symbolic link, not a regular file: refusing it"
        )
    assert victim.read_text() == "precious\n" and not wacz.exists()


def test_package_waits_for_no_run_it_takes_the_lock(archive, tmp_path):
    with ArchiveLock(archive / ".archiver" / "lock"):
        code, _, err = scrapy(archive, "package", "-o", str(tmp_path / "x.wacz"))
    assert code == 4, err
    assert "Another run is using the archive" in err and not (tmp_path / "x.wacz").exists()


def test_package_without_days_packages_the_whole_archive(archive, tmp_path):
    warc = the_warc(archive)
    (warc.parent / "mine.warc.gz").write_bytes(warc.read_bytes())  # not named as a run's
    out_file = tmp_path / "all.wacz"
    code, out, err = scrapy(archive, "package", "-o", str(out_file))
    assert code == 0, out + err
    assert f"Package: 2 WARC file(s) into {out_file}; exit status 0" in out
    with zipfile.ZipFile(out_file) as wacz:
        names = wacz.namelist()
    assert "archive/mine.warc.gz" in names and f"archive/{warc.name}" in names


def test_a_run_killed_mid_way_leaves_a_warc_verify_repair_indexes(tmp_path, fixture_server):
    """A SIGKILL leaves the run's WARC without its index: `verify` (without --warc) says so,
    and `verify --repair` alone indexes it."""
    victim = slow_crawl(tmp_path, fixture_server(delay=0.4))
    wait_for(lambda: bool(posts(tmp_path)) or victim.poll() is not None)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    [warc] = (tmp_path / ".archiver" / "warc").glob("*.warc.gz")
    assert not cdxj_path(warc).exists()
    code, out, _ = scrapy(tmp_path, "verify")
    assert code == 1 and f"unindexed_warc: {warc} (no CDXJ index beside it" in out, out
    code, out, _ = scrapy(tmp_path, "verify", "--repair")
    assert re.search(rf"repaired: unindexed_warc: {re.escape(str(warc))}: indexed", out), out
    assert read_cdxj(warc) is not None
    _, out, _ = scrapy(tmp_path, "verify", "--warc")
    assert "unindexed_warc" not in out, out

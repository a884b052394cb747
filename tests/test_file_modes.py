"""Files the archive writes get the user's umask, so a blog built or served by another user can
read them; only what holds a secret (the challenge token's cache) stays its owner's alone."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archiver.archive import storage
from archiver.archive.index import ArchiveIndex
from archiver.archive.storage import atomic_write, put_in_place, stage
from archiver.archive.writer import PostWriter
from archiver.downloader.solver import CachedToken, TokenCache
from tests.support.crawling import crawl
from tests.support.hexo_site import hexo_env, make_site
from tests.support.project import make_post


@contextmanager
def umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    storage.umask.cache_clear()
    try:
        yield
    finally:
        os.umask(before)
        storage.umask.cache_clear()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_get_the_mode_the_umask_gives(tmp_path, mask, expected):
    with umask(mask):
        atomic_write(tmp_path / "whole.md", b"x")
        staged = tmp_path / "staged.md"
        assert put_in_place([(stage(staged, b"y"), staged)]) == []
    assert mode(tmp_path / "whole.md") == expected
    assert mode(staged) == expected


def test_a_private_file_is_its_owners_alone_whatever_the_umask(tmp_path):
    with umask(0o000):
        atomic_write(tmp_path / "secret", b"x", private=True)
        TokenCache(tmp_path / "zse_ck.json").save(CachedToken("004_x-y", "Mozilla/5.0", ""))
    assert mode(tmp_path / "secret") == 0o600
    assert mode(tmp_path / "zse_ck.json") == 0o600


def test_posts_written_by_the_writer_are_readable_by_others(tmp_path):
    with umask(0o022):
        index = ArchiveIndex(tmp_path / ".archiver" / "index.sqlite3")
        _, path = PostWriter(tmp_path, index).write(make_post(), b"---\ntitle: x\n---\n")
        index.close()
    assert mode(tmp_path / path) == 0o644


@pytest.mark.slow
def test_a_site_built_by_another_user_reads_every_archived_file():
    """A root cron job archives into a blog that an unprivileged user builds (item 7)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("building as another user needs root and setpriv (util-linux)")
    nobody = pwd.getpwnam("nobody")
    # Not pytest's tmp_path: its folders are 0700, which no other user may enter.
    root = Path(tempfile.mkdtemp(prefix="site-of-another-user-"))
    try:
        root.chmod(0o755)
        site = make_site(root / "blog", timezone="Asia/Shanghai")
        source = site / "source"
        with umask(0o022):  # the usual one, inherited by the crawl
            run = crawl(source, settings=("ARCHIVE_IMAGES=local",), in_subprocess=True)
        assert run.code == 0, run.log
        posts = [p for p in source.glob("_posts/**/*.md") if p.name.startswith("answer-")]
        figures = {p.name for p in (source / "images").rglob("*.*")}
        assert posts and figures
        # The builder owns the site, but not what the archiver wrote into source/.
        for path in [site, *site.iterdir()]:
            if path != source and not path.is_symlink():
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        built = as_user(nobody, site)
        assert built.returncode == 0, built.stdout + built.stderr
        assert len(list((site / "public").rglob("answer-*/index.html"))) == len(posts)
        assert figures <= {p.name for p in (site / "public" / "images").rglob("*.*")}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def as_user(user: pwd.struct_passwd, site: Path) -> subprocess.CompletedProcess[str]:
    """`hexo generate` in `site` as `user`, as another account's build of the blog would run."""
    hexo = site / "node_modules" / ".bin" / "hexo"
    drop = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    return subprocess.run(
        [*drop, str(hexo), "generate"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
        env={**hexo_env(), "HOME": str(site)},
    )

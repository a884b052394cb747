"""What a Hexo site needs for the archive's posts, and how to set it (`scrapy checkhexo`).

Each check reads the site's files and the project's settings and gives one finding: fine, or what
to set and where. Only the author label is ever written (`--fix`), and only added to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from archiver.archive.storage import atomic_write
from archiver.assets import install_shipped_image
from archiver.hexo.site import site_timezone
from archiver.post.paths import SHIPPED_IMAGE
from archiver.post.render import yaml_scalar

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

REFERRER_META = '<meta name="referrer" content="no-referrer">'
REFERRER_SCRIPT = "scripts/zhihu-referrer.js"
REFERRER_SCRIPT_TEXT = (
    "// Zhihu's image servers refuse requests that carry another site's Referer (hotlinking):\n"
    "// every page asks the browser to send none (posts archived with ARCHIVE_IMAGES=remote).\n"
    f"hexo.extend.injector.register('head_begin', '{REFERRER_META}');\n"
)
AUTHOR_FILE = "source/_data/author.yml"
# The author entry --fix adds for the source label: the shipped image as its avatar (written into
# the site's source/ with it), the source's own site as its link.
AUTHOR_URL = "https://www.zhihu.com/"


class NotASite(Exception):
    """The folder is not a Hexo site (no readable _config.yml)."""


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    says: str  # what is so, and when not ok, what to set and where


@dataclass(frozen=True)
class Site:
    root: Path
    config: dict[str, Any]

    @property
    def theme(self) -> str:
        return str(self.config.get("theme") or "")

    @property
    def volantis(self) -> bool:
        return self.theme == "volantis"


def read_site(root: Path) -> Site:
    config = root / "_config.yml"
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NotASite(f"{root} is not a Hexo site: cannot read {config} ({exc.strerror})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NotASite(f"{config} is not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise NotASite(f"{config} is not a Hexo configuration (a mapping)")
    return Site(root, data)


def check_site(site: Site, settings: BaseSettings) -> list[Finding]:
    return [
        check_author(site, settings["ARCHIVE_SOURCE_LABEL"]),
        check_timezone(site, settings),
        check_updated(site, settings),
        check_title(site, settings),
        check_braces(site, settings),
        check_referrer(site, settings),
    ]


def author_labels(site: Site) -> dict[str, Any] | None:
    """The entries of source/_data/author.yml; {} without the file, None when it is unreadable."""
    path = site.root / AUTHOR_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


def check_author(site: Site, label: str) -> Finding:
    labels = author_labels(site)
    if labels is None:
        return Finding("author", False, f"{AUTHOR_FILE} cannot be read as a YAML mapping: fix it")
    if label in labels:
        return Finding("author", True, f"{AUTHOR_FILE} has the source label {label!r}")
    if not site.volantis and not labels:
        return Finding(
            "author", True, f"posts show the source label {label!r} as their author (no author.yml)"
        )
    return Finding(
        "author",
        False,
        f"{AUTHOR_FILE} has no entry {label!r} (ARCHIVE_SOURCE_LABEL): the theme shows its"
        f" placeholder author on every post; add it (--fix does):\n"
        + author_entry(label).rstrip("\n").replace("\n", "\n    ").join(("    ", "")),
    )


def author_entry(label: str) -> str:
    key = yaml_scalar(label)
    return f"{key}:\n  name: {key}\n  avatar: {SHIPPED_IMAGE}\n  url: {AUTHOR_URL}\n"


def fix_author(site: Site, label: str) -> bool:
    """Add the label's entry to source/_data/author.yml (created if missing); whether it wrote."""
    labels = author_labels(site)
    if labels is None or label in labels:
        return False
    path = site.root / AUTHOR_FILE
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    if before and not before.endswith("\n"):
        before += "\n"
    atomic_write(path, (before + author_entry(label)).encode("utf-8"))
    install_shipped_image(site.root / "source")  # the entry's avatar
    return True


def check_timezone(site: Site, settings: BaseSettings) -> Finding:
    zone = str(site.config.get("timezone") or "").strip()
    archive = Path(settings["ARCHIVE_DIR"])
    written = site_timezone(settings["ARCHIVE_TIMEZONE"], archive)
    source = site.root / str(site.config.get("source_dir") or "source")
    if not zone:
        return Finding(
            "timezone",
            False,
            "_config.yml sets no timezone: Hexo reads dates in the machine's zone; set"
            " `timezone: Asia/Shanghai` (where the blog's readers are) in _config.yml",
        )
    if written is not None and written.key == zone:
        return Finding("timezone", True, f"the site's timezone {zone}: dates are written in it")
    if written is None:
        how = (
            f"archive into the site: -s ARCHIVE_DIR={source} (ARCHIVE_TIMEZONE=auto reads it)"
            if settings["ARCHIVE_TIMEZONE"].strip() == "auto"
            else f"-s ARCHIVE_TIMEZONE={zone}"
        )
        return Finding(
            "timezone",
            False,
            f"posts archived into {archive} get the GMT date form, which Hexo reads as {zone}"
            f" wall-clock time (8 hours early in Asia/Shanghai): {how}",
        )
    return Finding(
        "timezone",
        False,
        f"dates are written in {written.key}, the site reads them in {zone}:"
        f" -s ARCHIVE_TIMEZONE=auto with -s ARCHIVE_DIR={source}, or -s ARCHIVE_TIMEZONE={zone}",
    )


def check_updated(site: Site, settings: BaseSettings) -> Finding:
    if settings.getbool("ARCHIVE_FRONT_MATTER_UPDATED"):
        return Finding("updated", True, "posts carry `updated:` (ARCHIVE_FRONT_MATTER_UPDATED)")
    option = str(site.config.get("updated_option") or "mtime")
    if option == "date":
        return Finding("updated", True, "updated_option: 'date': a post's update is its date")
    return Finding(
        "updated",
        False,
        f"updated_option is {option!r} and posts carry no `updated:`: lists and 更新于 show the"
        " day a post was written to disk; set `updated_option: 'date'` in _config.yml,"
        " or -s ARCHIVE_FRONT_MATTER_UPDATED=True",
    )


def check_title(site: Site, settings: BaseSettings) -> Finding:
    if not site.volantis:
        return Finding("title_display", True, f"theme {site.theme or '(none)'}: not needed")
    if settings.getbool("ARCHIVE_FRONT_MATTER_TITLE_DISPLAY"):
        return Finding("title_display", True, "posts carry `title_display: true`")
    return Finding(
        "title_display",
        False,
        "volantis hides the title of a post with a headimg (every archived post has one):"
        " -s ARCHIVE_FRONT_MATTER_TITLE_DISPLAY=True",
    )


def check_braces(site: Site, settings: BaseSettings) -> Finding:
    if settings["ARCHIVE_BODY_BRACES"] == "raw":
        return Finding("braces", True, "bodies hold real braces in {% raw %}")
    if not site.volantis:
        return Finding(
            "braces",
            True,
            "bodies write braces as &#123;/&#125; (the seed's); -s ARCHIVE_BODY_BRACES=raw"
            " if excerpts or search show them",
        )
    return Finding(
        "braces",
        False,
        "volantis cuts excerpts inside &#123; and search holds the entities:"
        " -s ARCHIVE_BODY_BRACES=raw",
    )


def check_referrer(site: Site, settings: BaseSettings) -> Finding:
    if settings["ARCHIVE_IMAGES"] == "local":
        return Finding(
            "referrer", True, "ARCHIVE_IMAGES=local: the blog does not load Zhihu's images"
        )
    if _sends_no_referrer(site):
        return Finding("referrer", True, f"pages carry {REFERRER_META}")
    return Finding(
        "referrer",
        False,
        "ARCHIVE_IMAGES=remote, and the theme's head image and thumbnail carry no"
        " referrerpolicy: zhimg may refuse them; add "
        f"{REFERRER_SCRIPT} with the line\n    "
        + REFERRER_SCRIPT_TEXT.rstrip("\n").rsplit("\n", 1)[-1],
    )


def _sends_no_referrer(site: Site) -> bool:
    candidates = [site.root / "_config.yml", site.root / f"_config.{site.theme}.yml"]
    scripts = site.root / "scripts"
    if scripts.is_dir():
        candidates += sorted(scripts.glob("*.js"))
    for path in candidates:
        try:
            if "no-referrer" in path.read_text(encoding="utf-8"):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False

"""Every setting and spider argument of ours, checked before a crawl starts: the tables of
docs/settings.md as code. A typo is one line naming the setting, the bad value and what is
accepted (exit 2), and nothing is sent.

A check takes the raw value and returns None when it is fine, else what would be accepted.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from difflib import get_close_matches
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapy.settings import SETTINGS_PRIORITIES, default_settings

from archiver.archive.images import parse_size
from archiver.hexo.site import SEED_FORM
from archiver.post.rich import FORMULA_MODES, LINK_CARD_MODES, REFERENCE_MODES, VIDEO_MODES
from archiver.post.text import BRACE_MODES
from archiver.zhihu.comments import MAX_COMMENTS

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

Check = Callable[[Any], str | None]


def whole_number(low: int, high: int | None = None) -> Check:
    accepted = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")

    def check(value: Any) -> str | None:
        try:
            number = int(str(value).strip())
        except ValueError:
            return accepted
        return None if number >= low and (high is None or number <= high) else accepted

    return check


def number(low: float) -> Check:
    def check(value: Any) -> str | None:
        try:
            ok = float(str(value).strip()) >= low
        except ValueError:
            ok = False
        return None if ok else f"a number of at least {low:g}"

    return check


def boolean(value: Any) -> str | None:
    if isinstance(value, bool) or str(value).strip().lower() in _BOOLEANS:
        return None
    return "True or False (also 1/0)"


_BOOLEANS = frozenset({"true", "false", "1", "0"})


def optional_boolean(value: Any) -> str | None:
    return None if value is None or value == "" else boolean(value)


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if str(value) in choices else " or ".join(repr(c) for c in choices)

    return check


def zone(*special: str) -> Check:
    def check(value: Any) -> str | None:
        name = str(value).strip()
        if name in special:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            extra = "".join(f", or {s!r}" for s in special)
            return f"a time zone name like Asia/Shanghai{extra}"
        return None

    return check


def past_day(zone_name: str) -> Check:
    """A day `YYYY-MM-DD` that has begun in that zone (today at the latest)."""

    def check(value: Any) -> str | None:
        accepted = f"a day YYYY-MM-DD, today in {zone_name} at the latest"
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return accepted
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return accepted
        return None if day <= datetime.now(ZoneInfo(zone_name)).date() else accepted

    return check


def category_path(value: Any) -> str | None:
    parts = value.split("/") if isinstance(value, str) else list(value or ())
    if any(str(p).strip() for p in parts):
        return None
    return "a category path like 社交媒体/知乎/知乎热榜"


def text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty text"


def anything(value: Any) -> str | None:
    return None


def web_url(value: Any) -> str | None:
    parts = urlsplit(str(value))
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return "an http(s) URL like https://www.zhihu.com"


def existing_path(value: Any) -> str | None:
    if not value or Path(str(value)).exists():
        return None
    return "a WARC file or a folder of them that exists"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()]


def thumb_sizes(value: Any) -> str | None:
    try:
        for size in _as_list(value):
            parse_size(size)
    except ValueError:
        return "thumbnail boxes WIDTHxHEIGHT separated by commas, like 400x300,800x600"
    return None


def allowed_hosts(value: Any) -> str | None:
    if all(_host_entry(e) for e in _as_list(value)):
        return None
    return "hosts or host/path entries separated by commas, like zhimg.com,www.zhihu.com/equation"


def _host_entry(entry: str) -> bool:
    try:
        return bool(entry and "://" not in entry and urlsplit(f"//{entry}").hostname)
    except ValueError:  # `[x]` is read as an IPv6 address, and refused
        return False


# The settings table of docs/settings.md; tests/test_config.py keeps the two in step.
SETTINGS: dict[str, Check] = {
    "ZHIHU_BASE_URL": web_url,
    "ZHIHU_SIGNATURE_BYTE": whole_number(0, 255),
    "ZHIHU_CHALLENGE_SOLVER": one_of("auto", "off"),
    "ZHIHU_CHALLENGE_TIMEOUT": number(0.1),
    "ZHIHU_HOTLIST_LIMIT": whole_number(1),
    "ZHIHU_ANSWERS_PER_QUESTION": whole_number(1, 1000),
    "ZHIHU_COMMENTS": whole_number(0, MAX_COMMENTS),
    "ZHIHU_HOTLIST_CATEGORIES": category_path,
    "ZHIHU_ANSWER_CATEGORIES": category_path,
    "ZHIHU_ARTICLE_CATEGORIES": category_path,
    "ZHIHU_PIN_CATEGORIES": category_path,
    "ZHIHU_COLUMN_CATEGORIES": category_path,
    "ZHIHU_COLLECTION_CATEGORIES": category_path,
    "ZHIHU_PEOPLE_CATEGORIES": category_path,
    "ZHIHU_TOPIC_CATEGORIES": category_path,
    "ZHIHU_DAILY_CATEGORIES": category_path,
    "RSS_CATEGORIES": category_path,
    "RSS_MAX_SIZE": whole_number(1024),
    "ARCHIVE_DIR": text,
    "ARCHIVE_INDEX": anything,
    "ARCHIVE_DEFAULT_IMAGE": anything,
    "ARCHIVE_SOURCE_LABEL": text,
    "ARCHIVE_TIMEZONE": zone("auto", *SEED_FORM),
    "ARCHIVE_IMAGES": one_of("remote", "local"),
    "ARCHIVE_FRONT_MATTER_UPDATED": boolean,
    "ARCHIVE_FRONT_MATTER_TITLE_DISPLAY": boolean,
    "ARCHIVE_BODY_BRACES": one_of(*BRACE_MODES),
    "ARCHIVE_FORMULAS": one_of(*FORMULA_MODES),
    "ARCHIVE_LINK_CARDS": one_of(*LINK_CARD_MODES),
    "ARCHIVE_REFERENCES": one_of(*REFERENCE_MODES),
    "ARCHIVE_VIDEOS": one_of(*VIDEO_MODES),
    "ARCHIVE_VIDEO_MAX_SIZE": whole_number(1),
    "ARCHIVE_VIDEO_HOSTS": allowed_hosts,
    "ARCHIVE_VANISHED_CATEGORIES": category_path,
    "ARCHIVE_VANISHED_NOTE": boolean,
    "FIGURES_ENABLED": boolean,
    "FIGURES_ALLOWED_HOSTS": allowed_hosts,
    "FIGURES_MAX_SIZE": whole_number(1),
    "FIGURES_THUMB_SIZES": thumb_sizes,
    "FIGURES_MAX_PER_POST": whole_number(0),
    "FIGURES_MAX_BYTES_PER_POST": whole_number(0),
    "FIGURES_MAX_BYTES_PER_RUN": whole_number(0),
    "FIGURES_MAX_PIXELS": whole_number(1),
    "FIGURES_THREADS": whole_number(0, 64),
    "WARC_ENABLED": optional_boolean,
    "WARC_DIR": anything,
    "WARC_MAX_SIZE": whole_number(0),
    "ARCHIVE_REPLAY": existing_path,
    "ARCHIVE_MAX_READ_SIZE": whole_number(1024 * 1024),
    "HISTORY_ENABLED": boolean,
    "HISTORY_DAILY_PAGE": boolean,
    "HISTORY_TIMEZONE": zone(),
    "HISTORY_CATEGORIES": category_path,
    "HISTORY_PERIOD_PAGES": boolean,
    "HISTORY_CHARTS": boolean,
    "RETRY_BACKOFF_BASE": number(0),
    "RETRY_BACKOFF_MAX": number(0),
    "ARCHIVE_LOG_SCRAPY": boolean,
}


def setting_problems(settings: BaseSettings) -> list[str]:
    """One line per `-s` name that is no setting, then per setting of ours whose value is not
    accepted."""
    return unknown_settings(settings) + [
        f"{name}={settings[name]!r} is not accepted: expected {accepted}"
        for name, check in SETTINGS.items()
        if (accepted := check(settings[name])) is not None
    ]


# Settings Scrapy's components read that its default_settings module does not list (the media
# pipelines', which our figure and video pipelines are).
_SCRAPY_EXTRA = frozenset(
    {
        "CONCURRENT_REQUESTS_PER_IP",
        "META_COPY_WARN_SKIP_KEYS",
        "FILES_EXPIRES",
        "FILES_URLS_FIELD",
        "FILES_RESULT_FIELD",
        "IMAGES_EXPIRES",
        "IMAGES_URLS_FIELD",
        "IMAGES_RESULT_FIELD",
        "IMAGES_THUMBS",
        "IMAGES_MIN_HEIGHT",
        "IMAGES_MIN_WIDTH",
        "MEDIA_ALLOW_REDIRECTS",
    }
)
# ...and each of those for one pipeline class: FIGURESPIPELINE_MEDIA_ALLOW_REDIRECTS.
_PIPELINE_OWN = re.compile(r"[A-Z0-9]+PIPELINE_((?:FILES|IMAGES|MEDIA)_[A-Z_]+)")


def unknown_settings(settings: BaseSettings) -> list[str]:
    """One line per setting given on the command line (`-s`, Scrapy's priority "cmdline") that
    is neither Scrapy's, nor ours, nor in the project's settings module (where an add-on the
    project enables has its settings): Scrapy would ignore a typo and run with the default."""
    cmdline = SETTINGS_PRIORITIES["cmdline"]
    given = [name for name in settings if settings.getpriority(name) == cmdline]
    known = _known_settings(settings)
    return [
        f"-s {name}={settings[name]}: no such setting{_closest(name, known)}"
        for name in given
        if name not in known and not _pipelines_own(name, known)
    ]


def _pipelines_own(name: str, known: set[str]) -> bool:
    return bool((own := _PIPELINE_OWN.fullmatch(name)) and own[1] in known)


def _known_settings(settings: BaseSettings) -> set[str]:
    names = {name for name in vars(default_settings) if name.isupper()} | _SCRAPY_EXTRA
    names |= set(SETTINGS)
    module = settings.get("SETTINGS_MODULE")
    if module:
        names |= {name for name in vars(import_module(module)) if name.isupper()}
    return names


def _closest(name: str, known: set[str]) -> str:
    close = get_close_matches(name.upper(), known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else " (see the settings in docs/settings.md)"


def argument_problems(
    spider: str, accepted: Mapping[str, Check], arguments: Mapping[str, Any]
) -> list[str]:
    """One line per `-a name=value` the spider does not take or whose value is not accepted.

    Names starting with `_` are Scrapyd's own (`_job`) and pass through.
    """
    problems = []
    for name, value in arguments.items():
        check = accepted.get(name)
        if check is None and not name.startswith("_"):
            takes = ", ".join(sorted(accepted)) or "none"
            problems.append(f"-a {name}={value!r}: {spider} has no such argument (takes: {takes})")
        elif check is not None and (expected := check(value)) is not None:
            problems.append(f"-a {name}={value!r} is not accepted: expected {expected}")
    return problems


def readable_toml(value: Any) -> str | None:
    """A feed config file that exists and parses (the feeds in it are checked by the spider)."""
    try:
        tomllib.loads(Path(str(value)).read_text(encoding="utf-8"))
    except OSError as exc:
        return f"a readable TOML file ({exc.strerror})"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return f"a valid TOML file ({exc})"
    return None


def feed_url(value: Any) -> str | None:
    """An http(s) feed, or a file:// one that exists (it is read at once, never retried)."""
    parts = urlsplit(str(value))
    if parts.scheme == "file":
        return None if Path(parts.path).is_file() else "a file:// URL of a file that exists"
    return web_url(value)

"""What the archive needs to know about the Hexo site it is part of."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

logger = logging.getLogger(__name__)

SEED_FORM = ("", "GMT", "UTC-RFC1123")


def site_timezone(setting: str, archive_dir: Path) -> ZoneInfo | None:
    """The zone post dates are written in; None for the seed's `Sun, 24 Jul 2022 02:06:57 GMT`.

    `auto`: the `timezone` of the Hexo site whose `source/` folder the archive is, if it sets one
    (Hexo misreads the GMT form on such a site); a zone name: that zone; empty or `GMT`: the seed.
    """
    name = setting.strip()
    if name == "auto":
        name = _configured_timezone(archive_dir)
    if name in SEED_FORM:
        return None
    return named_zone(name, "ARCHIVE_TIMEZONE")


def named_zone(name: str, setting: str) -> ZoneInfo:
    """The zone of a setting's value, or a ValueError that names the setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{setting}: not a time zone name like Asia/Shanghai: {name!r}") from exc


def _configured_timezone(archive_dir: Path) -> str:
    config = archive_dir.resolve().parent / "_config.yml"
    if archive_dir.resolve().name != "source" or not config.is_file():
        return ""
    try:
        site = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("Cannot read the Hexo site's %s (%s): dates keep the GMT form", config, exc)
        return ""
    zone = site.get("timezone") if isinstance(site, dict) else None
    return str(zone).strip() if zone else ""

"""Charts of the hot list over time, drawn to SVG with matplotlib. Pure: the same data give the
same bytes (no date, no random id), and the data's key is written into the file, so a chart whose
data did not change is never drawn again (`is_drawn`).

matplotlib is imported on first use only: a run that draws nothing does not pay for it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from archiver.post.text import one_line

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.axes import Axes

logger = logging.getLogger(__name__)

# Bump when the drawing changes: every chart is then drawn again once.
CHART_VERSION = "1"
# Families with Chinese glyphs that Debian installs (fonts-noto-cjk, fonts-wqy-microhei,
# fonts-wqy-zenhei, fonts-droid-fallback), best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Noto Sans CJK JP",
)
LABELLED = 10  # lines with a name in the legend (the rest are drawn grey)
_TITLE_CHARS = 18
_RC = {
    "svg.hashsalt": "zhihu-archiver",  # ids from a hash of this, never random
    "svg.fonttype": "path",  # glyphs as paths: a reader needs no font
    "axes.unicode_minus": False,
    "font.size": 9,
}


@dataclass(frozen=True)
class RankLine:
    """One question's rank at each time of the chart; None where it was not on the list."""

    label: str  # "" for a line drawn without a name
    ranks: tuple[int | None, ...]


@dataclass(frozen=True)
class RankChart:
    """Rank over time, rank 1 on top; times in the chart's zone along the bottom."""

    title: str
    zone: str
    times: tuple[datetime, ...]  # aware
    lines: tuple[RankLine, ...]
    span: tuple[datetime, datetime] | None = None  # the x axis: a whole day, or the data's


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, the first on top."""

    title: str
    unit: str
    bars: tuple[tuple[str, float], ...]


Chart = RankChart | BarChart


def short_title(title: str) -> str:
    text = one_line(title).strip()
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1] + "…"


def chart_key(chart: Chart) -> str:
    """What the bytes depend on: the data, the drawing's version, matplotlib's and the font."""
    import matplotlib

    spec = f"{CHART_VERSION}|{matplotlib.__version__}|{cjk_family()}|{chart!r}"
    return hashlib.sha256(spec.encode("utf-8")).hexdigest()


def is_drawn(svg: bytes | None, chart: Chart) -> bool:
    """Whether `svg` is this very chart, drawn from the same data: drawing it again is no use."""
    return svg is not None and _marker(chart_key(chart)).encode("ascii") in svg


def draw(chart: Chart) -> bytes:
    """The chart as SVG bytes; the same chart gives the same bytes."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    family = cjk_family()
    rc = {**_RC, "font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"]}
    with rc_context(rc), warnings.catch_warnings():
        # Without a CJK font (warned once in cjk_family) no Chinese text is drawn (_text).
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        figure = Figure(figsize=(10, 5.6 if isinstance(chart, RankChart) else _bar_height(chart)))
        axes = figure.add_subplot()
        if isinstance(chart, RankChart):
            _draw_ranks(axes, chart, family is not None)
        else:
            _draw_bars(axes, chart, family is not None)
        figure.set_layout_engine("constrained")
        out = io.BytesIO()
        figure.savefig(
            out,
            format="svg",
            metadata={"Date": None, "Description": _marker(chart_key(chart))},
        )
    return out.getvalue()


@functools.cache
def cjk_family() -> str | None:
    """The family Chinese text is drawn in; None (and one warning) when there is none.

    Fonts are found the way the system finds them, through fontconfig, and matplotlib is handed
    the file: its own font list is a cache built once, which misses a font installed after the
    first chart was drawn. Without fontconfig, matplotlib's list is all there is.
    """
    from matplotlib import font_manager

    for file in _fontconfig_cjk_files():
        if family := _registered(font_manager, file):
            return family
    known = {font.name for font in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FAMILIES if name in known), None)
    if family is None:
        logger.warning(
            "Charts: no font with Chinese glyphs found (looked for %s); charts are drawn in "
            "English, questions named by rank (#1, #2...). Install one, e.g. `apt-get install "
            "fonts-wqy-microhei` or fonts-noto-cjk; the next chart uses it.",
            ", ".join(CJK_FAMILIES),
        )
    return family


def _fontconfig_cjk_files() -> list[str]:
    """Files of the fonts fontconfig says cover Chinese: CJK_FAMILIES' first, best first, then
    any other, by name (the same machine gives the same order, so the same bytes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        done = subprocess.run(
            [fc_list, ":lang=zh", "family", "file"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    files: dict[str, str] = {}  # family -> file
    for line in sorted(done.stdout.splitlines()):
        file, _, families = line.partition(": ")
        for family in families.split(","):
            files.setdefault(family.strip(), file.strip())
    rank = {name: n for n, name in enumerate(CJK_FAMILIES)}
    ordered = sorted(files, key=lambda name: (rank.get(name, len(rank)), name))
    return list(dict.fromkeys(files[name] for name in ordered))


def _registered(font_manager: ModuleType, file: str) -> str | None:
    """The family matplotlib draws `file` as, once it knows the file; None if it cannot read it."""
    try:
        font_manager.fontManager.addfont(file)
        return font_manager.FontProperties(fname=file).get_name()
    except (OSError, RuntimeError, ValueError):
        return None


def _marker(key: str) -> str:
    return f"zhihu-archiver chart {key}"


def _text(text: str, fallback: str, cjk: bool) -> str:
    return text if cjk or text.isascii() else fallback


def _draw_ranks(axes: Axes, chart: RankChart, cjk: bool) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter, HourLocator

    zone = ZoneInfo(chart.zone)
    # Wall-clock times of the zone, without tzinfo: matplotlib then draws them as they are.
    times = [t.astimezone(zone).replace(tzinfo=None) for t in chart.times]
    worst = 1
    grey = [line for line in chart.lines if not line.label]
    named = [line for line in chart.lines if line.label]
    for line in grey:
        worst = max(worst, _plot(axes, times, line, color="#c8c8c8", width=0.8, z=1))
    for number, line in enumerate(named):
        color = f"C{number % 10}"
        label = _text(line.label, f"#{number + 1}", cjk)
        worst = max(worst, _plot(axes, times, line, color=color, width=1.8, z=2, label=label))
    axes.set_ylim(worst + 0.5, 0.5)  # rank 1 on top
    axes.set_yticks(sorted({1, *range(5, worst + 1, 5)}))
    if chart.span is not None:
        start, end = (t.astimezone(zone).replace(tzinfo=None) for t in chart.span)
        axes.set_xlim(start, end)
        axes.xaxis.set_major_locator(HourLocator(byhour=range(0, 24, 3)))
        axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    else:
        axes.xaxis.set_major_locator(AutoDateLocator(maxticks=8))
        axes.xaxis.set_major_formatter(DateFormatter("%m-%d %H:%M"))
    axes.grid(True, color="#eeeeee", linewidth=0.6)
    axes.set_ylabel(_text("排名", "rank", cjk))
    axes.set_xlabel(_text(f"时间（{chart.zone}）", f"time ({chart.zone})", cjk))
    axes.set_title(_text(chart.title, "Zhihu hot list", cjk))
    if named:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)


def _plot(
    axes: Axes, times: list[datetime], line: RankLine, color: str, width: float, z: int, **kw: str
) -> int:
    ranks = [math.nan if r is None else r for r in line.ranks]  # NaN breaks the line
    axes.plot(
        times, ranks, color=color, linewidth=width, marker="o", markersize=2.5, zorder=z, **kw
    )
    return max((r for r in line.ranks if r is not None), default=1)


def _bar_height(chart: BarChart) -> float:
    return 1.6 + 0.28 * max(len(chart.bars), 1)


def _draw_bars(axes: Axes, chart: BarChart, cjk: bool) -> None:
    labels = [_text(label, f"#{n + 1}", cjk) for n, (label, _) in enumerate(chart.bars)]
    values = [value for _, value in chart.bars]
    positions = range(len(values))
    axes.barh(positions, values, color="C0")
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()  # the first bar on top
    for position, value in zip(positions, values, strict=True):
        axes.annotate(
            f"{value:g}",
            (value, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axes.set_xlabel(_text(chart.unit, "hours", cjk))
    axes.set_title(_text(chart.title, "Zhihu hot list", cjk))
    axes.grid(True, axis="x", color="#eeeeee", linewidth=0.6)
    axes.set_axisbelow(True)

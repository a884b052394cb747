"""What vanished from Zhihu, shown to readers: a page per month of the archived items found gone,
and (ARCHIVE_VANISHED_NOTE) a one-line note at the top of each such post with a front-matter key
a theme can use. Pure: rows in, text out.

The note is added to a post's text as rendered, never rendered with it: a post written by a
crawl, re-rendered from its capture or kept as it was on disk gets the same bytes from the same
note, and taking the note away gives the post back byte for byte.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from archiver.items import Post, PostKind
from archiver.post.daily import DailyPage, post_link
from archiver.post.periods import Period
from archiver.post.text import body_markup, one_line
from archiver.zhihu.kinds import ITEMS

# The front-matter key a theme can read: the kind of going (gone, hidden, ...).
KEY = "vanished"
NOTE_CLASS = "archiver-vanished"
LABELS = {
    "gone": "已从知乎删除",
    "hidden": "被知乎隐藏（建议修改）",
    "question_gone": "所在的问题已被删除",
    "author_gone": "作者的帐号已注销",
}
# A post's text: `\n---\n<front matter lines>---\n` then the body's wrapper (render.wrap_body).
_FRONT_MATTER = re.compile(r"\A\n---\n(.*?\n)---\n", re.DOTALL)
_BODY_START = "\n<div>   \n"
_KEY_LINE = re.compile(rf"^{KEY}: [^\n]*\n", re.MULTILINE)
_NOTE_LINE = re.compile(rf'\A<p class="{NOTE_CLASS}">[^\n]*</p>\n')
# The body's first words name its author and what the post is (render: `X的回答`), escaped as
# the body is.
_PREFIX = re.compile(
    r"([^\n<]*?)(?:"
    + "|".join(re.escape(kind.prefix) for kind in ITEMS.values() if kind.prefix)
    + ")<br><br>"
)
RAW_START = "{% raw %}"


@dataclass(frozen=True)
class Note:
    """What a vanished post's note says."""

    state: str  # gone | hidden | question_gone | author_gone
    kind: str  # answer | article | pin
    noticed: date  # first noticed so
    archived: date  # first archived
    status: int = 0  # Zhihu's answer: its HTTP status, code and words
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Gone:
    """One going of an archived item, as a month's page lists it."""

    title: str
    author: str  # as the kept post names it
    kind: str
    url: str  # where it was on Zhihu
    state: str
    archived: datetime  # aware
    noticed: datetime  # aware
    slug: str = ""  # the kept post's, for `{% post_link %}`; "" when it is not there
    ended: datetime | None = None
    ended_as: str = ""  # "back", or the state that followed


def _noun(kind: str) -> str:
    """What readers call an item of this kind (回答), "内容" for any other."""
    return ITEMS[kind].noun if kind in ITEMS and ITEMS[kind].noun else "内容"


def note_html(note: Note) -> str:
    """The note's one line of HTML (its text escaped and kept from Nunjucks, as a body's)."""
    what = _noun(note.kind)
    if note.state == "author_gone":
        text = (
            f"这篇{what}的作者帐号已注销（{note.noticed.isoformat()} 发现），内容仍在知乎；"
            f"以下是 {note.archived.isoformat()} 存档的内容，署名是当时的。"
        )
    else:
        text = (
            f"这篇{what}{LABELS[note.state]}（{evidence_text(note)}，"
            f"{note.noticed.isoformat()} 发现）；以下是 {note.archived.isoformat()} 存档的内容。"
        )
    return f'<p class="{NOTE_CLASS}">{body_markup(html.escape(one_line(text), quote=False))}</p>'


def evidence_text(note: Note) -> str:
    """What Zhihu answered, in a few words: the status and code, or what it told readers."""
    if note.status == 200:
        return f"知乎：{note.message}" if note.message else f"知乎：{note.code}"
    return f"HTTP {note.status}" + (f"，错误码 {note.code}" if note.code else "")


def with_note(text: str, note: Note | None) -> str | None:
    """The post's text with this note (none: without any), or None for a text that is not a
    post of this format (left as it is). Idempotent: a note there already is replaced."""
    front = _FRONT_MATTER.match(text)
    if front is None or not text.startswith(_BODY_START, front.end()):
        return None
    keys = _KEY_LINE.sub("", front[1])
    body = _NOTE_LINE.sub("", text[front.end() + len(_BODY_START) :], count=1)
    if note is not None:
        keys += f"{KEY}: {note.state}\n"
        body = f"{note_html(note)}\n{body}"
    return f"\n---\n{keys}---\n{_BODY_START}{body}"


def kept_author(text: str) -> str:
    """The author a kept post names (its body's `<name>的回答<br><br>`), "" for none."""
    front = _FRONT_MATTER.match(text)
    if front is None or not text.startswith(_BODY_START, front.end()):
        return ""
    body = _NOTE_LINE.sub("", text[front.end() + len(_BODY_START) :], count=1)
    found = _PREFIX.match(body.removeprefix(RAW_START))
    return html.unescape(found[1]) if found else ""


def month_page(
    period: Period, zone: ZoneInfo, goings: list[Gone], categories: tuple[str, ...]
) -> DailyPage | None:
    """The page of the items first noticed gone in a month, or None for a month without any.

    Dated by the latest noticing it lists: from the recorded data alone, so a run that notices
    nothing new writes the same bytes.
    """
    if not goings:
        return None
    ordered = sorted(goings, key=lambda g: (g.noticed, g.url))
    summary = (
        f"<p>{period.title}发现从知乎消失的 {len(ordered)} 篇存档内容，按发现时间排列"
        f"（时间为 {zone.key}）。存档中的原文一直保留。</p>"
    )
    items = "".join(_item(g, zone) for g in ordered)
    markup = f"{body_markup(summary)}<ol>{items}</ol>"
    post = Post(
        kind=PostKind.PAGE,
        id=f"vanished-{period.name}",
        url="https://www.zhihu.com/",
        title=f"知乎上消失的内容 {period.title}",
        author="",
        updated=int(ordered[-1].noticed.timestamp()),
        content=markup,
        categories=categories,
    )
    return DailyPage(post, markup)


def _item(going: Gone, zone: ZoneInfo) -> str:
    # Titles and names are strangers' text: escaped and kept from Nunjucks as a body's; the
    # post_link tag is added outside that text.
    what = _noun(going.kind)
    text = (
        f'<li><a href="{html.escape(going.url)}">{_label(going.title)}</a>'
        f"<br>{_label(going.author) or '作者不详'}的{what}，{LABELS[going.state]}；"
        f"{_day(going.archived, zone)} 存档，{_clock(going.noticed, zone)} 发现"
    )
    if going.ended is not None:
        then = "又回到了知乎" if going.ended_as == "back" else LABELS.get(going.ended_as, "")
        text += f"；{_day(going.ended, zone)} {then}"
    link = f"<br>存档：{post_link(going.slug)}" if going.slug else ""
    return f"{body_markup(text)}{link}</li>"


def _label(text: str) -> str:
    return html.escape(one_line(text), quote=False)


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

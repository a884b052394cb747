"""Zhihu's rich content as a reader saw it on Zhihu: formulas, link cards, references, videos.

Pure functions over the tree of an answer's `content`, each chosen by a setting; every default
(`RichOptions()`) leaves the tree as it is, so the seed's format does not change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from lxml.html import HtmlElement
from lxml.html.builder import E

from archiver.utils.fragments import settable
from archiver.utils.numbers import whole_number, zhihu_id

FORMULA_MODES = ("image", "tex")
LINK_CARD_MODES = ("keep", "card")
REFERENCE_MODES = ("keep", "list")
VIDEO_MODES = ("keep", "poster", "download")
_REDIRECT_HOSTS = frozenset({"link.zhihu.com"})
_HEX = "0123456789ABCDEFabcdef"
# The redirector's own form, its query the target alone (no `&`, `#`, blank or control in it).
_PLAIN_REDIRECT = re.compile(
    r"https?://link\.zhihu\.com/?\?target=([\w%.~!$'()*+,;=:@/?-]+)", re.ASCII
)
# Percent escapes, and the byte each stands for (unquote's: two hex digits, either case).
_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
_ESCAPED = {f"%{a}{b}".encode(): bytes.fromhex(a + b) for a in _HEX for b in _HEX}
# A web URL whose scheme and host urlsplit reads without fail: http(s), a host of ASCII letters.
_PLAIN_WEB = re.compile(r"https?://[A-Za-z0-9.-]*(?:[/?#]|\Z)")
# Zhihu's own convention: a formula whose TeX ends with `\\` is shown on a line of its own.
_DISPLAY_MARK = re.compile(r"\\\\\s*$")
_MAX_REFERENCE = 9999  # an answer's references are numbered 1, 2...: a larger one is no number
_VIDEO_PAGE = re.compile(r"^https://www\.zhihu\.com/video/([0-9]+)")


@dataclass(frozen=True)
class RichOptions:
    formulas: str = "image"  # "tex": \(…\) and \[…\] for MathJax/KaTeX instead of images
    link_cards: str = "keep"  # "card": an unclosed card closed, its image shown
    references: str = "keep"  # "list": numbered links and a 参考 list at the end
    videos: str = "keep"  # "poster": the poster image, linking to the video's page;
    # "download": that, and the video file archived, played from the archive in local mode


def video_key(lens_id: str) -> str:
    """The archived copy of a video, as figures are keyed (the index, `local` mappings)."""
    return f"video/{lens_id}.mp4"


def enrich(
    root: HtmlElement, options: RichOptions, local: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Apply the rewrites `options` asks for, in place (none by default).

    Returns the lens ids of the videos to archive (`videos="download"`), in document order;
    `local` maps their `video_key` to the archived copy's site path, which the card then plays.
    """
    videos: list[str] = []
    if options.formulas == "tex":
        for el in [el for el in root.iter("img", "span") if formula(el) is not None]:
            formula_as_tex(el)
    if options.link_cards == "card":
        for card in [a for a in root.iter("a") if a.get("data-draft-type") == "link-card"]:
            close_card(card)
            show_card_image(card)
    if options.videos in ("poster", "download"):
        for box in _video_boxes(root):
            lens_id = video_id(box) if options.videos == "download" else ""
            archived = (local or {}).get(video_key(lens_id)) if lens_id else None
            if archived:
                video_as_player(box, archived)
            else:
                video_as_poster(box)
            if lens_id and lens_id not in videos:
                videos.append(lens_id)
    if options.references == "list":
        reference_list(root)
    return tuple(videos)


def redirect_target(href: str) -> str | None:
    """The web URL behind `link.zhihu.com/?target=<url>`, or None when `href` is no such link."""
    # Most links of an answer: the target read without urlsplit and parse_qs (a third of the time).
    if plain := _PLAIN_REDIRECT.fullmatch(href):
        target = _unquote_ascii(plain[1].replace("+", " "))  # as parse_qs decodes a value
        if _PLAIN_WEB.match(target):
            return target
    return _parsed_redirect_target(href)


def _unquote_ascii(text: str) -> str:
    """urllib's `unquote` of an ASCII text, the escapes found by one regex (half the time)."""
    return _ESCAPE.sub(_unescaped, text.encode()).decode("utf-8", "replace")


def _unescaped(match: re.Match[bytes]) -> bytes:
    return _ESCAPED[match[0]]


def _parsed_redirect_target(href: str) -> str | None:
    try:
        parts = urlsplit(href)
        if parts.hostname not in _REDIRECT_HOSTS:
            return None
        target = parse_qs(parts.query).get("target", [""])[0]
        # Only web links: a decoded `javascript:` target must never become a live href.
        return target if urlsplit(target).scheme in ("http", "https") else None
    except ValueError:
        return None  # `http://[x` in a stranger's HTML


def web_url(url: str) -> str | None:
    """`url` unwrapped from Zhihu's redirector, when it is a web link; None otherwise."""
    url = redirect_target(url) or url.strip()
    try:
        return url if urlsplit(url).scheme in ("http", "https") else None
    except ValueError:
        return None


# Formulas


def formula(el: HtmlElement) -> tuple[str, bool] | None:
    """(TeX exactly as Zhihu had it, display?) of a formula element, None for anything else.

    `<img eeimg="1" alt="TeX" src=".../equation?tex=...">` (2: display) and the newer
    `<span class="ztext-math" data-eeimg="1" data-tex="TeX">`.
    """
    if el.tag == "img" and el.get("eeimg"):
        tex = el.get("alt")
        if tex is None:
            tex = parse_qs(urlsplit(el.get("src", "")).query).get("tex", [""])[0]
        return tex, el.get("eeimg") == "2" or bool(_DISPLAY_MARK.search(tex))
    if el.tag == "span" and "ztext-math" in el.get("class", "").split():
        tex = el.get("data-tex")
        if tex is None:
            return None
        return tex, el.get("data-eeimg") == "2" or bool(_DISPLAY_MARK.search(tex))
    return None


def tex_delimited(tex: str, display: bool) -> str:
    """`\\(tex\\)` inline, `\\[tex\\]` display: what MathJax and KaTeX look for by default."""
    return f"\\[{tex}\\]" if display else f"\\({tex}\\)"


def formula_as_tex(el: HtmlElement) -> None:
    """The formula element becomes its delimited TeX, as text (its tail kept)."""
    found = formula(el)
    assert found is not None
    replace_with_text(el, tex_delimited(*found))


def replace_with_text(el: HtmlElement, text: str) -> None:
    parent = el.getparent()
    assert parent is not None
    text += el.tail or ""
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(el)


# Link cards


def close_card(card: HtmlElement) -> None:
    """A card holds its title only: Zhihu's renderer ends it after the title text. The older
    generator left cards unclosed, and a parser then puts every following paragraph inside the
    link; those move back out, after the card, in order."""
    parent = card.getparent()
    if parent is None or not len(card):
        return
    at = parent.index(card)
    swallowed = list(card)
    card.tail, tail = None, card.tail
    for offset, child in enumerate(swallowed, start=1):
        parent.insert(at + offset, child)  # moves it, its tail with it
    last = swallowed[-1]
    last.tail = (last.tail or "") + (tail or "")


def show_card_image(card: HtmlElement) -> None:
    """The card's picture (`data-image`) shown before its title, inside the link, as an image
    of the body (archived like any figure)."""
    image = card.get("data-image", "")
    if not web_url(image) or card.find("img") is not None:
        return
    img = E.img(src=image, alt="", **{"class": "archiver-link-card-image"})
    img.tail, card.text = card.text, None
    card.insert(0, img)


# Videos


def video_as_poster(box: HtmlElement) -> None:
    """`a.video-box` becomes a figure: the poster linking to the video's page, its title below."""
    page = video_page(box)
    poster = box.get("data-poster") or _thumbnail(box)
    title = box.get("data-name", "").strip() or "视频"
    link = E.a(href=page) if page else E.span()
    if web_url(poster):
        link.append(E.img(src=poster, alt=title, **{"class": "archiver-video-poster"}))
    caption = E.figcaption(E.a(f"▶ {title}", href=page) if page else f"▶ {title}")
    figure = E.figure(link, caption, **{"class": "archiver-video"})
    figure.tail = box.tail
    box.getparent().replace(box, figure)


def video_as_player(box: HtmlElement, src: str) -> None:
    """`a.video-box` becomes the archived video itself, its poster shown until it plays, its
    title linking to the video's page below."""
    page = video_page(box)
    poster = box.get("data-poster") or _thumbnail(box)
    title = box.get("data-name", "").strip() or "视频"
    # The poster becomes the archived copy's path with the other figures (post/content.py).
    shown = {"poster": poster} if web_url(poster) else {}
    video = E.video(controls="", preload="metadata", **shown, src=src)
    caption = E.figcaption(E.a(title, href=page) if page else title)
    figure = E.figure(video, caption, **{"class": "archiver-video"})
    figure.tail = box.tail
    box.getparent().replace(box, figure)


def video_id(box: HtmlElement) -> str:
    """The card's lens id (what the play-info is asked by): that of its video page; "" if none."""
    return video_page(box).rsplit("/", 1)[-1]


def video_page(box: HtmlElement) -> str:
    """`https://www.zhihu.com/video/<id>`: from the card's link (through the redirector), else
    from its `data-lens-id`; "" when it has neither."""
    href = web_url(box.get("href", "")) or ""
    if match := _VIDEO_PAGE.match(href):
        return f"https://www.zhihu.com/video/{match[1]}"
    lens = zhihu_id(box.get("data-lens-id", "").strip())
    return f"https://www.zhihu.com/video/{lens}" if lens else ""


def _video_boxes(root: HtmlElement) -> list[HtmlElement]:
    return [a for a in root.iter("a") if "video-box" in a.get("class", "").split()]


def _thumbnail(box: HtmlElement) -> str:
    return next((src for img in box.iter("img") if (src := img.get("src"))), "")


# References


def reference_list(root: HtmlElement) -> None:
    """Each `sup[data-draft-type=reference]` a numbered link to its entry; the entries, once per
    number in number order, as a 参考 list at the end of the body, as Zhihu shows them."""
    entries: dict[str, tuple[str, str]] = {}
    cited: dict[str, int] = {}
    for sup in _references(root):
        number = reference_number(sup)
        if not number:
            continue
        entries.setdefault(number, (sup.get("data-text", ""), sup.get("data-url", "")))
        count = cited[number] = cited.get(number, -1) + 1
        for child in list(sup):
            sup.remove(child)
        sup.text = None
        sup.append(E.a(f"[{number}]", id=f"ref_{number}_{count}", href=f"#ref_{number}"))
    if not entries:
        return
    items = [reference_item(n, *entries[n]) for n in sorted(entries, key=int)]
    root.append(E.h2("参考"))
    root.append(E.ol(*items, **{"class": "ReferenceList"}))


def reference_number(sup: HtmlElement) -> str:
    """A reference's number as Zhihu wrote it (ASCII digits, 1 to 9999); "" when it is none."""
    number = sup.get("data-numero", "").strip()
    return number if whole_number(number, 1, _MAX_REFERENCE) is not None else ""


def _references(root: HtmlElement) -> list[HtmlElement]:
    return [s for s in root.iter("sup") if s.get("data-draft-type") == "reference"]


def unusable_numbers(root: HtmlElement, options: RichOptions) -> tuple[str, ...]:
    """What the rewrites `options` ask for pass over for a number that is no number: a video
    card whose lens id, a reference whose number, is not ASCII digits ("١٢٣", "²"). Such a card
    stays a poster, such a reference Zhihu's mark: each costs itself, never the post."""
    found: list[str] = []
    if options.videos in ("poster", "download"):
        for box in _video_boxes(root):
            lens = box.get("data-lens-id", "").strip()
            if lens and not zhihu_id(lens):
                found.append(f"a video card's lens id {lens!r:.40}")
    if options.references == "list":
        found += [
            f"a reference numbered {sup.get('data-numero', '')!r:.40}"
            for sup in _references(root)
            if not reference_number(sup)
        ]
    return tuple(found)


def reference_item(number: str, text: str, url: str) -> HtmlElement:
    """`<li id=ref_N><a href=#ref_N_0>^</a>text <a href=url>url</a></li>`; a URL that is not a web
    link (a `javascript:` one) stays text."""
    body = E.span(text.strip())
    if target := web_url(url):
        target = settable(target)  # unwrapped, decoded: `%01` is a control character (rule 5's)
        body.append(E.a(target, href=target))
        body.text = (body.text + " ") if body.text else None
    elif url.strip():
        body.text = f"{body.text or ''} {url.strip()}".strip()
    back = E.a("^", href=f"#ref_{number}_0", **{"class": "ReferenceList-backLink"})
    return E.li(back, body, id=f"ref_{number}", value=number)

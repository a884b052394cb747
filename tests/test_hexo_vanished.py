"""What vanished from Zhihu, in a real Hexo build (issue 27): the month page `recheck` writes and
the note on each vanished post (ARCHIVE_VANISHED_NOTE), read back by Hexo and opened in headless
Chromium (screenshots in tests/artifacts/). Slow.

The archive is made as tests/test_e2e_recheck.py makes it, through the fixture server: a hot list
and a few URLs archived, then Zhihu serving each kind of going (tests/fixtures/scenarios/
recheck-vanished, and recheck-article-gone: the article whose title holds `{{ }}` deleted).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import html as lxml_html

from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.post.daily import page_text
from archiver.post.paths import post_slug
from archiver.post.periods import month_of
from archiver.post.render import PostOptions, body_for, render
from archiver.post.text import one_line
from archiver.post.vanished import KEY, LABELS, NOTE_CLASS, Gone, month_page, with_note
from tests.support.crawling import crawl, posts
from tests.support.hexo_site import (
    chromium_on,
    generate,
    make_site,
    make_volantis_site,
    posts_as_hexo_reads_them,
)
from tests.support.nasty import NASTY
from tests.support.project import make_post

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
ZONE = ZoneInfo("Asia/Shanghai")  # HISTORY_TIMEZONE: where the month page's days are
CATEGORIES = ["社交媒体", "知乎", "知乎消失内容"]
URLS = (
    "https://www.zhihu.com/answer/3100000000000000001",
    "https://www.zhihu.com/answer/3300000000000000001",
    "https://zhuanlan.zhihu.com/p/23141946",
    "https://www.zhihu.com/pin/1800000000000000001",
)
HOT = "_posts/社交媒体/知乎/知乎热榜"
# key -> its kind of going, its kept post
VANISHED = {
    "answer:2583412650": ("gone", f"{HOT}/answer-2583412650.md"),
    "answer:1937000000000000123": ("question_gone", f"{HOT}/answer-1937000000000000123.md"),
    "answer:3012345678": ("hidden", f"{HOT}/answer-3012345678.md"),
    "answer:3100000000000000001": (
        "author_gone",
        "_posts/社交媒体/知乎/知乎回答/answer-3100000000000000001.md",
    ),
    "article:23141946": ("gone", "_posts/社交媒体/知乎/知乎专栏/article-23141946.md"),
}
STILL_THERE = (
    "_posts/社交媒体/知乎/知乎回答/answer-3300000000000000001.md",  # folded, not gone
    "_posts/社交媒体/知乎/知乎想法/pin-1800000000000000001.md",  # edited
)
# The guide's volantis recipe (docs/guide.md), as tests/test_volantis.py uses it.
VOLANTIS_RECIPE = (
    "ARCHIVE_IMAGES=local",
    "ARCHIVE_FRONT_MATTER_UPDATED=True",
    "ARCHIVE_FRONT_MATTER_TITLE_DISPLAY=True",
    "ARCHIVE_BODY_BRACES=raw",
)
LOCAL = ("ARCHIVE_IMAGES=local",)  # every figure from the site: no request leaves 127.0.0.1
# Strangers' titles and names, and kept posts in folders a user's category settings can make:
# a month page of those too, made with the same functions, for a month of its own.
HOSTILE_MONTH = month_of(date(2020, 1, 1))
HOSTILE_FOLDERS = (
    "Tech Notes",
    "C#",
    "a #b",
    "it's",
    "&anchor",
    "&copy",
    "emoji 🐱 «»",
    "{a: b}",
    "[a, b]",
)
HOSTILE = [
    make_post(
        id=f"60000000{n}",
        title=NASTY[(7 * n + 39) % len(NASTY)],  # from `{{ 模板 }} {% raw %}` on
        categories=("测试", folder),
        url=f"https://www.zhihu.com/question/1/answer/60000000{n}?a=1&b='\"",
        updated=1577836800 + 3600 * n,
    )
    for n, folder in enumerate(HOSTILE_FOLDERS)
]
SEED = "answer:2583412650"  # the post opened in Chromium: 6 figures, deleted by its author


class Built:
    """A site built around an archive `recheck` found things gone in."""

    def __init__(self, site: Path, kept: dict[str, bytes], name: str) -> None:
        self.site = site
        self.name = name  # of the site's configuration, for the screenshots
        self.source = site / "source"
        self.public = site / "public"
        self.kept = kept  # the posts as archived, before the recheck
        self.hexo = posts_as_hexo_reads_them(site)

    def rows(self, sql: str) -> list[tuple]:
        db = sqlite3.connect(self.source / ".archiver" / "index.sqlite3")
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def goings(self) -> dict[str, tuple[str, datetime, datetime, str, str]]:
        """key -> (state, first archived, first noticed, its title, its URL on Zhihu)."""
        found = self.rows(
            "SELECT v.key, v.state, p.first_seen, v.noticed_at, p.title, p.url"
            " FROM vanished v JOIN posts p ON p.key = v.key"
        )
        return {
            key: (state, datetime.fromisoformat(seen), datetime.fromisoformat(noticed), title, url)
            for key, state, seen, noticed, title, url in found
        }

    def month_page(self) -> tuple[str, dict]:
        """The month page's source path and Hexo's view of it."""
        noticed = max(going[2] for going in self.goings().values())
        month = month_of(noticed.astimezone(ZONE).date())
        path = f"_posts/{'/'.join(CATEGORIES)}/page-vanished-{month.name}.md"
        return path, self.hexo[path]

    def built_page(self, hexo_path: str) -> Path:
        return self.public / unquote(hexo_path).strip("/") / "index.html"


def archive_and_recheck(source: Path, settings: tuple[str, ...]) -> dict[str, bytes]:
    """The archive of test_e2e_recheck.py made in `source`, then rechecked with the note on;
    the posts as they were before the recheck."""
    run = crawl(source, settings=settings)
    assert run.code == 0, run.log
    run = crawl(source, command=("archive", *URLS), settings=settings)
    assert run.code == 0, run.log
    kept = posts(source)
    run = crawl(
        source,
        "recheck-article-gone",
        "recheck-vanished",
        command=("recheck",),
        settings=(*settings, "ARCHIVE_VANISHED_NOTE=True"),
    )
    assert run.code == 0, run.log
    assert "Summary: 7 checked (0 unchanged, 1 edited, 2 gone, 1 hidden, 1 question_gone" in run.log
    return kept


@pytest.fixture(scope="module", params=["", "Asia/Shanghai"], ids=["utc-site", "shanghai-site"])
def built(request, tmp_path_factory) -> Built:
    site = make_site(tmp_path_factory.mktemp("hexo-vanished") / "site", request.param)
    source = site / "source"
    kept = archive_and_recheck(source, LOCAL)
    write_hostile(source)
    done = generate(site)
    assert done.returncode == 0, done.stdout + done.stderr
    return Built(site, kept, "shanghai-site" if request.param else "utc-site")


def write_hostile(source: Path) -> None:
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    writer = PostWriter(source, index)
    goings = []
    for n, post in enumerate(HOSTILE):
        _, path = writer.write(post, render(post, body_for(post), PostOptions()).encode("utf-8"))
        noticed = datetime(2020, 1, 20, n, tzinfo=UTC)
        author = NASTY[(5 * n + 1) % len(NASTY)]
        goings.append(
            Gone(post.title, author, "answer", post.url, "gone", noticed, noticed, post_slug(path))
        )
    page = month_page(HOSTILE_MONTH, ZONE, goings, ("测试", "消失"))
    assert page is not None
    writer.write(page.post, page_text(page, PostOptions()).encode("utf-8"))
    index.close()


def hostile_page(built: Built) -> dict:
    return built.hexo[f"_posts/测试/消失/page-vanished-{HOSTILE_MONTH.name}.md"]


def content_of(hexo_post: dict) -> lxml_html.HtmlElement:
    """The post's body as Hexo rendered it: our wrapper `<div>`."""
    rendered = lxml_html.fragment_fromstring(hexo_post["content"], create_parent="section")
    [wrapper] = rendered.findall("div")
    return wrapper


def tree(root: lxml_html.HtmlElement) -> list:
    """Elements, attributes and text of `root` and below (not what follows `root` itself)."""
    return [
        (el.tag, dict(el.attrib), el.text or "", (el.tail or "") if el is not root else "")
        for el in root.iter()
    ]


def test_recheck_found_each_kind_of_going(built):
    assert {key: going[0] for key, going in built.goings().items()} == {
        key: state for key, (state, _) in VANISHED.items()
    }


def test_the_month_page_is_a_post_hexo_publishes_with_its_title_and_date(built):
    _, page = built.month_page()
    noticed = max(going[2] for going in built.goings().values())
    month = month_of(noticed.astimezone(ZONE).date())
    title = f"知乎上消失的内容 {month.start.year} 年 {month.start.month} 月"
    assert page["title"] == title
    # Dated by the latest noticing, as an instant, in a site with a timezone and one without.
    assert page["date"] == noticed.astimezone(UTC).isoformat().replace("+00:00", ".000Z")
    chain = [(c["name"], c["parent"]) for c in page["categories"]]
    assert chain == list(zip(CATEGORIES, [None, *CATEGORIES[:-1]], strict=True))
    assert page.get("vanished") is None
    built_html = lxml_html.fromstring(built.built_page(page["path"]).read_bytes())
    assert built_html.findtext(".//title") == title
    assert built_html.get_element_by_id("title").text_content() == title
    assert built_html.get_element_by_id("date").get("datetime") == page["date"]


def test_the_month_page_lists_each_going_with_a_link_to_its_kept_post(built):
    _, page = built.month_page()
    html = lxml_html.fromstring(built.built_page(page["path"]).read_bytes())
    items = html.get_element_by_id("content").findall(".//ol/li")
    goings = built.goings()
    assert len(items) == len(goings) == len(VANISHED)
    by_url = {going[4]: (key, going) for key, going in goings.items()}
    listed = []
    for item in items:
        zhihu, kept = item.findall("a")
        key, (state, archived, noticed, title, _) = by_url[zhihu.get("href")]
        listed.append(noticed)
        text = item.text_content()
        assert zhihu.text_content() == title  # braces shown as braces, never `&#123;`
        assert LABELS[state] in text, text
        assert f"{archived.astimezone(ZONE).date().isoformat()} 存档" in text
        assert f"{noticed.astimezone(ZONE):%Y-%m-%d %H:%M} 发现" in text
        # The kept post, by the link Hexo made of `{% post_link %}`: a page of the built site.
        target = built.hexo[VANISHED[key][1]]
        href = kept.get("href")
        assert unquote(href) == f"/{target['path']}", href
        assert built.built_page(href).is_file(), href
        assert kept.text_content() == target["title"] == title
    assert listed == sorted(listed)


def test_strangers_titles_and_a_user_s_folders_build_and_link(built):
    page = hostile_page(built)
    assert page["title"] == f"知乎上消失的内容 {HOSTILE_MONTH.title}"
    html = lxml_html.fromstring(built.built_page(page["path"]).read_bytes())
    items = html.get_element_by_id("content").findall(".//ol/li")
    assert len(items) == len(HOSTILE)
    for post, item in zip(HOSTILE, items, strict=True):
        zhihu, *kept = item.findall("a")
        assert zhihu.get("href") == post.url
        assert zhihu.text_content() == one_line(post.title)  # text, never a tag or an entity
        [(path, read)] = [(p, r) for p, r in built.hexo.items() if post.id in p]
        if any(c in path for c in "#&{"):
            # Hexo reads a `#` in a post_link as an anchor (and its own URL of such a post
            # too), writes `&` raw into the href (`&copy/` is `©/` to a browser), and no tag
            # carries braces: the kept post is named, not linked.
            assert kept == [] and f"存档：{post_slug(path)}" in item.text_content()
            continue
        [link] = kept
        assert unquote(link.get("href")) == f"/{read['path']}"
        assert built.built_page(link.get("href")).is_file(), link.get("href")
        assert link.text_content() == read["title"] == one_line(post.title)


def test_each_vanished_post_shows_the_note_at_the_top_and_keeps_its_body(built):
    for key, (state, path) in VANISHED.items():
        text = (built.source / path).read_text(encoding="utf-8")
        assert with_note(text, None).encode() == built.kept[path]  # the archived post, kept
        post = built.hexo[path]
        assert post[KEY] == state  # the front-matter key, as Hexo read it
        wrapper = content_of(post)
        # Hexo changed nothing of our markup: note and body as the file holds them.
        body = text.split("\n<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]
        ours = lxml_html.fragment_fromstring(f"<div>   \n{body}  \n</div>")
        assert tree(wrapper) == tree(ours), path
        # The note first, then what was archived.
        assert not (wrapper.text or "").strip()
        note = wrapper[0]
        assert note.tag == "p" and note.get("class") == NOTE_CLASS, path
        said = note.text_content()
        noticed = built.goings()[key][2].astimezone(ZONE).date().isoformat()
        assert f"{noticed} 发现" in said, said
        assert ("作者帐号已注销" if state == "author_gone" else LABELS[state]) in said, said
    for path in STILL_THERE:
        post = built.hexo[path]
        assert post.get(KEY) is None and NOTE_CLASS not in post["content"], path


def test_chromium_opens_the_month_page_its_links_and_a_vanished_post(built):
    _, page = built.month_page()
    hostile = hostile_page(built)
    seed = built.hexo[VANISHED[SEED][1]]
    name = built.name
    requested: list[str] = []
    loaded: dict[str, tuple[int, str]] = {}
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_on(built.public) as (browser, base):
        tab = browser.new_page(viewport={"width": 1000, "height": 1200})
        tab.on("request", lambda r: requested.append(r.url))
        tab.goto(f"{base}/{page['path']}", wait_until="load")
        heading = tab.inner_text("#title")
        items = tab.locator("#content ol > li")
        count = items.count()
        texts = items.all_inner_texts()
        kept = tab.eval_on_selector_all(
            "#content a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
        )
        tab.screenshot(path=str(ARTIFACTS / f"hexo-vanished-month-{name}.png"), full_page=True)
        for href in kept:
            response = tab.goto(f"{base}{href}", wait_until="load")
            loaded[href] = (response.status if response else 0, tab.inner_text("#title"))
        # The month of strangers' titles: each link as the browser resolves it (`&`, `'`).
        tab.goto(f"{base}/{hostile['path']}", wait_until="load")
        links = tab.eval_on_selector_all(
            "#content a[href^='/']", "links => links.map(a => [a.href, a.textContent])"
        )
        tab.screenshot(path=str(ARTIFACTS / f"hexo-vanished-hostile-{name}.png"), full_page=True)
        hostile_loaded = []
        for url, text in links:
            response = tab.goto(url, wait_until="load")
            hostile_loaded.append(
                (response.status if response else 0, tab.inner_text("#title"), text)
            )

        tab.goto(f"{base}/{seed['path']}", wait_until="load")
        note = tab.locator(f"#content p.{NOTE_CLASS}")
        first = tab.evaluate("document.querySelector('#content > div').firstElementChild.className")
        note_box = note.bounding_box()
        body_box = tab.locator("#content p[data-pid]").first.bounding_box()
        note_text = note.inner_text()
        images = tab.eval_on_selector_all(
            "#content img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])"
        )
        tab.screenshot(path=str(ARTIFACTS / f"hexo-vanished-post-{name}.png"), full_page=True)
    assert heading == page["title"]
    assert count == len(VANISHED) and all("发现" in t for t in texts), texts
    titles = {built.hexo[path]["title"] for _, path in VANISHED.values()}
    assert len(kept) == len(VANISHED)
    assert {status for status, _ in loaded.values()} == {200}, loaded
    assert {title for _, title in loaded.values()} == titles
    assert len(hostile_loaded) == 4  # not those with `#`, `&` or braces
    assert all(status == 200 and title == text for status, title, text in hostile_loaded), (
        hostile_loaded
    )
    assert first == NOTE_CLASS and LABELS["gone"] in note_text
    assert note_box and body_box and note_box["y"] + note_box["height"] <= body_box["y"]
    assert images and all(src.startswith("/images/") and width > 0 for src, width in images)
    assert requested and all(urlsplit(u).hostname == "127.0.0.1" for u in requested), [
        u for u in requested if urlsplit(u).hostname != "127.0.0.1"
    ]


@pytest.fixture(scope="module")
def volantis(tmp_path_factory) -> Path:
    site = make_volantis_site(tmp_path_factory.mktemp("volantis-vanished") / "site")
    archive_and_recheck(site / "source", VOLANTIS_RECIPE)
    done = generate(site)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


def test_volantis_shows_the_month_page_its_links_and_a_vanished_post(volantis):
    public = volantis / "public"
    [month] = public.glob("**/page-vanished-*/index.html")
    [seed] = public.glob("**/answer-2583412650/index.html")
    requested: list[str] = []

    def local_only(route) -> None:
        requested.append(route.request.url)
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()  # never sent: the test fails on it below

    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_on(public) as (browser, base):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", local_only)
        tab = context.new_page()
        tab.goto(f"{base}/{month.parent.relative_to(public).as_posix()}/", wait_until="load")
        heading = [t.strip() for t in tab.locator("article h1.title").all_inner_texts()]
        items = tab.locator("#post-body ol > li").all_inner_texts()
        text = tab.inner_text("body")
        kept = tab.eval_on_selector_all(
            "#post-body a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
        )
        tab.screenshot(path=str(ARTIFACTS / "volantis-vanished-month.png"), full_page=True)
        loaded = []
        for href in kept:
            response = tab.goto(f"{base}{href}", wait_until="load")
            loaded.append(response.status if response else 0)

        tab.goto(f"{base}/{seed.parent.relative_to(public).as_posix()}/", wait_until="load")
        note = tab.locator(f"#post-body p.{NOTE_CLASS}")
        said = note.inner_text()
        first = note.evaluate(
            "n => !!(n.compareDocumentPosition(document.querySelector('#post-body p[data-pid]'))"
            " & Node.DOCUMENT_POSITION_FOLLOWING)"
        )
        images = tab.eval_on_selector_all(
            "#post-body img", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])"
        )
        post_text = tab.inner_text("#post-body")
        tab.screenshot(path=str(ARTIFACTS / "volantis-vanished-post.png"), full_page=True)
        context.close()
    month_name = month.parent.name.removeprefix("page-vanished-")
    year, number = month_name.split("-")
    assert heading == [f"知乎上消失的内容 {year} 年 {int(number)} 月"]
    assert len(items) == len(VANISHED) and all("发现" in item for item in items), items
    assert "用 {{ 模板 }} 写博客时要注意的转义" in text and "&#" not in text
    assert len(kept) == len(VANISHED) and loaded == [200] * len(VANISHED), (kept, loaded)
    assert LABELS["gone"] in said and first
    assert "养猫的哈士奇的回答" in post_text and "&#" not in post_text
    assert images and all(src.startswith("/images/") and width > 0 for src, width in images)
    assert requested and all(urlsplit(u).hostname == "127.0.0.1" for u in requested), [
        u for u in requested if urlsplit(u).hostname != "127.0.0.1"
    ]

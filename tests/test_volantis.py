"""The posts in the theme they were made for: hexo-theme-volantis 6.8.3 on Hexo 8, in Chromium.

The site (`tests/hexo-volantis/`, installed with `npm ci` from its lock file) is hexo-cli's default
site with volantis, and the archive is made as the guide's "Using it with your Hexo blog" says:
crawled into the site's `source/` (set to Asia/Shanghai) with the volantis recipe's settings, the
author label added by `scrapy checkhexo --fix`. What a reader sees is then checked on a post with
figures, one without, a category page and the daily page. Slow: `-m "not slow"` leaves it out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.hexo.check import REFERRER_SCRIPT, REFERRER_SCRIPT_TEXT
from archiver.post.render import PostOptions, body_for, render
from tests.support.crawling import PROJECT, crawl
from tests.support.hexo_site import chromium_on, generate, make_volantis_site
from tests.support.project import make_post

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
ZONE = ZoneInfo("Asia/Shanghai")
# The guide's volantis recipe (docs/guide.md; local images).
RECIPE = (
    "ARCHIVE_IMAGES=local",
    "ARCHIVE_FRONT_MATTER_UPDATED=True",
    "ARCHIVE_FRONT_MATTER_TITLE_DISPLAY=True",
    "ARCHIVE_BODY_BRACES=raw",
)
HOT = ("社交媒体", "知乎", "知乎热榜")
SEED = "answer-2583412650"  # 6 figures, answered 2022-07-24 10:06:57 in Shanghai
PLAIN = "answer-3012345678"  # no figure; `{% raw %}` in its code
FIGURES = "answer-1999999999999999001"  # figures stored, failed and refused
REFUSED = (
    "http://127.0.0.1:9/secret.jpg",
    "https://192.168.1.10/router.png",
    "https://example.com/hotlink.jpg",
)
# Posts whose excerpts (the prev/next cards) cut through braces, Nunjucks and a literal endraw.
BRACES = (
    "<p>"
    + "模板语法，" * 14
    + "{{ user.name }} {% if x %}{% endif %} {% endraw %} {%- raw -%}</p>"
    + "<pre><code>{{ a }}\n\n{% for i in xs %}{{ i }}{% endfor %}</code></pre>"
)
BRACE_POSTS = [
    make_post(
        kind="answer",
        id=f"70000000{n}",
        title=f"大括号 {{{{ {n} }}}}",
        author="作者",
        url="u",
        updated=1658628417 + 60 * (n + 1),  # just after the seed: its neighbours
        categories=HOT,
        content=BRACES,
        question_id="",
    )
    for n in range(2)
]
# A remote-mode post: its head image on zhimg, which Chromium gets from a stand-in of zhimg's
# hotlink protection (a request with a Referer is refused).
REMOTE_IMAGE = "https://pic1.zhimg.com/v2-0123456789abcdef0123456789abcdef_b.jpg"
REMOTE_POST = make_post(
    kind="answer",
    id="710000000",
    title="远程模式的头图",
    author="作者",
    url="u",
    updated=1658628417 - 86400,
    categories=("测试", "远程"),  # off the category page, whose cards must all be local
    content=f'<figure><img src="{REMOTE_IMAGE}" class="origin_image"></figure><p>远程</p>',
    question_id="",
)


def checkhexo(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = [f"ARCHIVE_DIR={site / 'source'}", *RECIPE]
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "checkhexo", str(site), *args]
        + [a for s in settings for a in ("-s", s)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    site = make_volantis_site(tmp_path_factory.mktemp("volantis") / "site")
    source = site / "source"
    for scenario in ((), ("figures",)):
        run = crawl(source, *scenario, settings=RECIPE)
        assert run.code == 0, run.log
    recipe = dict(setting.split("=", 1) for setting in RECIPE)
    options = PostOptions(
        timezone=ZONE,
        updated=recipe["ARCHIVE_FRONT_MATTER_UPDATED"] == "True",
        title_display=recipe["ARCHIVE_FRONT_MATTER_TITLE_DISPLAY"] == "True",
        braces=recipe["ARCHIVE_BODY_BRACES"],
    )
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    writer = PostWriter(source, index)
    for post in BRACE_POSTS:
        writer.write(post, render(post, body_for(post), options).encode("utf-8"))
    writer.write(REMOTE_POST, render(REMOTE_POST, body_for(REMOTE_POST), options).encode("utf-8"))
    index.close()
    # The recipe's remote-mode step: no Referer from any page.
    (site / REFERRER_SCRIPT).write_text(REFERRER_SCRIPT_TEXT, encoding="utf-8")
    CHECKS["before"] = checkhexo(site)
    CHECKS["fixed"] = checkhexo(site, "--fix")  # adds the author label
    done = generate(site)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


CHECKS: dict[str, subprocess.CompletedProcess[str]] = {}


def test_checkhexo_fix_leaves_nothing_to_set(built):
    before, fixed = CHECKS["before"], CHECKS["fixed"]
    assert before.returncode == 1 and "set: author:" in before.stdout, before.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def page_path(site: Path, slug: str) -> str:
    [page] = (site / "public").glob(f"**/{slug}/index.html")
    return "/" + quote(page.parent.relative_to(site / "public").as_posix()) + "/"


@pytest.fixture(scope="module")
def browser(built):
    with chromium_on(built / "public") as (chrome, base):
        yield Reader(chrome, base, built)


class Reader:
    """Opens a page as a reader would; every request is recorded, and none leaves the machine."""

    def __init__(self, chrome, base: str, site: Path) -> None:
        self.chrome, self.base, self.site = chrome, base, site

    def open(self, path: str, name: str, zhimg: bool = False) -> dict:
        context = self.chrome.new_context(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        refused_referer: list[str] = []

        def route(request_route) -> None:
            request = request_route.request
            requested.append(request.url)
            host = urlsplit(request.url).hostname
            if host == "127.0.0.1":
                request_route.continue_()
            elif zhimg and host == "pic1.zhimg.com":
                # zhimg's hotlink protection, played here: no image for a foreign Referer.
                if request.headers.get("referer"):
                    refused_referer.append(request.url)
                    request_route.fulfill(status=403, body=b"")
                else:
                    image = self.site / "source/images/default/headimg.png"
                    request_route.fulfill(
                        status=200, body=image.read_bytes(), content_type="image/png"
                    )
            else:
                request_route.abort()  # never sent: the test fails on it below

        context.route("**/*", route)
        page = context.new_page()
        page.goto(self.base + path, wait_until="load")
        page.wait_for_timeout(600)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"volantis-{name}.png"), full_page=True)
        seen = page.evaluate(
            """() => {
              const img = sel => { const i = document.querySelector(sel);
                return i && {src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,
                             policy: i.referrerPolicy}; };
              const text = sel => [...document.querySelectorAll(sel)].map(e => e.innerText);
              const meta = document.querySelector('meta[name=referrer]');
              return {
                text: document.body.innerText,
                title: text('#post-body ~ * h1, article h1.title'),
                author: text('.new-meta-item.author'),
                date: text('.new-meta-item.date'),
                instant: [...document.querySelectorAll('.new-meta-item.date[datetime]')].map(
                  e => e.getAttribute('datetime')),
                excerpts: text('.prev-next .content'),
                headimg: img('img.headimg'),
                thumbnail: img('.article-meta img.thumbnail'),
                referrer: meta && meta.content,
                refused: [...document.querySelectorAll('.archiver-refused-figure')].map(
                  e => e.getAttribute('data-archiver-refused-src')),
                sources: [...document.querySelectorAll('[src],[srcset]')].map(
                  e => e.getAttribute('src') || e.getAttribute('srcset')),
              };
            }"""
        )
        context.close()
        return {**seen, "requested": requested, "refused_referer": refused_referer}


def crawl_day() -> tuple[str, ...]:
    """The crawl day as volantis writes dates (the daily page's title names it otherwise)."""
    today = datetime.now(ZONE).date()
    return (f"{today.year}年{today.month}月{today.day}日",)


def assert_reader_sees_no_entities(seen: dict) -> None:
    text = seen["text"]
    for garbage in ("&#", "&amp;#", "\ufffd", "\x0c"):
        assert garbage not in text, (garbage, text[:2000])


def assert_only_local_requests(seen: dict) -> None:
    off = [u for u in seen["requested"] if urlsplit(u).hostname != "127.0.0.1"]
    assert seen["requested"] and not off, off


def assert_post_header(seen: dict, title: str) -> None:
    assert [t.strip() for t in seen["title"]] == [title]  # title_display: true
    assert [a.strip() for a in seen["author"]] == ["知乎"]  # the label of author.yml
    assert "请设置文章作者" not in seen["text"]
    for image in ("headimg", "thumbnail"):
        assert seen[image] and seen[image]["loaded"], (image, seen[image])
        assert seen[image]["src"].startswith("/images/"), seen[image]


def test_a_post_with_figures(browser):
    seen = browser.open(page_path(browser.site, SEED), "post-with-figures")
    assert_post_header(seen, "ai作画到了什么水平了？目前有哪些应用？")
    assert "发布于：2022年7月24日" in [d.strip() for d in seen["date"]]
    # The answer's instant (updated_time 1658628417): 8 hours early if the archive were made
    # outside the site (GMT form) and copied in.
    assert set(seen["instant"]) == {"2022-07-24T02:06:57+00:00"}  # 发布于 and 更新于
    assert "更新于：2022年7月24日" in seen["text"]  # updated: the answer's, not the file's
    for day in crawl_day():
        assert day not in seen["text"], day  # neither 更新于 nor any list shows the crawl day
    assert_reader_sees_no_entities(seen)
    assert_only_local_requests(seen)
    # Its neighbours are the brace posts: their excerpts show braces, never a cut entity.
    assert seen["excerpts"] and any("{{ user.name }}" in e for e in seen["excerpts"])


def test_a_post_without_figures(browser):
    seen = browser.open(page_path(browser.site, PLAIN), "post-without-figures")
    assert_post_header(seen, "只有必需字段的回答会怎样？")
    assert seen["headimg"]["src"] == "/images/default/headimg.png"
    assert "{% raw %}" in seen["text"]  # its code, as Zhihu wrote it
    for day in crawl_day():
        assert day not in seen["text"], day
    assert_reader_sees_no_entities(seen)
    assert_only_local_requests(seen)


def test_a_post_with_braces_and_its_excerpts(browser):
    seen = browser.open(page_path(browser.site, "answer-700000000"), "post-with-braces")
    assert_post_header(seen, "大括号 {{ 0 }}")
    assert "{{ user.name }} {% if x %}{% endif %} {% endraw %} {%- raw -%}" in seen["text"]
    assert "{% for i in xs %}{{ i }}{% endfor %}" in seen["text"]
    assert seen["excerpts"] and all("&#" not in e for e in seen["excerpts"])
    assert_reader_sees_no_entities(seen)
    assert_only_local_requests(seen)


def test_search_holds_real_braces(built):
    search = json.loads((built / "public" / "content.json").read_text(encoding="utf-8"))
    [post] = [p for p in search["posts"] if "answer-700000000" in p["path"]]
    assert "{{ user.name }}" in post["text"] and "{% endraw %}" in post["text"]
    assert "&#" not in json.dumps(search, ensure_ascii=False)


def test_refused_figures_send_no_reader_anywhere(browser):
    seen = browser.open(page_path(browser.site, FIGURES), "post-refused-figures")
    assert sorted(seen["refused"]) == sorted(REFUSED)
    # Answered 2025-11-26 03:46:40 in Shanghai: the GMT form copied in would say the 25th.
    assert "发布于：2025年11月26日" in [d.strip() for d in seen["date"]]
    for url in REFUSED:
        assert not [u for u in seen["requested"] if u.startswith(url.rsplit("/", 1)[0])], url
        assert url not in seen["sources"]
    # Figures that failed on Zhihu's own hosts keep their remote URL until a later run stores them.
    failed = [u for u in seen["sources"] if urlsplit(u).hostname]
    assert failed and all(urlsplit(u).hostname.endswith(".zhimg.com") for u in failed), failed
    off = [u for u in seen["requested"] if urlsplit(u).hostname != "127.0.0.1"]
    assert all(urlsplit(u).hostname.endswith(".zhimg.com") for u in off), off
    assert seen["headimg"]["loaded"] and seen["thumbnail"]["loaded"]


def test_remote_head_image_and_thumbnail_send_no_referer(browser):
    seen = browser.open(page_path(browser.site, "answer-710000000"), "post-remote", zhimg=True)
    assert seen["referrer"] == "no-referrer"
    assert seen["headimg"]["src"] == REMOTE_IMAGE.replace("_b.jpg", "_1440w.jpg")
    assert seen["headimg"]["loaded"] and seen["thumbnail"]["loaded"], seen
    assert not seen["refused_referer"]


def test_the_category_page(browser):
    seen = browser.open("/categories/" + "/".join(quote(c) for c in HOT) + "/", "category")
    for title in ("ai作画到了什么水平了？目前有哪些应用？", "只有必需字段的回答会怎样？"):
        assert title in seen["text"]
    assert "2022年7月24日" in seen["text"] or "2022-07-24" in seen["text"]
    for day in crawl_day():
        assert day not in seen["text"], day  # the cards show each answer's date
    assert_reader_sees_no_entities(seen)
    assert_only_local_requests(seen)


def test_the_daily_page(browser):
    [page] = (browser.site / "public").glob("**/page-hotlist-2*/index.html")  # a day, not a week
    seen = browser.open(page_path(browser.site, page.parent.name), "daily")
    title = f"知乎热榜 {page.parent.name.removeprefix('page-hotlist-')}"
    assert_post_header(seen, title)
    assert "ai作画到了什么水平了？目前有哪些应用？" in seen["text"]
    assert_reader_sees_no_entities(seen)
    assert_only_local_requests(seen)

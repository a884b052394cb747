"""Proof on the real client: the archive builds with Hexo and its posts render in Chromium.

Slow (Node.js, npm packages, a browser): `./run test -m "not slow"` leaves these out.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from archiver.archive.history import record_hot_list, write_daily_page
from archiver.archive.index import ArchiveIndex
from archiver.archive.writer import PostWriter
from archiver.items import HotQuestion, Post
from archiver.pipelines.history import history_zone
from archiver.post.figures import figure_key
from archiver.post.render import PostOptions, body_for, post_text, render
from archiver.post.rich import RichOptions, video_key
from archiver.post.text import one_line
from archiver.spiders.base import categories_setting
from tests.support.crawling import crawl
from tests.support.hexo_site import (
    chromium_on,
    front_matters_as_hexo_reads_them,
    generate,
    make_site,
    posts_as_hexo_reads_them,
)
from tests.support.images import jpeg
from tests.support.nasty import NASTY, TEXT
from tests.support.project import PROJECT_SETTINGS, make_post
from tests.support.rich_fragments import EQUATIONS, EXPECTED_TEX, REFERENCES, UNCLOSED_CARD, VIDEO
from tests.support.videos import mp4

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
SEED = "_posts/社交媒体/知乎/知乎热榜/answer-2583412650.md"
COMMENTED_URL = "https://www.zhihu.com/question/655533333/answer/3300000000000000001"
COMMENTED = "_posts/社交媒体/知乎/知乎回答/answer-3300000000000000001.md"
HOSTILE_CATEGORIES = ("测试", "敌意")


def hostile(number: int, title: str, content: str, kind: str = "answer", **changes) -> Post:
    return make_post(
        **{
            "kind": kind,
            "id": f"900000000{number}",
            "title": title,
            "author": "作者",
            "url": "u",
            "updated": 1700000000 + number,
            "categories": HOSTILE_CATEGORIES,
            "content": content,
            "question_id": "",
            **changes,
        }
    )


# Code blocks whose newlines must stay newlines (item 16): blank and whitespace-only lines (the
# one newline that would leave them blank is `&#10;`), 4-space indents, Hexo's code fences.
CODE = (
    '<div class="highlight"><pre><code class="language-python">def f():\n\n'
    "    return 1\n    \n\t\n\u3000\n    # four spaces\n\n\n</code></pre></div>"
    "<pre>js:\n```js\nconsole.log(1)\n```\n~~~\nx\n~~~\n</pre><p>末尾</p>\n"
)


HOSTILE = [
    hostile(
        1,
        "it's: #1 “引号” 🐱 ——「全角」！？",
        '<div class="highlight"><pre><code class="language-jinja">{{ user.name }}\n'
        "{% if x %}{% endif %}\n{# comment #}</code></pre></div>"
        '<p><img src="https://www.zhihu.com/equation?tex=%5Cfrac%7Ba%7D%7Bb%7D" '
        'alt="\\frac{a}{b} {{ {% %}" eeimg="1"></p>',
    ),
    hostile(2, "--- 分隔线 ---", "<p>上</p>\n---\n<p>下</p><pre>a\n---\nb</pre>"),
    hostile(3, "缩进", "<p>一段</p>\n\n    four spaces: not a code block\n\n<pre>x\n\n    y</pre>"),
    hostile(4, "空的正文", "", kind="feed"),
    hostile(5, "代码块 {{ 大括号 }} {% raw %}", CODE),
    hostile(6, "CR LF 的源", CODE.replace("\n", "\r\n") + "\r\n\r\n<p>x\r\r</p>", kind="feed"),
]
# Front matter from nasty user settings and titles (item 13): every value of NASTY is a title, a
# category and a source label somewhere.
NASTY_POSTS = [
    hostile(
        100 + n,
        NASTY[n],
        f"<p>{n}</p>",
        categories=(NASTY[(n + 1) % len(NASTY)], NASTY[(n + 2) % len(NASTY)]),
        source=NASTY[(n + 3) % len(NASTY)],
    )
    for n in range(len(NASTY))
]
# The same bodies with ARCHIVE_BODY_BRACES=raw: `{% raw %}` instead of entities, same DOM.
RAW_CATEGORIES = ("测试", "原样")
RAW_HOSTILE = [
    dataclasses.replace(post, id=f"8{post.id}", categories=RAW_CATEGORIES) for post in HOSTILE
]
# Rich content (issue 14), one post per feature, each rendered with its setting; the figures
# they add (card image, video poster) archived in local-image mode.
RICH_CATEGORIES = ("测试", "富内容")
RICH = {
    "formulas": (hostile(201, "公式", EQUATIONS), RichOptions(formulas="tex"), "entities"),
    "formulas-raw": (hostile(202, "公式 raw", EQUATIONS), RichOptions(formulas="tex"), "raw"),
    "card": (hostile(203, "链接卡片", UNCLOSED_CARD), RichOptions(link_cards="card"), "entities"),
    "references": (
        hostile(204, "参考文献", REFERENCES),
        RichOptions(references="list"),
        "entities",
    ),
    "video": (hostile(205, "视频", VIDEO), RichOptions(videos="poster"), "entities"),
    # Item 2: the video file archived too, played from the archive.
    "video-file": (hostile(206, "视频文件", VIDEO), RichOptions(videos="download"), "entities"),
}
VIDEO_FILE = "/videos/1400000000000000001.mp4"
RICH_FIGURES = {  # figure key → site path of the archived copy
    figure_key("https://pic2.zhimg.com/v2-0123456789abcdef_ipico.jpg"): "/images/other/card.jpg",
    "zhimg/v2-fedcba9876543210fedcba9876543210.jpg": (
        "/images/zhimg/v2-fedcba9876543210fedcba9876543210.jpg"
    ),
    video_key("1400000000000000001"): VIDEO_FILE,
}
# A hot-list title with a NUL and a forged tag (item 8): it used to break the daily page.
NUL_ENTRY = HotQuestion(51, "9000000099", "零\x00字节 {% post_link evil %}", "1\x00 万热度")


def write_hostile(source: Path, options: PostOptions) -> None:
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    writer = PostWriter(source, index)
    for post in HOSTILE + NASTY_POSTS:
        writer.write(post, render(post, body_for(post), options).encode("utf-8"))
    raw = dataclasses.replace(options, braces="raw")
    for post in RAW_HOSTILE:
        writer.write(post, render(post, body_for(post), raw).encode("utf-8"))
    write_rich(source, writer, options)
    # The day's page again, now with the NUL entry, as the next run (or `history`) would write it.
    zone = history_zone(PROJECT_SETTINGS["HISTORY_TIMEZONE"])
    now = datetime.now(UTC)
    record_hot_list(index, now, [NUL_ENTRY])
    categories = categories_setting(PROJECT_SETTINGS["HISTORY_CATEGORIES"])
    assert write_daily_page(writer, now.astimezone(zone).date(), zone, categories, options)
    index.close()


def write_rich(source: Path, writer: PostWriter, options: PostOptions) -> None:
    for path in RICH_FIGURES.values():
        (source / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        data = mp4(2.0, 480, 270) if path == VIDEO_FILE else jpeg(480, 270)
        (source / path.lstrip("/")).write_bytes(data)
    for post, rich, braces in RICH.values():
        post = dataclasses.replace(post, categories=RICH_CATEGORIES)
        mode = dataclasses.replace(options, rich=rich, braces=braces, local_images=True)
        body = body_for(post, RICH_FIGURES, rich=rich)
        writer.write(post, render(post, body, mode).encode("utf-8"))


def tree(root: lxml_html.HtmlElement) -> list:
    """Elements, attributes and text of `root` and below (not what follows `root` itself)."""
    return [
        (el.tag, dict(el.attrib), el.text or "", (el.tail or "") if el is not root else "")
        for el in root.iter()
    ]


def build(tmp_path: Path, timezone: str) -> tuple[Path, dict[str, dict]]:
    site = make_site(tmp_path / "site", timezone)
    source = site / "source"
    run = crawl(source, settings=("ARCHIVE_IMAGES=local",))
    assert run.code == 0, run.log
    # An answer with its top comments (issue 14), captured by a real crawl, images archived.
    settings = ("ARCHIVE_IMAGES=local", "ZHIHU_COMMENTS=2")
    run = crawl(source, command=("archive", COMMENTED_URL), settings=settings)
    assert run.code == 0, run.log
    from archiver.hexo.site import site_timezone

    write_hostile(source, PostOptions(timezone=site_timezone("auto", source)))
    done = generate(site)
    assert done.returncode == 0, done.stdout + done.stderr
    return site, posts_as_hexo_reads_them(site)


@pytest.fixture(scope="module", params=["", "Asia/Shanghai"], ids=["utc-site", "shanghai-site"])
def site(request, tmp_path_factory):
    return build(tmp_path_factory.mktemp("hexo"), request.param)


def expected_body(source: Path, path: str) -> str:
    text = (source / path).read_text(encoding="utf-8")
    body = text.split("<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]
    if body.startswith("{% raw %}"):
        # What Nunjucks prints of raw blocks: their contents.
        return body.replace("{% raw %}", "").replace("{% endraw %}", "")
    return body


def test_every_post_is_built_with_its_title_categories_and_date(site):
    root, hexo_posts = site
    source = root / "source"
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    entries = index.db.execute("SELECT path, title, updated_time FROM posts").fetchall()
    index.close()
    # 3 answers, the daily, week and month pages, the answer with comments, the hostile posts,
    # the nasty front matters, the rich posts
    total = 6 + 1 + 2 * len(HOSTILE) + len(NASTY_POSTS) + len(RICH)
    assert len(entries) == len(hexo_posts) == total
    for path, title, updated in entries:
        post = hexo_posts[path]
        assert post["title"] == one_line(title)
        instant = datetime.fromtimestamp(updated, UTC).isoformat().replace("+00:00", ".000Z")
        assert post["date"] == instant, path  # the right instant in both site configurations
        chain = [(c["name"], c["parent"]) for c in post["categories"]]
        names = [name for name, _ in chain]
        assert chain == list(zip(names, [None, *names[:-1]], strict=True))  # a hierarchy
        assert (root / "public" / post["path"] / "index.html").is_file()


def test_bodies_survive_markdown_and_nunjucks(site):
    root, hexo_posts = site
    for path, post in hexo_posts.items():
        if "/知乎热榜日报/" in path:
            continue  # its post_link tags are meant to be expanded: see the next test
        rendered = lxml_html.fragment_fromstring(post["content"], create_parent="section")
        [wrapper] = rendered.findall("div")
        ours = f"<div>   \n{expected_body(root / 'source', path)}  \n</div>"
        assert tree(wrapper) == tree(lxml_html.fragment_fromstring(ours)), path
    code = hexo_posts["_posts/测试/敌意/answer-9000000001.md"]["content"]
    assert "{{ user.name }}" in lxml_html.fromstring(code).text_content()
    raw = hexo_posts["_posts/测试/原样/answer-89000000001.md"]["content"]
    assert "{{ user.name }}" in raw and "&#123;" not in raw  # real braces in Hexo's content
    indented = hexo_posts["_posts/测试/敌意/answer-9000000003.md"]["content"]
    assert indented.count("<pre>") == 1  # the indented line did not become a code block
    for code in ("_posts/测试/敌意/answer-9000000005.md", "_posts/测试/敌意/feed-9000000006.md"):
        rendered = hexo_posts[code]["content"]
        assert "\n    return 1" in rendered and "console.log(1)\n" in rendered  # newlines kept
        assert "<figure" not in rendered and rendered.count("<pre>") == 2  # no fence taken


def test_front_matter_from_nasty_settings_reads_back_in_hexo(site):
    # Item 13: Hexo drops a post whose front matter it cannot read, and still exits 0.
    _, hexo_posts = site
    for post in NASTY_POSTS:
        [read] = [p for path, p in hexo_posts.items() if path.endswith(f"/answer-{post.id}.md")]
        assert read["title"] == one_line(post.title)
        assert [c["name"] for c in read["categories"]] == [one_line(c) for c in post.categories]
        assert read["author"] == one_line(post.source)
        assert read["headimg"] == read["thumbnail"] == "/images/default/headimg.png"


def test_braces_show_as_braces_in_title_and_heading(site):
    # Item 14: front matter is never run through Nunjucks, so `{`/`}` stay as they are.
    root, hexo_posts = site
    post = hexo_posts["_posts/测试/敌意/answer-9000000005.md"]
    assert post["title"] == "代码块 {{ 大括号 }} {% raw %}"
    page = lxml_html.fromstring((root / "public" / post["path"] / "index.html").read_bytes())
    assert page.findtext(".//title") == post["title"]
    assert page.get_element_by_id("title").text_content() == post["title"]
    assert "&#123;" not in page.findtext(".//title")


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(st.tuples(TEXT, st.lists(TEXT, max_size=3), TEXT, TEXT), min_size=25, max_size=25))
def test_hexo_front_matter_parser_reads_any_values_back(values):
    # Item 13, the JavaScript side: js-yaml (YAML 1.2) as Hexo calls it, on generated strings.
    posts = [
        make_post(title=t, categories=tuple(c), source=s, hot_image=i) for t, c, s, i in values
    ]
    texts = [post_text(post, PostOptions()) for post in posts]
    for post, read in zip(posts, front_matters_as_hexo_reads_them(texts), strict=True):
        assert read.get("title") == one_line(post.title), read
        assert (read["categories"] or []) == [one_line(c) for c in post.categories]
        assert read["author"] == (one_line(post.source) if post.source else "知乎")
        image = one_line(post.hot_image)
        assert read["headimg"] == (image if image.strip() else "/images/default/headimg.png")


def test_the_daily_page_links_the_archived_answers(site):
    root, hexo_posts = site
    [page] = [p for path, p in hexo_posts.items() if "/知乎热榜日报/page-hotlist-2" in path]
    links = lxml_html.fragment_fromstring(page["content"], create_parent="div").iter("a")
    archived = {unquote(a.get("href")) for a in links if "zhihu.com" not in a.get("href", "")}
    answers = {f"/{p['path']}" for path, p in hexo_posts.items() if "/知乎热榜/answer-" in path}
    assert archived == answers and len(answers) == 3
    # Item 8: the NUL entry is listed, its text as text, and broke nothing.
    text = lxml_html.fragment_fromstring(page["content"], create_parent="div").text_content()
    assert "零字节 {% post_link evil %}" in text and "\x00" not in page["content"]
    assert (root / "public" / "images/default/headimg.png").is_file()  # item 15


def test_the_seed_form_is_misread_on_a_site_with_a_timezone(tmp_path):
    # Why ARCHIVE_TIMEZONE exists: Hexo 8 ignores the GMT of `Sun, 24 Jul 2022 02:06:57 GMT`.
    site = make_site(tmp_path / "site", "Asia/Shanghai")
    crawl(site / "source", settings=("ARCHIVE_TIMEZONE=",))
    assert generate(site).returncode == 0
    seed = posts_as_hexo_reads_them(site)[SEED]
    assert seed["date"] == "2022-07-23T18:06:57.000Z"  # 8 hours early


def test_local_images_load_in_chromium_from_127_0_0_1_only(site):
    root, hexo_posts = site
    requested: list[str] = []
    with chromium_on(root / "public") as (browser, base):
        page = browser.new_page(viewport={"width": 1000, "height": 1600})
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{base}/{hexo_posts[SEED]['path']}", wait_until="load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"hexo-post-{root.parent.name}.png"), full_page=True)
    assert len(images) == 6
    for src, complete, width in images:
        assert src.startswith("/images/") and complete and width > 0, src
    assert requested and all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested


def rich_page(browser, base: str, hexo_posts: dict, name: str, requested: list[str]):
    post, _, _ = RICH[name]
    [read] = [p for path, p in hexo_posts.items() if path.endswith(f"/answer-{post.id}.md")]
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{base}/{read['path']}", wait_until="load")
    return page


def shot(page, name: str, root: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(ARTIFACTS / f"hexo-rich-{name}-{root.parent.name}.png"), full_page=True
    )


def test_formulas_as_tex_render_with_mathjax_in_chromium(site):
    # Issue 14: every formula of the answer becomes MathJax output, from the site's own copy.
    root, hexo_posts = site
    requested: list[str] = []
    with chromium_on(root / "public") as (browser, base):
        for name in ("formulas", "formulas-raw"):
            page = rich_page(browser, base, hexo_posts, name, requested)
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("MathJax.startup.promise")
            math = page.eval_on_selector_all(
                "#content mjx-container",
                "els => els.map(e => [e.getAttribute('display') === 'true',"
                " e.querySelector('svg') !== null, e.querySelector('[data-mjx-error], merror')"
                " === null, e.getBoundingClientRect().width > 0])",
            )
            text = page.inner_text("#content")
            shot(page, name, root)
            assert len(math) == len(EXPECTED_TEX), name
            assert [m[0] for m in math] == [t.startswith("\\[") for t in EXPECTED_TEX]
            assert all(svg and ok and wide for _, svg, ok, wide in math), math
            assert "\\(" not in text and "\\[" not in text and "&#123;" not in text
    assert any(u.endswith("/mathjax/tex-svg.js") for u in requested)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested


def test_card_references_and_video_read_as_on_zhihu_in_chromium(site):
    root, hexo_posts = site
    requested: list[str] = []
    loaded = "img => img.complete && img.naturalWidth > 0"
    with chromium_on(root / "public") as (browser, base):
        page = rich_page(browser, base, hexo_posts, "card", requested)
        card = page.locator("#content a[data-draft-type=link-card]")
        assert card.get_attribute("href") == "https://example.org/post"
        assert card.inner_text().strip() == "一篇文章的标题"
        assert card.locator("img").evaluate(loaded)
        assert page.locator("#content a[data-draft-type=link-card] p").count() == 0  # closed
        assert page.locator("#content p").count() == 3
        shot(page, "card", root)

        page = rich_page(browser, base, hexo_posts, "references", requested)
        assert page.locator("#content h2").inner_text() == "参考"
        items = page.locator("#content ol.ReferenceList > li")
        assert items.count() == 4
        assert page.locator("#content sup a").count() == 5
        page.locator("#content sup a").nth(1).click()
        assert page.evaluate("location.hash") == "#ref_2"
        target = items.nth(1).locator("a").nth(1).get_attribute("href")
        assert target == "https://example.org/a?b=1"
        shot(page, "references", root)

        page = rich_page(browser, base, hexo_posts, "video", requested)
        figure = page.locator("#content figure.archiver-video")
        assert figure.locator("a").first.get_attribute("href") == (
            "https://www.zhihu.com/video/1400000000000000001"
        )
        assert figure.locator("img").evaluate(loaded)  # the archived poster
        assert figure.locator("figcaption").inner_text() == "▶ 实验演示"
        shot(page, "video", root)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested


def test_an_archived_video_plays_from_the_archive_in_chromium(site):
    # Issue 14 item 2: the video's metadata loads from the site itself, its poster shows.
    root, hexo_posts = site
    requested: list[str] = []
    with chromium_on(root / "public") as (browser, base):
        page = rich_page(browser, base, hexo_posts, "video-file", requested)
        video = page.locator("#content figure.archiver-video video")
        assert video.get_attribute("src") == VIDEO_FILE
        page.wait_for_function(
            "document.querySelector('#content figure.archiver-video video').readyState >= 1"
        )
        state = video.evaluate(
            "v => [v.readyState, v.duration, v.videoWidth, v.videoHeight, v.error]"
        )
        # The poster as the browser shows it: the image the attribute names, decoded.
        poster = video.evaluate(
            "v => new Promise(done => { const i = new Image();"
            " i.onload = () => done([v.poster, i.naturalWidth]);"
            " i.onerror = () => done([v.poster, 0]); i.src = v.poster; })"
        )
        caption = page.locator("#content figure.archiver-video figcaption a")
        assert caption.inner_text() == "实验演示"
        assert caption.get_attribute("href") == "https://www.zhihu.com/video/1400000000000000001"
        shot(page, "video-file", root)
    ready, duration, width, height, error = state
    assert ready >= 1 and duration > 0 and (width, height) == (480, 270) and error is None
    assert urlsplit(poster[0]).path == RICH_FIGURES["zhimg/v2-fedcba9876543210fedcba9876543210.jpg"]
    assert poster[1] > 0
    assert any(urlsplit(u).path == VIDEO_FILE for u in requested)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested


def test_comments_show_with_their_authors_and_images_in_chromium(site):
    # Issue 14: the 评论 section after the body, as a reader sees it.
    root, hexo_posts = site
    requested: list[str] = []
    loaded = "img => img.complete && img.naturalWidth > 0"
    with chromium_on(root / "public") as (browser, base):
        page = browser.new_page(viewport={"width": 1000, "height": 1600})
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{base}/{hexo_posts[COMMENTED]['path']}", wait_until="load")
        heading = page.locator("#content h2")
        assert heading.inner_text() == "评论" and heading.is_visible()
        items = page.locator("#content ol.CommentList > li")
        assert items.count() == 2
        authors = items.locator("a.CommentItem-author")
        assert authors.all_inner_texts() == ["云上的猫", "河边的人"]
        assert authors.first.get_attribute("href") == "https://www.zhihu.com/people/yun-shang"
        assert items.first.locator("time").inner_text() == "2025-11-28 12:20"
        image = items.first.locator("img")
        assert image.get_attribute("src").startswith("/images/zhimg/") and image.evaluate(loaded)
        assert image.is_visible()
        hostile = items.nth(1)
        assert "{{ site.title }} {% raw %}" in hostile.inner_text()  # text, not a template
        assert "[飙泪笑]" in hostile.inner_text() and hostile.locator("script").count() == 0
        assert page.locator("#content a[href^='javascript:']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"hexo-comments-{root.parent.name}.png"), full_page=True
        )
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested

"""Proof on the real client: the archive builds with Hexo and its posts render in Chromium.

Slow (Node.js, npm packages, a browser): `./run test -m "not slow"` leaves these out.
"""

from __future__ import annotations

import functools
import shutil
import threading
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import make_post
from crawling import crawl
from hexo_site import generate, make_site, posts_as_hexo_reads_them, unavailable
from lxml import html as lxml_html

from archiver.index import ArchiveIndex
from archiver.items import Post
from archiver.post.render import PostOptions, body_for, render
from archiver.writer import PostWriter

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
SEED = "_posts/社交媒体/知乎/知乎热榜/answer-2583412650.md"
HOSTILE_CATEGORIES = ("测试", "敌意")


def hostile(number: int, title: str, content: str, kind: str = "answer") -> Post:
    return make_post(
        kind=kind,
        id=f"900000000{number}",
        title=title,
        author="作者",
        url="u",
        updated=1700000000 + number,
        categories=HOSTILE_CATEGORIES,
        content=content,
        question_id="",
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
]


def write_hostile(source: Path, options: PostOptions) -> None:
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    writer = PostWriter(source, index)
    for post in HOSTILE:
        writer.write(post, render(post, body_for(post), options).encode("utf-8"))
    index.close()


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
    from archiver.hexo import site_timezone

    write_hostile(source, PostOptions(timezone=site_timezone("auto", source)))
    done = generate(site)
    assert done.returncode == 0, done.stdout + done.stderr
    return site, posts_as_hexo_reads_them(site)


@pytest.fixture(scope="module", params=["", "Asia/Shanghai"], ids=["utc-site", "shanghai-site"])
def site(request, tmp_path_factory):
    return build(tmp_path_factory.mktemp("hexo"), request.param)


def expected_body(source: Path, path: str) -> str:
    text = (source / path).read_text(encoding="utf-8")
    return text.split("<div>   \n", 1)[1].rsplit("  \n</div>\n", 1)[0]


def test_every_post_is_built_with_its_title_categories_and_date(site):
    root, hexo_posts = site
    source = root / "source"
    index = ArchiveIndex(source / ".archiver" / "index.sqlite3")
    entries = index.db.execute("SELECT path, title, updated_time FROM posts").fetchall()
    index.close()
    assert len(entries) == len(hexo_posts) >= 8  # 3 answers, the daily page, 4 hostile
    for path, title, updated in entries:
        post = hexo_posts[path]
        assert post["title"] == title
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
    indented = hexo_posts["_posts/测试/敌意/answer-9000000003.md"]["content"]
    assert indented.count("<pre>") == 1  # the indented line did not become a code block


def test_the_daily_page_links_the_archived_answers(site):
    _, hexo_posts = site
    [page] = [p for path, p in hexo_posts.items() if "/知乎热榜日报/" in path]
    links = lxml_html.fragment_fromstring(page["content"], create_parent="div").iter("a")
    archived = {unquote(a.get("href")) for a in links if "zhihu.com" not in a.get("href", "")}
    answers = {f"/{p['path']}" for path, p in hexo_posts.items() if "/知乎热榜/answer-" in path}
    assert archived == answers and len(answers) == 3


def test_the_seed_form_is_misread_on_a_site_with_a_timezone(tmp_path):
    # Why ARCHIVE_TIMEZONE exists: Hexo 8 ignores the GMT of `Sun, 24 Jul 2022 02:06:57 GMT`.
    site = make_site(tmp_path / "site", "Asia/Shanghai")
    crawl(site / "source", settings=("ARCHIVE_TIMEZONE=",))
    assert generate(site).returncode == 0
    seed = posts_as_hexo_reads_them(site)[SEED]
    assert seed["date"] == "2022-07-23T18:06:57.000Z"  # 8 hours early


def test_local_images_load_in_chromium_from_127_0_0_1_only(site):
    root, hexo_posts = site
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        unavailable("Debian's chromium is needed for the browser check")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright (pip) drives Chromium")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root / "public"))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    requested: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page(viewport={"width": 1000, "height": 1600})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(f"{base}/{hexo_posts[SEED]['path']}", wait_until="load")
            images = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(
                path=str(ARTIFACTS / f"hexo-post-{root.parent.name}.png"), full_page=True
            )
            browser.close()
    finally:
        server.shutdown()
    assert len(images) == 6
    for src, complete, width in images:
        assert src.startswith("/images/") and complete and width > 0, src
    assert requested and all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested

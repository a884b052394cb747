"""Settings that fit posts to their theme, refused figures in local mode, and `scrapy checkhexo`.

Fast: the files and texts only. tests/test_volantis.py builds them with the real theme.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import frontmatter
import yaml
from lxml import html as lxml_html

from archiver.hexo.check import AUTHOR_FILE, REFERRER_SCRIPT, REFERRER_SCRIPT_TEXT
from archiver.post.content import REFUSED_ATTRIBUTE, clean_content, feed_body
from archiver.post.render import PostOptions, post_text
from archiver.post.text import body_markup
from archiver.utils.allowlist import is_allowed
from tests.support.crawling import PROJECT
from tests.support.project import make_post

ALLOWED = ("zhimg.com", "www.zhihu.com/equation")


def refused(url: str) -> bool:
    return not is_allowed(url, ALLOWED)


def test_defaults_write_no_extra_keys_and_entities():
    text = post_text(make_post(content="<p>{{ x }}</p>"), PostOptions())
    assert "updated:" not in text and "title_display" not in text and "{% raw %}" not in text
    assert "&#123;&#123; x &#125;&#125;" in text


def test_extra_keys_follow_thumbnail_in_order():
    post = make_post(updated=1658628417)
    text = post_text(post, PostOptions(updated=True, title_display=True))
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("thumbnail:"))
    assert lines[at + 1 : at + 4] == [
        "updated: Sun, 24 Jul 2022 02:06:57 GMT",  # the date, in the date's form
        "title_display: true",
        "---",
    ]
    read = frontmatter.loads(text.lstrip("\n"))
    assert read["updated"] == read["date"] and read["title_display"] is True


def test_raw_mode_wraps_the_body_and_keeps_its_braces():
    markup = body_markup("<p>{{ a }}\n\n{% if %}</p>", "raw")
    assert markup == "{% raw %}<p>{{ a }}\n\n{% if %}</p>{% endraw %}"  # no &#10;: no Markdown


def test_raw_mode_makes_a_literal_endraw_harmless():
    for tag in ("{% endraw %}", "{%endraw%}", "{%- endraw -%}", "{% raw %}", "{% x endraw %}"):
        markup = body_markup(f"<p>a {tag} b</p>", "raw")
        inner = markup.removeprefix("{% raw %}").removesuffix("{% endraw %}")
        # Nunjucks prints the blocks' contents: the tag, braces and all, as written.
        assert inner.replace("{% endraw %}{% raw %}", "") == f"<p>a {tag} b</p>"
        # Hexo ends a block at the first `{%...%}` holding "endraw": only at our own breaks.
        for start in range(len(inner)):
            if inner.startswith("{%", start):
                tag_text = inner[start : inner.index("%}", start) + 2]
                assert "raw" not in tag_text or tag_text in ("{% endraw %}", "{% raw %}"), tag_text


def test_raw_mode_keeps_hexo_off_code_braces():
    # Hexo escapes the braces of any <code>...</code> without a `{% raw %}` inside.
    markup = body_markup("<pre><code>{{ a }}</code></pre>", "raw")
    assert markup == "{% raw %}<pre><code>{{ a }}{% endraw %}{% raw %}</code></pre>{% endraw %}"


def test_raw_mode_still_breaks_code_fences():
    assert "&#96;``js" in body_markup("<pre>\n```js\nx\n```\n</pre>", "raw")


REFUSED_HTML = (
    '<p>x<img src="http://127.0.0.1:9/a.jpg" alt="秘密">y</p>'
    '<img src="https://pic1.zhimg.com/v2-' + "a" * 32 + '_b.jpg" class="content_image">'
    '<img src="https://192.168.1.10/r.png" srcset="https://192.168.1.10/r2.png 2x">'
    '<img src="https://pic2.zhimg.com/x.jpg" srcset="https://evil.example/x.jpg 2x">'
)


def test_local_mode_refused_figures_become_their_alt_text():
    body = clean_content(REFUSED_HTML, {}, refused)
    tree = lxml_html.fragment_fromstring(body.html, create_parent="div")
    spans = tree.find_class("archiver-refused-figure")
    assert [(s.get(REFUSED_ATTRIBUTE), s.text) for s in spans] == [
        ("http://127.0.0.1:9/a.jpg", "秘密"),
        ("https://192.168.1.10/r.png", None),
        ("https://pic2.zhimg.com/x.jpg", None),
    ]
    assert "x<span" in body.html and "</span>y" in body.html  # the text around stays
    # The allowed figure that was not stored keeps its remote URL, and is the head image.
    [img] = tree.iter("img")
    assert img.get("src").startswith("https://pic1.zhimg.com/")
    assert body.first_image == img.get("src")
    assert "127.0.0.1" not in body.first_image


def test_remote_mode_and_feeds():
    # Issue 23.8: remote mode (the default) refuses what local mode refuses (it kept them).
    assert clean_content(REFUSED_HTML).html.count("archiver-refused-figure") == 3
    feed = feed_body(REFUSED_HTML, {}, refused)
    assert feed.html.count("archiver-refused-figure") == 3
    assert feed_body("<p>no image</p>", {}, refused).html == "<p>no image</p>"


def checkhexo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "checkhexo", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def hexo_site(root: Path, config: str, author: str | None = None) -> Path:
    (root / "source" / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(config, encoding="utf-8")
    if author is not None:
        (root / AUTHOR_FILE).parent.mkdir(parents=True)
        (root / AUTHOR_FILE).write_text(author, encoding="utf-8")
    return root


VOLANTIS_SETTINGS = (
    "-s",
    "ARCHIVE_FRONT_MATTER_UPDATED=True",
    "-s",
    "ARCHIVE_FRONT_MATTER_TITLE_DISPLAY=True",
    "-s",
    "ARCHIVE_BODY_BRACES=raw",
)


def test_checkhexo_on_a_fresh_volantis_site(tmp_path):
    site = hexo_site(tmp_path / "blog", "theme: volantis\ntimezone: ''\n", "someone:\n  name: x")
    done = checkhexo(str(site))
    assert done.returncode == 1
    said = {
        line.split(":")[1].strip(): line.split(":")[0]
        for line in done.stdout.splitlines()
        if line.startswith(("ok:", "set:"))
    }
    assert said == {
        "author": "set",
        "timezone": "set",
        "updated": "set",
        "title_display": "set",
        "braces": "set",
        "referrer": "set",
    }
    assert "updated_option: 'date'" in done.stdout and "no-referrer" in done.stdout


def test_checkhexo_fix_and_the_recipe_make_a_site_ready(tmp_path):
    site = hexo_site(
        tmp_path / "blog",
        "theme: volantis\ntimezone: Asia/Shanghai\n",
        "# our authors\nsomeone:\n  name: x",  # no final newline
    )
    (site / "scripts").mkdir()
    (site / REFERRER_SCRIPT).write_text(REFERRER_SCRIPT_TEXT, encoding="utf-8")
    args = (str(site), "-s", f"ARCHIVE_DIR={site / 'source'}", *VOLANTIS_SETTINGS)
    assert checkhexo(*args).returncode == 1  # the author label only
    fixed = checkhexo(*args, "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    text = (site / AUTHOR_FILE).read_text(encoding="utf-8")
    assert text.startswith("# our authors\nsomeone:\n  name: x\n")
    assert yaml.safe_load(text)["知乎"] == {
        "name": "知乎",
        "avatar": "/images/default/headimg.png",
        "url": "https://www.zhihu.com/",
    }
    assert (site / "source/images/default/headimg.png").is_file()
    again = checkhexo(*args, "--fix")
    assert again.returncode == 0 and "fixed:" not in again.stdout
    assert (site / AUTHOR_FILE).read_text(encoding="utf-8") == text  # added once


def test_checkhexo_says_where_to_archive_for_the_right_dates(tmp_path):
    # The quick start's output/ copied into a site set to Asia/Shanghai: 8 hours early.
    site = hexo_site(tmp_path / "blog", "timezone: Asia/Shanghai\nupdated_option: date\n")
    done = checkhexo(str(site), "-s", f"ARCHIVE_DIR={tmp_path / 'output'}")
    assert done.returncode == 1
    assert f"set: timezone: posts archived into {tmp_path / 'output'} get the GMT" in done.stdout
    assert f"-s ARCHIVE_DIR={site / 'source'}" in done.stdout
    local = checkhexo(
        str(site), "-s", f"ARCHIVE_DIR={site / 'source'}", "-s", "ARCHIVE_IMAGES=local"
    )
    assert local.returncode == 0, local.stdout  # a landscape site: nothing else to set


def test_checkhexo_usage(tmp_path):
    assert checkhexo(str(tmp_path)).returncode == 2  # no _config.yml
    (tmp_path / "_config.yml").write_text("- a list\n", encoding="utf-8")
    assert checkhexo(str(tmp_path)).returncode == 2
    assert checkhexo("-s", "ARCHIVE_DIR=output").returncode == 2  # no site named, none found
    assert checkhexo(str(tmp_path), "-s", "ARCHIVE_BODY_BRACES=x").returncode == 2

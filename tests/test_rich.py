"""Formulas, link cards, references and videos (archiver/post/rich.py), on fragments in the shapes
of Zhihu's saved answers (../shared/reference/samples/answer_content_*.html); texts our own."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from archiver.post.content import clean_content
from archiver.post.render import PostOptions, post_text
from archiver.post.rich import RichOptions, video_key
from archiver.post.text import body_markup
from tests.support.project import make_post
from tests.support.rich_fragments import EQUATIONS, EXPECTED_TEX, REFERENCES, UNCLOSED_CARD, VIDEO

TEX = RichOptions(formulas="tex")
CARDS = RichOptions(link_cards="card")
REFS = RichOptions(references="list")
VIDEOS = RichOptions(videos="poster")
ALL = RichOptions(formulas="tex", link_cards="card", references="list", videos="poster")


def text_of(html: str) -> str:
    return lxml_html.fragment_fromstring(html, create_parent="div").text_content()


def test_default_keeps_equation_images_as_figures():
    default = clean_content(EQUATIONS)
    assert default == clean_content(EQUATIONS, rich=RichOptions())
    assert len([f for f in default.figures if f.equation]) == 6
    assert "ztext-math" in default.html


def test_tex_mode_writes_every_formula_as_delimited_tex_exactly():
    body = clean_content(EQUATIONS, rich=TEX)
    text = text_of(body.html)
    at = 0
    for tex in EXPECTED_TEX:
        found = text.find(tex, at)
        assert found >= 0, tex  # in document order, the TeX as Zhihu had it
        at = found + len(tex)
    assert "<img" not in body.html and "ztext-math" not in body.html
    assert body.figures == ()  # no equation image is downloaded
    assert "设常数 \\(e\\) 与方程 " in text  # the text around a formula stays


def test_tex_survives_the_body_markup_for_hexo():
    body = clean_content(EQUATIONS, rich=TEX)
    for braces in ("entities", "raw"):
        markup = body_markup(body.html, braces)
        assert "{{" not in markup.replace("{% raw %}", "").replace("{% endraw %}", "") or (
            braces == "raw"
        )
        # What a browser reads from either form is the TeX, entities and all.
        inner = markup.replace("{% raw %}", "").replace("{% endraw %}", "")
        assert text_of(inner) == text_of(body.html)


def test_formula_without_alt_takes_the_tex_of_its_url():
    body = clean_content(
        '<p><img src="https://www.zhihu.com/equation?tex=a%2Bb+%3D+c" eeimg="1"></p>', rich=TEX
    )
    assert text_of(body.html) == "\\(a+b = c\\)"


def test_other_images_are_not_formulas():
    body = clean_content(
        '<figure><img src="https://pic1.zhimg.com/v2-ab12cd34ef56ab78_b.jpg"></figure>', rich=TEX
    )
    assert len(body.figures) == 1


def test_default_keeps_an_unclosed_card_as_today():
    body = clean_content(UNCLOSED_CARD)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    [card] = root.findall("a")
    assert card.find("p") is not None  # the defect: the card swallowed what follows


def test_card_mode_closes_the_card_after_its_title_and_shows_its_image():
    body = clean_content(UNCLOSED_CARD, rich=CARDS)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    [card] = root.findall("a")
    assert card.text_content() == "一篇文章的标题"
    assert card.get("href") == "https://example.org/post"  # unwrapped from link.zhihu.com
    assert [el.tag for el in card] == ["img"]
    assert card[0].get("src") == "https://pic2.zhimg.com/v2-0123456789abcdef_ipico.jpg"
    assert [p.get("data-pid") for p in root.findall("p")] == ["c1", "c2", "c3"]
    assert root.text_content() == "参见一篇文章的标题卡片后的第一段第二段 加粗后面"
    assert [f.url for f in body.figures] == [card[0].get("src")]  # archived like any figure


def test_card_mode_leaves_a_closed_card_closed():
    closed = (
        '<a href="https://example.org/" data-draft-type="link-card">标题</a><p data-pid="x">后</p>'
    )
    body = clean_content(closed, rich=CARDS)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    assert root.find("a").text_content() == "标题" and root.find("p") is not None


def test_references_list_numbers_links_and_a_reference_list():
    body = clean_content(REFERENCES, rich=REFS)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    marks = [(a.text, a.get("href"), a.get("id")) for s in root.iter("sup") for a in s]
    assert marks == [
        ("[1]", "#ref_1", "ref_1_0"),
        ("[2]", "#ref_2", "ref_2_0"),
        ("[1]", "#ref_1", "ref_1_1"),
        ("[3]", "#ref_3", "ref_3_0"),
        ("[4]", "#ref_4", "ref_4_0"),
    ]
    assert root[-2].tag == "h2" and root[-2].text == "参考"
    items = root[-1].findall("li")
    assert [li.get("id") for li in items] == ["ref_1", "ref_2", "ref_3", "ref_4"]
    assert items[0].text_content() == (
        "^An exact solution of Kepler's Equation "
        "https://link.springer.com/article/10.1007/BF0000001"
    )
    links = [a.get("href") for a in items[1].iter("a")]
    assert links == ["#ref_2_0", "https://example.org/a?b=1"]  # unwrapped
    assert items[2].text_content() == "^某书，第3章"
    assert "javascript:" not in "".join(a.get("href") for a in root.iter("a"))
    assert items[3].text_content() == "^坏的 javascript:alert(1)"  # shown, never a live link


@pytest.mark.parametrize(
    "url",
    [
        "https://link.zhihu.com/?target=https%3A//example.org/a%01b",  # decoded: a control
        "https://link.zhihu.com/?target=https%3A//example.org/a%00b",
        "https://link.zhihu.com/?target=https%3A//example.org/a%EF%BF%BEb",  # U+FFFE
        "https://example.org/a\x01b",
        "https://example.org/a&#1;b",
    ],
)
def test_a_reference_whose_url_holds_a_control_character_costs_only_that(url):
    fragment = (
        f'<p>甲<sup data-text="引文" data-url="{url}" data-draft-type="reference" '
        'data-numero="1">[1]</sup>乙</p>'
    )
    root = lxml_html.fragment_fromstring(clean_content(fragment, rich=REFS).html, "div")
    [item] = root[-1].findall("li")
    link = item.findall(".//a")[-1]
    assert link.get("href") == link.text == "https://example.org/ab"  # as rule 5 does a link's
    assert root.text_content().startswith("甲[1]乙参考")


def test_default_keeps_references_as_zhihu_html():
    assert "<h2>" not in clean_content(REFERENCES).html
    assert 'data-numero="1">[1]</sup>' in clean_content(REFERENCES).html


def test_video_poster_becomes_a_figure_linking_to_the_video_page():
    body = clean_content(VIDEO, rich=VIDEOS)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    [figure] = root.findall("figure")
    link = figure.find("a")
    assert link.get("href") == "https://www.zhihu.com/video/1400000000000000001"
    img = link.find("img")
    assert img.get("src") == "https://pic3.zhimg.com/v2-fedcba9876543210fedcba9876543210.jpg"
    assert img.get("referrerpolicy") == "no-referrer"
    assert figure.find("figcaption").text_content() == "▶ 实验演示"
    assert [f.key for f in body.figures] == ["zhimg/v2-fedcba9876543210fedcba9876543210.jpg"]
    assert "video-box" not in body.html and [p.get("data-pid") for p in root.findall("p")] == [
        "v1",
        "v2",
    ]


def test_video_without_link_takes_its_lens_id():
    box = VIDEO.replace(
        'href="https://link.zhihu.com/?target=https%3A//www.zhihu.com/video/', 'href="#x'
    )
    body = clean_content(box, rich=VIDEOS)
    assert 'href="https://www.zhihu.com/video/1400000000000000001"' in body.html


@pytest.mark.parametrize("rich", [TEX, CARDS, REFS, VIDEOS, ALL])
def test_local_mode_points_the_new_figures_at_the_archive(rich):
    local = {"zhimg/v2-fedcba9876543210fedcba9876543210.jpg": "/images/zhimg/poster.jpg"}
    body = clean_content(EQUATIONS + UNCLOSED_CARD + REFERENCES + VIDEO, local, rich=rich)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    srcs = [img.get("src") for img in root.iter("img")]
    assert "/images/zhimg/poster.jpg" in srcs  # the thumbnail of a kept card is one too
    posters = root.xpath("//figure[@class='archiver-video']//img/@src")
    assert posters == (["/images/zhimg/poster.jpg"] if rich.videos == "poster" else [])
    assert any("equation" in s for s in srcs) == (rich.formulas == "image")
    assert [f.src for f in body.figures] == srcs


def test_post_text_follows_the_options_and_defaults_to_the_seed_form():
    post = make_post(content=EQUATIONS + UNCLOSED_CARD + REFERENCES + VIDEO)
    assert post_text(post, PostOptions()) == post_text(post, PostOptions(rich=RichOptions()))
    rich = post_text(post, PostOptions(rich=ALL))
    assert "\\(e\\)" in rich and "<h2>参考</h2>" in rich and "archiver-video" in rich
    assert rich.endswith("  \n</div>\n            ")


# ARCHIVE_VIDEOS = "download" (issue 14, item 2)
DOWNLOAD = RichOptions(videos="download")
POSTER_KEY = "zhimg/v2-fedcba9876543210fedcba9876543210.jpg"
ARCHIVED = {
    POSTER_KEY: "/images/zhimg/poster.jpg",
    video_key("1400000000000000001"): "/videos/1400000000000000001.mp4",
}


def test_download_mode_names_the_videos_and_shows_the_poster_until_one_is_archived():
    twice = VIDEO + VIDEO.replace('data-pid="v', 'data-pid="w')
    body = clean_content(twice, rich=DOWNLOAD)
    assert body.videos == ("1400000000000000001",)  # once, however often it is shown
    # Not archived (yet, or it failed): the poster form, exactly as with "poster".
    assert body.html == clean_content(twice, rich=VIDEOS).html
    assert clean_content(twice, rich=VIDEOS).videos == () == clean_content(twice).videos


def test_an_archived_video_plays_from_the_archive_with_its_archived_poster():
    body = clean_content(VIDEO, ARCHIVED, rich=DOWNLOAD)
    root = lxml_html.fragment_fromstring(body.html, create_parent="div")
    [figure] = root.findall("figure")
    assert figure.get("class") == "archiver-video"
    [video] = figure.findall("video")
    assert video.get("src") == "/videos/1400000000000000001.mp4"
    assert video.get("poster") == "/images/zhimg/poster.jpg"
    assert video.get("controls") is not None and video.get("preload") == "metadata"
    caption = figure.find("figcaption/a")
    assert caption.get("href") == "https://www.zhihu.com/video/1400000000000000001"
    assert caption.text == "实验演示"
    # The poster is still the post's figure: its head image and thumbnail.
    assert [(f.key, f.src) for f in body.figures] == [(POSTER_KEY, "/images/zhimg/poster.jpg")]
    assert body.first_image == "/images/zhimg/poster.jpg"
    assert '<video controls="" preload="metadata" poster="/images/zhimg/poster.jpg" src=' in (
        body.html
    )


def test_an_archived_video_keeps_a_remote_poster_that_failed_and_drops_a_refused_one():
    only_video = {video_key("1400000000000000001"): "/videos/1400000000000000001.mp4"}
    body = clean_content(VIDEO, only_video, refused=lambda url: False, rich=DOWNLOAD)
    assert 'poster="https://pic3.zhimg.com/v2-fedcba9876543210fedcba9876543210.jpg"' in body.html
    assert [f.key for f in body.figures] == [POSTER_KEY]
    body = clean_content(VIDEO, only_video, refused=lambda url: True, rich=DOWNLOAD)
    assert "poster=" not in body.html and body.figures == ()
    assert 'src="/videos/1400000000000000001.mp4"' in body.html


def test_zhihu_own_video_elements_are_not_touched():
    gif = (
        '<video class="ztext-gif GifPlayer-gif2mp4" src="https://vdn3.vzuu.com/SD/a.mp4" '
        'poster="https://pic3.zhimg.com/v2-282a872f4ba46f4b46b760d3d89af9d2_b.jpg"></video>'
    )
    for rich in (RichOptions(), DOWNLOAD):
        body = clean_content(gif, ARCHIVED, rich=rich)
        assert body.html == gif and body.figures == ()


def test_a_card_without_a_video_page_is_only_a_poster():
    box = VIDEO.replace(
        'href="https://link.zhihu.com/?target=https%3A//www.zhihu.com/video/', 'href="#x'
    ).replace('data-lens-id="1400000000000000001"', 'data-lens-id="../1"')
    body = clean_content(box, ARCHIVED, rich=DOWNLOAD)
    assert body.videos == () and "<video" not in body.html

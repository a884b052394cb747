"""Figure identity, the host allowlist, the thumbnailer and local-image rewriting."""

import images
import pytest
from PIL import Image, ImageFile

from archiver.images import BadImage, parse_size, process_figure
from archiver.post.content import clean_content
from archiver.post.figures import figure_key, is_allowed

HASH = "158d1e80ca704d318c85b6d27958c439"
ALLOW = ["zhimg.com", "www.zhihu.com/equation"]


@pytest.mark.parametrize(
    "url",
    [
        f"https://pic1.zhimg.com/v2-{HASH}_r.jpg?source=b1748391",
        f"https://pic4.zhimg.com/v2-{HASH}_720w.jpg?source=b1748391",
        f"https://pica.zhimg.com/80/v2-{HASH}_1440w.jpg",
        f"http://picx.zhimg.com/v2-{HASH}_b.jpg",
        f"https://pic2.zhimg.com/50/v2-{HASH}_hd.jpeg",
        f"https://pic3.zhimg.com/v2-{HASH}.jpg",
    ],
)
def test_variants_of_one_zhimg_figure_share_a_key(url):
    assert figure_key(url) == f"zhimg/v2-{HASH}.jpg"


def test_other_keys():
    assert figure_key(f"https://pic4.zhimg.com/v2-{HASH}_r.gif") == f"zhimg/v2-{HASH}.gif"
    eq = figure_key("https://www.zhihu.com/equation?tex=E%3Dmc%5E2")
    assert eq.startswith("equation/") and eq.endswith(".svg")
    assert eq != figure_key("https://www.zhihu.com/equation?tex=x")
    assert figure_key("https://example.com/a.jpg").startswith("other/example.com/")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://pic1.zhimg.com/v2-a_r.jpg", True),
        ("http://picx.zhimg.com/v2-a_r.jpg", True),
        ("https://www.zhihu.com/equation?tex=x", True),
        ("https://www.zhihu.com/api/v4/answers/1", False),
        ("https://zhimg.com.evil.example/a.jpg", False),
        ("https://evilzhimg.com/a.jpg", False),
        ("http://127.0.0.1:9/a.jpg", False),
        ("http://192.168.1.1/a.jpg", False),
        ("file:///etc/passwd", False),
        ("data:image/png;base64,AAAA", False),
    ],
)
def test_allowlist(url, allowed):
    assert is_allowed(url, ALLOW) is allowed


def test_figures_prefer_the_original_for_download():
    body = clean_content(
        f'<figure><img src="https://pic1.zhimg.com/v2-{HASH}_720w.jpg" '
        f'data-actualsrc="https://pic1.zhimg.com/v2-{HASH}_b.jpg" '
        f'data-original="https://pic1.zhimg.com/v2-{HASH}_r.jpg"></figure>'
        '<p><img src="https://www.zhihu.com/equation?tex=x" eeimg="1"></p>'
        '<p><img src="data:image/svg+xml;utf8,x"></p>'
    )
    assert [f.url for f in body.figures] == [
        f"https://pic1.zhimg.com/v2-{HASH}_r.jpg",
        "https://www.zhihu.com/equation?tex=x",
    ]
    # the body's src follows FORMAT.md's rule 3; the download is the original
    assert body.figures[0].src == f"https://pic1.zhimg.com/v2-{HASH}_1440w.jpg"
    assert body.figures[1].equation


def test_local_mapping_rewrites_src_by_key():
    fragment = (
        f'<figure><img src="https://pic1.zhimg.com/v2-{HASH}_720w.jpg" '
        f'data-original="https://pic1.zhimg.com/v2-{HASH}_r.jpg"></figure>'
        f'<p><img src="https://pic3.zhimg.com/80/v2-{HASH}_b.jpg" class="content_image"></p>'
        '<p><img src="https://pic2.zhimg.com/v2-ffffffffffffffffffffffffffffffff_r.jpg"></p>'
    )
    body = clean_content(fragment, {f"zhimg/v2-{HASH}.jpg": "/images/zhimg/x.jpg"})
    assert body.html.count('src="/images/zhimg/x.jpg"') == 2
    assert "v2-ffffffffffffffffffffffffffffffff_r.jpg" in body.html  # not archived: stays remote
    assert body.first_image == "/images/zhimg/x.jpg"
    # data-original keeps the remote original, for the record
    assert f'data-original="https://pic1.zhimg.com/v2-{HASH}_r.jpg"' in body.html


def open_thumb(data: bytes) -> Image.Image:
    return Image.open(__import__("io").BytesIO(data))


def test_thumbnails_keep_alpha_and_orientation():
    alpha = process_figure(images.png_alpha(), ["400x300"])
    assert alpha.ext == "png" and alpha.thumbnails[0].ext == "png"
    assert open_thumb(alpha.thumbnails[0].data).mode == "RGBA"
    rotated = process_figure(images.exif_rotated_jpeg(), ["400x300"])
    assert (rotated.width, rotated.height) == (800, 1200)
    assert open_thumb(rotated.thumbnails[0].data).size == (200, 300)
    gif = process_figure(images.animated_gif(), ["100x100"])
    assert gif.ext == "gif" and open_thumb(gif.thumbnails[0].data).size == (100, 75)


def test_several_sizes():
    done = process_figure(images.jpeg(1200, 800), ["400x300", "200x200"])
    assert [(t.size, open_thumb(t.data).size) for t in done.thumbnails] == [
        ("400x300", (400, 267)),
        ("200x200", (200, 133)),
    ]


def test_jpeg_is_decoded_at_a_reduced_scale(monkeypatch):
    # The fast path: a 3000 px photo is never decoded at full size for a 400 px thumbnail.
    data = images.jpeg(3000, 2000)
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    process_figure(data, ["400x300"])
    # draft: JPEG's DCT scaling decodes at 1/4 (750x500), never at 3000x2000
    assert max(decoded) == (750, 500)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (images.truncated_jpeg(), "truncated"),
        (images.decompression_bomb(), "decompression_bomb"),
        (images.html_page(), "html_not_image"),
        (images.unknown_format(), "unknown_format"),
    ],
)
def test_bad_images(data, reason):
    with pytest.raises(BadImage) as info:
        process_figure(data, ["400x300"])
    assert info.value.reason == reason


def test_equations_are_checked_but_not_thumbnailed():
    done = process_figure(images.equation_svg(), ["400x300"], equation=True)
    assert (done.ext, done.thumbnails) == ("svg", ())
    with pytest.raises(BadImage):
        process_figure(images.html_page(), [], equation=True)


@pytest.mark.parametrize("text", ["400", "0x300", "ax3", "400x"])
def test_bad_sizes(text):
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_size(text)

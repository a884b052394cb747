"""Figure identity, the host allowlist, the thumbnailer and local-image rewriting."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from scrapy import Request
from w3lib.url import safe_url_string

from archiver.archive.images import MAX_PIXELS, BadImage, parse_size, process_figure
from archiver.post.content import clean_content, feed_body
from archiver.post.figures import figure_key, retry_due
from archiver.utils.allowlist import PLAIN_URL, is_allowed, request_url
from tests.support import images

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


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        # Scrapy reads a backslash as the end of the host: this is https://127.0.0.1/.zhimg.com/
        ("https://127.0.0.1\\.zhimg.com/v2-a_r.jpg", False),
        # ...and so here the host is pic1.zhimg.com, the rest is its path: what is requested
        ("https://pic1.zhimg.com\\@127.0.0.1/a.jpg", True),
        # userinfo: Python sees the host after the @, Twisted the whole netloc
        ("https://pic1.zhimg.com@127.0.0.1/a.jpg", False),
        ("https://127.0.0.1@pic1.zhimg.com/a.jpg", False),
        ("https://127.0.0.1%2e.zhimg.com/a.jpg", False),  # an encoded dot in the host
        ("https://127%2e0%2e0%2e1/a.jpg", False),
        ("https://[::1]/a.jpg", False),
        ("https://[::ffff:127.0.0.1]/a.jpg", False),
        ("http://2130706433/a.jpg", False),  # 127.0.0.1, as a decimal number
        ("http://0x7f.1/a.jpg", False),
        ("http://017700000001/a.jpg", False),  # octal
        ("https://pic1.zhimg.com./a.jpg", False),  # trailing dot
        ("https://zhimg.com./a.jpg", False),
        ("https://pic1.zhimg.com:8443/a.jpg", False),
        ("https://pic1.zhimg.com/%2e%2e/a.jpg", False),
        ("http://[x/a.jpg", False),  # not a URL at all
        ("https://PIC1.ZHIMG.COM/v2-a_r.jpg", True),  # upper case is the same host
        ("https://pic1.zhimg.com:443/a.jpg", True),
        ("https://pic1.zhimg.com/a b.jpg", True),
        ("https://pic1.zhimg.com/图片.jpg", True),
    ],
)
def test_allowlist_judges_the_url_scrapy_requests(url, allowed):
    assert is_allowed(url, ALLOW) is allowed


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.zhihu.com/equation?tex=x", True),
        ("https://www.zhihu.com/equation", True),
        ("https://www.zhihu.com/equation/../api/v4/me", False),
        ("https://www.zhihu.com/equation/%2e%2e/api/v4/me", False),
        ("https://www.zhihu.com/equation/%2E%2E/api/v4/me", False),
        ("https://www.zhihu.com/equation/%252e%252e/api/v4/me", False),
        ("https://www.zhihu.com/equation/..;/api/v4/me", False),
        ("https://www.zhihu.com/equation\\..\\api/v4/me", False),
        ("https://www.zhihu.com/equationX", False),
        ("https://www.zhihu.com/equation/", False),
        ("https://www.zhihu.com/equation/x", False),
        ("https://www.zhihu.com/equation;x?tex=x", False),
    ],
)
def test_the_equation_entry_admits_the_endpoint_and_nothing_under_it(url, allowed):
    # www.zhihu.com requests carry the login cookie: a prefix would hand it to any path.
    assert is_allowed(url, ALLOW) is allowed


@pytest.mark.parametrize(
    "url",
    [
        f"https://PIC1.ZHIMG.COM/v2-{HASH}_r.jpg",
        "https://pic1.zhimg.com/a b.jpg",
        "https://pic1.zhimg.com/图片.jpg",
        "https://pic1.zhimg.com/dir\\v2-a.jpg",
        "https://www.zhihu.com/equation?tex=a b",
    ],
)
def test_a_figure_is_named_by_the_url_scrapy_requests(url):
    assert figure_key(url) == figure_key(Request(url).url)
    assert request_url(url) == Request(url).url


def test_the_upper_case_variant_is_the_same_figure():
    assert figure_key(f"https://PIC1.ZHIMG.COM/v2-{HASH}_R.JPG") == f"zhimg/v2-{HASH}.jpg"


@pytest.mark.parametrize("url", ["http://[x", "http://[x/a.jpg", "https://a.zhimg.com:99999/a.jpg"])
def test_a_url_that_cannot_be_requested_is_no_figure(url):
    assert request_url(url) is None
    with pytest.raises(ValueError, match="can be requested"):
        figure_key(url)
    body = clean_content(
        f'<p><img src="{url}"><a href="{url}">a</a>'
        f'<a href="https://link.zhihu.com/?target={url}">b</a></p>'
    )
    assert body.figures == () and f'src="{url}"' in body.html and f'href="{url}"' in body.html
    assert feed_body(f'<img src="{url}">').figures == ()


def test_retry_schedule():
    last = datetime(2026, 1, 1, tzinfo=UTC)
    for failures, wait in [(1, timedelta(days=1)), (2, timedelta(days=7)), (3, timedelta(days=30))]:
        assert not retry_due(failures, last, last + wait - timedelta(seconds=1))
        assert retry_due(failures, last, last + wait)
    assert not retry_due(9, last, last + timedelta(days=29))


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


def test_mpo_photos_are_jpegs():
    # Phone photos: a JPEG with a second image appended. Pillow calls the format MPO.
    done = process_figure(images.mpo(800, 600), ["400x300"])
    assert (done.ext, done.width, done.height) == ("jpg", 800, 600)
    assert open_thumb(done.thumbnails[0].data).size == (400, 300)


def test_too_many_pixels_is_refused_before_decoding(monkeypatch):
    assert MAX_PIXELS < Image.MAX_IMAGE_PIXELS
    loads: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda im: loads.append(im.size) or real_load(im)
    )
    with pytest.raises(BadImage) as info:
        process_figure(images.big_png(2000), ["400x300"], max_pixels=3_000_000)
    assert (info.value.reason, loads) == ("too_many_pixels", [])
    assert process_figure(images.big_png(2000), ["400x300"], max_pixels=4_000_000).width == 2000


def test_large_images_are_never_converted_at_full_size(monkeypatch):
    # A 9400 px RGBA PNG took 765 MB: converted (palette, premultiplied alpha) and resampled
    # whole. Only the decoding may be full-size; the rest works on bands and reductions.
    converted: list[tuple[int, int]] = []
    real_convert = Image.Image.convert

    def spy(self, *args, **kwargs):
        converted.append(self.size)
        return real_convert(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", spy)
    done = process_figure(images.big_png(3000), ["400x300"])
    thumb = open_thumb(done.thumbnails[0].data)
    assert (thumb.size, thumb.mode) == ((300, 300), "RGBA")
    assert converted and max(w * h for w, h in converted) < 3000 * 3000 // 4


@settings(max_examples=300, deadline=None)
@given(st.from_regex(PLAIN_URL, fullmatch=True))
def test_the_plain_url_shortcut_is_what_scrapy_requests(url):
    assert request_url(url) == safe_url_string(url) == url

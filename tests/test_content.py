"""The five content rules of FORMAT.md, on plain strings."""

from archiver.post.content import clean_content


def html(fragment: str) -> str:
    return clean_content(fragment).html


def test_noscript_removed_and_its_tail_kept():
    out = html('<p>a</p><noscript><img src="x_b.jpg"></noscript>after<p>b</p>')
    assert "noscript" not in out
    assert "x_b.jpg" not in out
    assert out == "<p>a</p>after<p>b</p>"


def test_mcn_ad_cards_removed_other_link_cards_kept():
    out = html(
        '<p>x</p><a data-draft-node="block" data-draft-type="mcn-link-card" data-mcn-id="1"></a>'
        '<a href="https://ex.com" data-draft-type="link-card">card</a>'
    )
    assert "mcn-link-card" not in out
    assert 'data-draft-type="link-card"' in out


def test_image_src_prefers_actualsrc_then_original_then_src():
    out = html(
        '<img class="origin_image" src="data:image/svg+xml;utf8,x" '
        'data-actualsrc="https://pic4.zhimg.com/v2-a_b.jpg" data-original="https://pic4.zhimg.com/v2-a_r.jpg">'
    )
    assert 'src="https://pic4.zhimg.com/v2-a_1440w.jpg"' in out
    out = html(
        '<figure><img src="https://pic1.zhimg.com/v2-b_720w.jpg?source=1" '
        'data-original="https://pic1.zhimg.com/v2-b_r.jpg?source=1"></figure>'
    )
    assert 'src="https://pic1.zhimg.com/v2-b_1440w.jpg?source=1"' in out
    # data-original keeps its _r URL: it is the original file, the one to download
    assert 'data-original="https://pic1.zhimg.com/v2-b_r.jpg?source=1"' in out
    out = html('<img class="content_image" src="https://pic1.zhimg.com/v2-c_b.jpg">')
    assert 'src="https://pic1.zhimg.com/v2-c_1440w.jpg"' in out


def test_only_jpg_names_are_rewritten():
    out = html(
        '<figure><img src="https://pic4.zhimg.com/v2-g_b.gif" '
        'data-original="https://pic4.zhimg.com/v2-g_r.gif"></figure>'
    )
    assert 'src="https://pic4.zhimg.com/v2-g_r.gif"' in out
    out = html('<figure><img src="https://pic4.zhimg.com/v2-p_b.png"></figure>')
    assert 'src="https://pic4.zhimg.com/v2-p_b.png"' in out


def test_other_images_keep_their_src_but_all_get_no_referrer():
    out = html(
        '<p><img src="https://www.zhihu.com/equation?tex=x" alt="x" eeimg="1" width="9"></p>'
    )
    assert 'src="https://www.zhihu.com/equation?tex=x"' in out
    assert 'width="9"' in out  # not a content image: untouched but for the policy
    assert out.count('referrerpolicy="no-referrer"') == 1


def test_content_images_lose_width_and_height_only():
    out = html(
        '<figure><img src="https://pic1.zhimg.com/v2-d_720w.jpg" width="10" height="20" '
        'data-rawwidth="10" class="origin_image zh-lightbox-thumb"></figure>'
    )
    assert ' width="10"' not in out and "height=" not in out
    assert 'data-rawwidth="10"' in out
    assert 'class="origin_image zh-lightbox-thumb"' in out


def test_redirect_links_are_replaced_by_their_target():
    out = html(
        '<a href="http://link.zhihu.com/?target=https%3A//host/path%3Fq%3D1%26r%3D%23" '
        'class=" wrap external">t</a>'
    )
    assert 'href="https://host/path?q=1&amp;r=#"' in out
    out = html('<a href="https://link.zhihu.com/?target=http%3A//a.b/">t</a>')
    assert 'href="http://a.b/"' in out


def test_redirect_to_a_non_web_target_is_left_alone():
    out = html('<a href="https://link.zhihu.com/?target=javascript%3Aalert(1)">t</a>')
    assert "javascript:" not in out
    assert "link.zhihu.com" in out


def test_serialised_as_html_not_xhtml():
    out = html('<p>a<br/>b</p><hr/><figure><img src="x"/></figure>')
    assert "<br>" in out and "<hr>" in out
    assert "/>" not in out


def test_everything_else_is_kept():
    fragment = (
        '<p data-pid="-4VdRlUn">x <a class="member_mention" href="http://www.zhihu.com/people/ab" '
        'data-hash="ab" data-hovercard="p$b$ab">@n</a></p><blockquote>q</blockquote>'
        '<sup data-text="t" data-url="u" data-draft-type="reference" data-numero="1">[1]</sup>'
        '<div class="highlight"><pre><code class="language-python">a &lt; b</code></pre></div>'
    )
    assert html(fragment) == fragment


def test_first_image_is_the_first_src_as_written():
    body = clean_content(
        '<p>x<img src="https://www.zhihu.com/equation?tex=1" eeimg="1"></p>'
        '<figure><img src="https://pic1.zhimg.com/v2-a_b.jpg"></figure>'
    )
    assert body.first_image == "https://www.zhihu.com/equation?tex=1"
    assert clean_content("<p>no images</p>").first_image == ""


def test_blank_bodies():
    assert clean_content('<a data-draft-type="mcn-link-card"></a>').blank
    assert clean_content("<p> </p><p><br></p>").blank
    assert not clean_content("<p>x</p>").blank
    assert not clean_content('<figure><img src="https://pic1.zhimg.com/a.jpg"></figure>').blank

"""The seed post, rebuilt from the answer Zhihu served for it."""

from lxml import html as lxml_html

from archiver.post.render import PostOptions, post_text
from archiver.zhihu.answers import answer_post
from tests.support.project import SEED_POST

CATS = ("社交媒体", "知乎", "知乎热榜")


def split(text: str) -> tuple[str, str]:
    """(front matter with its surrounding bytes, body inside the wrapper)."""
    head, rest = text.split("<div>   \n", 1)
    body, tail = rest.rsplit("  \n</div>\n", 1)
    assert tail == " " * 12
    return head, body


def tree(fragment: str) -> list:
    """Elements, attributes and text, independent of serialisation details."""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    return [
        (el.tag, dict(el.attrib), (el.text or "").strip(), (el.tail or "").strip())
        for el in root.iter()
    ]


def test_seed_post_from_its_answer(seed_answer):
    post = answer_post(seed_answer)
    post.categories = CATS
    ours = post_text(post, PostOptions())
    seed = SEED_POST.read_text(encoding="utf-8")
    our_head, our_body = split(ours)
    seed_head, seed_body = split(seed)
    assert our_head == seed_head  # byte for byte
    assert tree(our_body) == tree(seed_body)
    assert ours.endswith("  \n</div>\n            ")


def test_fixture_is_what_zhihu_served_not_the_post(seed_answer):
    # The fixture must exercise the rules: it holds the served src and width, not the result.
    content = seed_answer["content"]
    assert "_720w.jpg" in content and 'width="' in content
    assert "referrerpolicy" not in content and "<br/>" in content

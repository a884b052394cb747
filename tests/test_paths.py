from archiver.post.paths import post_relpath, safe_segment


def test_post_path_is_stable_and_contains_the_id():
    path = post_relpath(("社交媒体", "知乎", "知乎热榜"), "answer", "1936787046304842491")
    assert path.as_posix() == "_posts/社交媒体/知乎/知乎热榜/answer-1936787046304842491.md"


def test_ids_that_are_not_digits_are_hashed_into_a_safe_name():
    path = post_relpath(("x",), "feed", "https://ex.com/a?b=1")
    assert path.name.startswith("feed-") and len(path.name) == len("feed-") + 16 + 3
    assert path == post_relpath(("x",), "feed", "https://ex.com/a?b=1")


def test_unsafe_segments():
    assert safe_segment('a/b:c*?"<>|') == "a_b_c______"
    assert safe_segment("..") == "-"
    assert safe_segment("") == "-"
    assert safe_segment(".hidden") == "-hidden"
    assert safe_segment("_drafts") == "-drafts"
    assert safe_segment("CON") == "-CON"
    assert safe_segment("name. ") == "name"
    assert safe_segment("知乎热榜") == "知乎热榜"
    assert safe_segment("{% raw %} 100%") == "{_ raw _} 100_"  # Hexo would skip the post

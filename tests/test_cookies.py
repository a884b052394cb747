"""ZHIHU_COOKIE as Zhihu reads it: pairs kept as written, merged with the jar, what is missing."""

from archiver.zhihu.cookies import (
    Identity,
    cookie_value,
    merge_cookie_header,
    missing_message,
    parse_cookie_header,
)

BROWSER = '_xsrf=abc; d_c0="AGBQx=|1700000000"; __zse_ck=004_a/b+c=-meta; z_c0=2|1:0|10:17|4:z_c0'


def test_values_are_kept_exactly_as_written():
    pairs = dict(parse_cookie_header(BROWSER))
    assert pairs["d_c0"] == '"AGBQx=|1700000000"'
    assert pairs["__zse_ck"] == "004_a/b+c=-meta"
    assert pairs["z_c0"] == "2|1:0|10:17|4:z_c0"


def test_stray_separators_and_flags_are_ignored():
    assert parse_cookie_header(" ; a=1;;b = 2 ; flag; =x") == [("a", "1"), ("b", "2")]


def test_first_value_wins_when_reading():
    assert cookie_value("d_c0=new; d_c0=old", "d_c0") == "new"
    assert cookie_value("x=1", "d_c0") is None


def test_the_jar_wins_and_each_name_is_sent_once():
    merged = merge_cookie_header('d_c0="fresh"; _xsrf=1', parse_cookie_header(BROWSER))
    assert merged.startswith('d_c0="fresh"; _xsrf=1; ')
    assert [n for n, _ in parse_cookie_header(merged)].count("d_c0") == 1
    assert merged.endswith("z_c0=2|1:0|10:17|4:z_c0")
    assert merge_cookie_header("", []) == ""


def test_what_a_run_lacks():
    identity = Identity.from_header("_xsrf=1; d_c0=; z_c0=x")
    assert identity.missing(("z_c0", "d_c0")) == ["d_c0"]  # an empty value is no value
    assert Identity.from_header(BROWSER).missing(("z_c0", "d_c0", "__zse_ck")) == []
    line = missing_message(["z_c0", "d_c0"], "`hotlist`")
    assert line.startswith("ZHIHU_COOKIE has no z_c0 (the login) and d_c0 (the device id")
    assert "nothing was sent" in line and "\n" not in line


def test_a_header_pasted_with_its_name_is_read_as_meant():
    for pasted in (f"Cookie: {BROWSER}", f"cookie:{BROWSER}", f"  COOKIE :  {BROWSER}\n"):
        assert Identity.from_header(pasted) == Identity.from_header(BROWSER), pasted
    # A cookie that happens to be named like the header is still a cookie.
    assert Identity.from_header("cookies=1; z_c0=x").value("cookies") == "1"

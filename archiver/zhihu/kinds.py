"""Every kind of thing the archiver reads from Zhihu, described once, in the manner of web-poet's
`@handle_urls`: the URLs a user gives for it, the endpoint it is read from (with its fallback,
each as the client it was taken from asks it), how a response of it is read, the setting of its
posts' category path, its body's prefix, its comments. The spiders make their requests from this
table, rerender finds its captures by the table's paths, rendering and recheck look kinds up here.

A new kind is a row here, a parser, and a folder of fixtures named after the URLs it reads. The
table is written in the classes of archiver/zhihu/schema.py; it is data, and asks nothing itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from archiver.items import Post, PostKind, Skip
from archiver.zhihu.answers import answer_post, parse_answer
from archiver.zhihu.articles import article_post, parse_article
from archiver.zhihu.blocks import LOGIN_REFUSALS
from archiver.zhihu.daily import ZONE, story_post
from archiver.zhihu.jsonutil import as_id, load_object
from archiver.zhihu.pages import parse_article_page
from archiver.zhihu.pins import parse_pin, pin_post
from archiver.zhihu.schema import (
    ANSWER_FIELDS,
    ANSWER_INCLUDE,
    PAGE_LIMIT,
    STATE_FIELDS,
    Asked,
    Endpoint,
    Fallback,
    Kind,
    Shape,
    UrlForm,
)

# ASCII digits only: `\d` would take "١٢٣" too, and ids stay text from here to the API URL.
_ID = r"(?P<id>[0-9]+)"
_QUESTION_ID = r"(?P<question_id>[0-9]+)"
# A column's slug and a person's url_token: letters, digits, `-`, `_` (tokens also `.`, as in
# "St.Pancras"); never a dot first, so never `.` or `..`.
_SLUG = r"(?P<id>[A-Za-z0-9_][A-Za-z0-9_-]{0,63})"
_TOKEN = r"(?P<id>[A-Za-z0-9_-][A-Za-z0-9._-]{0,63})"
_WWW = frozenset({"www.zhihu.com", "zhihu.com", "m.zhihu.com"})
_API = frozenset({"api.zhihu.com", "www.zhihu.com", "zhihu.com"})
_ZHUANLAN = frozenset({"zhuanlan.zhihu.com"})
# zhuanlan.zhihu.com paths that are pages of Zhihu, not columns.
_NOT_COLUMNS = frozenset({"p", "api", "write", "drafts", "people", "column", "columns"})
_QUESTION_PAGE = "https://www.zhihu.com/question/{id}"
_DAILY_API = "https://news-at.zhihu.com/api/4"
_PAGE = (("offset", "0"), ("limit", str(PAGE_LIMIT)))
_ARTICLE_FIELDS = "content,excerpt,created,updated,title,content_need_truncated"


def _form(path: str) -> re.Pattern[str]:
    return re.compile(path.format(id=_ID, question_id=_QUESTION_ID, slug=_SLUG, token=_TOKEN))


# How a response of each item's endpoint is read (ItemParse: the text, when it was served, what
# else is known).
def _answer(text: str, when: datetime, asked: Asked) -> Post | Skip:
    return parse_answer(text)


def _article(text: str, when: datetime, asked: Asked) -> Post | Skip:
    return parse_article(text)


def _article_page(text: str, when: datetime, asked: Asked) -> Post | Skip:
    return parse_article_page(text, asked.item_id)


def _pin(text: str, when: datetime, asked: Asked) -> Post | Skip:
    return parse_pin(text)


def _story(text: str, when: datetime, asked: Asked) -> Post | Skip:
    """Dated as `crawl daily` dates it: by its listing's day where one is known, else by the day
    it was served (a story without `publish_time`, before 2023, by its `ga_prefix` then)."""
    story = load_object(text)
    day, ga_prefix = asked.listed(as_id(story.get("id"))) or (when.astimezone(ZONE).date(), "")
    return story_post(story, day, ga_prefix)


def _comments(resource: str) -> Endpoint:
    """An item's root comments, best first, as Zhihu's web client asks since 2023 (MediaCrawler
    media_platform/zhihu/client.py `get_root_comments`; zhihu-fisher-vscode comments.ts)."""
    query = (("order_by", "score"), ("limit", "{limit}"), ("offset", ""))
    return Endpoint(f"/api/v4/comment_v5/{resource}/{{id}}/root_comment", query=query)


def _moved_to(endpoint: Endpoint, stat: str, instead: str) -> Fallback:
    """Where Zhihu moved an endpoint's data: asked where it turns a client with the login away
    (a 401, 403 or 404), said once a run as `instead`."""
    return Fallback(
        endpoint,
        stat=stat,
        refusals=LOGIN_REFUSALS,
        said="Zhihu turned {url} away ({refusal}) with a login; reading it from "
        + instead
        + " (each time counted as {key})",
        not_found=True,
        moved=True,
    )


# --- Items: one post each ---
ANSWER = Kind(
    name=PostKind.ANSWER,
    shape=Shape.ITEM,
    urls=(
        UrlForm(_WWW, _form(r"/question/{question_id}/answers?/{id}/?")),
        UrlForm(_WWW, _form(r"/answer/{id}/?")),
        UrlForm(_API, _form(r"(?:/api/v4)?/answers/{id}/?")),
    ),
    # zhihu-plus-plus ContentDetailCache.kt; RSSHub lib/routes/zhihu
    endpoints=(
        Endpoint(
            "/api/v4/answers/{id}",
            page="https://www.zhihu.com/question/{question_id}",
            query=(("include", ANSWER_FIELDS),),
            parse=_answer,
        ),
    ),
    categories="ZHIHU_ANSWER_CATEGORIES",
    pages=(
        "https://www.zhihu.com/question/{question_id}/answer/{id}",
        "https://www.zhihu.com/answer/{id}",
    ),
    noun="回答",
    comments=_comments("answers"),
    player_scene="answer_detail_web",
    entry=answer_post,
    rechecked=True,
    state_fields=STATE_FIELDS,
)
ARTICLE = Kind(
    name=PostKind.ARTICLE,
    shape=Shape.ITEM,
    urls=(
        UrlForm(frozenset({"zhuanlan.zhihu.com", "m.zhihu.com"}), _form(r"/p/{id}/?")),
        UrlForm(_API, _form(r"(?:/api/v4)?/articles/{id}/?")),
        UrlForm(_ZHUANLAN, _form(r"/api/articles/{id}/?")),
    ),
    # zhihu-plus-plus ContentDetailCache.kt; RSSHub lib/routes/zhihu. Should Zhihu refuse even a
    # signed request for it, the article's own page has it too (its js-initialData).
    endpoints=(
        Endpoint(
            "/api/v4/articles/{id}",
            page="https://zhuanlan.zhihu.com/p/{id}",
            parse=_article,
            fallback=Fallback(
                Endpoint(
                    "https://zhuanlan.zhihu.com/p/{id}",
                    page="https://zhuanlan.zhihu.com/",
                    parse=_article_page,
                    rerendered=False,
                ),
                stat="article_page",
                refusals=("signature",),
                said="{target}: Zhihu refused the articles API; reading the article's page",
            ),
        ),
    ),
    categories="ZHIHU_ARTICLE_CATEGORIES",
    pages=("https://zhuanlan.zhihu.com/p/{id}",),
    noun="文章",
    comments=_comments("articles"),
    player_scene="article_detail_web",
    entry=article_post,
    rechecked=True,
)
PIN = Kind(
    name=PostKind.PIN,
    shape=Shape.ITEM,
    urls=(
        UrlForm(_WWW, _form(r"/pin/{id}/?")),
        UrlForm(_API, _form(r"(?:/api/v4)?/pins/{id}/?")),
    ),
    # zhihu-plus-plus PinScreen.kt
    endpoints=(Endpoint("/api/v4/pins/{id}", page="https://www.zhihu.com/pin/{id}", parse=_pin),),
    categories="ZHIHU_PIN_CATEGORIES",
    pages=("https://www.zhihu.com/pin/{id}",),
    noun="想法",
    comments=_comments("pins"),
    player_scene="pin_detail_web",
    entry=pin_post,
    rechecked=True,
)
# A Zhihu Daily story: its page (its `url`, `share_url`) and its API. RSSHub daily.ts;
# zhihu-plus-plus ZhihuDailyClient.kt. An open API: no login, no signature, no Referer. Its body
# names the author of each of its answers itself: no prefix.
DAILY = Kind(
    name=PostKind.DAILY,
    shape=Shape.ITEM,
    urls=(
        UrlForm(frozenset({"daily.zhihu.com", "news-at.zhihu.com"}), _form(r"/story/{id}/?")),
        UrlForm(frozenset({"news-at.zhihu.com"}), _form(r"/api/4/news/{id}/?")),
    ),
    endpoints=(Endpoint(f"{_DAILY_API}/news/{{id}}", parse=_story),),
    categories="ZHIHU_DAILY_CATEGORIES",
    pages=("https://daily.zhihu.com/story/{id}",),
)

# --- A question's answers ---
# RSSHub question.ts (`/answers`, offset paging); where Zhihu turns that away with a login, its
# web page's `/feeds` (cursor paging, each answer a `question_feed_card`): zhihu-plus-plus
# AnswerNavigator.kt (`zhihuQuestionFeedsUrl`) and data/Feed.kt (`QuestionFeedCard`).
_ANSWERS_QUERY = (("include", ANSWER_INCLUDE), ("limit", "{limit}"), ("offset", "0"))
QUESTION = Kind(
    name="question",
    shape=Shape.ANSWERS,
    urls=(
        UrlForm(_WWW, _form(r"/question/{id}/?")),
        UrlForm(_API, _form(r"(?:/api/v4)?/questions/{id}/?")),
    ),
    endpoints=(
        Endpoint(
            "/api/v4/questions/{id}/answers",
            page=_QUESTION_PAGE,
            query=(*_ANSWERS_QUERY, ("sort_by", "default"), ("platform", "desktop")),
            fallback=_moved_to(
                Endpoint(
                    "/api/v4/questions/{id}/feeds",
                    page=_QUESTION_PAGE,
                    query=(*_ANSWERS_QUERY, ("order", "default"), ("platform", "desktop")),
                ),
                "question_feeds",
                "/feeds, as Zhihu's web page does",
            ),
        ),
    ),
    categories="ZHIHU_ANSWER_CATEGORIES",
)

# --- Lists: pages of items (archiver/zhihu/listing.py) ---
COLUMN = Kind(
    name="column",
    shape=Shape.LIST,
    urls=(
        UrlForm(_ZHUANLAN, _form(r"/{slug}/?"), not_ids=_NOT_COLUMNS),
        UrlForm(_WWW, _form(r"/column/{slug}/?"), not_ids=_NOT_COLUMNS),
    ),
    # RSSHub zhuanlan.ts (signed, the column's page as Referer)
    endpoints=(
        Endpoint("/api/v4/columns/{id}/items", page="https://zhuanlan.zhihu.com/{id}", query=_PAGE),
    ),
    categories="ZHIHU_COLUMN_CATEGORIES",
    id_pattern="[^/]+",
)
COLLECTION = Kind(
    name="collection",
    shape=Shape.LIST,
    urls=(UrlForm(_WWW, _form(r"/collection/{id}/?")),),
    # RSSHub collection.ts; zhihu-plus-plus CollectionContentViewModel.kt (20 a page)
    endpoints=(
        Endpoint(
            "/api/v4/collections/{id}/items",
            page="https://www.zhihu.com/collection/{id}",
            query=_PAGE,
        ),
    ),
    categories="ZHIHU_COLLECTION_CATEGORIES",
    private=("forbidden",),
    id_pattern="[^/]+",
)
_PERSON = "https://www.zhihu.com/people/{id}"
PEOPLE = Kind(
    name="people",
    shape=Shape.LIST,
    urls=(UrlForm(_WWW, _form(r"/people/{token}(?:/(?P<tab>answers|posts|pins))?/?")),),
    tabs=("answers", "posts", "pins"),
    endpoints=(
        # RSSHub answers.ts, posts.ts; zhihu-plus-plus PeopleScreen.kt, which sets its
        # `include` on every page it reads; a browser-driven profile watcher of 2026.
        Endpoint(
            "/api/v4/members/{id}/answers",
            page=f"{_PERSON}/answers",
            query=(("include", f"data[*].{ANSWER_FIELDS}"), *_PAGE, ("sort_by", "created")),
        ),
        Endpoint(
            "/api/v4/members/{id}/articles",
            page=f"{_PERSON}/posts",
            query=(("include", f"data[*].{_ARTICLE_FIELDS}"), *_PAGE, ("sort_by", "created")),
        ),
        # Where the person's page reads them since Zhihu moved them (that watcher of 2026); the
        # old path, RSSHub's before it moved to the app's, as long as it answers, when the new
        # one does not.
        Endpoint(
            "/api/v4/v2/members/{id}/pins",
            page=f"{_PERSON}/pins",
            query=_PAGE,
            fallback=Fallback(
                Endpoint("/api/v4/members/{id}/pins", page=f"{_PERSON}/pins", query=_PAGE),
                stat="old_list_endpoint",
                refusals=("forbidden",),
                said="{target}: Zhihu does not answer {path} ({error}); reading {to}",
                not_found=True,
            ),
        ),
    ),
    categories="ZHIHU_PEOPLE_CATEGORIES",
    id_pattern="[^/]+",
)
TOPIC = Kind(
    name="topic",
    shape=Shape.LIST,
    urls=(UrlForm(_WWW, _form(r"/topic/{id}/top-answers/?")),),
    # The topic page's 精华 tab reads this feed, its pages go on at the v4 essence feed
    # (zhihu-plus-plus TopicScreen.kt, `normalizeTopicPagingUrl`; RSSHub topic.ts).
    endpoints=(
        Endpoint(
            "/api/v5.1/topics/{id}/feeds/top_activity/v2",
            page="https://www.zhihu.com/topic/{id}/top-answers",
            query=_PAGE,
            moves=("/api/v4/topics/{id}/feeds/essence_v4",),
        ),
    ),
    categories="ZHIHU_TOPIC_CATEGORIES",
    id_pattern="[^/]+",
)

# --- What the spiders of their own read: the hot list, and a day of Zhihu Daily ---
# zhihu-plus-plus HotListViewModel.kt (the www path); where Zhihu turns that away with a login,
# the app's host with the login cookie, unsigned, as RSSHub hot.ts reads it (Zhihu's own host,
# whatever ZHIHU_BASE_URL).
_HOT = "https://www.zhihu.com/hot"
HOT_LIST = Kind(
    name="hot_list",
    shape=Shape.HOT_LIST,
    endpoints=(
        Endpoint(
            "/api/v3/feed/topstory/hot-lists/total",
            page=_HOT,
            query=(("limit", "{limit}"), ("desktop", "true")),
            fallback=_moved_to(
                Endpoint(
                    "https://api.zhihu.com/topstory/hot-lists/total",
                    page=_HOT,
                    query=(("limit", "{limit}"), ("reverse_order", "0")),
                ),
                "hot_list_app",
                "api.zhihu.com, as RSSHub does",
            ),
        ),
    ),
    categories="ZHIHU_HOTLIST_CATEGORIES",
)
DAILY_LISTING = Kind(
    name="daily_listing",
    shape=Shape.DAILY,
    # The latest day (with its top stories), and the day before a day (`YYYYMMDD`).
    endpoints=(
        Endpoint(f"{_DAILY_API}/stories/latest"),
        Endpoint(f"{_DAILY_API}/stories/before/{{id}}"),
    ),
    categories="ZHIHU_DAILY_CATEGORIES",
    id_pattern="[0-9]{8}",
)

# Every kind, by name; in the order a URL is matched against their forms.
_ORDER = (ANSWER, QUESTION, ARTICLE, PIN, COLUMN, COLLECTION, PEOPLE, TOPIC, DAILY, HOT_LIST)
KINDS: dict[str, Kind] = {kind.name: kind for kind in (*_ORDER, DAILY_LISTING)}
# The kinds that are one post each (a Post's kind names one of them, or is a feed item or page).
ITEMS: dict[str, Kind] = {name: k for name, k in KINDS.items() if k.shape is Shape.ITEM}


def _path_pattern(template: str, ids: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(template).replace(re.escape("{id}"), f"(?P<id>{ids})") + "$")


# Every path a captured response of a kind may be at, for any id (its `id` group), with the
# endpoint whose parse reads it: rerender's and `package`'s way from a capture to its kind.
CAPTURED: tuple[tuple[re.Pattern[str], Kind, Endpoint], ...] = tuple(
    (_path_pattern(path, kind.id_pattern), kind, reader)
    for kind in KINDS.values()
    for endpoint in kind.endpoints
    for reader in endpoint.readers
    if reader.rerendered
    for path in (urlsplit(reader.path).path, *reader.moves)
)


def captured(path: str) -> tuple[Kind, Endpoint, re.Match[str]] | None:
    """The kind and endpoint a captured response's path is of, and the match (its `id`)."""
    for pattern, kind, endpoint in CAPTURED:
        if found := pattern.match(path):
            return kind, endpoint, found
    return None

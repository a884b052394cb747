"""Scrapy settings for the archiver. Every setting of ours carries its component's prefix and is
listed in docs/settings.md; secrets (the Zhihu cookie) are read from the environment only."""

import os

BOT_NAME = "archiver"
SPIDER_MODULES = ["archiver.spiders"]
NEWSPIDER_MODULE = "archiver.spiders"
COMMANDS_MODULE = "archiver.commands"

# Zhihu answers browsers only; an honest bot User-Agent gets HTTP 400 from its front end.
# ZHIHU_USER_AGENT (environment) replaces it on Zhihu's hosts: __zse_ck is bound to a browser.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# A personal archiver fetches what its user points it at, with politeness below; robots.txt is
# written for discovery crawlers and would stop the API calls this tool exists to make.
ROBOTSTXT_OBEY = False

# Politeness: two requests at a time per host, a pause between them, adaptive slowing down.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Every https connection is verified, chain and host name, before anything is sent: against the
# system's CA store, or SSL_CERT_FILE / SSL_CERT_DIR (a corporate proxy's CA) as OpenSSL reads them.
DOWNLOAD_VERIFY_CERTIFICATES = True
# https through Scrapy's HTTP/1.1 handler, its host-name check made fail-closed (downloader/tls.py)
DOWNLOAD_HANDLERS = {"https": "archiver.downloader.tls.HostCheckedDownloadHandler"}
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

DOWNLOADER_MIDDLEWARES = {
    # First of all: a figure request (or a redirect of one) off FIGURES_ALLOWED_HOSTS is refused
    # before any other middleware adds a cookie, captures it or sends it.
    "archiver.downloader.allowlist.FigureAllowlistMiddleware": 50,
    # Ours replaces the stock retry middleware: the same policy, plus exponential backoff.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "archiver.downloader.retry.BackoffRetryMiddleware": 550,
    # Before the retry middleware sees it: a refused certificate, one line, never retried.
    "archiver.downloader.tls.CertificateCheckMiddleware": 560,
    # After CookiesMiddleware (700), which rewrites the Cookie header from its jar.
    "archiver.downloader.session.ZhihuSessionMiddleware": 710,
    # After every middleware that may change a URL or the cookies: it signs what is sent.
    "archiver.downloader.signing.ZhihuSigningMiddleware": 720,
    # A download over its size limit is one typed error (TooLarge), as transferred or inflated.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "archiver.downloader.limits.DecompressionLimitMiddleware": 590,
    "archiver.downloader.limits.SizeLimitMiddleware": 980,
    # Before RedirectMiddleware (600) in the response path, to see sign-in redirects themselves.
    "archiver.downloader.blocks.ZhihuBlockMiddleware": 650,
    # Sees a challenge before the block middleware does, and answers it when it can.
    "archiver.downloader.challenge.ZhihuChallengeMiddleware": 660,
    # Next to the downloader: the bytes as transferred, before decompression and redirects.
    "archiver.webarchive.middleware.WarcCaptureMiddleware": 990,
    "archiver.webarchive.middleware.WarcReplayMiddleware": 995,
}
ITEM_PIPELINES = {
    # An answer's comments (captured, or kept from the index) before the figures: their images
    # are archived with the body's.
    "archiver.pipelines.comments.CommentsPipeline": 200,
    "archiver.pipelines.figures.FiguresPipeline": 300,
    # Only with ARCHIVE_VIDEOS = "download": the video files, before the posts that play them.
    "archiver.pipelines.videos.VideosPipeline": 400,
    "archiver.pipelines.posts.PostPipeline": 800,
    "archiver.pipelines.history.HotListPipeline": 900,
    # Only for `recheck`: what it found, recorded at the end of a run that was not blocked.
    "archiver.pipelines.vanished.RecheckPipeline": 950,
}
# Log lines name an item (kind, id, title) instead of printing a whole answer's HTML.
LOG_FORMATTER = "archiver.logformatter.ArchiveLogFormatter"
EXTENSIONS = {
    "archiver.extensions.RunSummary": 500,
    # The first Ctrl-C or SIGTERM: nothing new is sent, what is in progress ends whole.
    "archiver.extensions.Interruption": 510,
}

# Retry backoff: the n-th retry of a request waits base * 2**(n-1) seconds, at most max.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0

# Zhihu
ZHIHU_BASE_URL = "https://www.zhihu.com"
# The first plaintext byte of every x-zse-96 signature. Zhihu does not check it; a fixed value
# makes a run's requests reproducible (and its WARC replayable). 210 is what Zhihu's clients send.
ZHIHU_SIGNATURE_BYTE = 210
# Zhihu's __zse_ck challenge: "auto" answers it by running its script in a sandboxed Node.js
# with jsdom (archiver/solver.py) when one is here; "off" stops the crawl as blocked instead.
ZHIHU_CHALLENGE_SOLVER = "auto"
ZHIHU_CHALLENGE_TIMEOUT = 10.0  # seconds the challenge script may take
ZHIHU_HOTLIST_LIMIT = 50
ZHIHU_ANSWERS_PER_QUESTION = 1
# The top root comments of an answer to keep in its post (a 评论 section), captured when the
# answer is first archived or edited: 0 (the seed's posts) to 20 (one page of Zhihu's web client).
ZHIHU_COMMENTS = 0
ZHIHU_HOTLIST_CATEGORIES = "社交媒体/知乎/知乎热榜"
ZHIHU_ANSWER_CATEGORIES = "社交媒体/知乎/知乎回答"  # `scrapy archive`: answers and questions
ZHIHU_ARTICLE_CATEGORIES = "社交媒体/知乎/知乎专栏"  # `scrapy archive`: column articles
ZHIHU_PIN_CATEGORIES = "社交媒体/知乎/知乎想法"  # `scrapy archive`: pins (想法)
# Lists (`scrapy archive` and `follow`): every item of a list goes under its list's kind's path.
ZHIHU_COLUMN_CATEGORIES = "社交媒体/知乎/知乎专栏"
ZHIHU_COLLECTION_CATEGORIES = "社交媒体/知乎/知乎收藏夹"
ZHIHU_PEOPLE_CATEGORIES = "社交媒体/知乎/知乎用户"
ZHIHU_TOPIC_CATEGORIES = "社交媒体/知乎/知乎话题精华"

# Zhihu Daily (`scrapy crawl daily`): an open API, asked without the login cookie
ZHIHU_DAILY_CATEGORIES = "社交媒体/知乎/知乎日报"

# RSS/Atom feeds (`scrapy crawl feed`)
RSS_CATEGORIES = "社交媒体/知乎/知乎热榜"  # what the older generator filed its RSSHub feed under
# The largest feed, in bytes, after decompression: a small gzip can inflate to gigabytes.
RSS_MAX_SIZE = 10 * 1024 * 1024

# The archive
ARCHIVE_DIR = "output"
ARCHIVE_INDEX = ""  # default: <ARCHIVE_DIR>/.archiver/index.sqlite3
# headimg of posts without an image (URL or site path); "": the shipped /images/default/headimg.png
ARCHIVE_DEFAULT_IMAGE = ""
ARCHIVE_SOURCE_LABEL = "知乎"
# Post dates: "auto" reads the timezone of the Hexo site whose source/ folder ARCHIVE_DIR is;
# a zone name writes that wall-clock time; "" keeps the seed's GMT form.
ARCHIVE_TIMEZONE = "auto"
ARCHIVE_IMAGES = "remote"  # or "local": posts point at the archived figures (/images/...)
# Theme keys after `thumbnail` (off: the seed's bytes). `updated:` the post's date again, so Hexo
# does not show the file's modification time; `title_display: true` for hexo-theme-volantis.
ARCHIVE_FRONT_MATTER_UPDATED = False
ARCHIVE_FRONT_MATTER_TITLE_DISPLAY = False
# Body braces: "entities" (`&#123;`, the seed's) or "raw" (the body in {% raw %}...{% endraw %}).
ARCHIVE_BODY_BRACES = "entities"
# Rich content as a reader saw it on Zhihu (each off by default: the seed's bytes).
ARCHIVE_FORMULAS = "image"  # or "tex": \(…\) and \[…\] for MathJax/KaTeX, TeX as Zhihu had it
ARCHIVE_LINK_CARDS = "keep"  # or "card": an unclosed card closed, its image shown in the link
ARCHIVE_REFERENCES = "keep"  # or "list": numbered links and a 参考 list at the end of the body
ARCHIVE_VIDEOS = "keep"  # or "poster": a video card as its poster, linking to the video's page
# or "download": that, and the video file archived (videos/<id>.mp4), played in local mode
ARCHIVE_VIDEO_MAX_SIZE = 50 * 1024 * 1024  # the best rendition up to this many bytes
ARCHIVE_VIDEO_HOSTS = ["vzuu.com"]  # where video files may be fetched from (vdn*.vzuu.com)
# What vanished from Zhihu (`recheck`): a page per month, under this category path; and, when
# True, a one-line note at the top of each vanished post and a `vanished:` front-matter key.
ARCHIVE_VANISHED_CATEGORIES = "社交媒体/知乎/知乎消失内容"
ARCHIVE_VANISHED_NOTE = False

# Hot-list history: every hot list is recorded in the index; a daily page lists each day's
HISTORY_ENABLED = True
HISTORY_DAILY_PAGE = True
HISTORY_TIMEZONE = "Asia/Shanghai"  # where a day starts and ends: Zhihu's
HISTORY_CATEGORIES = "社交媒体/知乎/知乎热榜日报"
HISTORY_PERIOD_PAGES = True  # the week and month pages of each day seen
HISTORY_CHARTS = True  # their charts, images/hotlist/*.svg (matplotlib)

# Web archive: a WARC per run (default: the hotlist and archive spiders), replay from WARCs
WARC_ENABLED = None  # None: as the spider says; True/False: for every spider
WARC_DIR = ""  # default: <ARCHIVE_DIR>/.archiver/warc
# A run's capture goes on in a new WARC file (each with its CDXJ index) past this many bytes
WARC_MAX_SIZE = 1073741824  # 1 GB; 0: one file per run
ARCHIVE_REPLAY = ""  # a WARC file or folder: serve every request from it, never the network
# The most bytes a WARC record (once decompressed), a CDXJ index or an index row is read to.
ARCHIVE_MAX_READ_SIZE = 134217728  # 128 MB

# Figures
FIGURES_ENABLED = True
FIGURES_ALLOWED_HOSTS = ["zhimg.com", "www.zhihu.com/equation"]
FIGURES_MAX_SIZE = 20 * 1024 * 1024
FIGURES_THUMB_SIZES = ["400x300"]
# Memory and disk caps: a figure over one is a failed figure, and the post keeps its remote URL.
FIGURES_MAX_PER_POST = 300
FIGURES_MAX_BYTES_PER_POST = 200 * 1024 * 1024
FIGURES_MAX_BYTES_PER_RUN = 2 * 1024 * 1024 * 1024
FIGURES_MAX_PIXELS = 50_000_000  # below Pillow's bomb guard; 200 MB once decoded
# Threads that decode, thumbnail and write figures off the reactor thread (0: on it)
FIGURES_THREADS = min(os.cpu_count() or 1, 64)

# A cron job needs no interactive consoles listening on local ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"
# Scrapy's start-up banner, component lists, engine lines and stats dump are logged at DEBUG
# (archiver/logs.py): a run prints its own lines and its summary. True: at INFO, as Scrapy does.
ARCHIVE_LOG_SCRAPY = False
FEED_EXPORT_ENCODING = "utf-8"

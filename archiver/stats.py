"""Stats keys shared by the components that count and the summary that reads them."""

POSTS = "archiver/posts"  # /new, /updated, /unchanged
SKIPPED = "archiver/skipped"  # /<reason>: content a parser could not use (truncated, malformed...)
FAILED = "archiver/failed"  # /<reason>: downloads that failed, items that could not be written
# (and /list/<reason>: lists not read whole, each once, by the reason of its first problem)
LISTS = "archiver/lists"  # /read_apart: items a list cut, read from their own endpoint
BLOCKED = "archiver/blocked"  # the cause, when Zhihu refused us; /<cause> counts the responses
FALLBACK = "archiver/fallback"  # /<endpoint>: requests sent elsewhere after Zhihu turned one away
EXIT_CODE = "archiver/exit_code"
FIGURES = "archiver/figures"  # /stored, /refused_host, /deferred, /failed/<reason>
VIDEOS = "archiver/videos"  # /stored, /uptodate, /refused_host, /deferred, /failed/<reason>
WARC = "archiver/warc"  # /records: the WARC records written (a request and its response each)
REPLAY = "archiver/replay"  # /served, /missing, /damaged, /damaged_files (ARCHIVE_REPLAY)
COMMENTS = "archiver/comments"  # /captured, /failed/<reason> (ZHIHU_COMMENTS)
CHECKS = "archiver/checks"  # /<class of archiver.zhihu.gone.CLASSES>, /back (recheck)
INTERRUPTED = "archiver/interrupted"  # the signal that interrupted the run; /abandoned counts
# the requests it left unsent

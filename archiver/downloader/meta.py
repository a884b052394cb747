"""What spiders, pipelines and the downloader middlewares tell each other: the request meta
keys they share and the exceptions a dropped request is raised with. Every side imports them from
here, so none needs another's module."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from archiver.zhihu.blocks import Block

CHALLENGE_UNSOLVED = "archiver_challenge_unsolved"  # request meta: why the solver could not
CHALLENGE_RETRY = "archiver_challenge_retry"  # request meta: sent again with a solved token
CHALLENGE_SCRIPT = "archiver_challenge_script"  # request meta: the challenge's script
FALLBACK_ON = "archiver_fallback_on"  # request meta: block causes the spider works around
# Request meta: another endpoint of the same data, where Zhihu moved it. Zhihu turns a client away
# from an endpoint it no longer serves it with the refusals of zhihu.blocks.LOGIN_REFUSALS; they
# say "not this endpoint" only of a request that carried the login: without it, they mean what
# they say (log in), and the other endpoint would not answer either.
FALLBACK_URL = "archiver_fallback_url"
FALLBACK_OF = "archiver_fallback_of"  # request meta of a fallback: the Block (or 404) it replaces


class Blocked(IgnoreRequest):
    """A request dropped because Zhihu refused the run: said once, in the `Blocked:` line."""


class Refused(Blocked):
    """A refusal the request's spider has a fallback for (see FALLBACK_ON)."""

    def __init__(self, block: Block) -> None:
        super().__init__(block.message)
        self.block = block


FIGURE_META = "archiver_figure"  # request meta of every figure download (FiguresPipeline)
VIDEO_META = "archiver_video"  # request meta of every video download (VideosPipeline): lens id


# Sent (with `signame`) when the first SIGINT or SIGTERM arrives, before Scrapy's own shutdown
# starts: components cut short what would only delay it (a retry's backoff).
interrupted = object()


class Interrupted(IgnoreRequest):
    """A request the interrupted run will not send; counted once, in the summary."""


class RefusedFigure(IgnoreRequest):
    """A figure request, or a redirect of one, to a URL off FIGURES_ALLOWED_HOSTS."""

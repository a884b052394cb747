"""Benchmark: answer JSON -> post text, against a bare lxml parse-and-serialise of the same HTML.

Run from the project root:

    ./run python benchmarks/bench_convert.py [--answers N] [--rounds R] [--seed S]

The conversion side times, per answer, what the archiver does for one answer:
`json.loads` -> `answer_post` -> set the categories -> `post_text(post, PostOptions())`.
The baseline side times `lxml.html.fragment_fromstring(content, create_parent="div")` and
`lxml.html.tostring(root, encoding="unicode", method="html")` over the same `content` HTML,
the least any conversion must do. Answers are generated deterministically (seeded) in
Zhihu's content conventions, 10-60 KB of HTML each. Both sides run over the whole set for
several alternating rounds; the best (minimum) round of each side is reported, with the
ratio conversion/baseline against the goal of at most 1.5x (`measure()` returns the figures by
name, for benchmarks/run_all.py). This is a benchmark, not a test:
it never fails on a slow ratio, only on a conversion that did not produce the expected post.
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import random
import statistics
import string
import time
from collections.abc import Callable
from urllib.parse import quote

from lxml import html as lxml_html

from archiver.items import Post
from archiver.post.render import PostOptions, post_text
from archiver.zhihu.answers import answer_post

GOAL = 1.5
CATEGORIES = ("社交媒体", "知乎", "知乎热榜")
MIN_HTML_BYTES = 10_000
MAX_HTML_BYTES = 60_000

PID_CHARS = string.ascii_letters + string.digits + "_-"
ZH_WORDS = (  # noqa: SIM905 - a word list reads better as one string
    "我们 这个 问题 其实 可以 从 几个 方面 来看 首先 需要 明确 的是 根据 数据 显示 "
    "在 过去 十年 里 很多 人 认为 但是 实际上 情况 并非 如此 经济 社会 技术 发展 "
    "带来 了 巨大 变化 同时 也 产生 新的 挑战 对于 普通人 来说 最 重要 还是 "
    "保持 学习 能力 和 独立 思考 举个 例子 如果 你 去 一家 公司 面试 就会 发现 "
    "他们 更 看重 经验 而不是 学历 当然 这 只是 个人 观点 欢迎 讨论 补充 一下 "
    "算法 模型 训练 推理 城市 房价 教育 医疗 历史 文化 电影 音乐 旅行 美食 健康"
).split()
_EN_WORDS = (  # noqa: SIM905
    "the model performance baseline Python Linux kernel latency throughput cache "
    "GPU memory benchmark dataset API framework open source paper results"
).split()
_HOSTS = ("example.com", "github.com", "arxiv.org", "en.wikipedia.org", "docs.python.org")
_EQUATIONS = ("E=mc^2", "a^2+b^2=c^2", "\\sum_{i=1}^{n} i", "\\frac{1}{2}", "f(x)=e^{-x}")
_CODE_LINES = (
    '<span class="k">def</span> <span class="nf">handler</span><span class="p">(</span>'
    '<span class="n">event</span><span class="p">):</span>',
    '    <span class="n">config</span> <span class="o">=</span> <span class="p">{</span>'
    '<span class="s2">"retries"</span><span class="p">:</span> <span class="mi">3</span>'
    '<span class="p">,</span> <span class="s2">"timeout"</span><span class="p">:</span> '
    '<span class="mf">1.5</span><span class="p">}</span>',
    '    <span class="k">for</span> <span class="n">key</span> <span class="ow">in</span> '
    '<span class="n">config</span><span class="p">:</span>',
    '        <span class="nb">print</span><span class="p">(</span><span class="sa">f</span>'
    '<span class="s2">"</span><span class="si">{</span><span class="n">key</span>'
    '<span class="si">}</span><span class="s2">"</span><span class="p">)</span>',
    '    <span class="k">if</span> <span class="n">event</span> <span class="o">&lt;</span> '
    '<span class="mi">0</span> <span class="ow">and</span> <span class="n">x</span> '
    '<span class="o">&amp;</span> <span class="mi">1</span><span class="p">:</span>',
    '    <span class="k">return</span> <span class="p">{</span><span class="s2">"ok"</span>'
    '<span class="p">:</span> <span class="kc">True</span><span class="p">}</span>',
)


class AnswerGenerator:
    """Deterministic answers in Zhihu's content conventions."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def hex32(self) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(32))

    def sentence(self) -> str:
        rng = self.rng
        words = [rng.choice(ZH_WORDS) for _ in range(rng.randint(8, 24))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), " " + " ".join(rng.sample(_EN_WORDS, 2)) + " ")
        return "".join(words) + rng.choice("，。。！？")

    def paragraph_text(self) -> str:
        return "".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def pid(self) -> str:
        return "".join(self.rng.choice(PID_CHARS) for _ in range(8))

    def link(self) -> str:
        rng = self.rng
        target = f"https://{rng.choice(_HOSTS)}/p/{rng.randint(1, 99999)}?b={rng.randint(1, 9)}"
        href = "https://link.zhihu.com/?target=" + quote(target, safe="/")
        text = html.escape(target, quote=False)
        return (
            f'<a href="{html.escape(href)}" class=" wrap external" target="_blank" '
            f'rel="nofollow noreferrer">{text}</a>'
        )

    def equation(self) -> str:
        tex = self.rng.choice(_EQUATIONS)
        return (
            f'<img src="https://www.zhihu.com/equation?tex={quote(tex, safe="")}" '
            f'alt="{html.escape(tex)}" eeimg="1"/>'
        )

    def paragraph(self, roll: float | None = None) -> str:
        """A paragraph; `roll` picks its inline extra (< 0.15: a link), random when None."""
        rng = self.rng
        parts = [html.escape(self.paragraph_text(), quote=False)]
        roll = rng.random() if roll is None else roll
        if roll < 0.15:
            parts.append(self.link())
        elif roll < 0.25:
            parts.append(self.equation())
        elif roll < 0.35:
            parts.append(f"<b>{html.escape(self.sentence(), quote=False)}</b>")
        elif roll < 0.40:
            parts.append("<br/>" + html.escape(self.sentence(), quote=False))
        if len(parts) > 1:
            parts.append(html.escape(self.sentence(), quote=False))
        return f'<p data-pid="{self.pid()}">{"".join(parts)}</p>'

    def figure(self) -> str:
        rng = self.rng
        name = self.hex32()
        width, height = rng.choice(((800, 600), (1080, 720), (720, 1280), (640, 480)))
        caption = html.escape(self.sentence(), quote=False) if rng.random() < 0.5 else ""
        return (
            f'<figure data-size="normal"><img src="https://picx.zhimg.com/v2-{name}_720w.jpg'
            f'?source=d16d100b" data-caption="" data-size="normal" data-rawwidth="{width}" '
            f'data-rawheight="{height}" class="origin_image zh-lightbox-thumb" width="{width}" '
            f'data-original="https://pic{rng.randint(1, 4)}.zhimg.com/v2-{name}_r.jpg'
            f'?source=d16d100b"/><figcaption>{caption}</figcaption></figure>'
        )

    def code(self) -> str:
        lines = [self.rng.choice(_CODE_LINES) for _ in range(self.rng.randint(4, 14))]
        return (
            '<div class="highlight"><pre><code class="language-python"><span></span>'
            + "\n".join([_CODE_LINES[0], *lines])
            + "\n</code></pre></div>"
        )

    def blockquote(self) -> str:
        return f"<blockquote>{html.escape(self.paragraph_text(), quote=False)}</blockquote>"

    def bullets(self) -> str:
        items = "".join(
            f"<li>{html.escape(self.sentence(), quote=False)}</li>"
            for _ in range(self.rng.randint(2, 6))
        )
        return f"<ul>{items}</ul>"

    def content(self, target_bytes: int, marker: str) -> str:
        """Blocks until the HTML reaches target_bytes (UTF-8); the first paragraph is marker.

        Every answer opens with a link, an image and a code block, so each one exercises
        every rewrite the conversion makes, whatever its size.
        """
        blocks = [
            f'<p data-pid="{self.pid()}">{marker}</p>',
            self.paragraph(roll=0.0),
            self.figure(),
            self.code(),
        ]
        size = sum(len(block.encode()) for block in blocks)
        makers: list[tuple[float, Callable[[], str]]] = [
            (0.62, self.paragraph),
            (0.10, self.figure),
            (0.08, self.code),
            (0.06, self.blockquote),
            (0.08, self.bullets),
            (0.03, lambda: "<hr/>"),
            (0.03, lambda: "<p><br/></p>"),
        ]
        weights = [weight for weight, _ in makers]
        while size < target_bytes:
            ((_, make),) = self.rng.choices(makers, weights)
            block = make()
            block_size = len(block.encode())
            if size + block_size > MAX_HTML_BYTES:
                break  # stays within the range; the target is at most a block away
            blocks.append(block)
            size += block_size
        return "".join(blocks)

    def answer(self, index: int, target_bytes: int) -> tuple[str, str, str]:
        """(raw JSON text, content HTML, marker text that the post must contain)."""
        rng = self.rng
        marker = f"第{index}个回答的开头：{self.paragraph_text()}"
        content = self.content(target_bytes, html.escape(marker, quote=False))
        created = 1_600_000_000 + rng.randrange(100_000_000)
        obj = {
            "id": str(rng.randrange(10**18, 10**19)),
            "type": "answer",
            "author": {"name": f"用户{rng.randrange(10**6)}", "url_token": self.pid()},
            "question": {
                "id": str(rng.randrange(10**8, 10**9)),
                "title": self.sentence().rstrip("，。！？") + "？",
                "type": "question",
            },
            "created_time": created,
            "updated_time": created + rng.randrange(10**6),
            "voteup_count": rng.randrange(100_000),
            "comment_count": rng.randrange(5_000),
            "content": content,
        }
        return json.dumps(obj, ensure_ascii=False), content, marker


def generate(count: int, seed: int) -> list[tuple[str, str, str]]:
    gen = AnswerGenerator(seed)
    span = MAX_HTML_BYTES - MIN_HTML_BYTES
    # Stratified sizes: one per slice of the 10-60 KB range, so the set spreads across it.
    sizes = [MIN_HTML_BYTES + int(span * (i + gen.rng.random()) / count) for i in range(count)]
    gen.rng.shuffle(sizes)
    return [gen.answer(i, size) for i, size in enumerate(sizes)]


def convert(raw: str) -> str:
    post = answer_post(json.loads(raw))
    if not isinstance(post, Post):
        raise RuntimeError(f"answer skipped: {post}")
    post.categories = CATEGORIES
    return post_text(post, PostOptions())


def bare(content: str) -> str:
    root = lxml_html.fragment_fromstring(content, create_parent="div")
    return lxml_html.tostring(root, encoding="unicode", method="html")


def sanity_check(answers: list[tuple[str, str, str]]) -> None:
    """Every conversion yields a real post, so the timing is never of a failure path."""
    for raw, _content, marker in answers:
        text = convert(raw)
        problems = [
            ("the answer's text", marker in text),
            ("escaped braces (&#123;)", "&#123;" in text and "&#125;" in text),
            ("no raw braces", "{" not in text and "}" not in text),
            ("unwrapped links", "link.zhihu.com" not in text),
            ("large images", "_1440w.jpg" in text),
        ]
        failed = [name for name, ok in problems if not ok]
        if failed:
            answer_id = json.loads(raw)["id"]
            raise SystemExit(f"sanity check failed for answer {answer_id}: {', '.join(failed)}")


def time_pass(func: Callable[[str], str], inputs: list[str]) -> float:
    gc.collect()
    start = time.perf_counter()
    for item in inputs:
        func(item)
    return time.perf_counter() - start


def measure(
    answers: int = 200,
    rounds: int = 5,
    seed: int = 20240601,
    say: Callable[[str], object] = lambda line: None,
) -> dict[str, float]:
    """Time both sides over the same answers; the figures by name (seconds: the best round).

    `convert_vs_lxml` is the best conversion round over the best baseline round;
    `convert_vs_lxml_median` the median of the rounds' own ratios, for context. `say` gets each
    line the command-line run prints.
    """
    generated = generate(answers, seed)
    raws = [raw for raw, _, _ in generated]
    contents = [content for _, content, _ in generated]
    html_bytes = sum(len(content.encode()) for content in contents)
    sizes = sorted(len(content.encode()) for content in contents)
    sanity_check(generated)

    bases: list[float] = []
    convs: list[float] = []
    for _ in range(rounds):
        bases.append(time_pass(bare, contents))
        convs.append(time_pass(convert, raws))
    best_base, best_conv = min(bases), min(convs)

    ratio = best_conv / best_base
    verdict = "met" if ratio <= GOAL else "NOT met"
    say(
        f"answers: {answers}  HTML: {html_bytes / 1e6:.2f} MB "
        f"({sizes[0] / 1e3:.1f}-{sizes[-1] / 1e3:.1f} KB each)  "
        f"rounds: {rounds} (best of each side)"
    )
    say(
        f"baseline   (lxml parse + serialise): {answers / best_base:8.1f} answers/s  "
        f"{html_bytes / 1e6 / best_base:6.1f} MB/s  {best_base * 1e3:8.1f} ms"
    )
    say(
        f"conversion (JSON -> post text):      {answers / best_conv:8.1f} answers/s  "
        f"{html_bytes / 1e6 / best_conv:6.1f} MB/s  {best_conv * 1e3:8.1f} ms"
    )
    say(f"ratio {ratio:.2f}x (goal <= {GOAL:g}x): {verdict}")
    ratios = [conv / base for conv, base in zip(convs, bases, strict=True)]
    return {
        "convert_vs_lxml": ratio,
        "convert_vs_lxml_median": statistics.median(ratios),
        "convert_s": best_conv,
        "lxml_s": best_base,
        "convert_answers_per_s": answers / best_conv,
        "answers": answers,
        "rounds": rounds,
        "html_mb": html_bytes / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200, help="answers to generate (200)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per side (5)")
    parser.add_argument("--seed", type=int, default=20240601, help="generator seed")
    args = parser.parse_args(argv)
    if args.answers < 1 or args.rounds < 1:
        parser.error("--answers and --rounds must be at least 1")
    measure(args.answers, args.rounds, args.seed, say=print)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Captured runs written by hand: hot lists and answers as Zhihu's JSON, in WARCs named and
indexed as the capture names and indexes them (for the rerender tests)."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders

from archiver.webarchive.cdxj import write_cdxj
from archiver.webarchive.middleware import FastGzipWARCWriter

HOT = ("社交媒体", "知乎", "知乎热榜")
HOT_URL = "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50"
START = datetime(2026, 1, 1, tzinfo=UTC)


def hot_list(*entries: tuple[str, str, str]) -> dict[str, object]:
    """(question id, title, image or "") each."""
    data = []
    for qid, title, image in entries:
        entry: dict[str, object] = {
            "target": {"type": "question", "id": int(qid), "title": title},
            "detail_text": "100 万热度",
        }
        if image:
            entry["children"] = [{"thumbnail": image}]
        data.append(entry)
    return {"data": data}


def answers(qid: str, answer_id: str, title: str, content: str) -> dict[str, object]:
    question: dict[str, object] = {"id": int(qid), "type": "question"}
    if title:
        question["title"] = title
    answer = {
        "id": int(answer_id),
        "type": "answer",
        "content": content,
        "updated_time": 1763960000,
        "created_time": 1763950000,
        "author": {"name": "作者"},
        "question": question,
    }
    return {"data": [answer], "paging": {"is_end": True, "next": ""}}


def write_run(
    folder: Path, n: int, responses: list[tuple[str, object]], dated: bool = True
) -> None:
    """One run's WARC (named as the capture names it, its records dated by the run's start)
    and its CDXJ index. `dated` False: responses without a Date header."""
    when = START + timedelta(hours=2 * n)
    path = folder / f"hotlist-{when:%Y%m%dT%H%M%SZ}-{1000 + n}.warc.gz"
    with path.open("wb") as handle:
        writer = FastGzipWARCWriter(handle, gzip=True, warc_version="1.1")
        for url, data in responses:
            body = json.dumps(data, ensure_ascii=False).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            if dated:
                headers.append(("Date", email.utils.format_datetime(when, usegmt=True)))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_record(record)
    write_cdxj(path)


def page_url(qid: str) -> str:
    return f"https://www.zhihu.com/api/v4/questions/{qid}/answers?limit=1"

"""Hostile input rows of ``make bench``: a broken proxy must cost bounded time and memory.

Each body is generated in 64 KiB reads as it is consumed (the input is never held whole)
and read through the real client (``Groq`` over an in-memory transport). Wall time is
the best of a few runs; peak memory is traced in a separate run.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from mirastream.errors import StreamDecodeError
from mirastream.groq import Groq

__all__ = ["hostile"]

PIECE = 64 * 1024
_CHUNK_HEAD = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"'
)
_CHUNK_TAIL = b'"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'


class _Generated(httpx.SyncByteStream):
    def __init__(self, make: Callable[[], Iterator[bytes]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        return self._make()


def _client(make: Callable[[], Iterator[bytes]], max_event_size: int | None) -> Groq:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, stream=_Generated(make), headers=headers)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    kwargs: dict[str, Any] = {} if max_event_size is None else {"max_event_size": max_event_size}
    return Groq(api_key="gsk_bench", base_url="http://bench.invalid", http_client=http, **kwargs)


def _line(total: int) -> Iterator[bytes]:
    yield b"data: "
    for _ in range(total // PIECE):
        yield b"a" * PIECE


def _big_event(total: int) -> Iterator[bytes]:
    yield _CHUNK_HEAD
    for _ in range(total // PIECE):
        yield b"x" * PIECE
    yield _CHUNK_TAIL


def _comments(total: int) -> Iterator[bytes]:
    flood = b": keep-alive\n" * (PIECE // 13)
    for _ in range(total // len(flood)):
        yield flood
    yield _CHUNK_HEAD + b"hi" + _CHUNK_TAIL


def _read(client: Groq) -> str:
    stream = client.chat.completions.create(
        messages=[{"role": "user", "content": "x"}], model="m", stream=True
    )
    try:
        return "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    except StreamDecodeError:
        return "StreamDecodeError"


def _measure(client: Groq, runs: int) -> tuple[float, float, str]:
    best = float("inf")
    outcome = ""
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        outcome = _read(client)
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    _read(client)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, outcome


def hostile(report: object, runs: int = 3) -> None:
    """Print the hostile-input rows; ``report`` is ``run.Row`` (``line``/``target``)."""
    line: Callable[[str], None] = report.line  # type: ignore[attr-defined]
    target: Callable[..., None] = report.target  # type: ignore[attr-defined]
    mb = 1 << 20
    cases = [
        ("64 MB line, no newline", _client(lambda: _line(64 * mb), None)),
        ("20 MB event (max 64 MiB)", _client(lambda: _big_event(20 * mb), 64 * mb)),
        ("10 MB comment flood", _client(lambda: _comments(10 * mb), None)),
    ]
    line("\n== hostile input through Groq (wall ms, best of 3; peak MiB, tracemalloc)")
    results = {}
    for name, client in cases:
        seconds, peak, outcome = _measure(client, runs)
        results[name] = (seconds, peak)
        shown = outcome if outcome == "StreamDecodeError" else f"{len(outcome):,} chars of content"
        line(f"  {name:26s} {seconds * 1000:8.1f} ms  {peak:7.1f} MiB peak   -> {shown}")
    seconds, peak = results["64 MB line, no newline"]
    target("64 MB line: time to StreamDecodeError", seconds * 1000, 1000, " ms")
    target("64 MB line: peak memory (bound 16 MiB)", peak, 40, " MiB")

"""Bench inputs and the parsing floor: Groq-shaped streams served from memory.

Every stream is rendered by the test kit's script builder (``mirastream.testing``), so
its framing is Groq's, and cut into one transport chunk per SSE event, as a server that
writes one event at a time delivers it.
"""

from __future__ import annotations

import json
import resource
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from jiter import from_json

from mirastream.testing import Script, ToolCall, Usage, script_events

URL = "http://bench.invalid/openai/v1/chat/completions"


def _events(spec: Script) -> list[bytes]:
    body = script_events(spec)
    return [event + b"\n\n" for event in body.split(b"\n\n") if event]


def text_stream(n_chunks: int, model: str = "llama-3.1-8b-instant") -> list[bytes]:
    """A text answer of ``n_chunks`` content deltas (plus role, finish and [DONE])."""
    pieces = [f" tok{i % 1000}" for i in range(n_chunks)]
    usage = Usage(prompt_tokens=40, completion_tokens=n_chunks)
    return _events(Script(text=pieces, model=model, usage=usage))


def tool_stream(n_calls: int, fragment: int | None) -> list[bytes]:
    """``n_calls`` parallel tool calls, whole (Groq) or in ``fragment``-char pieces."""
    calls = [
        ToolCall("get_weather", {"location": f"City {i}, Country", "unit": "celsius"})
        for i in range(n_calls)
    ]
    return _events(Script(tool_calls=calls, fragment_arguments=fragment))


def book_json(n_chapters: int) -> str:
    """A structured answer long enough to arrive in thousands of fragments."""
    book = {
        "title": "The Left Hand of Darkness",
        "author": {"name": "Ursula K. Le Guin", "born": 1929},
        "year": 1969,
        "rating": 4.6,
        "tags": ["science fiction", "anthropology", "winter"],
        "chapters": [
            {"number": i, "title": f"Chapter {i}", "pages": 10 + i % 17} for i in range(n_chapters)
        ],
    }
    return json.dumps(book)


def structured_text(n_chunks: int, *, list_heavy: bool = True) -> str:
    """The JSON of :func:`structured_stream`'s answer."""
    text = book_json(max(1, n_chunks // 9))
    if not list_heavy:
        book = json.loads(book_json(10))
        book["title"] += " " + "x" * max(0, len(text) - len(json.dumps(book)) - 1)
        text = json.dumps(book)
    return text


def structured_stream(
    n_chunks: int, *, list_heavy: bool = True, content: bool = False
) -> tuple[list[bytes], str]:
    """A structured answer cut into about ``n_chunks`` fragments.

    ``list_heavy``: a list of ~n/9 chapter objects (each partial copies the open list);
    otherwise 10 chapters and a long title of the same total length. ``content``: the
    JSON as content deltas (JSON, strict and text modes) instead of a forced tool call's
    argument fragments.
    """
    text = structured_text(n_chunks, list_heavy=list_heavy)
    size = max(1, len(text) // n_chunks)
    if content:
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        return _events(Script(text=pieces)), text
    spec = Script(tool_calls=[ToolCall("Book", text)], fragment_arguments=size)
    return _events(spec), text


class _Body(httpx.SyncByteStream):
    def __init__(self, events: list[bytes]) -> None:
        self._events = events

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._events)


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, events: list[bytes]) -> None:
        self._events = events

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for event in self._events:
            yield event


def transport(events: list[bytes]) -> httpx.MockTransport:
    """An httpx transport answering every request with ``events``, one chunk each."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=_Body(events), headers={"content-type": "text/event-stream"}
        )

    return httpx.MockTransport(handler)


def floor(http: httpx.Client, url: str = URL) -> str:
    """The parsing floor: iter_raw, split events, ``jiter.from_json`` each, join contents."""
    parts: list[str] = []
    with http.stream("POST", url, json={}) as response:
        buffer = b""
        for raw in response.iter_raw():
            buffer += raw
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                data = event[6:]
                if data == b"[DONE]":
                    break
                choices = from_json(data)["choices"]
                if choices:
                    parts.append(choices[0]["delta"].get("content") or "")
    return "".join(parts)


async def afloor(http: httpx.AsyncClient, url: str) -> int:
    """The async floor over a real connection; returns the number of chunks parsed."""
    count = 0
    async with http.stream("POST", url, json=_REQUEST) as response:
        buffer = b""
        async for raw in response.aiter_raw():
            buffer += raw
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                data = event[6:]
                if data == b"[DONE]":
                    break
                from_json(data)
                count += 1
    return count


_REQUEST: dict[str, Any] = {
    "model": "llama-3.1-8b-instant",
    "messages": [{"role": "user", "content": "bench"}],
    "stream": True,
}


def raise_fd_limit(wanted: int = 65536) -> None:
    """Raise this process's open-file limit towards ``wanted`` (a socket is a file)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))

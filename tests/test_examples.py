"""Every example runs offline, as a user would run it, and says something meaningful.

Each script runs in a subprocess without ``GROQ_API_KEY``, so it starts the local
``GroqServer`` itself (``examples/_offline.py``). The Starlette relay is also tested
in-process through ``httpx.ASGITransport``, including its error paths.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from mirastream.testing import ErrorReply, GroqServer, script

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OFFLINE_BANNER = "GROQ_API_KEY is not set: running offline against mirastream's local Groq server"

# What each example must print (regular expressions, searched in order of appearance).
EXPECTED: dict[str, list[str]] = {
    "demo.py": [
        OFFLINE_BANNER,
        r"\[tool\] get_weather\(city='Lisbon'\) -> 'Lisbon: 23°C, sunny",
        r"The forecast says 23°C, sunny, a strong breeze",  # the answer uses the tool output
        r"[1-9]\d* partial PackingLists as the JSON arrived, then the validated one:",
        r"city: +Lisbon",
        r"- light windbreaker",
        r"tool call +\d+ +\d+ +17\.3 +1\.2 +[\d.]+ +[\d.]+ +0\.0000\d\d",
        r"answer +\d+ +\d+ .* 0\.000\d+",
        r"structured +\d+ +\d+ .* 0\.000\d+",
        r"total +0\.000\d+",
    ],
    "basic_stream.py": [
        OFFLINE_BANNER,
        r"Try \*The Name of the Wind\* by Patrick Rothfuss",
        r"model: +llama-3\.1-8b-instant",
        r"tokens: \d+ in, \d+ out",
        r"cost: +\$0\.0000\d+",
    ],
    "lowlevel_stream.py": [
        OFFLINE_BANNER,
        r"Why do programmers prefer dark mode\? Because light attracts bugs\.",
        r"request id: req_\w{26}",
        r"tokens: \d+ prompt \+ \d+ completion",
        r"Groq's timings \(s\): queue 0\.017321908, prompt 0\.001234567, completion [\d.]+",
    ],
    "agent_loop.py": [
        OFFLINE_BANNER,
        r"step 1: model calls get_weather\(city='Tokyo'\)",
        r"tool returned 'Tokyo: 17°C, light rain",
        r"step 2: model calls ConvertCurrency\(amount=300\.0, from_currency='EUR', to_cur",
        r"tool returned '300\.00 EUR = 48,387 JPY'",
        r"step 3: Tomorrow in Tokyo: 17°C.*300\.00 EUR is about 48,387 JPY\.",
    ],
    "structured_stream.py": [
        OFFLINE_BANNER,
        r"name: +Ada Lovelace",
        r"sessions: +Streaming at scale; Typed Python in practice",
        r"dietary: +vegetarian",
        r"[1-9]\d* partial forms, then the validated Registration: Registration\(name='Ada",
        r"cost: 0\.000\d+ USD",
    ],
    "async_fanout.py": [
        OFFLINE_BANNER,
        r"abc: \(scripted\) A one-sentence answer to 'abc'",
        r"50 of 50 streams finished in [\d.]+ s",
        r"tokens: [1-9]\d* in, [1-9]\d* out",
        r"cost: +\$0\.000\d+",
    ],
    "from_mirascope.py": [
        OFFLINE_BANNER,
        r"\[mirascope spelling\] GetBookAuthor\(\{'title': 'The Name of the Wind'\}\) -> Patrick",
        r"user message: \{'role': 'user', 'content': 'Who wrote The Name of the Wind\?'\}",
        r"fn_args: \{'book': 'The Name of the Wind'\}, cost: 0\.0000\d+ USD",
        r"ValidationError: \('title',\) Assertion failed, Must be uppercase",
        r"the failed call still has its usage: [1-9]\d* tokens",
        r"\[mirastream spelling, streamed\] GetBookAuthor\(.*\) -> Patrick Rothfuss",
        r"same objects: True, True",
    ],
    "starlette_relay.py": [
        OFFLINE_BANNER,
        r"GET / -> 200 text/html",
        r"GET /chat\?q=\.\.\. -> 200 text/event-stream",
        r'event: text\ndata: "Sunlight"',
        r'event: done\ndata: \{"finish_reason":"stop","model":"llama-3\.3-70b-versatile",'
        r'"input_tokens":\d+,"output_tokens":\d+,.*"cost":[\d.e-]+\}',
        r"the page shows:\nSunlight is a mix of colours.*the whole sky looks blue\.",
        r"rate limit\?' -> 200\nevent: error\ndata: \{\"message\":\"Rate limit reached.*"
        r'"status":429,"code":"rate_limit_exceeded","during":"request"\}',
        r"fail midway' -> 200\nevent: error\ndata: .*\"during\":\"stream\"\}",
        r"POST /api/chat -> 200, ui message stream v1",
        r'data: \{"type":"text-delta","id":"text-1","delta":"Sunlight"\}',
        r'data: \{"type":"finish","finishReason":"stop","messageMetadata":\{.*"cost":',
        r"data: \[DONE\]",
    ],
}


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GROQ_API_KEY", "GROQ_BASE_URL")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_example(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=offline_env(),
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_every_example_has_expectations() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_offline(name: str) -> None:
    output = run_example(name)
    position = 0
    for pattern in EXPECTED[name]:
        found = re.compile(pattern, re.DOTALL).search(output, position)
        assert found, f"{name}: {pattern!r} not found after offset {position} in:\n{output}"
        position = found.start()


def test_fanout_takes_a_count() -> None:
    assert "7 of 7 streams finished" in run_example("async_fanout.py", "7")


# -- the Starlette relay, in-process ------------------------------------------------------


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The ``starlette_relay`` example module, imported from its file."""
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    monkeypatch.delenv("GROQ_BASE_URL", raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))  # for its `import _offline`
    spec = importlib.util.spec_from_file_location(
        "starlette_relay", EXAMPLES / "starlette_relay.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module


def parse_sse(body: str) -> list[tuple[str, Any]]:
    """``(event, data)`` pairs; ``event`` is ``"message"`` when the event has no name."""
    events = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events


async def fetch(app: Any, path: str, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        return await http.get(path, params=params)


def test_relay_streams_the_answer_as_sse(relay: ModuleType) -> None:
    async def scenario() -> list[httpx.Response]:
        async with relay.lifespan(relay.app):  # starts the local server: no key is set
            return [
                await fetch(relay.app, "/"),
                await fetch(relay.app, "/chat", q="Why?"),
                await fetch(relay.app, "/favicon.ico"),
            ]

    home, chat, icon = asyncio.run(scenario())
    assert home.status_code == 200 and "new EventSource(" in home.text
    assert '<link rel="icon" href="/favicon.svg"' in home.text
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    assert chat.status_code == 200
    assert chat.headers["content-type"].startswith("text/event-stream")
    assert chat.headers["cache-control"] == "no-cache"
    events = parse_sse(chat.text)
    *texts, (last, done) = events
    assert {event for event, _ in texts} == {"text"}
    assert len(texts) > 10  # one event per token-sized piece
    assert "".join(text for _, text in texts) == relay.OFFLINE.answer
    assert last == "done"
    assert done["output_tokens"] > 0 and done["cost"] > 0


def test_relay_rejects_an_empty_question(relay: ModuleType) -> None:
    response = asyncio.run(fetch(relay.app, "/chat", q="  "))
    assert response.status_code == 400


def test_relay_reports_an_error_before_the_stream_as_an_event(
    relay: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", "gsk_wrong")
        server.enqueue(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
        response = asyncio.run(fetch(relay.app, "/chat", q="Why?"))
    # A 200 with an error event: EventSource cannot read the body of an error status.
    assert response.status_code == 200
    assert parse_sse(response.text) == [
        (
            "error",
            {
                "message": "Invalid API Key",
                "type": "AuthenticationError",
                "status": 401,
                "code": "invalid_api_key",
                "during": "request",
            },
        )
    ]


def test_relay_reports_a_mid_stream_error_as_an_event(
    relay: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", "gsk_test")
        server.enqueue(script("One two three four", error="Service overloaded", error_after=3))
        response = asyncio.run(fetch(relay.app, "/chat", q="Why?"))
    assert response.status_code == 200
    *texts, (event, error) = parse_sse(response.text)
    assert (event, error["message"], error["during"]) == ("error", "Service overloaded", "stream")
    assert "".join(data for _, data in texts) == "One two three"


def test_relay_speaks_the_ui_message_stream_to_use_chat(
    relay: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Lisbon?"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {
                    "type": "tool-get_weather",
                    "toolCallId": "call_1",
                    "state": "output-available",
                    "input": {"city": "Lisbon"},
                    "output": "23°C, sunny",
                },
                {"type": "step-start"},
                {"type": "text", "text": "It is sunny.", "state": "done"},
            ],
        },
        {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "And tomorrow?"}]},
    ]

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=relay.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.post("/api/chat", json={"id": "chat-1", "messages": history})

    with GroqServer() as server:
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("GROQ_API_KEY", "gsk_test")
        server.enqueue(script("Rain, 17°C."))
        response = asyncio.run(post())
        sent = server.requests[0].body
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert isinstance(sent, dict)
    assert sent["messages"][1:] == [  # the conversation, as the model needs it
        {"role": "user", "content": "Weather in Lisbon?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Lisbon"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "23°C, sunny"},
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "And tomorrow?"},
    ]
    blocks = response.text.split("\n\n")
    assert blocks[-2:] == ["data: [DONE]", ""]
    deltas = [json.loads(b[6:]) for b in blocks if '"text-delta"' in b]
    assert "".join(d["delta"] for d in deltas) == "Rain, 17°C."

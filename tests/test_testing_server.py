"""mirastream.testing through real boundaries: plain httpx (and raw sockets) against GroqServer."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import mirastream.testing as testing
from mirastream.testing import (
    ErrorReply,
    Faults,
    GroqServer,
    JSONReply,
    RecordedRequest,
    Script,
    ScriptReply,
    SSEReply,
    ToolCall,
    Usage,
    go_duration,
    go_json,
    script,
    script_chunks,
    script_completion,
    script_events,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "groq_sse"
FIXTURE_FILES = sorted(FIXTURES.glob("*.sse"))
CHAT = "/openai/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Ping <me> & co"}]
CHUNK_KEYS = ["id", "object", "created", "model", "system_fingerprint", "choices"]
GO_DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+(\.\d+)?s|\d+ms)$")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[GroqServer]:
    with GroqServer() as srv:
        yield srv
        assert srv.errors == []


# -- helpers --------------------------------------------------------------------------


def sse_events(body: bytes) -> list[tuple[str | None, str]]:
    """Split an SSE body into (event name, data) pairs; enough for Groq's framing."""
    events = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block:
            continue
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append((name, "\n".join(data)))
    return events


def fold(body: bytes) -> dict[str, Any]:
    """Fold a stream the way shared/fixtures/groq_sse/README.md defines it."""
    out: dict[str, Any] = {"content": "", "reasoning": "", "calls": {}, "finish": None}
    out.update(usage=None, error=None, done=False, channels=set())
    for name, data in sse_events(body):
        if data == "[DONE]":
            out["done"] = True
            continue
        payload = json.loads(data)
        if name == "error":
            out["error"] = payload["error"]
            continue
        usage = payload.get("x_groq", {}).get("usage") or payload.get("usage")
        out["usage"] = usage or out["usage"]
        for choice in payload["choices"]:
            delta = choice["delta"]
            out["content"] += delta.get("content") or ""
            out["reasoning"] += delta.get("reasoning") or ""
            if "channel" in delta:
                out["channels"].add(delta["channel"])
            for call in delta.get("tool_calls") or []:
                slot = out["calls"].setdefault(call["index"], {"id": None, "name": "", "args": ""})
                slot["id"] = slot["id"] or call.get("id")
                slot["name"] += call.get("function", {}).get("name") or ""
                slot["args"] += call.get("function", {}).get("arguments") or ""
            out["finish"] = choice["finish_reason"] or out["finish"]
    return out


def body_for(**extra: Any) -> dict[str, Any]:
    return {"model": "llama-3.3-70b-versatile", "messages": MESSAGES, **extra}


def raw_exchange(srv: GroqServer, payload: bytes) -> tuple[bytes, list[bytes]]:
    """POST over a bare socket and return the head and the chunks exactly as framed."""
    with socket.create_connection((srv.host, srv.port), timeout=5) as sock:
        sock.sendall(
            b"POST %b HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%b"
            % (CHAT.encode(), len(payload), payload)
        )
        data = b""
        while block := sock.recv(65536):
            data += block
    head, _, rest = data.partition(b"\r\n\r\n")
    chunks: list[bytes] = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert rest == b"\r\n"
            return head, chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def script_like(path: Path) -> tuple[Script, bool]:
    """Describe a fixture as a Script; also say whether its `created` ticks regularly."""
    events = sse_events(path.read_bytes())
    chunks = [json.loads(d) for n, d in events if n is None and d != "[DONE]"]
    errors = [json.loads(d)["error"] for n, d in events if n == "error"]
    first, deltas = chunks[0], [c["choices"][0]["delta"] for c in chunks[1:] if c["choices"]]
    finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    usage = finals[0]["x_groq"].get("usage") if finals else None
    runs = [len(list(g)) for _, g in itertools.groupby(c["created"] for c in chunks)]
    tick = runs[0] if len(runs) > 1 else None
    spec = Script(
        text=[d["content"] for d in deltas if d.get("content")],
        reasoning=[d["reasoning"] for d in deltas if "reasoning" in d] or None,
        channel=next((d["channel"] for d in deltas if "channel" in d), None),
        tool_calls=[
            ToolCall(t["function"]["name"], t["function"]["arguments"], t["id"])
            for d in deltas
            for t in d.get("tool_calls", [])
        ],
        model=first["model"],
        usage=None
        if usage is None
        else Usage(
            usage["prompt_tokens"],
            usage["completion_tokens"],
            usage["queue_time"],
            usage["prompt_time"],
            usage["completion_time"],
            usage.get("prompt_tokens_details", {}).get("cached_tokens"),
            usage.get("completion_tokens_details", {}).get("reasoning_tokens"),
        ),
        top_level_usage=bool(finals) and "usage" in finals[0],
        include_usage=any(c["choices"] == [] for c in chunks),
        finish_reason=finals[0]["choices"][0]["finish_reason"] if finals else None,
        seed=first["x_groq"].get("seed"),
        error=errors[0] if errors else None,
        request_id=first["x_groq"]["id"],
        completion_id=first["id"],
        system_fingerprint=first["system_fingerprint"],
        created=first["created"],
        tick_every=tick,
    )
    regular = all(r == tick for r in runs[:-1]) and (tick is None or runs[-1] <= tick)
    return spec, regular


# -- fixtures served byte for byte ------------------------------------------------------


def test_fixture_set_is_present() -> None:
    assert len(FIXTURE_FILES) == 8


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_served_byte_identical_with_groq_headers(server: GroqServer, path: Path) -> None:
    server.enqueue(SSEReply(path))
    with (
        httpx.Client() as client,
        client.stream("POST", server.chat_url, json=body_for(stream=True)) as response,
    ):
        received = response.read()
    assert received == path.read_bytes()
    headers = response.headers
    assert headers["content-type"] == "text/event-stream"
    assert headers["transfer-encoding"] == "chunked"
    first = json.loads(sse_events(received)[0][1])
    assert headers["x-request-id"] == first["x_groq"]["id"]
    for kind in ("requests", "tokens"):
        assert int(headers[f"x-ratelimit-limit-{kind}"]) >= int(
            headers[f"x-ratelimit-remaining-{kind}"]
        )
        assert GO_DURATION.match(headers[f"x-ratelimit-reset-{kind}"])


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_script_reproduces_fixture_bytes(path: Path) -> None:
    spec, regular = script_like(path)
    produced, expected = script_events(spec), path.read_bytes()
    if not regular:  # 06 ticks `created` at an uneven point; compare the rest exactly
        produced, expected = (re.sub(rb'"created":\d+', b"", b) for b in (produced, expected))
    assert produced == expected


@pytest.mark.anyio
async def test_fixture_async_client_and_fixed_chunking(server: GroqServer) -> None:
    path = FIXTURES / "03_tool_call_single.sse"
    server.enqueue(SSEReply(path, chunking=7), SSEReply(path.read_bytes(), chunking=1))
    async with httpx.AsyncClient() as client:
        for _ in range(2):
            async with client.stream("POST", server.chat_url, json=body_for()) as response:
                assert await response.aread() == path.read_bytes()


def test_chunking_events_and_fixed_size_on_the_wire(server: GroqServer) -> None:
    path = FIXTURES / "02_text_include_usage.sse"
    server.enqueue(SSEReply(path), SSEReply(path, chunking=10))
    head, chunks = raw_exchange(server, b"{}")
    assert b"transfer-encoding: chunked" in head
    assert all(c.endswith(b"\n\n") and c.count(b"\n\n") == 1 for c in chunks)
    assert len(chunks) == 28 and b"".join(chunks) == path.read_bytes()
    _, pieces = raw_exchange(server, b"{}")
    assert {len(p) for p in pieces[:-1]} == {10} and b"".join(pieces) == path.read_bytes()


# -- scripted streams ------------------------------------------------------------------


def test_script_stream_framing_key_order_and_fold(server: GroqServer) -> None:
    server.enqueue(
        script(
            "Hi <b> & é \u2028 done",
            reasoning="Think first.",
            channel="analysis",
            tool_calls=[("get_weather", {"city": "Paris"}), ToolCall("noop", "{}", "call_1")],
            usage=Usage(
                prompt_tokens=40, completion_tokens=30, cached_tokens=8, reasoning_tokens=4
            ),
            seed=7,
            request_id="req_pinned",
        )
    )
    with httpx.Client() as client:
        response = client.post(
            server.chat_url, json=body_for(stream=True, stream_options={"include_usage": True})
        )
    raw = response.content
    assert response.headers["x-request-id"] == "req_pinned"
    assert b"<" not in raw and b">" not in raw and b"&" not in raw and b"\\u003c" in raw
    assert "é".encode() in raw and b"\\u2028" in raw
    events = sse_events(raw)
    assert raw.endswith(b"data: [DONE]\n\n") and events[-1] == (None, "[DONE]")
    chunks = [json.loads(d) for _, d in events[:-1]]
    for (_, data), chunk in zip(events[:-1], chunks, strict=True):
        assert data == go_json(chunk)  # compact, Go-escaped, nothing else
        extra = [k for k in chunk if k not in CHUNK_KEYS]
        assert list(chunk)[:6] == CHUNK_KEYS and extra in (
            [],
            ["x_groq"],
            ["x_groq", "usage"],
            ["usage", "service_tier"],
        )
        for choice in chunk["choices"]:
            assert list(choice) == ["index", "delta", "logprobs", "finish_reason"]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[0]["x_groq"] == {"id": "req_pinned", "seed": 7}
    finish, trailer = chunks[-2], chunks[-1]
    assert finish["x_groq"]["usage"] == finish["usage"] == trailer["usage"]
    assert trailer["choices"] == [] and trailer["service_tier"] == "on_demand"
    assert len({c["id"] for c in chunks}) == 1
    folded = fold(raw)
    assert folded["content"] == "Hi <b> & é \u2028 done"
    assert folded["reasoning"] == "Think first." and folded["channels"] == {"analysis"}
    calls = folded["calls"]
    assert [calls[0]["name"], calls[0]["args"]] == ["get_weather", '{"city":"Paris"}']
    assert calls[1] == {"id": "call_1", "name": "noop", "args": "{}"}
    assert re.fullmatch(r"[a-z0-9]{9}", calls[0]["id"])
    assert folded["finish"] == "tool_calls"
    usage = folded["usage"]
    assert list(usage) == [
        "queue_time", "prompt_tokens", "prompt_time", "completion_tokens", "completion_time",
        "total_tokens", "total_time", "prompt_tokens_details", "completion_tokens_details",
    ]  # fmt: skip
    assert usage["total_tokens"] == 70
    assert usage["total_time"] == pytest.approx(usage["prompt_time"] + usage["completion_time"])
    assert usage["prompt_tokens_details"] == {"cached_tokens": 8}
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 4}


def test_script_tool_calls_only_and_fragmented_arguments() -> None:
    spec = Script(tool_calls=[("add", {"a": 1, "b": 2})], fragment_arguments=4)
    chunks = script_chunks(spec)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    deltas = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks[1:-1]]
    assert deltas[0]["function"] == {"name": "add", "arguments": ""} and deltas[0]["index"] == 0
    assert all(set(d) == {"index", "function"} for d in deltas[1:])
    assert "".join(d["function"]["arguments"] for d in deltas) == '{"a":1,"b":2}'
    folded = fold(script_events(spec))
    assert folded["calls"][0]["args"] == '{"a":1,"b":2}' and folded["finish"] == "tool_calls"
    assert folded["content"] == "" and folded["done"]


def test_script_text_pieces_and_options() -> None:
    spec = Script("Hello, world!\n\nBye.", seed=None, usage=None, finish_reason="length")
    pieces = spec.content_pieces()
    assert "".join(pieces) == "Hello, world!\n\nBye." and len(pieces) > 4
    chunks = script_chunks(spec)
    assert "seed" not in chunks[0]["x_groq"] and "usage" not in chunks[-1]
    assert chunks[-1]["x_groq"] == {"id": chunks[0]["x_groq"]["id"]}
    assert fold(script_events(Script(["a", "b"], tick_every=1)))["content"] == "ab"
    created = [c["created"] for c in script_chunks(Script(["a", "b"], created=100, tick_every=1))]
    assert created == [100, 101, 102, 103]
    old_style = script_chunks(Script("x", top_level_usage=False))[-1]
    assert "usage" in old_style["x_groq"] and "usage" not in old_style


def test_script_close_without_done_and_error_frame(server: GroqServer) -> None:
    failure = {"message": "Failed <x>", "type": "invalid_request_error", "status_code": 400}
    server.enqueue(
        script("one two three", done=False),
        script("one two three", error=failure, error_after=2),
        script("one two three", error=failure),
    )
    with httpx.Client() as client:
        ended = client.post(server.chat_url, json=body_for(stream=True)).content
        broken = client.post(server.chat_url, json=body_for(stream=True)).content
        non_stream = client.post(server.chat_url, json=body_for())
    assert fold(ended)["finish"] == "stop" and not fold(ended)["done"]
    assert sse_events(broken)[-1] == ("error", go_json({"error": failure}))
    assert broken.endswith(b"\n\n") and b"[DONE]" not in broken
    assert fold(broken)["content"] == "one two" and fold(broken)["finish"] is None
    assert non_stream.status_code == 400
    assert non_stream.json() == {
        "error": {"message": "Failed <x>", "type": "invalid_request_error"}
    }


def test_script_served_as_non_stream_completion(server: GroqServer) -> None:
    server.enqueue(
        script("The answer.", reasoning="Hmm.", tool_calls=[("f", {"x": 1})], request_id="req_q")
    )
    with httpx.Client() as client:
        response = client.post(server.chat_url, json=body_for(stream=False))
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req_q"
    assert list(body) == [
        "id", "object", "created", "model", "choices", "usage", "system_fingerprint", "x_groq",
        "service_tier",
    ]  # fmt: skip
    assert body["object"] == "chat.completion" and body["x_groq"]["id"] == "req_q"
    message = body["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"] == "The answer."
    assert message["reasoning"] == "Hmm."
    assert message["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"x":1}'}
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    pure = script_completion(Script("x", completion_id="chatcmpl-1"))
    assert pure["id"] == "chatcmpl-1" and pure["choices"][0]["message"]["content"] == "x"


def test_stream_flag_forced_on_script_reply(server: GroqServer) -> None:
    server.enqueue(ScriptReply(Script("hi"), stream=True), Script("plain"))
    with httpx.Client() as client:
        forced = client.post(server.chat_url, json=body_for())
        plain = client.post(server.chat_url, json=body_for())
    assert forced.headers["content-type"] == "text/event-stream"
    assert fold(forced.content)["content"] == "hi"
    assert plain.json()["choices"][0]["message"]["content"] == "plain"


# -- JSON and error replies, routing, default responder ------------------------------


def test_json_and_error_replies(server: GroqServer) -> None:
    server.enqueue(
        JSONReply({"ok": True, "x_groq": {"id": "req_json"}}, status=201, headers={"X-Extra": "1"}),
        ErrorReply(
            429,
            "Rate limit reached",
            type="tokens",
            code="rate_limit_exceeded",
            headers={"retry-after": "2"},
        ),
        ErrorReply(400, "bad", extra={"failed_generation": "<f>"}),
    )
    with httpx.Client() as client:
        ok, limited, bad = (client.post(server.chat_url, json=body_for()) for _ in range(3))
    assert ok.status_code == 201 and ok.json()["ok"] is True and ok.headers["x-extra"] == "1"
    assert ok.headers["x-request-id"] == "req_json"
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    assert limited.json() == {
        "error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}
    }
    assert bad.content == b'{"error":{"message":"bad","type":"invalid_request_error",' + (
        b'"failed_generation":"\\u003cf\\u003e"}}'
    )
    assert bad.headers["x-request-id"].startswith("req_")


def test_default_responder_models_and_unknown_urls(server: GroqServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        streamed = client.post(
            CHAT, json=body_for(stream=True, stream_options={"include_usage": True})
        )
        plain = client.post(CHAT, json=body_for(model="qwen/qwen3-32b"))
        invalid = client.post(CHAT, content=b"not json")
        missing = client.post(CHAT, json={"model": "m"})
        models = client.get("/openai/v1/models")
        one = client.get("/openai/v1/models/llama-3.1-8b-instant")
        nowhere = client.get("/v1/nowhere")
    folded = fold(streamed.content)
    assert folded["content"] == "You said: Ping <me> & co" and folded["done"]
    assert json.loads(sse_events(streamed.content)[-2][1])["choices"] == []
    assert plain.json()["model"] == "qwen/qwen3-32b"
    assert plain.json()["choices"][0]["message"]["content"] == "You said: Ping <me> & co"
    assert invalid.status_code == 400 and missing.status_code == 400
    assert "messages" in missing.json()["error"]["message"]
    assert models.json()["object"] == "list" and len(models.json()["data"]) >= 3
    assert one.json()["id"] == "llama-3.1-8b-instant"
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "unknown_url"


def test_custom_responder_and_a_broken_one() -> None:
    def responder(request: RecordedRequest) -> Script:
        return Script(f"{len(request.body['messages'])} messages")

    with GroqServer(responder=responder) as srv, httpx.Client() as client:
        answer = client.post(srv.chat_url, json=body_for())
        assert answer.json()["choices"][0]["message"]["content"] == "1 messages"

    def broken(request: RecordedRequest) -> Script:
        raise ValueError("boom")

    with GroqServer(responder=broken) as srv, httpx.Client() as client:
        failed = client.post(srv.chat_url, json=body_for())
        assert failed.status_code == 500 and "boom" in failed.json()["error"]["message"]
        assert [type(e) for e in srv.errors] == [ValueError]


# -- faults ----------------------------------------------------------------------------


def test_delay_before_headers_trips_a_shorter_read_timeout(server: GroqServer) -> None:
    server.enqueue(script("late", faults=Faults(delay_before_headers=0.5)))
    with httpx.Client(timeout=httpx.Timeout(5, read=0.1)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(server.chat_url, json=body_for(stream=True))
        assert fold(client.post(server.chat_url, json=body_for(stream=True)).content)["done"]


def test_stall_pauses_mid_body(server: GroqServer) -> None:
    server.enqueue(script(["a", "b", "c"], faults=Faults(stall_after_events=2, stall_seconds=0.3)))
    arrivals = []
    with (
        httpx.Client() as client,
        client.stream("POST", server.chat_url, json=body_for(stream=True)) as response,
    ):
        for line in response.iter_lines():
            if line:
                arrivals.append((time.monotonic(), line))
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals)]
    assert gaps.index(max(gaps)) == 1 and max(gaps) >= 0.25
    assert arrivals[-1][1] == "data: [DONE]"
    server.enqueue(
        script("x y", chunking=5, faults=Faults(stall_after_events=1, stall_seconds=0.5))
    )
    with (
        httpx.Client(timeout=httpx.Timeout(5, read=0.15)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(server.chat_url, json=body_for(stream=True))


@pytest.mark.parametrize("chunking", ["events", 3])
def test_drop_mid_body_raises_remote_protocol_error(server: GroqServer, chunking: Any) -> None:
    server.enqueue(
        script(["a", "b", "c", "d"], chunking=chunking, faults=Faults(drop_after_events=3))
    )
    received = b""
    with httpx.Client() as client:
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("POST", server.chat_url, json=body_for(stream=True)) as response,
        ):
            for data in response.iter_bytes():
                received += data
        # Exactly the first three events arrived, whole, before the connection dropped.
        assert len(sse_events(received)) == 3 and received.endswith(b"\n\n")
        assert fold(received)["content"] == "ab"
        # The client recovers on a fresh connection.
        assert client.post(server.chat_url, json=body_for()).status_code == 200


def test_drop_before_any_event_and_on_json(server: GroqServer) -> None:
    server.enqueue(
        SSEReply(FIXTURES / "01_text_xgroq_usage.sse", faults=Faults(drop_after_events=0)),
        JSONReply({"a": 1}, faults=Faults(drop_after_events=0)),
    )
    with httpx.Client() as client:
        for _ in range(2):
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(server.chat_url, json=body_for())


# -- requests, connections, concurrency ------------------------------------------------


def test_requests_recorded_in_order_with_authorization_redacted(server: GroqServer) -> None:
    secret = "gsk_live_0123456789abcdef"
    with httpx.Client(headers={"Authorization": f"Bearer {secret}"}) as client:
        client.post(server.chat_url, json=body_for(stream=True))
        client.get(server.base_url + "/openai/v1/models?x=1")
    first, second = server.requests
    assert (first.method, first.path, second.method, second.path, second.query) == (
        "POST", CHAT, "GET", "/openai/v1/models", "x=1",
    )  # fmt: skip
    assert first.headers["authorization"] == "Bearer [redacted]"
    assert first.body == body_for(stream=True) and first.stream and not first.include_usage
    assert secret not in repr(server.requests)


def test_keep_alive_reuses_one_connection(server: GroqServer) -> None:
    server.enqueue(SSEReply(FIXTURES / "03_tool_call_single.sse"), ErrorReply(400, "no"))
    with httpx.Client() as client:
        for stream in (True, True, False, True, False, False):
            client.post(server.chat_url, json=body_for(stream=stream))
    assert len(server.requests) == 6 and len({r.client for r in server.requests}) == 1


@pytest.mark.anyio
async def test_concurrent_streams_complete(server: GroqServer) -> None:
    pieces = [f" w{i}" for i in range(100)]
    server.enqueue(*[Script(pieces) for _ in range(50)])
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:

        async def one() -> str:
            response = await client.post(server.chat_url, json=body_for(stream=True))
            return str(fold(response.content)["content"])

        results = await asyncio.gather(*[one() for _ in range(50)])
    assert set(results) == {"".join(pieces)}


@pytest.mark.anyio
async def test_200_abandoned_streams_then_next_request_is_quick(
    server: GroqServer, capfd: pytest.CaptureFixture[str]
) -> None:
    pieces = [f" w{i}" for i in range(200)]
    server.enqueue(*[script(pieces, faults=Faults(stall_after_events=3, stall_seconds=0.2))] * 100)
    server.enqueue(*[Script(pieces) for _ in range(100)])
    limits = httpx.Limits(max_connections=300)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def abandon() -> None:
            async with client.stream("POST", server.chat_url, json=body_for(stream=True)) as r:
                async for _ in r.aiter_bytes():
                    break  # leave after the first bytes; closing drops the connection

        await asyncio.gather(*[abandon() for _ in range(200)])
        started = time.monotonic()
        response = await client.post(server.chat_url, json=body_for(stream=True))
        assert time.monotonic() - started < 1.0
    assert fold(response.content)["content"] == "You said: Ping <me> & co"
    deadline = time.monotonic() + 3
    while server.open_connections and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert server.open_connections == 0
    assert "Traceback" not in capfd.readouterr().err


# -- lifecycle, plugin, CLI, module surface --------------------------------------------


def test_start_stop_explicitly_and_port_in_use() -> None:
    srv = GroqServer().start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", srv.base_url) and srv.port > 0
        srv.enqueue(Script("x"))
        assert srv.pending == 1
        srv.clear()
        assert srv.pending == 0
        with pytest.raises(OSError):
            GroqServer(port=srv.port).start()
        with pytest.raises(RuntimeError):
            srv.start()
    finally:
        srv.stop()
        srv.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.base_url + "/openai/v1/models")


def test_stop_with_a_stalled_stream_in_flight() -> None:
    srv = GroqServer().start()
    srv.enqueue(script("a b", faults=Faults(stall_after_events=1, stall_seconds=30)))
    with (
        httpx.Client() as client,
        client.stream("POST", srv.chat_url, json=body_for(stream=True)) as response,
    ):
        chunks = response.iter_bytes()
        next(chunks)
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 2
        # stop() aborts open connections: a truncated body, or a reset.
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            list(chunks)
    assert srv.errors == []


def test_plugin_fixture(groq_server: GroqServer) -> None:
    assert httpx.get(groq_server.base_url + "/openai/v1/models").status_code == 200


def test_plugin_import_is_light_and_cli_serves() -> None:
    probe = (
        "import sys, mirastream.testing.plugin; print('mirastream.testing._server' in sys.modules)"
    )
    assert (
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
    cli = [sys.executable, "-m", "mirastream.testing", "serve", "--port", "0"]
    with subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        base_url = proc.stdout.readline().strip()
        response = httpx.post(base_url + CHAT, json=body_for())
        proc.terminate()
        assert proc.wait(timeout=5) == 0 and proc.stderr.read() == ""
    assert response.json()["choices"][0]["message"]["content"] == "You said: Ping <me> & co"


def test_public_names() -> None:
    assert testing.__all__ == sorted(testing.__all__)
    assert all(getattr(testing, name) is not None for name in testing.__all__)
    with pytest.raises(AttributeError):
        testing.nope  # noqa: B018


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.00005, "0.00005"), (1.0, "1"), (0.018310455, "0.018310455"), (1e21, "1e+21"),
        (1e-7, "1e-7"), (-2.5, "-2.5"), (12, "12"), ([None, True, False], "[null,true,false]"),
        ("a<b>&\u2028é", '"a\\u003cb\\u003e\\u0026\\u2028é"'),
    ],
)  # fmt: skip
def test_go_json(value: Any, text: str) -> None:
    assert go_json(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(6, "6s"), (1.57, "1.57s"), (179.56, "2m59.56s"), (0.4, "400ms"), (0, "0s"), (3723, "1h2m3s")],
)
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_reply_validation() -> None:
    with pytest.raises(ValueError):
        SSEReply(b"", chunking=0)
    with pytest.raises(ValueError):
        Faults(drop_after_events=-1)
    with pytest.raises(ValueError):
        Script(fragment_arguments=0)

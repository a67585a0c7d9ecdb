"""The relay helpers, byte for byte: SSE framing, both formats, errors and disconnects.

Streams come from the loopback ``GroqServer`` through real clients; every body is read
back with an SSE parser written from the WHATWG rules (not from the code under test).
The UI message stream is also replayed through a model of the AI SDK client's own
checks (``process-ui-message-stream.ts``) and its strict part schema.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from starlette.responses import StreamingResponse

from mirastream import GroqTool, groq_call
from mirastream.groq import AsyncGroq, Groq
from mirastream.relay import (
    SSE_HEADERS,
    UI_MESSAGE_STREAM_HEADERS,
    async_sse_body,
    async_ui_message_body,
    format_sse,
    messages_from_ui,
    sse_body,
    ui_message_body,
)
from mirastream.testing import ErrorReply, Faults, GroqServer, ToolCall, Usage, script

MODEL = "llama-3.3-70b-versatile"
Mode = Literal["sync", "async"]
MODES: list[Mode] = ["sync", "async"]


# -- an SSE parser from the spec (html.spec.whatwg.org, "event stream interpretation") --


def parse_events(body: bytes) -> list[tuple[str, str]]:
    """``(type, data)`` for each dispatched event, as ``EventSource`` would see them."""
    events: list[tuple[str, str]] = []
    text = body.decode("utf-8")
    data: list[str] = []
    event = ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line in lines[:-1]:  # the text after the last line break is an unfinished line
        if line == "":
            if data:
                events.append((event or "message", "\n".join(data)))
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
    return events


def named(body: bytes) -> list[tuple[str, Any]]:
    """mirastream's format: ``(event type, decoded JSON data)``."""
    return [(event, json.loads(data)) for event, data in parse_events(body)]


def parts(body: bytes) -> list[dict[str, Any]]:
    """The UI message stream: the JSON parts; asserts the ``[DONE]`` end and no names."""
    events = parse_events(body)
    assert all(event == "message" for event, _ in events)
    assert events[-1] == ("message", "[DONE]"), events[-1]
    assert body.endswith(b"data: [DONE]\n\n")
    return [json.loads(data) for _, data in events[:-1]]


# -- framing ---------------------------------------------------------------------------


def test_format_sse_frames_one_event() -> None:
    assert format_sse('"hi"') == 'data: "hi"\n\n'
    assert format_sse("{}", event="done", id="7", retry=1500) == (
        "event: done\nid: 7\nretry: 1500\ndata: {}\n\n"
    )


@pytest.mark.parametrize(
    ("data", "framed"),
    [
        ("a\nb", "data: a\ndata: b\n\n"),
        ("a\r\nb", "data: a\ndata: b\n\n"),
        ("a\rb", "data: a\ndata: b\n\n"),
        ("a\n\nb\n", "data: a\ndata: \ndata: b\ndata: \n\n"),
        (" leading space", "data:  leading space\n\n"),
    ],
)
def test_format_sse_splits_every_line_break(data: str, framed: str) -> None:
    assert format_sse(data) == framed
    # What the browser gets back: line breaks become LF, the leading space survives.
    expected = data.replace("\r\n", "\n").replace("\r", "\n")
    assert parse_events(framed.encode()) == [("message", expected)]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nevent: x"])
def test_format_sse_refuses_line_breaks_in_fields(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        format_sse("{}", event=bad)
    with pytest.raises(ValueError, match="line break"):
        format_sse("{}", id=bad)
    with pytest.raises(ValueError, match="NUL"):
        format_sse("{}", id="a\0b")


def test_headers() -> None:
    assert SSE_HEADERS["content-type"] == "text/event-stream"
    assert SSE_HEADERS["cache-control"] == "no-cache"
    assert UI_MESSAGE_STREAM_HEADERS["x-vercel-ai-ui-message-stream"] == "v1"
    assert UI_MESSAGE_STREAM_HEADERS["content-type"] == "text/event-stream"


# -- calls against the loopback server ---------------------------------------------------


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"{city}: 23°C, sunny"


def broken_tool(city: str) -> str:
    """A tool that fails."""
    raise RuntimeError("weather service down")


async def async_weather(city: str) -> str:
    """Get the weather, asynchronously."""
    await asyncio.sleep(0)
    return f"{city}: 17°C, rain"


class Forecast(GroqTool):
    """A forecast."""

    city: str
    days: int

    def call(self) -> Any:
        return Report(city=self.city, days=[f"day {n}" for n in range(1, self.days + 1)])


class Report(BaseModel):
    city: str
    days: list[str]


Body = Callable[..., Any]


def relay(
    server: GroqServer,
    mode: Mode,
    body: Literal["sse", "ui"],
    *,
    tools: list[Any] | None = None,
    max_retries: int = 0,
    api_key: str = "gsk_test",
    reask: int = 0,
    **options: Any,
) -> bytes:
    """Make one streamed call through a real client and return the whole relay body."""
    if mode == "sync":
        client = Groq(api_key=api_key, base_url=server.base_url, max_retries=max_retries)

        @groq_call(MODEL, stream=True, tools=tools, client=client, reask=reask)
        def answer(question: str) -> str:
            return question

        sync_body = sse_body if body == "sse" else ui_message_body
        return b"".join(sync_body(lambda: answer("Why?"), **options))

    async def collect() -> bytes:
        client = AsyncGroq(api_key=api_key, base_url=server.base_url, max_retries=max_retries)

        @groq_call(MODEL, stream=True, tools=tools, client=client, reask=reask)
        async def answer(question: str) -> str:
            return question

        async_body = async_sse_body if body == "sse" else async_ui_message_body
        out = b"".join([piece async for piece in async_body(answer("Why?"), **options)])
        await client.close()
        return out

    return asyncio.run(collect())


# -- mirastream's event format ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_sse_body_exact_bytes(server: GroqServer, mode: Mode) -> None:
    server.enqueue(script(["Line one\n", "two\r\n", 'three\r"quoted"'], reasoning=["Think", " é"]))
    body = relay(server, mode, "sse")
    head, done = body.split(b"event: done\n")
    assert head == (
        b'event: reasoning\ndata: "Think"\n\n'
        b'event: reasoning\ndata: " \xc3\xa9"\n\n'  # UTF-8, not \u escapes
        b'event: text\ndata: "Line one\\n"\n\n'
        b'event: text\ndata: "two\\r\\n"\n\n'
        b'event: text\ndata: "three\\r\\"quoted\\""\n\n'
    )
    assert done.startswith(b"data: {") and done.endswith(b"}\n\n") and done.count(b"\n") == 2
    events = named(body)
    assert "".join(data for event, data in events if event == "text") == (
        'Line one\ntwo\r\nthree\r"quoted"'  # CR and CRLF survive: they travel as JSON
    )
    assert events[-1] == (
        "done",
        {
            "finish_reason": "stop",
            "model": MODEL,
            "input_tokens": 18,
            "output_tokens": 5,
            "cached_tokens": None,
            "reasoning_tokens": 2,
            "cost": pytest.approx((18 * 0.59 + 5 * 0.79) / 1e6),
        },
    )


@pytest.mark.parametrize("mode", MODES)
def test_sse_body_tool_calls(server: GroqServer, mode: Mode) -> None:
    server.enqueue(
        script(
            "Checking.",
            tool_calls=[ToolCall("get_weather", {"city": "Lisbon"}, id="call_1")],
            fragment_arguments=6,
        )
    )
    events = named(relay(server, mode, "sse", tools=[get_weather], call_tools=True))
    assert events[:2] == [("text", "Checking"), ("text", ".")]
    assert events[2:-1] == [
        ("tool-call-start", {"id": "call_1", "name": "get_weather"}),
        ("tool-call-delta", {"id": "call_1", "arguments": '{"city'}),
        ("tool-call-delta", {"id": "call_1", "arguments": '":"Lis'}),
        ("tool-call-delta", {"id": "call_1", "arguments": 'bon"}'}),
        (
            "tool-call",
            {
                "id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Lisbon"}',
                "input": {"city": "Lisbon"},
            },
        ),
        ("tool-result", {"id": "call_1", "output": "Lisbon: 23°C, sunny"}),
    ]
    assert events[-1][0] == "done" and events[-1][1]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("mode", MODES)
def test_sse_body_error_before_the_stream(server: GroqServer, mode: Mode) -> None:
    server.enqueue(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
    body = relay(server, mode, "sse", api_key="gsk_wrong_SECRET")
    assert named(body) == [
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
    assert b"SECRET" not in body


@pytest.mark.parametrize("mode", MODES)
def test_sse_body_rate_limited_after_retries(server: GroqServer, mode: Mode) -> None:
    limited = ErrorReply(
        429, "Rate limit reached", type="tokens", code="rate_limit_exceeded",
        headers={"retry-after-ms": "1"},
    )  # fmt: skip
    server.enqueue(limited, limited)
    events = named(relay(server, mode, "sse", max_retries=1))
    assert len(server.requests) == 2  # the retry happened, then the error was relayed
    assert events == [
        (
            "error",
            {
                "message": "Rate limit reached",
                "type": "RateLimitError",
                "status": 429,
                "code": "rate_limit_exceeded",
                "during": "request",
            },
        )
    ]


@pytest.mark.parametrize("mode", MODES)
def test_sse_body_error_mid_stream_keeps_what_arrived(server: GroqServer, mode: Mode) -> None:
    server.enqueue(script("One two three four", error="Service overloaded", error_after=3))
    events = named(relay(server, mode, "sse"))
    assert events == [
        ("text", "One"),
        ("text", " two"),
        ("text", " three"),
        (
            "error",
            {
                "message": "Service overloaded",
                "type": "APIStreamError",
                "status": 500,
                "code": None,
                "during": "stream",
            },
        ),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_bug_is_reported_vaguely_then_reraised(mode: Mode) -> None:
    def broken() -> Any:
        raise KeyError("internal detail")

    received: list[bytes] = []

    async def collect_async() -> None:
        async for piece in async_sse_body(broken):
            received.append(piece)

    with pytest.raises(KeyError):
        if mode == "sync":
            received.extend(sse_body(broken))
        else:
            asyncio.run(collect_async())
    events = named(b"".join(received))
    assert events == [
        (
            "error",
            {
                "message": "An error occurred.",
                "type": "KeyError",
                "status": None,
                "code": None,
                "during": "request",
            },
        )
    ]


def test_on_error_chooses_the_message(server: GroqServer) -> None:
    server.enqueue(ErrorReply(503, "Over capacity", type="internal_server_error"))
    body = relay(server, "async", "sse", on_error=lambda exc: f"busy ({type(exc).__name__})")
    assert named(body)[0][1]["message"] == "busy (InternalServerError)"


def test_the_async_body_takes_a_stream_or_a_function(server: GroqServer) -> None:
    client = AsyncGroq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

    @groq_call(MODEL, stream=True, client=client)
    async def answer(question: str) -> str:
        return question

    async def collect(source: Any) -> bytes:
        return b"".join([piece async for piece in async_sse_body(source)])

    async def run() -> tuple[list[bytes], list[bytes]]:
        server.enqueue(script("Hi"), script("Hi"))
        bodies = [await collect(await answer("Why?")), await collect(lambda: answer("Why?"))]
        wrong: list[bytes] = []
        with pytest.raises(TypeError, match="expected a AsyncGroqStream"):
            async for piece in async_sse_body(lambda: "nope"):  # type: ignore[arg-type, return-value]
                wrong.append(piece)
        await client.close()
        return bodies, wrong

    bodies, wrong = asyncio.run(run())
    for body in bodies:
        assert named(body)[0] == ("text", "Hi") and named(body)[-1][0] == "done"
    assert named(b"".join(wrong))[0][1]["message"] == "An error occurred."


def test_messages_from_ui() -> None:
    steps: list[dict[str, Any]] = [
        {"type": "step-start"},
        {"type": "reasoning", "text": "not sent back"},
        {"type": "text", "text": "Let me look."},
        {
            "type": "dynamic-tool",
            "toolName": "lookup",
            "toolCallId": "c1",
            "state": "output-error",
            "input": {"q": "x"},
            "errorText": "timeout",
        },
        {"type": "step-start"},
        {"type": "text", "text": "Sorry."},
    ]
    conversation: list[dict[str, Any]] = [
        {"role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "parts": steps},
    ]
    assert messages_from_ui(conversation) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "ab"},
        {
            "role": "assistant",
            "content": "Let me look.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"q":"x"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Error: timeout"},
        {"role": "assistant", "content": "Sorry."},
    ]
    with pytest.raises(ValueError, match="no parts list"):
        messages_from_ui([{"role": "user", "content": "old style"}])
    with pytest.raises(ValueError, match="unknown UI message role"):
        messages_from_ui([{"role": "tool", "parts": []}])


# -- the Vercel AI SDK UI message stream ---------------------------------------------------

# The strict part schema (uiMessageChunkSchema in ai 6.x): required keys, optional keys.
SCHEMA: dict[str, tuple[set[str], set[str]]] = {
    "start": ({"type"}, {"messageId", "messageMetadata"}),
    "start-step": ({"type"}, set()),
    "text-start": ({"type", "id"}, {"providerMetadata"}),
    "text-delta": ({"type", "id", "delta"}, {"providerMetadata"}),
    "text-end": ({"type", "id"}, {"providerMetadata"}),
    "reasoning-start": ({"type", "id"}, {"providerMetadata"}),
    "reasoning-delta": ({"type", "id", "delta"}, {"providerMetadata"}),
    "reasoning-end": ({"type", "id"}, {"providerMetadata"}),
    "tool-input-start": (
        {"type", "toolCallId", "toolName"},
        {"providerExecuted", "providerMetadata", "dynamic", "title"},
    ),
    "tool-input-delta": ({"type", "toolCallId", "inputTextDelta"}, set()),
    "tool-input-available": (
        {"type", "toolCallId", "toolName", "input"},
        {"providerExecuted", "providerMetadata", "dynamic", "title"},
    ),
    "tool-input-error": (
        {"type", "toolCallId", "toolName", "input", "errorText"},
        {"providerExecuted", "providerMetadata", "dynamic", "title"},
    ),
    "tool-output-available": (
        {"type", "toolCallId", "output"},
        {"providerExecuted", "dynamic", "preliminary"},
    ),
    "tool-output-error": ({"type", "toolCallId", "errorText"}, {"providerExecuted", "dynamic"}),
    "finish-step": ({"type"}, set()),
    "finish": ({"type"}, {"finishReason", "messageMetadata"}),
    "error": ({"type", "errorText"}, set()),
}
FINISH_REASONS = {"stop", "length", "content-filter", "tool-calls", "error", "other"}
STRINGS = {"id", "delta", "toolCallId", "toolName", "inputTextDelta", "errorText", "messageId"}


def replay(stream_parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Build the UI message as the SDK client does, failing where it would fail."""
    message: dict[str, Any] = {"parts": [], "metadata": None, "finishReason": None}
    text: dict[str, dict[str, Any]] = {}
    tools: dict[str, dict[str, Any]] = {}
    for part in stream_parts:
        kind = part["type"]
        if kind.startswith("data-"):  # dataUIPart: kept in parts unless transient
            assert {"type", "data"} <= part.keys() <= {"type", "data", "id", "transient"}, part
            if not part.get("transient"):
                message["parts"].append(part)
            continue
        required, optional = SCHEMA[kind]
        assert required <= part.keys() <= required | optional, part
        assert all(isinstance(part[key], str) for key in STRINGS & part.keys()), part
        if kind in ("text-start", "reasoning-start"):
            text[part["id"]] = {"type": kind[:-6], "text": "", "state": "streaming"}
            message["parts"].append(text[part["id"]])
        elif kind in ("text-delta", "reasoning-delta"):
            text[part["id"]]["text"] += part["delta"]  # KeyError: no start for this id
        elif kind in ("text-end", "reasoning-end"):
            text[part["id"]]["state"] = "done"
        elif kind == "tool-input-start":
            tools[part["toolCallId"]] = {"type": f"tool-{part['toolName']}", "text": ""}
            message["parts"].append(tools[part["toolCallId"]])
        elif kind == "tool-input-delta":
            tools[part["toolCallId"]]["text"] += part["inputTextDelta"]
        elif kind in ("tool-input-available", "tool-input-error"):
            tool = tools.setdefault(part["toolCallId"], {"type": f"tool-{part['toolName']}"})
            tool["state"] = "input-available" if kind.endswith("available") else "output-error"
            tool["input"] = part["input"]
            if "errorText" in part:
                tool["errorText"] = part["errorText"]
        elif kind in ("tool-output-available", "tool-output-error"):
            tool = tools[part["toolCallId"]]
            assert tool["state"] == "input-available"
            if kind == "tool-output-available":
                tool["state"], tool["output"] = "output-available", part["output"]
            else:
                tool["state"], tool["errorText"] = "output-error", part["errorText"]
        elif kind == "start-step":
            message["parts"].append({"type": "step-start"})
        elif kind == "finish-step":
            text.clear()
        elif kind == "start":
            message["id"] = part.get("messageId")
        elif kind == "finish":
            assert part.get("finishReason", "stop") in FINISH_REASONS
            message["finishReason"] = part.get("finishReason")
            message["metadata"] = part.get("messageMetadata")
        elif kind == "error":
            message["error"] = part["errorText"]  # the client stops reading here
            break
    return message


@pytest.mark.parametrize("mode", MODES)
def test_ui_message_body_text_and_reasoning(server: GroqServer, mode: Mode) -> None:
    server.enqueue(
        script(["Hello", ",\nworld\r"], reasoning=["Greet", " back"], usage=Usage(cached_tokens=8))
    )
    body = relay(server, mode, "ui", message_id="msg-1")
    metadata = {
        "model": MODEL,
        "inputTokens": 18,
        "outputTokens": 4,
        "totalTokens": 22,
        "reasoningTokens": 2,
        "cachedInputTokens": 8,
        "cost": pytest.approx((18 * 0.59 + 4 * 0.79) / 1e6),  # no cache discount listed
    }
    assert parts(body) == [
        {"type": "start", "messageId": "msg-1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "reasoning-1"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "Greet"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": " back"},
        {"type": "reasoning-end", "id": "reasoning-1"},
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "Hello"},
        {"type": "text-delta", "id": "text-2", "delta": ",\nworld\r"},
        {"type": "text-end", "id": "text-2"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop", "messageMetadata": metadata},
    ]
    assert b'data: {"type":"text-delta","id":"text-2","delta":",\\nworld\\r"}\n\n' in body
    message = replay(parts(body))
    assert message["parts"] == [
        {"type": "step-start"},
        {"type": "reasoning", "text": "Greet back", "state": "done"},
        {"type": "text", "text": "Hello,\nworld\r", "state": "done"},
    ]


@pytest.mark.parametrize("mode", MODES)
def test_ui_message_body_tools_every_part(server: GroqServer, mode: Mode) -> None:
    server.enqueue(
        script(
            tool_calls=[
                ToolCall("get_weather", {"city": "Lisbon"}, id="call_a"),
                ToolCall("broken_tool", {"city": "Oslo"}, id="call_b"),
                ToolCall("get_weather", {"town": "Rome"}, id="call_c"),  # fails validation
                ToolCall("Forecast", {"city": "Porto", "days": 2}, id="call_d"),
            ],
            fragment_arguments=8,
        )
    )
    tools = [get_weather, broken_tool, Forecast]
    stream_parts = parts(relay(server, mode, "ui", tools=tools, call_tools=True, on_error=str))
    kinds = [part["type"] for part in stream_parts]
    assert kinds[:2] == ["start", "start-step"] and kinds[-2:] == ["finish-step", "finish"]
    assert stream_parts[2:5] == [
        {"type": "tool-input-start", "toolCallId": "call_a", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '{"city":'},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '"Lisbon"'},
    ]
    message = replay(stream_parts)
    assert message["finishReason"] == "tool-calls"
    invalid = message["parts"][3].get("errorText", "")
    assert "town" in invalid or "city" in invalid  # says what is wrong
    assert message["parts"][1:] == [
        {
            "type": "tool-get_weather",
            "text": '{"city":"Lisbon"}',
            "state": "output-available",
            "input": {"city": "Lisbon"},
            "output": "Lisbon: 23°C, sunny",
        },
        {
            "type": "tool-broken_tool",
            "text": '{"city":"Oslo"}',
            "state": "output-error",
            "input": {"city": "Oslo"},
            "errorText": "weather service down",
        },
        {
            "type": "tool-get_weather",
            "text": '{"town":"Rome"}',
            "state": "output-error",
            "input": '{"town":"Rome"}',  # the raw text: it is not a valid input
            "errorText": invalid,
        },
        {
            "type": "tool-Forecast",
            "text": '{"city":"Porto","days":2}',
            "state": "output-available",
            "input": {"city": "Porto", "days": 2},
            "output": {"city": "Porto", "days": ["day 1", "day 2"]},  # a model, as JSON
        },
    ]


def test_ui_message_body_async_tools_need_the_async_body(server: GroqServer) -> None:
    call = ToolCall("async_weather", {"city": "Tokyo"}, id="call_x")
    server.enqueue(script(tool_calls=[call]), script(tool_calls=[call]))
    in_async = replay(parts(relay(server, "async", "ui", tools=[async_weather], call_tools=True)))
    assert in_async["parts"][1]["output"] == "Tokyo: 17°C, rain"
    in_sync = replay(
        parts(relay(server, "sync", "ui", tools=[async_weather], call_tools=True, on_error=str))
    )
    assert in_sync["parts"][1]["state"] == "output-error"
    assert "async helpers" in in_sync["parts"][1]["errorText"]


@pytest.mark.parametrize("mode", MODES)
def test_ui_message_body_tool_calls_without_tools(server: GroqServer, mode: Mode) -> None:
    # No tools offered: the calls are relayed as the model sent them, parsed as JSON.
    server.enqueue(
        script(tool_calls=[("lookup", {"q": "x"}), ("lookup", '{"q": ')], finish_reason="length")
    )
    stream_parts = parts(relay(server, mode, "ui"))
    ends = [p for p in stream_parts if p["type"].startswith("tool-input-") and "input" in p]
    assert ends[0]["type"] == "tool-input-available" and ends[0]["input"] == {"q": "x"}
    assert ends[1]["type"] == "tool-input-error" and ends[1]["input"] == '{"q": '
    assert ends[1]["errorText"].startswith("the arguments are not valid JSON")
    assert replay(stream_parts)["finishReason"] == "length"


@pytest.mark.parametrize("mode", MODES)
def test_ui_message_body_errors(server: GroqServer, mode: Mode) -> None:
    server.enqueue(ErrorReply(401, "Invalid API Key", code="invalid_api_key"))
    assert parts(relay(server, mode, "ui")) == [
        {"type": "start"},
        {"type": "error", "errorText": "Invalid API Key"},
    ]
    server.enqueue(script("One two three", error="Service overloaded", error_after=2))
    stream_parts = parts(relay(server, mode, "ui"))
    assert stream_parts[-1] == {"type": "error", "errorText": "Service overloaded"}
    message = replay(stream_parts)
    assert message["parts"][1] == {"type": "text", "text": "One two", "state": "streaming"}
    assert message["error"] == "Service overloaded"


# -- a client that goes away closes the Groq stream at once -----------------------------


def wait_for_no_connections(server: GroqServer, within: float) -> bool:
    deadline = time.monotonic() + within
    while server.open_connections:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


STALL = Faults(stall_after_events=3, stall_seconds=0.3)  # the first pieces, then a pause


def stalled(server: GroqServer) -> None:
    server.enqueue(script(" ".join(["word"] * 40), faults=STALL))


def test_closing_the_sync_body_closes_upstream(server: GroqServer) -> None:
    client = Groq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

    @groq_call(MODEL, stream=True, client=client)
    def answer(question: str) -> str:
        return question

    stalled(server)
    stream = answer("Why?")  # held here, so only an explicit close can release it
    body = sse_body(stream)
    assert next(body).startswith(b"event: text")
    assert server.open_connections == 1
    body.close()  # what a WSGI/ASGI server does when the client is gone
    # The server notices a closed peer on its next write, after its pause.
    assert wait_for_no_connections(server, within=2.0)
    client.close()


@pytest.mark.parametrize("how", ["aclose", "cancel"])
def test_disconnect_closes_upstream_async(server: GroqServer, how: str) -> None:
    async def scenario() -> None:
        client = AsyncGroq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

        @groq_call(MODEL, stream=True, client=client)
        async def answer(question: str) -> str:
            return question

        stalled(server)
        stream = await answer("Why?")  # held here: only an explicit close releases it
        body = async_ui_message_body(stream)
        if how == "aclose":
            async for piece in body:
                if b"text-delta" in piece:
                    break
            await body.aclose()
        else:
            await starlette_disconnect_after_first_delta(body)
        assert await asyncio.to_thread(wait_for_no_connections, server, 2.0)
        assert stream.content.startswith("word")
        await client.close()

    asyncio.run(scenario())


async def starlette_disconnect_after_first_delta(body: AsyncIterator[bytes]) -> None:
    """Serve ``body`` with Starlette's own StreamingResponse; the client leaves mid-stream.

    With an ASGI spec version before 2.4, Starlette watches for ``http.disconnect`` and
    cancels the task sending the body, wherever it waits (here: on the Groq stream).
    """
    response = StreamingResponse(body, headers=UI_MESSAGE_STREAM_HEADERS)
    got_delta = asyncio.Event()
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if b"text-delta" in message.get("body", b""):
            got_delta.set()

    async def receive() -> dict[str, Any]:
        await got_delta.wait()
        return {"type": "http.disconnect"}

    scope = {"type": "http", "asgi": {"spec_version": "2.3"}, "method": "GET", "headers": []}
    await asyncio.wait_for(response(scope, receive, send), timeout=5)
    assert sent[0]["status"] == 200
    assert (b"x-vercel-ai-ui-message-stream", b"v1") in sent[0]["headers"]
    assert not any(b"finish" in m.get("body", b"") for m in sent)  # it was cut short


def test_an_unclosed_body_keeps_the_connection(server: GroqServer) -> None:
    # The check above can fail: a body left open (not closed, still referenced) holds on.
    client = Groq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

    @groq_call(MODEL, stream=True, client=client)
    def answer(question: str) -> str:
        return question

    stalled(server)
    stream = answer("Why?")
    body = sse_body(stream)
    next(body)
    assert not wait_for_no_connections(server, within=0.6)
    body.close()
    client.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_consumed_stream_is_reported(server: GroqServer, mode: Mode) -> None:
    server.enqueue(script("Hi"))
    if mode == "sync":
        client = Groq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

        @groq_call(MODEL, stream=True, client=client)
        def answer(question: str) -> str:
            return question

        stream = answer("Why?")
        list(stream)
        body = b"".join(sse_body(stream))
    else:

        async def consume_then_relay() -> bytes:
            client = AsyncGroq(api_key="gsk_test", base_url=server.base_url, max_retries=0)

            @groq_call(MODEL, stream=True, client=client)
            async def answer(question: str) -> str:
                return question

            stream = await answer("Why?")
            async for _ in stream:
                pass
            body = b"".join([piece async for piece in async_sse_body(stream)])
            await client.close()
            return body

        body = asyncio.run(consume_then_relay())
    ((event, error),) = named(body)
    assert (event, error["type"], error["during"]) == ("error", "StreamConsumedError", "request")


# -- a new attempt (reask=) is told to the page, in both formats ---------------------------

TOOL_USE_FAILED = {
    "message": "Failed to call a function. Please adjust your prompt.",
    "type": "invalid_request_error",
    "code": "tool_use_failed",
    "status_code": 400,
}


@pytest.mark.parametrize("mode", MODES)
def test_a_new_attempt_is_an_attempt_event(server: GroqServer, mode: Mode) -> None:
    server.enqueue(
        script(["Let me", " check"], error=TOOL_USE_FAILED, usage=None),
        script(["It is", " sunny."]),
    )
    events = named(relay(server, mode, "sse", reask=1))
    kinds = [event for event, _ in events]
    assert kinds == ["text", "text", "attempt", "text", "text", "done"]
    attempt = events[2][1]
    assert attempt["attempt"] == 1 and attempt["model"] == MODEL
    assert "Failed to call a function" in attempt["reason"]
    after = "".join(data for event, data in events[3:] if event == "text")
    assert after == "It is sunny."  # the page shows the new attempt's text alone


@pytest.mark.parametrize("mode", MODES)
def test_a_new_attempt_is_a_new_step_in_the_ui_message(server: GroqServer, mode: Mode) -> None:
    server.enqueue(
        script(["Let me", " check"], error=TOOL_USE_FAILED, usage=None),
        script(["It is", " sunny."]),
    )
    stream_parts = parts(relay(server, mode, "ui", reask=1))
    types = [part["type"] for part in stream_parts]
    assert types == [
        "start",
        "start-step",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "finish-step",
        "data-attempt",
        "start-step",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "finish-step",
        "finish",
    ]
    marker = stream_parts[7]["data"]
    assert (marker["attempt"], marker["model"]) == (1, MODEL)
    message = replay(stream_parts)
    texts = [part["text"] for part in message["parts"] if part["type"] == "text"]
    assert texts == ["Let me check", "It is sunny."]  # two blocks, never one merged text
    assert message["finishReason"] == "stop"

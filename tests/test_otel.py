"""``mirastream.integrations.otel``: one span per call, read back from an in-memory exporter.

Each test gets its own ``TracerProvider`` (the global one can be set only once per
process) and passes it to ``with_otel`` / ``instrument``.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from test_call import Driver, drv, echo, srv
from test_signals import GROQ_HEADERS

from mirastream import GroqCallResponse, RateLimitError
from mirastream.groq import AsyncGroq, Groq
from mirastream.integrations.otel import instrument, uninstrument, with_otel
from mirastream.integrations.otel._attributes import input_messages
from mirastream.testing import ErrorReply, GroqServer, ToolCall, Usage, script

pytestmark = pytest.mark.anyio
__all__ = ["drv", "srv"]  # fixtures, imported for pytest

MODEL = "llama-3.1-8b-instant"
SECRET = "gsk_otel_SECRET_never_in_a_span"


class Traces:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    @property
    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def only(self) -> ReadableSpan:
        (span,) = self.spans
        assert SECRET not in json.dumps(dict(span.attributes or {}), default=str)
        for event in span.events:
            assert SECRET not in json.dumps(dict(event.attributes or {}), default=str)
        return span


@pytest.fixture
def traces() -> Iterator[Traces]:
    yield Traces()
    uninstrument()


def traced(drv: Driver, srv: GroqServer, traces: Traces, **settings: Any) -> Any:
    """A decorated call under ``with_otel``, sync or async as ``drv`` says."""
    from test_call import _groq_call, asyncify

    fn = asyncify(echo) if drv.is_async else echo
    client: Groq | AsyncGroq = (AsyncGroq if drv.is_async else Groq)(
        api_key=SECRET, base_url=srv.base_url, max_retries=0
    )
    drv._clients.append(client)  # closed at teardown
    decorated = with_otel(tracer_provider=traces.provider)(
        _groq_call(MODEL, client=client, **settings)(fn)
    )

    async def invoke(*args: Any) -> Any:
        result = decorated(*args)
        return await result if drv.is_async else result

    return invoke


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in (span.attributes or {}).items()}


USAGE = Usage(prompt_tokens=20, completion_tokens=12, cached_tokens=4)


async def test_a_stream_span_lasts_until_the_stream_ends(
    drv: Driver, srv: GroqServer, traces: Traces
) -> None:
    srv.enqueue(script("Hello there", model=MODEL, usage=USAGE, headers=GROQ_HEADERS))
    invoke = traced(
        drv, srv, traces, stream=True, call_params={"temperature": 0.3, "max_tokens": 64}
    )
    stream = await drv.stream(invoke, "hi")
    assert traces.spans == ()  # open while the stream is
    await drv.iterate(stream)
    span = traces.only()
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert span.end_time == int(stream.end_time * 1_000_000)  # type: ignore[operator]
    usage = stream.usage
    assert usage is not None
    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "groq",
        "gen_ai.system": "groq",
        "gen_ai.request.model": MODEL,
        "gen_ai.request.stream": True,
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.id": stream.id,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 20,
        "gen_ai.usage.output_tokens": 12,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "groq.usage.queue_time": usage.queue_time,
        "groq.usage.prompt_time": usage.prompt_time,
        "groq.usage.completion_time": usage.completion_time,
        "groq.usage.total_time": usage.total_time,
        "mirastream.cost_usd": stream.cost,
        "mirastream.time_to_first_token_ms": stream.time_to_first_token,
        "groq.ratelimit.limit_requests": 14400,
        "groq.ratelimit.remaining_requests": 14370,
        "groq.ratelimit.reset_requests": 179.56,
        "groq.ratelimit.limit_tokens": 18000,
        "groq.ratelimit.remaining_tokens": 17997,
        "groq.ratelimit.reset_tokens": 7.66,
        "server.address": "127.0.0.1",
        "server.port": int(srv.base_url.rsplit(":", 1)[1]),
    }
    if stream.tokens_per_second is not None:
        expected["mirastream.tokens_per_second"] = stream.tokens_per_second
    assert attrs(span) == expected
    assert stream.cost is not None and stream.time_to_first_token is not None


async def test_a_non_stream_span_ends_with_the_call(
    drv: Driver, srv: GroqServer, traces: Traces
) -> None:
    srv.enqueue(script("Hi", model=MODEL, usage=USAGE))
    invoke = traced(
        drv, srv, traces, call_params={"max_completion_tokens": 9, "stop": "\n", "seed": 7}
    )
    response = await invoke("hi")
    assert isinstance(response, GroqCallResponse)
    span = traces.only()
    got = attrs(span)
    assert got["gen_ai.request.stream"] is False
    assert got["gen_ai.request.max_tokens"] == 9
    assert got["gen_ai.request.stop_sequences"] == ["\n"]
    assert got["gen_ai.request.seed"] == 7
    assert got["gen_ai.usage.output_tokens"] == 12
    assert got["gen_ai.response.id"] == response.id
    assert got["mirastream.time_to_first_token_ms"] == response.time_to_first_token
    assert "mirastream.tokens_per_second" not in got
    assert span.status.status_code is StatusCode.UNSET


async def test_a_status_error_marks_the_span(drv: Driver, srv: GroqServer, traces: Traces) -> None:
    srv.enqueue(ErrorReply(429, "Rate limit reached", type="tokens"))
    invoke = traced(drv, srv, traces, stream=True)
    with pytest.raises(RateLimitError):
        await invoke("hi")
    span = traces.only()
    assert span.status.status_code is StatusCode.ERROR
    assert "Rate limit reached" in (span.status.description or "")
    got = attrs(span)
    assert got["error.type"] == "mirastream.errors.RateLimitError"
    assert got["http.response.status_code"] == 429
    assert [event.name for event in span.events] == ["exception"]


async def test_a_mid_stream_error_marks_the_span(
    drv: Driver, srv: GroqServer, traces: Traces
) -> None:
    srv.enqueue(script("Partial answer here", model=MODEL, error="boom", error_after=2))
    stream = await drv.stream(traced(drv, srv, traces, stream=True), "hi")
    consumed = await drv.consume(stream)
    assert consumed.error is not None
    span = traces.only()
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "mirastream.errors.APIStreamError"
    assert attrs(span)["mirastream.time_to_first_token_ms"] == stream.time_to_first_token


async def test_closing_early_ends_the_span(drv: Driver, srv: GroqServer, traces: Traces) -> None:
    srv.enqueue(script("one two three four five", model=MODEL))
    stream = await drv.stream(traced(drv, srv, traces, stream=True), "hi")
    await drv.take(stream, 2)
    await drv.close(stream)
    span = traces.only()
    assert attrs(span)["mirastream.stream.closed_early"] is True
    assert span.status.status_code is StatusCode.UNSET
    await drv.close(stream)  # closing again adds nothing
    assert len(traces.spans) == 1


async def test_a_dropped_stream_ends_its_span(drv: Driver, srv: GroqServer, traces: Traces) -> None:
    srv.enqueue(script("one two three four five", model=MODEL))
    stream = await drv.stream(traced(drv, srv, traces, stream=True), "hi")
    await drv.take(stream, 1)
    del stream
    gc.collect()
    span = traces.only()
    assert attrs(span)["mirastream.stream.abandoned"] is True


async def test_instrument_traces_every_call_once(
    drv: Driver, srv: GroqServer, traces: Traces
) -> None:
    invoke = drv.call(echo, MODEL, client=drv.client(srv))
    await invoke("not traced")
    assert traces.spans == ()
    instrument(tracer_provider=traces.provider)
    await invoke("traced")
    assert len(traces.spans) == 1
    # with_otel under instrument(): still one span per call.
    await traced(drv, srv, traces)("traced once")
    assert len(traces.spans) == 2
    uninstrument()
    await invoke("not traced")
    assert len(traces.spans) == 2


def test_the_core_never_imports_opentelemetry() -> None:
    code = (
        "import sys, mirastream, mirastream.groq, mirastream._call, mirastream._stream\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "[]"


class _SpanTransport(httpx.HTTPTransport):
    """Opens a span around each request, as an HTTP instrumentation does."""

    def __init__(self, tracer: trace.Tracer) -> None:
        super().__init__()
        self._tracer = tracer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._tracer.start_as_current_span("POST"):
            return super().handle_request(request)


class _AsyncSpanTransport(httpx.AsyncHTTPTransport):
    def __init__(self, tracer: trace.Tracer) -> None:
        super().__init__()
        self._tracer = tracer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with self._tracer.start_as_current_span("POST"):
            return await super().handle_async_request(request)


@pytest.mark.parametrize("stream", [True, False])
async def test_the_http_span_is_a_child_of_the_call_span(
    drv: Driver, srv: GroqServer, traces: Traces, stream: bool
) -> None:
    tracer = traces.provider.get_tracer("test")
    http: httpx.Client | httpx.AsyncClient
    if drv.is_async:
        http = httpx.AsyncClient(transport=_AsyncSpanTransport(tracer))
        client: Groq | AsyncGroq = AsyncGroq(api_key="k", base_url=srv.base_url, http_client=http)
    else:
        http = httpx.Client(transport=_SpanTransport(tracer))
        client = Groq(api_key="k", base_url=srv.base_url, http_client=http)
    drv._clients += [http, client]
    instrument(tracer_provider=traces.provider)
    with tracer.start_as_current_span("app") as app:
        result = await drv.call(echo, MODEL, stream=stream, client=client)("hi")
        if stream:
            await drv.iterate(result)
        assert trace.get_current_span() is app  # the call's span is current no longer
    spans = {span.name: span for span in traces.spans}
    call, post = spans[f"chat {MODEL}"], spans["POST"]
    assert call.parent is not None and call.parent.span_id == app.get_span_context().span_id
    assert post.parent is not None and post.parent.span_id == call.context.span_id


@pytest.mark.parametrize("stream", [True, False])
async def test_capture_content_records_the_messages(
    drv: Driver, srv: GroqServer, traces: Traces, stream: bool
) -> None:
    srv.enqueue(
        script(
            "Sunny.",
            reasoning="Check the tool.",
            tool_calls=[ToolCall("get_weather", {"city": "Lisbon"}, id="call_1")],
        )
    )
    client = drv.client(srv)
    instrument(tracer_provider=traces.provider, capture_content=True)
    result = await drv.call(echo, MODEL, stream=stream, client=client)("Weather in Lisbon?")
    if stream:
        await drv.iterate(result)
    got = attrs(traces.only())
    assert json.loads(got["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Lisbon?"}]}
    ]
    assert json.loads(got["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Check the tool."},
                {"type": "text", "content": "Sunny."},
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Lisbon"},
                },
            ],
            "finish_reason": "tool_calls",
        }
    ]


def test_input_messages_in_the_conventions_parts_form() -> None:
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url"}]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "function": {"name": "f", "arguments": '{"a": 1}'}},
                {"id": "c2", "function": {"name": "g", "arguments": "not json"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    assert json.loads(input_messages(history)) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Look"}, {"type": "image_url"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "c1", "name": "f", "arguments": {"a": 1}},
                {"type": "tool_call", "id": "c2", "name": "g", "arguments": "not json"},
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]},
    ]


def test_with_otel_over_the_mirascope_facade(srv: GroqServer, traces: Traces) -> None:
    # Mirascope's spelling: @with_otel() over @groq.call(...) from mirastream.core.
    from mirastream.core import groq

    with Groq(api_key="k", base_url=srv.base_url) as client:

        @with_otel(tracer_provider=traces.provider)
        @groq.call(MODEL, stream=True, client=client)
        def recommend_book(genre: str) -> str:
            return f"Recommend a {genre} book"

        stream = recommend_book("fantasy")
        for _ in stream:
            pass
    span = traces.only()
    assert attrs(span)["gen_ai.usage.output_tokens"] == stream.output_tokens


# -- calls with recovery: one span for the whole call, across its attempts ---------------

SMALL = "llama-3.1-8b-instant"
BIG = "llama-3.3-70b-versatile"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_fallback_call_has_one_span_naming_the_model_that_answered(
    drv: Driver, srv: GroqServer, traces: Traces, stream: bool
) -> None:
    srv.enqueue(
        ErrorReply(429, "Rate limit reached for model", type="tokens"),
        script("Sunny.", model=SMALL, usage=USAGE),
    )
    client: Groq | AsyncGroq = (AsyncGroq if drv.is_async else Groq)(
        api_key=SECRET, base_url=srv.base_url, max_retries=0
    )
    drv._clients.append(client)
    from test_call import _groq_call, asyncify

    fn = asyncify(echo) if drv.is_async else echo
    decorated = with_otel(tracer_provider=traces.provider)(
        _groq_call(BIG, client=client, stream=stream, fallback=[SMALL])(fn)
    )
    result = decorated("hi")
    result = await result if drv.is_async else result
    if stream:
        assert traces.spans == ()  # the stream is still open: so is its span
        await drv.iterate(result)
    span = traces.only()
    got = attrs(span)
    assert got["gen_ai.request.model"] == BIG
    assert got["gen_ai.response.model"] == SMALL == result.model
    assert got["gen_ai.usage.output_tokens"] == 12
    assert span.status.status_code is StatusCode.UNSET

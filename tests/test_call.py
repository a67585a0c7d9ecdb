"""``groq_call`` end to end through the loopback server, one body for sync and async.

Every test that talks to the server takes ``drv``, which runs it twice: once with a plain
prompt function, ``Groq`` and ``GroqStream``, once with an ``async def`` prompt function,
``AsyncGroq`` and ``AsyncGroqStream``. The expected values are written out in
``test_fold.FIXTURES`` (the fixtures README) and the prices below (Groq's price page).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest
from test_fold import FIXTURES, FIXTURES_DIR, NAMES

from mirastream import (
    APIStreamError,
    AsyncGroqStream,
    BadRequestError,
    GroqCallResponse,
    GroqCallResponseChunk,
    GroqStream,
    GroqTool,
    Messages,
    StreamConsumedError,
    groq_call,
    prompt_template,
)
from mirastream.groq import AsyncGroq, ChunkDecoder, Groq
from mirastream.prompts._prompts import prompt_function
from mirastream.testing import ErrorReply, GroqServer, JSONReply, SSEReply, Usage, script

# ---------------------------------------------------------------------------------------
# Sync/async driver (also imported by the other high-level test modules)
# ---------------------------------------------------------------------------------------

Mode = Literal["sync", "async"]
AnyStream = GroqStream | AsyncGroqStream
Pair = tuple[GroqCallResponseChunk, GroqTool | None]
_groq_call: Any = groq_call  # settings are chosen at run time below; typing is tested apart


def now_ms() -> float:
    """Wall-clock milliseconds, the unit of ``start_time`` / ``end_time``."""
    return time.time() * 1000


def asyncify(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """The same prompt function as an ``async def`` (signature and template kept).

    Under ``@prompt_template``, the function the template wraps (called directly, the
    wrapper returns the rendered messages, as Mirascope's does).
    """
    fn = prompt_function(fn)

    @functools.wraps(fn)
    async def prompt(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return prompt


@dataclass
class Consumed:
    pairs: list[Pair]
    error: BaseException | None

    @property
    def chunks(self) -> list[GroqCallResponseChunk]:
        return [chunk for chunk, _ in self.pairs]

    @property
    def tools(self) -> list[tuple[int, GroqTool]]:
        return [(i, tool) for i, (_, tool) in enumerate(self.pairs) if tool is not None]


class Probe:
    """Counts the response bodies an httpx client opened and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0


class _ProbeBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner = inner
        self._probe = probe
        probe.opened += 1

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._inner:
            yield piece

    def close(self) -> None:
        self._probe.closed += 1
        self._inner.close()

    async def aclose(self) -> None:
        self._probe.closed += 1
        await self._inner.aclose()


class _ProbeTransport(httpx.BaseTransport):
    def __init__(self, probe: Probe) -> None:
        self._inner = httpx.HTTPTransport()
        self._probe = probe

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ProbeBody(response.stream, self._probe),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class _AsyncProbeTransport(httpx.AsyncBaseTransport):
    def __init__(self, probe: Probe) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._probe = probe

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ProbeBody(response.stream, self._probe),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class Driver:
    """Runs one test body against the sync or the async high-level API."""

    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self._clients: list[Groq | AsyncGroq | httpx.Client | httpx.AsyncClient] = []

    @property
    def is_async(self) -> bool:
        return self.mode == "async"

    def client(
        self, server: GroqServer, *, probe: Probe | None = None, **kwargs: Any
    ) -> Groq | AsyncGroq:
        """A ``Groq`` / ``AsyncGroq`` pointed at ``server`` (closed at teardown).

        With ``probe``, its httpx client counts the response bodies opened and closed.
        """
        kwargs.setdefault("max_retries", 0)
        client: Groq | AsyncGroq
        if self.is_async:
            if probe is not None:
                ahttp = httpx.AsyncClient(transport=_AsyncProbeTransport(probe))
                self._clients.append(ahttp)
                kwargs["http_client"] = ahttp
            client = AsyncGroq(api_key="test", base_url=server.base_url, **kwargs)
        else:
            if probe is not None:
                http = httpx.Client(transport=_ProbeTransport(probe))
                self._clients.append(http)
                kwargs["http_client"] = http
            client = Groq(api_key="test", base_url=server.base_url, **kwargs)
        self._clients.append(client)
        return client

    def call(
        self, fn: Callable[..., Any], model: str, **settings: Any
    ) -> Callable[..., Awaitable[Any]]:
        """``groq_call(model, **settings)`` over ``fn`` (as an ``async def`` in async mode)."""
        decorated = _groq_call(model, **settings)(asyncify(fn) if self.is_async else fn)

        async def invoke(*args: Any, **kwargs: Any) -> Any:
            result = decorated(*args, **kwargs)
            return await result if self.is_async else result

        return invoke

    async def stream(self, invoke: Callable[..., Awaitable[Any]], *args: Any) -> AnyStream:
        result = await invoke(*args)
        assert isinstance(result, AsyncGroqStream if self.is_async else GroqStream)
        return result

    async def response(self, invoke: Callable[..., Awaitable[Any]], *args: Any) -> GroqCallResponse:
        result = await invoke(*args)
        assert isinstance(result, GroqCallResponse)
        return result

    async def consume(self, stream: AnyStream) -> Consumed:
        """Iterate to the end with ``for`` / ``async for``; keep the error that ended it."""
        pairs: list[Pair] = []
        try:
            if isinstance(stream, AsyncGroqStream):
                async for pair in stream:
                    pairs.append(pair)
            else:
                for pair in stream:
                    pairs.append(pair)
        except Exception as exc:
            return Consumed(pairs, exc)
        return Consumed(pairs, None)

    async def iterate(self, stream: AnyStream) -> int:
        """Iterate to the end, letting any error out; return how many pairs came."""
        count = 0
        if isinstance(stream, AsyncGroqStream):
            async for _ in stream:
                count += 1
        else:
            for _ in stream:
                count += 1
        return count

    async def take(self, stream: AnyStream, count: int) -> list[Pair]:
        """The next ``count`` pairs."""
        pairs: list[Pair] = []
        if isinstance(stream, AsyncGroqStream):
            iterator = stream.__aiter__()
            for _ in range(count):
                pairs.append(await iterator.__anext__())
        else:
            sync_iterator = iter(stream)
            for _ in range(count):
                pairs.append(next(sync_iterator))
        return pairs

    async def close(self, stream: AnyStream) -> None:
        if isinstance(stream, AsyncGroqStream):
            await stream.aclose()
        else:
            stream.close()

    @asynccontextmanager
    async def entered(self, stream: AnyStream) -> AsyncIterator[AnyStream]:
        """``with stream:`` / ``async with stream:``."""
        if isinstance(stream, AsyncGroqStream):
            async with stream as entered:
                yield entered
        else:
            with stream as sync_entered:
                yield sync_entered

    async def aclose(self) -> None:
        for client in reversed(self._clients):
            if isinstance(client, httpx.AsyncClient):
                await client.aclose()
            elif isinstance(client, AsyncGroq):
                await client.close()
            else:
                client.close()


def summary(result: AnyStream | GroqCallResponse) -> dict[str, Any]:
    """Everything a stream and its response must agree on."""
    usage = result.usage
    return {
        "content": result.content,
        "reasoning": result.reasoning,
        "finish_reasons": result.finish_reasons,
        "usage": None if usage is None else usage.to_dict(),
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "cached_tokens": result.cached_tokens,
        "cost": result.cost,
        "cost_metadata": result.cost_metadata.model_dump(),
        "model": result.model,
        "id": result.id,
        "tool_calls": [call.to_dict() for call in result.tool_calls],
        "message_param": result.message_param,
        "start_time": result.start_time,
        "end_time": result.end_time,
    }


def contains_none(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(contains_none(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_none(v) for v in value)
    return False


def decoded_chunks(name: str) -> list[dict[str, Any]]:
    """The chunks of a fixture as plain dicts, decoded straight from its bytes."""
    decoder = ChunkDecoder()
    chunks = decoder.feed((FIXTURES_DIR / name).read_bytes())
    decoder.end()
    return [chunk.to_dict() for chunk in chunks]


def echo(question: str) -> str:
    return question


# ---------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sync", "async"])
async def drv(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Driver]:
    driver = Driver(request.param)
    yield driver
    await driver.aclose()


@pytest.fixture
def srv() -> Iterator[GroqServer]:
    with GroqServer() as server:
        yield server
        assert server.errors == []


pytestmark = pytest.mark.anyio

# ---------------------------------------------------------------------------------------
# Prices (USD per 1M tokens: input, output, cached input) from https://groq.com/pricing
# ---------------------------------------------------------------------------------------

PRICES: dict[str, tuple[float, float, float]] = {
    "llama-3.1-8b-instant": (0.05, 0.08, 0.05),
    "llama-3.3-70b-versatile": (0.59, 0.79, 0.59),
    "openai/gpt-oss-20b": (0.075, 0.30, 0.0375),
    "qwen/qwen3-32b": (0.29, 0.59, 0.29),
}


def expected_cost(model: str, prompt: int, completion: int, cached: int = 0) -> float:
    input_price, output_price, cached_price = PRICES[model]
    return (
        (prompt - cached) * input_price + cached * cached_price + completion * output_price
    ) / 1e6


def test_fixture_01_cost_is_the_worked_example() -> None:
    # 44 prompt tokens @ $0.05/1M + 12 completion tokens @ $0.08/1M.
    assert expected_cost("llama-3.1-8b-instant", 44, 12) == pytest.approx(3.16e-6)


# ---------------------------------------------------------------------------------------
# Every fixture through a decorated streaming call
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
async def test_every_fixture_through_a_streaming_call(
    drv: Driver, srv: GroqServer, name: str
) -> None:
    fx = FIXTURES[name]
    srv.enqueue(SSEReply(FIXTURES_DIR / name, chunking=11))
    call = drv.call(echo, fx.model, stream=True, client=drv.client(srv))

    before = now_ms()
    stream = await drv.stream(call, "question")
    assert stream.end_time is None
    consumed = await drv.consume(stream)
    after = now_ms()

    # Every chunk the server sent, once, in order.
    assert [chunk.chunk.to_dict() for chunk in consumed.chunks] == decoded_chunks(name)
    assert len(consumed.pairs) == fx.chunks
    assert all(tool is None for _, tool in consumed.pairs)  # no tools were offered

    assert stream.content == fx.content
    assert stream.reasoning == fx.reasoning
    assert stream.finish_reasons == list(fx.finish_reasons)
    assert stream.model == fx.model
    assert stream.id == fx.id
    assert [(c.id, c.function.name, c.function.arguments) for c in stream.tool_calls] == list(
        fx.tool_calls
    )

    # Timing: milliseconds since the epoch, taken around the request, in order.
    assert stream.end_time is not None
    assert before <= stream.start_time <= stream.end_time <= after

    # message_param: clean, ready to send back.
    expected_param: dict[str, Any] = {"role": "assistant", "content": fx.content}
    if fx.tool_calls:
        expected_param["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in fx.tool_calls
        ]
    assert stream.message_param == expected_param
    assert not contains_none(stream.message_param)

    metadata = stream.cost_metadata
    assert metadata.model == fx.model
    if fx.usage is None:
        assert isinstance(consumed.error, APIStreamError)
        assert stream.usage is None
        assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (None,) * 3
        assert stream.cost is None
        assert metadata.cost is None and metadata.reason == "no usage reported"
    else:
        assert consumed.error is None
        usage = stream.usage
        assert usage is not None
        assert usage.to_dict() == fx.usage
        # Groq's four timings, exactly as sent.
        assert (usage.queue_time, usage.prompt_time, usage.completion_time, usage.total_time) == (
            fx.usage["queue_time"],
            fx.usage["prompt_time"],
            fx.usage["completion_time"],
            fx.usage["total_time"],
        )
        prompt, completion = fx.usage["prompt_tokens"], fx.usage["completion_tokens"]
        reasoning = fx.usage.get("completion_tokens_details", {}).get("reasoning_tokens")
        assert (stream.input_tokens, stream.output_tokens) == (prompt, completion)
        assert stream.cached_tokens is None  # no fixture reports prompt_tokens_details
        assert stream.cost == pytest.approx(expected_cost(fx.model, prompt, completion))
        input_price, output_price, cached_price = PRICES[fx.model]
        assert metadata.input_tokens == prompt
        assert metadata.output_tokens == completion
        assert metadata.cached_tokens is None
        assert metadata.reasoning_tokens == reasoning
        assert (metadata.input_price, metadata.output_price) == (input_price, output_price)
        assert metadata.cached_input_price == cached_price
        assert metadata.cost == stream.cost
        assert metadata.reason is None
        assert metadata.price_as_of is not None

    # The response rebuilt from the stream agrees with it, and with the wire.
    response = stream.construct_call_response()
    assert summary(response) == summary(stream)
    completion_obj = response.response
    assert completion_obj.created == fx.created  # the first chunk's, never 0
    assert completion_obj.created == consumed.chunks[0].chunk.created
    assert completion_obj.system_fingerprint == fx.fingerprint
    assert completion_obj.id == fx.id
    assert completion_obj.x_groq is not None
    assert (completion_obj.x_groq.id, completion_obj.x_groq.seed) == (fx.request_id, fx.seed)
    assert response.messages == [{"role": "user", "content": "question"}]


@pytest.mark.parametrize(
    "name", ["02_text_include_usage.sse", "04_tool_calls_parallel.sse", "05_reasoning_gpt_oss.sse"]
)
async def test_usage_trailer_is_yielded_but_never_counted_twice(
    drv: Driver, srv: GroqServer, name: str
) -> None:
    fx = FIXTURES[name]
    assert fx.usage is not None
    srv.enqueue(SSEReply(FIXTURES_DIR / name))
    call = drv.call(echo, fx.model, stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)

    trailer = consumed.chunks[-1]
    assert trailer.chunk.choices == []  # the include_usage trailer reaches the user...
    assert trailer.usage is not None and trailer.usage.to_dict() == fx.usage
    assert sum(chunk.usage is not None for chunk in consumed.chunks) == 2
    # ... but usage, tokens and cost are those of one request.
    assert stream.usage is not None and stream.usage.to_dict() == fx.usage
    assert stream.input_tokens == fx.usage["prompt_tokens"]
    assert stream.output_tokens == fx.usage["completion_tokens"]
    assert stream.cost == pytest.approx(
        expected_cost(fx.model, fx.usage["prompt_tokens"], fx.usage["completion_tokens"])
    )
    assert stream.finish_reasons == list(fx.finish_reasons)
    assert len(stream.tool_calls) == len(fx.tool_calls)


async def test_fixture_07_error_after_content(drv: Driver, srv: GroqServer) -> None:
    name = "07_error_event_midstream.sse"
    fx = FIXTURES[name]
    srv.enqueue(SSEReply(FIXTURES_DIR / name))
    call = drv.call(echo, fx.model, stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)

    error = consumed.error
    assert isinstance(error, APIStreamError)
    assert error.message == (
        "Failed to call a function. Please adjust your prompt. "
        "See 'failed_generation' for more details."
    )
    assert (error.type, error.code, error.status_code) == (
        "invalid_request_error",
        "tool_use_failed",
        400,
    )
    assert error.failed_generation == '<function=get_weather>{"location": "Paris"</function>'
    assert stream.error is error
    # Everything received before the error stays readable.
    assert len(consumed.pairs) == 9
    assert stream.content == "Let me check the weather for you."
    assert stream.finish_reasons == []
    assert stream.id == fx.id
    assert stream.end_time is not None and stream.start_time <= stream.end_time
    # The stream has ended (with an error), so it can be folded: _stream.py documents that
    # a StreamError ends the stream and construct_call_response() needs an ended stream.
    response = stream.construct_call_response()
    assert response.content == "Let me check the weather for you."
    assert response.finish_reasons == []
    assert response.usage is None and response.cost is None
    assert response.cost_metadata.reason == "no usage reported"
    assert response.message_param == {
        "role": "assistant",
        "content": "Let me check the weather for you.",
    }
    # It cannot be iterated again, and iterating does not reset anything.
    with pytest.raises(StreamConsumedError):
        await drv.iterate(stream)
    assert stream.content == "Let me check the weather for you."


async def test_fixture_08_stops_on_length_inside_reasoning(drv: Driver, srv: GroqServer) -> None:
    name = "08_reasoning_length_cutoff.sse"
    srv.enqueue(SSEReply(FIXTURES_DIR / name))
    call = drv.call(echo, "openai/gpt-oss-20b", stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "list primes")
    await drv.consume(stream)
    response = stream.construct_call_response()
    assert stream.finish_reasons == response.finish_reasons == ["length"]
    assert response.content == ""
    assert response.reasoning == FIXTURES[name].reasoning
    assert response.message_param == {"role": "assistant", "content": ""}
    # gpt-oss-20b: 73 prompt @ 0.075 + 16 completion @ 0.30 (reasoning is not billed again).
    assert response.cost == pytest.approx((73 * 0.075 + 16 * 0.30) / 1e6)
    assert response.cost_metadata.reasoning_tokens == 16


# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------


def get_weather(location: str, unit: str = "celsius") -> str:
    """Get the current weather in a city.

    Args:
        location: City and country, e.g. "Paris, France".
        unit: "celsius" or "fahrenheit".
    """
    return f"22 degrees {unit} in {location}"


def get_local_time(timezone: str) -> str:
    """Get the local time in an IANA timezone.

    Args:
        timezone: e.g. "Asia/Tokyo".
    """
    return f"09:00 in {timezone}"


def tool_names(body: Any) -> list[str]:
    return [tool["function"]["name"] for tool in body.get("tools", [])]


async def test_tools_are_yielded_at_the_chunk_that_completes_them(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(SSEReply(FIXTURES_DIR / "04_tool_calls_parallel.sse"))
    call = drv.call(
        echo,
        "llama-3.1-8b-instant",
        stream=True,
        tools=[get_weather, get_local_time],
        client=drv.client(srv),
    )
    stream = await drv.stream(call, "Weather and time in Tokyo?")
    consumed = await drv.consume(stream)
    assert consumed.error is None
    assert len(consumed.pairs) == 5  # every chunk once, tools or not
    assert [(i, tool.tool_call.id if tool.tool_call else None) for i, tool in consumed.tools] == [
        (1, "p4n8w2r6t"),
        (2, "h7c3z5j9s"),
    ]
    assert [tool.call() for _, tool in consumed.tools] == [
        "22 degrees celsius in Tokyo, Japan",
        "09:00 in Asia/Tokyo",
    ]
    assert [type(t) for t in stream.tools] == [type(t) for _, t in consumed.tools]
    assert tool_names(srv.requests[-1].body) == ["get_weather", "get_local_time"]
    response = stream.construct_call_response()
    assert [tool.call() for tool in response.tools] == [
        "22 degrees celsius in Tokyo, Japan",
        "09:00 in Asia/Tokyo",
    ]
    assert response.tool is not None and response.tool.call() == response.tools[0].call()


# ---------------------------------------------------------------------------------------
# Conversations: message_param as history
# ---------------------------------------------------------------------------------------


@prompt_template(
    """
    SYSTEM: You are a concise translator.
    MESSAGES: {history}
    USER: {question}
    """
)
def chat(question: str, history: list[Any]) -> None: ...


async def test_two_turns_with_message_param_as_history(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(SSEReply(FIXTURES_DIR / "01_text_xgroq_usage.sse"))
    srv.enqueue(script("¡Hola!", model="llama-3.1-8b-instant"))
    call = drv.call(chat, "llama-3.1-8b-instant", stream=True, client=drv.client(srv))

    q1 = "How do you say hello in French?"
    first = await drv.stream(call, q1, [])
    await drv.consume(first)
    answer = first.construct_call_response().message_param
    assert answer == {"role": "assistant", "content": FIXTURES["01_text_xgroq_usage.sse"].content}

    history = [Messages.User(q1), answer]
    second = await drv.stream(call, "And in Spanish?", history)
    await drv.consume(second)
    assert second.content == "¡Hola!"

    bodies = [r.body for r in srv.requests]
    system = {"role": "system", "content": "You are a concise translator."}
    assert bodies[0]["messages"] == [system, {"role": "user", "content": q1}]
    assert bodies[1]["messages"] == [
        system,
        {"role": "user", "content": q1},
        answer,
        {"role": "user", "content": "And in Spanish?"},
    ]
    assert history == [Messages.User(q1), answer]  # the caller's list is not touched


async def test_a_tool_round_trip_sends_the_call_and_its_result_back(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(SSEReply(FIXTURES_DIR / "03_tool_call_single.sse"))
    srv.enqueue(script("It is 22 degrees in Paris."))
    call = drv.call(
        chat, "llama-3.3-70b-versatile", stream=True, tools=[get_weather], client=drv.client(srv)
    )
    first = await drv.stream(call, "Weather in Paris?", [])
    consumed = await drv.consume(first)
    ((_, tool),) = consumed.tools
    response = first.construct_call_response()
    assert response.message_param == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "m2x7q9k4v",
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "arguments": '{"location":"Paris, France","unit":"celsius"}',
                },
            }
        ],
    }
    tool_messages = response.tool_message_params([(tool, tool.call())])
    assert tool_messages == [
        {
            "role": "tool",
            "content": "22 degrees celsius in Paris, France",
            "tool_call_id": "m2x7q9k4v",
            "name": "get_weather",
        }
    ]
    history = [Messages.User("Weather in Paris?"), response.message_param, *tool_messages]
    second = await drv.stream(call, "Thanks! Summarise.", history)
    await drv.consume(second)
    sent = srv.requests[1].body["messages"]
    assert sent[1:-1] == history
    assert not contains_none(sent)
    assert second.content == "It is 22 degrees in Paris."


# ---------------------------------------------------------------------------------------
# Dynamic config: per call only
# ---------------------------------------------------------------------------------------


@prompt_template("USER: {question}")
def ask(question: str, config: dict[str, Any] | None = None) -> dict[str, Any] | None:
    return config


async def test_a_dynamic_config_applies_to_its_own_call_only(drv: Driver, srv: GroqServer) -> None:
    model = "llama-3.3-70b-versatile"
    call_params = {"temperature": 0.2}
    with GroqServer() as other:
        client_b = drv.client(other)
        call = drv.call(ask, model, stream=True, client=drv.client(srv), call_params=call_params)
        weather = ("get_weather", {"location": "Oslo"})
        other.enqueue(script(tool_calls=[weather]))
        srv.enqueue(script(tool_calls=[weather]), script("three"), script("four"))

        one = await drv.stream(
            call,
            "one",
            {
                "client": client_b,
                "call_params": {"temperature": 0.9, "max_completion_tokens": 7},
                "tools": [get_weather],
            },
        )
        got_one = await drv.consume(one)
        two = await drv.stream(call, "two")
        got_two = await drv.consume(two)
        three = await drv.stream(call, "three", {"call_params": {"seed": 5}})
        await drv.consume(three)
        four = await drv.stream(call, "four")
        await drv.consume(four)

        # Only the first call went to the other server, with its own settings and tools.
        (b_request,) = other.requests
        assert other.errors == []
    b_body = b_request.body
    assert b_body["messages"] == [{"role": "user", "content": "one"}]
    assert (b_body["temperature"], b_body["max_completion_tokens"]) == (0.9, 7)
    assert tool_names(b_body) == ["get_weather"]
    assert [tool.call() for _, tool in got_one.tools] == ["22 degrees celsius in Oslo"]

    bodies = [r.body for r in srv.requests]
    assert [b["messages"][0]["content"] for b in bodies] == ["two", "three", "four"]
    for body in bodies:
        assert body["model"] == model and body["stream"] is True
        assert body["temperature"] == 0.2
        assert "tools" not in body and "max_completion_tokens" not in body
    assert bodies[1]["seed"] == 5
    assert "seed" not in bodies[0] and "seed" not in bodies[2]
    # The second call offered no tools: its tool call is raw, never turned into a tool.
    assert got_two.tools == [] and two.tools == []
    assert [c.function.name for c in two.tool_calls] == ["get_weather"]
    assert call_params == {"temperature": 0.2}  # the decorator's dict is not mutated


# ---------------------------------------------------------------------------------------
# Request parameters
# ---------------------------------------------------------------------------------------


async def test_json_mode_sets_response_format(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script('{"answer": 42}'), script('{"answer": 42}'), script("plain"))
    client = drv.client(srv)
    stream_call = drv.call(
        echo, "llama-3.3-70b-versatile", stream=True, json_mode=True, client=client
    )
    await drv.consume(await drv.stream(stream_call, "Answer in JSON"))
    plain_json = drv.call(echo, "llama-3.3-70b-versatile", json_mode=True, client=client)
    response = await drv.response(plain_json, "Answer in JSON")
    assert json.loads(response.content) == {"answer": 42}
    plain = drv.call(echo, "llama-3.3-70b-versatile", client=client)
    await drv.response(plain, "No JSON")

    bodies = [r.body for r in srv.requests]
    assert bodies[0]["response_format"] == {"type": "json_object"}
    assert bodies[1]["response_format"] == {"type": "json_object"}
    assert "response_format" not in bodies[2]


async def test_call_params_pass_through_unchanged(drv: Driver, srv: GroqServer) -> None:
    params: dict[str, Any] = {
        "temperature": 0.3,
        "top_p": 0.9,
        "max_completion_tokens": 64,
        "seed": 42,
        "stop": ["\n\n"],
        "reasoning_format": "parsed",
        "stream_options": {"include_usage": True},
    }
    srv.enqueue(script("Okay.", reasoning="Think.", model="qwen/qwen3-32b", usage=Usage(30, 5)))
    call = drv.call(echo, "qwen/qwen3-32b", stream=True, client=drv.client(srv), call_params=params)
    stream = await drv.stream(call, "Go")
    consumed = await drv.consume(stream)
    body = srv.requests[-1].body
    assert body == {
        "messages": [{"role": "user", "content": "Go"}],
        "model": "qwen/qwen3-32b",
        "stream": True,
        **params,
    }
    # include_usage made the server add the trailer; usage still counts once.
    assert consumed.chunks[-1].chunk.choices == []
    assert (stream.input_tokens, stream.output_tokens) == (30, 5)
    assert stream.cost == pytest.approx(expected_cost("qwen/qwen3-32b", 30, 5))
    assert (stream.content, stream.reasoning) == ("Okay.", "Think.")
    assert stream.construct_call_response().call_params == params


async def test_an_unknown_model_has_no_cost_and_says_why(drv: Driver, srv: GroqServer) -> None:
    model = "acme/unknown-model-1"
    srv.enqueue(script("hi", model=model, usage=Usage(10, 2)), script("hi", model=model))
    client = drv.client(srv)
    stream = await drv.stream(drv.call(echo, model, stream=True, client=client), "q")
    await drv.consume(stream)
    response = await drv.response(drv.call(echo, model, client=client), "q")
    for result in (stream, stream.construct_call_response(), response):
        assert result.cost is None
        metadata = result.cost_metadata
        assert metadata.cost is None
        assert metadata.model == model
        assert metadata.reason is not None and "no price" in metadata.reason
        assert model in metadata.reason
        assert metadata.input_price is None and metadata.output_price is None
    assert (stream.input_tokens, stream.output_tokens) == (10, 2)


# ---------------------------------------------------------------------------------------
# stream=False
# ---------------------------------------------------------------------------------------

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-3f0c2a71-aa10-4e55-9c3b-6d1e2f4a5b60",
    "object": "chat.completion",
    "created": 1771003000,
    "model": "qwen/qwen3-32b",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Canberra.",
                "reasoning": "The capital of Australia is Canberra.",
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "queue_time": 0.051234567,
        "prompt_tokens": 19,
        "prompt_time": 0.000792801,
        "completion_tokens": 9,
        "completion_time": 0.02,
        "total_tokens": 28,
        "total_time": 0.020792801,
    },
    "system_fingerprint": "fp_78ac7f3229",
    "x_groq": {"id": "req_01kmz5nonstream00000000000"},
    "service_tier": "on_demand",
}


async def test_a_non_stream_call_returns_a_groq_call_response(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(JSONReply(COMPLETION))
    call = drv.call(echo, "qwen/qwen3-32b", client=drv.client(srv))
    before = now_ms()
    response = await drv.response(call, "Capital of Australia?")
    after = now_ms()

    assert response.response.to_dict() == COMPLETION  # the completion, as received
    assert response.content == "Canberra."
    assert response.reasoning == "The capital of Australia is Canberra."
    assert response.finish_reasons == ["stop"]
    assert (response.model, response.id) == ("qwen/qwen3-32b", COMPLETION["id"])
    assert response.usage is not None
    assert response.usage.to_dict() == COMPLETION["usage"]
    assert (response.input_tokens, response.output_tokens, response.cached_tokens) == (
        19,
        9,
        None,
    )
    assert response.cost == pytest.approx(expected_cost("qwen/qwen3-32b", 19, 9))
    assert response.cost_metadata.cost == response.cost
    assert response.message_param == {"role": "assistant", "content": "Canberra."}
    assert response.messages == [{"role": "user", "content": "Capital of Australia?"}]
    assert response.tool_calls == [] and response.tools == [] and response.tool is None
    assert before <= response.start_time <= response.end_time <= after
    body = srv.requests[-1].body
    assert body["messages"] == response.messages and body.get("stream") in (None, False)


async def test_stream_and_non_stream_calls_agree(drv: Driver, srv: GroqServer) -> None:
    spec: dict[str, Any] = {
        "text": "Same answer either way.",
        "reasoning": "Short.",
        "model": "openai/gpt-oss-20b",
        "usage": Usage(100, 20, cached_tokens=40, reasoning_tokens=5),
        "seed": 77,
    }
    srv.enqueue(script(**spec), script(**spec))
    client = drv.client(srv)
    stream = await drv.stream(drv.call(echo, spec["model"], stream=True, client=client), "q")
    await drv.consume(stream)
    streamed = stream.construct_call_response()
    plain = await drv.response(drv.call(echo, spec["model"], client=client), "q")

    def comparable(response: GroqCallResponse) -> dict[str, Any]:
        data = summary(response)
        del data["start_time"], data["end_time"], data["id"]
        return data

    assert comparable(streamed) == comparable(plain)
    assert streamed.cached_tokens == plain.cached_tokens == 40
    assert streamed.cost == pytest.approx(expected_cost(spec["model"], 100, 20, cached=40))


async def test_output_parser_gets_the_response(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script("hello world"))
    seen: list[GroqCallResponse] = []

    def shout(response: GroqCallResponse) -> str:
        seen.append(response)
        return response.content.upper()

    call = drv.call(echo, "llama-3.3-70b-versatile", output_parser=shout, client=drv.client(srv))
    assert await call("q") == "HELLO WORLD"
    assert len(seen) == 1 and seen[0].content == "hello world"


def test_output_parser_with_stream_is_refused() -> None:
    with pytest.raises(TypeError, match="output_parser"):
        _groq_call("llama-3.1-8b-instant", stream=True, output_parser=str)


# ---------------------------------------------------------------------------------------
# The @overload typing (checked by mypy; run for real as well)
# ---------------------------------------------------------------------------------------


async def test_each_mode_has_its_own_return_type(srv: GroqServer, anyio_backend: str) -> None:
    from collections.abc import Coroutine

    from typing_extensions import assert_type as check_type

    client = Groq(api_key="test", base_url=srv.base_url, max_retries=0)
    aclient = AsyncGroq(api_key="test", base_url=srv.base_url, max_retries=0)
    srv.enqueue(script("a"), script("b"), script("c"), script("d"))

    @groq_call("llama-3.3-70b-versatile", stream=True, client=client)
    def streamed(question: str) -> str:
        return question

    @groq_call("llama-3.3-70b-versatile", stream=True, client=aclient)
    async def astreamed(question: str) -> str:
        return question

    @groq_call("llama-3.3-70b-versatile", client=client)
    def plain(question: str) -> str:
        return question

    @groq_call("llama-3.3-70b-versatile", client=client, output_parser=lambda r: len(r.content))
    def parsed(question: str) -> str:
        return question

    s = check_type(streamed("q"), GroqStream)
    assert isinstance(s, GroqStream) and [c.content for c, _ in s] == ["", "a", ""]
    coroutine = astreamed("q")
    a = check_type(
        await check_type(coroutine, Coroutine[Any, Any, AsyncGroqStream]), AsyncGroqStream
    )
    assert isinstance(a, AsyncGroqStream) and [c.content async for c, _ in a] == ["", "b", ""]
    p = check_type(plain("q"), GroqCallResponse)
    assert isinstance(p, GroqCallResponse) and p.content == "c"
    assert check_type(parsed("q"), int) == 1
    client.close()
    await aclient.close()


# ---------------------------------------------------------------------------------------
# Errors before a stream exists; the default client
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
async def test_an_http_error_is_raised_by_the_call(
    drv: Driver, srv: GroqServer, stream: bool
) -> None:
    srv.enqueue(ErrorReply(400, "messages: at least one message is required", code="bad"))
    call = drv.call(echo, "llama-3.3-70b-versatile", stream=stream, client=drv.client(srv))
    with pytest.raises(BadRequestError) as info:
        await call("q")
    assert info.value.status_code == 400 and info.value.code == "bad"
    assert "at least one message" in info.value.message


DEFAULT_CLIENT_SCRIPT = """
import asyncio
from mirastream import groq_call

@groq_call("llama-3.3-70b-versatile", stream=True)
def sync_call(q: str) -> str:
    return q

@groq_call("llama-3.3-70b-versatile")
async def async_call(q: str) -> str:
    return q

stream = sync_call("one")
print("".join(chunk.content for chunk, _ in stream))
print(asyncio.run(async_call("two")).content)
print(asyncio.run(async_call("three")).content)  # a new event loop gets its own client
"""


def test_without_client_the_call_uses_one_built_from_the_environment(srv: GroqServer) -> None:
    import os
    import subprocess
    import sys

    srv.enqueue(script("first"), script("second"), script("third"))
    env = {**os.environ, "GROQ_API_KEY": "test", "GROQ_BASE_URL": srv.base_url}
    done = subprocess.run(
        [sys.executable, "-c", DEFAULT_CLIENT_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == ["first", "second", "third", ""]
    assert [r.body["messages"][0]["content"] for r in srv.requests] == ["one", "two", "three"]
    assert [r.headers.get("authorization") for r in srv.requests] == ["Bearer [redacted]"] * 3

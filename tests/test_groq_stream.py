"""``GroqStream`` / ``AsyncGroqStream``: iteration, state while and after, misuse, closing.

Every test runs twice through the ``drv`` fixture: a plain prompt function with ``Groq``
and ``GroqStream``, and an ``async def`` one with ``AsyncGroq`` and ``AsyncGroqStream``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from test_call import (
    AnyStream,
    Consumed,
    Driver,
    Pair,
    Probe,
    decoded_chunks,
    echo,
    expected_cost,
    get_weather,
    now_ms,
)
from test_fold import FIXTURES, FIXTURES_DIR

from mirastream import (
    GroqCallResponseChunk,
    StreamConsumedError,
    StreamInterruptedError,
    StreamNotConsumedError,
    ToolCallError,
)
from mirastream.testing import Faults, GroqServer, SSEReply, Usage, script

MODEL = "llama-3.3-70b-versatile"
TEXT = "02_text_include_usage.sse"
REASONING = "05_reasoning_gpt_oss.sse"
TOOL = "03_tool_call_single.sse"


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


async def fixture_stream(
    drv: Driver, srv: GroqServer, name: str, *, probe: Probe | None = None, **settings: object
) -> AnyStream:
    """A stream over one fixture, from a decorated call."""
    srv.enqueue(SSEReply(FIXTURES_DIR / name))
    client = drv.client(srv, probe=probe)
    call = drv.call(echo, FIXTURES[name].model, stream=True, client=client, **settings)
    return await drv.stream(call, "q")


# ---------------------------------------------------------------------------------------
# Iterating twice, constructing early
# ---------------------------------------------------------------------------------------


async def test_a_second_iteration_raises_and_resets_nothing(drv: Driver, srv: GroqServer) -> None:
    fx = FIXTURES[TEXT]
    srv.enqueue(SSEReply(FIXTURES_DIR / TEXT))
    stream = await drv.stream(drv.call(echo, fx.model, stream=True, client=drv.client(srv)), "q")
    assert await drv.iterate(stream) == fx.chunks
    before = (stream.content, stream.finish_reasons, stream.usage, stream.end_time)

    for _ in range(2):
        with pytest.raises(StreamConsumedError):
            await drv.iterate(stream)
    assert (stream.content, stream.finish_reasons, stream.usage, stream.end_time) == before
    assert stream.content == fx.content
    assert stream.construct_call_response().content == fx.content


async def test_construct_call_response_before_the_end_raises(drv: Driver, srv: GroqServer) -> None:
    fx = FIXTURES[TEXT]
    srv.enqueue(SSEReply(FIXTURES_DIR / TEXT))
    stream = await drv.stream(drv.call(echo, fx.model, stream=True, client=drv.client(srv)), "q")
    with pytest.raises(StreamNotConsumedError):
        stream.construct_call_response()  # not even started
    first = await drv.take(stream, 3)
    with pytest.raises(StreamNotConsumedError):
        stream.construct_call_response()
    # Iteration resumes where it stopped, and then the response can be built.
    rest = await drv.iterate(stream)
    assert len(first) + rest == fx.chunks
    response = stream.construct_call_response()
    assert response.content == stream.content == fx.content
    assert response.usage is not None and response.usage.to_dict() == fx.usage


async def test_construct_call_response_after_close_midway_raises(
    drv: Driver, srv: GroqServer
) -> None:
    fx = FIXTURES[TEXT]
    srv.enqueue(SSEReply(FIXTURES_DIR / TEXT))
    stream = await drv.stream(drv.call(echo, fx.model, stream=True, client=drv.client(srv)), "q")
    pairs = await drv.take(stream, 3)
    await drv.close(stream)
    with pytest.raises(StreamNotConsumedError, match="closed early"):
        stream.construct_call_response()
    # What arrived stays readable.
    assert stream.content == "".join(chunk.content for chunk, _ in pairs)
    assert fx.content.startswith(stream.content) and stream.content
    assert stream.finish_reasons == [] and stream.usage is None
    assert stream.end_time is not None and stream.start_time <= stream.end_time


async def test_iterating_after_close_midway_raises_and_the_stream_stays_unconsumed(
    drv: Driver, srv: GroqServer
) -> None:
    fx = FIXTURES[TEXT]
    srv.enqueue(SSEReply(FIXTURES_DIR / TEXT))
    stream = await drv.stream(drv.call(echo, fx.model, stream=True, client=drv.client(srv)), "q")
    await drv.take(stream, 3)
    await drv.close(stream)
    outcome: object
    try:
        outcome = await drv.iterate(stream)
    except StreamConsumedError as exc:
        outcome = exc
    try:
        stream.construct_call_response()
        constructed = "a response"
    except StreamNotConsumedError:
        constructed = "StreamNotConsumedError"
    assert (isinstance(outcome, StreamConsumedError), constructed) == (
        True,
        "StreamNotConsumedError",
    )


# ---------------------------------------------------------------------------------------
# Closing
# ---------------------------------------------------------------------------------------


async def test_with_closes_the_response_when_left_early(drv: Driver, srv: GroqServer) -> None:
    probe = Probe()
    stream = await fixture_stream(drv, srv, TEXT, probe=probe)
    async with drv.entered(stream) as entered:
        assert entered is stream
        await drv.take(stream, 2)
        assert (probe.opened, probe.closed) == (1, 0)
    assert probe.closed >= 1
    with pytest.raises(StreamNotConsumedError):
        stream.construct_call_response()


async def test_with_after_a_full_read_keeps_everything(drv: Driver, srv: GroqServer) -> None:
    probe = Probe()
    stream = await fixture_stream(drv, srv, TEXT, probe=probe)
    async with drv.entered(stream):
        consumed = await drv.consume(stream)
    assert consumed.error is None and probe.closed >= 1
    assert stream.construct_call_response().content == FIXTURES[TEXT].content


async def test_close_releases_the_response(drv: Driver, srv: GroqServer) -> None:
    probe = Probe()
    stream = await fixture_stream(drv, srv, REASONING, probe=probe)
    await drv.take(stream, 1)
    assert probe.closed == 0
    await drv.close(stream)
    assert probe.closed >= 1


# ---------------------------------------------------------------------------------------
# State while iterating
# ---------------------------------------------------------------------------------------


async def test_properties_grow_while_iterating(drv: Driver, srv: GroqServer) -> None:
    fx = FIXTURES[REASONING]
    assert fx.usage is not None
    srv.enqueue(SSEReply(FIXTURES_DIR / REASONING, chunking=7))
    call = drv.call(echo, fx.model, stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "17*23?")
    assert (stream.content, stream.reasoning, stream.id, stream.usage) == ("", "", None, None)
    assert stream.model == fx.model  # the requested model until the first chunk
    assert stream.cost is None and stream.cost_metadata.reason == "no usage reported"

    content = reasoning = ""
    finish_index = fx.chunks - 2  # then the include_usage trailer
    for index in range(fx.chunks):
        ((chunk, tool),) = await drv.take(stream, 1)
        assert tool is None
        content += chunk.content
        reasoning += chunk.reasoning
        assert (stream.content, stream.reasoning) == (content, reasoning)
        assert stream.id == fx.id
        assert stream.end_time is None
        if index < finish_index:
            assert stream.usage is None and stream.cost is None
            assert stream.finish_reasons == []
            assert stream.input_tokens is None and stream.output_tokens is None
        else:
            assert stream.finish_reasons == ["stop"]
            assert stream.usage is not None and stream.usage.to_dict() == fx.usage
            assert stream.cost == pytest.approx(expected_cost(fx.model, 78, 31))
    assert await drv.iterate(stream) == 0
    assert stream.end_time is not None
    assert (content, reasoning) == (fx.content, fx.reasoning)


async def test_response_chunks_expose_their_own_delta(drv: Driver, srv: GroqServer) -> None:
    fx = FIXTURES[REASONING]
    stream = await fixture_stream(drv, srv, REASONING)
    consumed = await drv.consume(stream)
    chunks = consumed.chunks
    assert [c.chunk.to_dict() for c in chunks] == decoded_chunks(REASONING)
    assert "".join(c.content for c in chunks) == fx.content
    assert "".join(c.reasoning for c in chunks) == fx.reasoning
    finish, trailer = chunks[-2], chunks[-1]
    for chunk in chunks[:-2]:
        assert chunk.finish_reasons == [] and chunk.usage is None
        assert chunk.input_tokens is None and chunk.output_tokens is None
        assert chunk.tool_calls is None
    assert finish.finish_reasons == ["stop"]
    assert finish.usage is not None and finish.usage.to_dict() == fx.usage
    assert (finish.input_tokens, finish.output_tokens) == (78, 31)
    assert trailer.chunk.choices == [] and trailer.content == "" and trailer.reasoning == ""
    assert trailer.finish_reasons == [] and trailer.tool_calls is None
    assert trailer.usage is not None and trailer.usage.to_dict() == fx.usage
    assert isinstance(finish, GroqCallResponseChunk) and "GroqCallResponseChunk" in repr(finish)


async def test_response_chunk_tool_calls_are_the_raw_deltas(drv: Driver, srv: GroqServer) -> None:
    stream = await fixture_stream(drv, srv, TOOL)
    consumed = await drv.consume(stream)
    deltas = consumed.chunks[1].tool_calls
    assert deltas is not None and len(deltas) == 1
    assert (deltas[0].index, deltas[0].id, deltas[0].function.name) == (
        0,
        "m2x7q9k4v",
        "get_weather",
    )
    assert consumed.chunks[0].content == "" and consumed.chunks[0].tool_calls is None


async def test_five_thousand_chunks_keep_content_exact(drv: Driver, srv: GroqServer) -> None:
    pieces = [f"w{i}{'é' if i % 97 == 0 else ''} " for i in range(5000)]
    srv.enqueue(script(pieces, usage=Usage(12, 5000)))
    call = drv.call(echo, "llama-3.3-70b-versatile", stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "count")
    started = now_ms()
    consumed = await drv.consume(stream)
    assert consumed.error is None
    assert len(consumed.pairs) == 5000 + 2  # role chunk, 5000 pieces, finish chunk
    assert [c.content for c in consumed.chunks[1:-1]] == pieces
    assert stream.content == "".join(pieces)
    assert stream.construct_call_response().content == stream.content
    assert stream.output_tokens == 5000
    assert now_ms() - started < 10_000


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


async def test_an_interrupted_stream_keeps_what_arrived(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(script("one two three four five six", faults=Faults(drop_after_events=4)))
    call = drv.call(echo, "llama-3.3-70b-versatile", stream=True, client=drv.client(srv))
    stream = await drv.stream(call, "count")
    consumed = await drv.consume(stream)
    assert isinstance(consumed.error, StreamInterruptedError)
    assert stream.error is consumed.error
    assert len(consumed.pairs) == 4
    assert stream.content == "one two three"
    assert stream.finish_reasons == [] and stream.usage is None and stream.cost is None
    assert stream.end_time is not None
    assert stream.construct_call_response().content == "one two three"
    with pytest.raises(StreamConsumedError):
        await drv.iterate(stream)
    assert stream.content == "one two three"


def other_tool(city: int) -> str:
    """A tool the model does not call.

    Args:
        city: A city id.
    """
    return str(city)


async def iterate_through_tool_errors(
    drv: Driver, stream: AnyStream
) -> tuple[list[Pair], list[ToolCallError]]:
    """Iterate to the end, catching each ToolCallError and going on."""
    pairs: list[Pair] = []
    errors: list[ToolCallError] = []
    while True:
        consumed = await drv.consume(stream)
        pairs += consumed.pairs
        if consumed.error is None:
            return pairs, errors
        assert isinstance(consumed.error, ToolCallError)
        errors.append(consumed.error)


async def test_a_bad_tool_call_raises_and_the_stream_goes_on(drv: Driver, srv: GroqServer) -> None:
    stream = await fixture_stream(drv, srv, TOOL, tools=[other_tool])
    pairs, errors = await iterate_through_tool_errors(drv, stream)
    (error,) = errors
    assert (error.tool_name, error.tool_call_id) == ("get_weather", "m2x7q9k4v")
    assert error.arguments == '{"location":"Paris, France","unit":"celsius"}'
    assert all(tool is None for _, tool in pairs)
    assert stream.finish_reasons == ["tool_calls"]
    assert [c.function.name for c in stream.tool_calls] == ["get_weather"]
    assert stream.tools == []
    assert stream.construct_call_response().tool_calls[0].id == "m2x7q9k4v"


async def test_a_bad_tool_call_does_not_swallow_its_chunk(drv: Driver, srv: GroqServer) -> None:
    stream = await fixture_stream(drv, srv, TOOL, tools=[other_tool])
    # The error comes right after the chunk that completed the call (chunk 1), not instead.
    before_error = await drv.consume(stream)
    assert isinstance(before_error.error, ToolCallError)
    assert len(before_error.pairs) == 2
    rest, errors = await iterate_through_tool_errors(drv, stream)
    assert errors == [] and len(rest) == 1
    pairs = before_error.pairs + rest
    assert [c.chunk.to_dict() for c, _ in pairs] == decoded_chunks(TOOL)
    with pytest.raises(StreamConsumedError):
        await drv.iterate(stream)


def sse(*payloads: dict[str, Any]) -> bytes:
    """An SSE body: one data event per payload, then [DONE]."""
    events = [f"data: {json.dumps(p, separators=(',', ':'))}\n\n" for p in payloads]
    return ("".join(events) + "data: [DONE]\n\n").encode()


def payload(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-multi",
        "object": "chat.completion.chunk",
        "created": 1771009100,
        "model": "llama-3.3-70b-versatile",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


def whole_call(index: int, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
        "index": index,
    }


async def test_one_chunk_with_a_good_and_a_bad_call(drv: Driver, srv: GroqServer) -> None:
    body = sse(
        payload({"role": "assistant", "content": "Checking."}, x_groq={"id": "req_m"}),
        payload(
            {
                "tool_calls": [
                    whole_call(0, "c0", "get_weather", '{"location":"Rome"}'),
                    whole_call(1, "c1", "launch_rockets", '{"count":3}'),
                ]
            }
        ),
        payload(
            {},
            "tool_calls",
            x_groq={
                "id": "req_m",
                "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
            },
        ),
    )
    srv.enqueue(SSEReply(body))
    call = drv.call(
        echo, "llama-3.3-70b-versatile", stream=True, tools=[get_weather], client=drv.client(srv)
    )
    stream = await drv.stream(call, "q")
    first = await drv.consume(stream)
    assert isinstance(first.error, ToolCallError)
    assert (first.error.tool_name, first.error.tool_call_id) == ("launch_rockets", "c1")
    # The chunk came once, with the good tool, before the error.
    assert [(i, t.call()) for i, t in first.tools] == [(1, "22 degrees celsius in Rome")]
    assert len(first.pairs) == 2
    rest = await drv.consume(stream)
    assert rest.error is None and len(rest.pairs) == 1
    assert rest.pairs[0][0].finish_reasons == ["tool_calls"]
    assert stream.content == "Checking."
    assert [t.tool_call.id for t in stream.tools if t.tool_call] == ["c0"]
    assert [c.id for c in stream.tool_calls] == ["c0", "c1"]
    assert stream.construct_call_response().message_param["tool_calls"][1]["id"] == "c1"


NO_FINISH_BODY = (
    b'data: {"id":"chatcmpl-nf","object":"chat.completion.chunk","created":1771009000,'
    b'"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"role":"assistant",'
    b'"content":null},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_nf"}}\n\n'
    b'data: {"id":"chatcmpl-nf","object":"chat.completion.chunk","created":1771009000,'
    b'"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"tool_calls":[{"id":'
    b'"c0","type":"function","function":{"name":"get_weather","arguments":"{\\"location\\"'
    b':"}}]},"logprobs":null,"finish_reason":null}]}\n\n'
    b'data: {"id":"chatcmpl-nf","object":"chat.completion.chunk","created":1771009000,'
    b'"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"tool_calls":[{'
    b'"index":0,"function":{"arguments":" \\"Oslo\\"}"}}]},"logprobs":null,'
    b'"finish_reason":null}]}\n\n'
    b"data: [DONE]\n\n"
)


async def test_a_tool_completed_by_its_last_fragment_without_finish_reason(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(SSEReply(NO_FINISH_BODY))
    call = drv.call(
        echo, "llama-3.3-70b-versatile", stream=True, tools=[get_weather], client=drv.client(srv)
    )
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)
    assert consumed.error is None
    assert len(consumed.pairs) == 3
    assert [i for i, _ in consumed.tools] == [2]
    assert consumed.tools[0][1].call() == "22 degrees celsius in Oslo"
    assert stream.finish_reasons == []


NO_FINISH_OPEN_CALL_BODY = (
    b'data: {"id":"chatcmpl-nf2","object":"chat.completion.chunk","created":1771009001,'
    b'"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"role":"assistant",'
    b'"content":null},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_nf2"}}\n\n'
    b'data: {"id":"chatcmpl-nf2","object":"chat.completion.chunk","created":1771009001,'
    b'"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"tool_calls":[{'
    b'"index":0,"id":"c9","type":"function","function":{"name":"ping","arguments":""}}]},'
    b'"logprobs":null,"finish_reason":null}]}\n\n'
    b"data: [DONE]\n\n"
)


def ping() -> str:
    """Check the service is up."""
    return "pong"


async def test_every_chunk_is_yielded_once_even_when_the_end_completes_a_call(
    drv: Driver, srv: GroqServer
) -> None:
    srv.enqueue(SSEReply(NO_FINISH_OPEN_CALL_BODY))
    call = drv.call(
        echo, "llama-3.3-70b-versatile", stream=True, tools=[ping], client=drv.client(srv)
    )
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)
    assert consumed.error is None
    # The call the end completed comes with the last chunk (held back while it was open).
    assert [(i, t.call()) for i, t in consumed.tools] == [(1, "pong")]
    # The call still becomes a tool.
    assert [t.tool_call.id for t in stream.tools if t.tool_call] == ["c9"]
    chunks = [c.chunk.to_dict() for c in consumed.chunks]
    assert len(chunks) == 2


def get_local_time(timezone: str) -> str:
    """Get the local time in an IANA timezone.

    Args:
        timezone: e.g. "Asia/Tokyo".
    """
    return f"09:00 in {timezone}"


TWO_CALLS_ONE_CHUNK = sse(
    payload({"role": "assistant", "content": ""}, x_groq={"id": "req_two"}),
    payload(
        {
            "content": "Looking both up.",
            "tool_calls": [
                whole_call(0, "c0", "get_weather", '{"location":"Tokyo"}'),
                whole_call(1, "c1", "get_local_time", '{"timezone":"Asia/Tokyo"}'),
            ],
        }
    ),
    payload({}, "tool_calls"),
)


async def test_a_chunk_completing_two_calls_gives_both_tools(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(SSEReply(TWO_CALLS_ONE_CHUNK))
    tools = [get_weather, get_local_time]
    call = drv.call(echo, MODEL, stream=True, tools=tools, client=drv.client(srv))
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)
    assert consumed.error is None
    assert [t.call() for _, t in consumed.tools] == [
        "22 degrees celsius in Tokyo",
        "09:00 in Asia/Tokyo",
    ]
    assert stream.content == "Looking both up."
    # The second tool comes with the next chunk: every chunk once, every tool once.
    assert [i for i, _ in consumed.tools] == [1, 2]
    assert [c.chunk.to_dict() for c in consumed.chunks] == [
        json.loads(line[len(b"data: ") :]) for line in TWO_CALLS_ONE_CHUNK.split(b"\n\n")[:3]
    ]


async def test_the_printing_loop_prints_the_content_once(drv: Driver, srv: GroqServer) -> None:
    srv.enqueue(SSEReply(TWO_CALLS_ONE_CHUNK))
    tools = [get_weather, get_local_time]
    call = drv.call(echo, MODEL, stream=True, tools=tools, client=drv.client(srv))
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)
    printed = "".join(chunk.content for chunk, _ in consumed.pairs)
    assert printed == stream.content == "Looking both up."
    assert len(consumed.pairs) == 3


async def interrupted_fragmented_call(
    drv: Driver, srv: GroqServer, tools: list[Any] | None
) -> Consumed:
    srv.enqueue(
        script(
            tool_calls=[("get_weather", {"location": "Paris, France"})],
            fragment_arguments=5,
            faults=Faults(drop_after_events=4),
        )
    )
    call = drv.call(echo, MODEL, stream=True, tools=tools, client=drv.client(srv))
    stream = await drv.stream(call, "q")
    consumed = await drv.consume(stream)
    assert isinstance(consumed.error, StreamInterruptedError)
    # What arrived stays readable: the call as far as it came.
    assert [c.function.arguments for c in stream.tool_calls] == ['{"location']
    return consumed


async def test_an_interrupted_fragmented_call_yields_every_chunk_received(
    drv: Driver, srv: GroqServer
) -> None:
    consumed = await interrupted_fragmented_call(drv, srv, None)
    assert len(consumed.pairs) == 4  # role, call header, two argument fragments


async def test_an_interrupted_fragmented_call_with_tools_yields_every_chunk_received(
    drv: Driver, srv: GroqServer
) -> None:
    consumed = await interrupted_fragmented_call(drv, srv, [get_weather])
    assert len(consumed.pairs) == 4
    assert consumed.chunks[-1].tool_calls is not None
    assert consumed.chunks[-1].tool_calls[0].function.arguments == "ation"

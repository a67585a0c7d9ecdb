"""Issue #4 "Tools in streams": tool calls assembled by index, yielded once, round trip.

Every test talks to a real loopback ``GroqServer`` through ``groq_call`` and runs twice,
once with a plain prompt function and ``Groq`` (``GroqStream``), once with an
``async def`` one and ``AsyncGroq`` (``AsyncGroqStream``); the sync calls simply block
inside the async test body (the server runs in its own thread).

Streams are either the shared fixtures (03: one whole call; 04: two whole calls and the
``choices: []`` usage trailer) or synthetic bodies written here in Groq's exact framing
(compact JSON, Groq's key order, ``data: ...`` events, ``data: [DONE]``) for the shapes
the script builder cannot make: several calls in one delta, ``null`` arguments, name
fragments, streams without a finish reason.

Where a tool appears: a call is complete as soon as its arguments parse as a whole JSON
object (a whole call: on its own delta; OpenAI-style fragments: on the last argument
fragment). Otherwise (``""``/``null``/not-yet-JSON arguments) it completes when the next
index starts, when a ``finish_reason`` arrives, or when the stream ends, in that order of
precedence. Each case below pins the exact chunk index at which each tool is yielded and
checks that every server chunk is yielded, in order (a chunk that completes several calls
is paired with each of them, so it is the one chunk that may come more than once).

A bad call (arguments that fail validation, a tool that was not offered): its chunk is
yielded as usual, then ``ToolCallError`` is raised; iterating again goes on with the next
chunk, and the raw call stays in ``tool_calls`` and ``message_param``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pydantic
import pytest
from pydantic import BaseModel, Field

from mirastream import (
    AsyncGroqStream,
    GroqCallResponse,
    GroqCallResponseChunk,
    GroqStream,
    GroqTool,
    ToolCallError,
    groq_call,
)
from mirastream.groq import AsyncGroq, Groq
from mirastream.testing import GroqServer, SSEReply, go_json, script

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "groq_sse"
MODEL = "llama-3.3-70b-versatile"
USER = {"role": "user", "content": "What is the weather in Paris, and the time in Tokyo?"}

AnyStream = GroqStream | AsyncGroqStream


# --- tools (module level: their string annotations must resolve here) ------------------


def get_weather(location: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather in a city.

    Args:
        location: City and country, e.g. Paris, France.
        unit: Temperature unit.
    """
    return f"{location}: 21 degrees {unit}"


def get_local_time(timezone: str) -> str:
    """Get the local time in a time zone.

    Args:
        timezone: An IANA time zone name.
    """
    return f"12:00 in {timezone}"


def utc_now() -> str:
    """Get the current UTC time."""
    return "2026-02-13T12:00:00Z"


async def convert_currency(amount: float, currency: str) -> str:
    """Convert an amount of euros to another currency.

    Args:
        amount: Euros to convert.
        currency: ISO 4217 code of the target currency.
    """
    return f"{amount * 2:.2f} {currency}"


class SearchFlights(GroqTool):
    """Search flights between two airports."""

    origin: str = Field(description="IATA code of the departure airport")
    destination: str = Field(description="IATA code of the arrival airport")
    max_stops: int = Field(default=1, description="Most stops allowed")

    def call(self) -> list[str]:
        return [f"{self.origin}-{self.destination} direct"]


class Contact(BaseModel):
    """Save a contact."""

    name: str
    email: str | None = None


class Forecast(BaseModel):
    temperature: int
    unit: str


TOOLS: list[Any] = [get_weather, get_local_time, utc_now]

W_PARIS = '{"location":"Paris, France","unit":"celsius"}'
T_TOKYO = '{"timezone":"Asia/Tokyo"}'


# --- Groq-framed SSE bodies ------------------------------------------------------------

COMPLETION_ID = "chatcmpl-3f0c2a9e-6b1d-4e8f-9a27-5c4d8e1f0b36"
REQUEST_ID = "req_01kmz6t0015x8c2d4f6h8j0k2m"
USAGE = {
    "queue_time": 0.019482113,
    "prompt_tokens": 412,
    "prompt_time": 0.021877304,
    "completion_tokens": 57,
    "completion_time": 0.113947368,
    "total_tokens": 469,
    "total_time": 0.135824672,
}


def _envelope(choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": COMPLETION_ID,
        "object": "chat.completion.chunk",
        "created": 1771003000,
        "model": MODEL,
        "system_fingerprint": "fp_1a2b3c4d5e",
        "choices": choices,
    }


def _choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]


def sse(
    *deltas: dict[str, Any],
    finish: str | None = "tool_calls",
    trailer: bool = False,
    finish_with_last: bool = False,
) -> bytes:
    """A Groq stream: role chunk, one chunk per delta, finish chunk, trailer, [DONE].

    ``finish_with_last`` puts the finish_reason (and usage) on the last delta's chunk
    instead of a chunk of its own, as some OpenAI-compatible servers do.
    """
    has_text = any("content" in d for d in deltas)
    first = _envelope(_choice({"role": "assistant", "content": "" if has_text else None}))
    first["x_groq"] = {"id": REQUEST_ID, "seed": 1290447716}
    payloads = [first, *(_envelope(_choice(d)) for d in deltas)]
    if finish is not None:
        if finish_with_last:
            last = payloads.pop()
            last["choices"][0]["finish_reason"] = finish
        else:
            last = _envelope(_choice({}, finish))
        last["x_groq"] = {"id": REQUEST_ID, "usage": USAGE}
        last["usage"] = USAGE
        payloads.append(last)
    if trailer:
        tail = _envelope([])
        tail["usage"] = USAGE
        tail["service_tier"] = "on_demand"
        payloads.append(tail)
    events = "".join(f"data: {go_json(p)}\n\n" for p in payloads)
    return (events + "data: [DONE]\n\n").encode()


def payloads_of(body: bytes) -> list[dict[str, Any]]:
    """The JSON chunk of every ``data:`` event of a body, ``[DONE]`` excluded."""
    found = []
    for line in body.decode().split("\n"):
        if line.startswith("data: ") and line != "data: [DONE]":
            found.append(json.loads(line[len("data: ") :]))
    return found


def calls(*tool_calls: dict[str, Any]) -> dict[str, Any]:
    """A delta carrying tool-call deltas."""
    return {"tool_calls": list(tool_calls)}


def whole(index: int, call_id: str, name: str, arguments: str | None) -> dict[str, Any]:
    """A whole call in Groq's shape (``index`` last)."""
    function = {"name": name, "arguments": arguments}
    return {"id": call_id, "type": "function", "function": function, "index": index}


def frag(
    index: int, *, call_id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    """An OpenAI-style tool-call fragment (``index`` first, only the given parts)."""
    delta: dict[str, Any] = {"index": index}
    if call_id is not None:
        delta["id"] = call_id
        delta["type"] = "function"
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    delta["function"] = function
    return delta


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def fragmented(
    index: int, call_id: str, name: str, arguments: str, size: int
) -> list[dict[str, Any]]:
    """OpenAI's shape: a header with empty arguments, then argument pieces."""
    head = calls(frag(index, call_id=call_id, name=name, args=""))
    return [head, *(calls(frag(index, args=p)) for p in pieces(arguments, size))]


# --- running a stream ------------------------------------------------------------------

Event = tuple[int, str | None]
"""``(server chunk index, tool name or None)`` for a pair; ``(-1, "!name")`` for an error."""


@dataclass
class Run:
    """Everything one iteration of a stream produced, mapped to server chunk indices."""

    payloads: list[dict[str, Any]]
    events: list[Event] = field(default_factory=list)
    pairs: list[tuple[GroqCallResponseChunk, GroqTool | None]] = field(default_factory=list)
    tools: list[GroqTool] = field(default_factory=list)
    errors: list[ToolCallError] = field(default_factory=list)
    calls_seen: list[int] = field(default_factory=list)  # len(stream.tool_calls) per event
    _index: int = -1

    def add(self, stream: AnyStream, chunk: GroqCallResponseChunk, tool: GroqTool | None) -> None:
        if not (self.pairs and self.pairs[-1][0].chunk is chunk.chunk):
            data = chunk.chunk.to_dict()
            for index in range(self._index + 1, len(self.payloads)):
                if self.payloads[index] == data:
                    self._index = index
                    break
            else:
                pytest.fail(f"chunk not sent by the server (or out of order): {data}")
        self.pairs.append((chunk, tool))
        self.events.append((self._index, None if tool is None else type(tool)._name()))
        if tool is not None:
            self.tools.append(tool)
        self.calls_seen.append(len(stream.tool_calls))

    def error(self, stream: AnyStream, exc: ToolCallError) -> None:
        self.errors.append(exc)
        self.events.append((-1, "!" + exc.tool_name))
        self.calls_seen.append(len(stream.tool_calls))

    @property
    def yielded_indices(self) -> list[int]:
        """Server chunk indices in the order yielded, each once."""
        seen: list[int] = []
        for index, _ in self.events:
            if index >= 0 and (not seen or seen[-1] != index):
                seen.append(index)
        return seen


async def drain(stream: AnyStream, payloads: list[dict[str, Any]]) -> Run:
    """Iterate to the end; a ToolCallError is recorded and iteration goes on."""
    run = Run(payloads)
    while len(run.errors) < 20:
        try:
            if isinstance(stream, AsyncGroqStream):
                async for chunk, tool in stream:
                    run.add(stream, chunk, tool)
            else:
                for chunk, tool in stream:
                    run.add(stream, chunk, tool)
        except ToolCallError as exc:
            run.error(stream, exc)
        else:
            return run
    pytest.fail("the stream keeps raising ToolCallError")


class Flavor:
    """Calls through ``groq_call`` with a sync or an async prompt function."""

    def __init__(self, mode: Literal["sync", "async"], server: GroqServer) -> None:
        self.mode = mode
        self.server = server
        # Loopback only: no TLS, so no certificate store to load (50 ms per client).
        self._http = httpx.Client(verify=False)
        self._ahttp = httpx.AsyncClient(verify=False)
        self.client = Groq(api_key="test", base_url=server.base_url, http_client=self._http)
        self.aclient = AsyncGroq(api_key="test", base_url=server.base_url, http_client=self._ahttp)

    @property
    def is_async(self) -> bool:
        return self.mode == "async"

    async def stream(
        self,
        messages: Sequence[dict[str, Any]] = (USER,),
        *,
        tools: Sequence[Any] | None = TOOLS,
        call_params: dict[str, Any] | None = None,
    ) -> AnyStream:
        # dict[str, object], not dict[str, Any]: an `async def` prompt whose return type
        # contains Any matches both groq_call overloads and mypy types the call as Any.
        history: list[dict[str, object]] = [dict(m) for m in messages]
        if self.is_async:

            @groq_call(
                MODEL, stream=True, tools=tools, client=self.aclient, call_params=call_params
            )
            async def ask_async() -> list[dict[str, object]]:
                return history

            return await ask_async()

        @groq_call(MODEL, stream=True, tools=tools, client=self.client, call_params=call_params)
        def ask() -> list[dict[str, object]]:
            return history

        return ask()

    async def run(
        self,
        body: bytes | Path,
        messages: Sequence[dict[str, Any]] = (USER,),
        *,
        tools: Sequence[Any] | None = TOOLS,
        call_params: dict[str, Any] | None = None,
    ) -> tuple[AnyStream, Run]:
        """Serve ``body`` exactly, stream it through ``groq_call``, iterate to the end."""
        raw = body.read_bytes() if isinstance(body, Path) else body
        self.server.enqueue(SSEReply(raw))
        stream = await self.stream(messages, tools=tools, call_params=call_params)
        if self.is_async:
            assert isinstance(stream, AsyncGroqStream)
        else:
            assert isinstance(stream, GroqStream)
        return stream, await drain(stream, payloads_of(raw))

    async def close(self) -> None:
        self.client.close()
        await self.aclient.close()
        self._http.close()
        await self._ahttp.aclose()


async def call_tool(tool: GroqTool) -> Any:
    result = tool.call()
    return await result if inspect.isawaitable(result) else result


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def tool_server() -> Iterator[GroqServer]:
    with GroqServer() as server:
        yield server


@pytest.fixture(params=["sync", "async"])
async def flavor(request: pytest.FixtureRequest, tool_server: GroqServer) -> AsyncIterator[Flavor]:
    runner = Flavor(request.param, tool_server)
    yield runner
    await runner.close()
    assert tool_server.errors == []
    assert tool_server.pending == 0  # every reply a test queued was asked for


pytestmark = pytest.mark.anyio


def call_dict(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# --- fixtures 03 and 04 ----------------------------------------------------------------


async def test_fixture_03_one_whole_call(flavor: Flavor) -> None:
    stream, run = await flavor.run(FIXTURES / "03_tool_call_single.sse")

    assert run.events == [(0, None), (1, "get_weather"), (2, None)]
    assert run.errors == []
    (tool,) = run.tools
    assert tool.args == {"location": "Paris, France", "unit": "celsius"}
    assert tool.tool_call is not None
    assert tool.tool_call.id == "m2x7q9k4v"
    assert tool.tool_call.function.arguments == '{"location":"Paris, France","unit":"celsius"}'
    assert await call_tool(tool) == "Paris, France: 21 degrees celsius"

    raw_call = call_dict(
        "m2x7q9k4v", "get_weather", '{"location":"Paris, France","unit":"celsius"}'
    )
    assert [c.to_dict() for c in stream.tool_calls] == [raw_call]
    assert stream.message_param == {"role": "assistant", "content": "", "tool_calls": [raw_call]}
    assert stream.tools == [tool]
    assert stream.content == ""
    assert stream.finish_reasons == ["tool_calls"]

    response = stream.construct_call_response()
    assert isinstance(response, GroqCallResponse)
    assert response.tools == [tool]
    assert response.tools[0] is tool
    assert response.tool is tool
    assert [c.to_dict() for c in response.tool_calls] == [raw_call]
    assert response.message_param == stream.message_param
    assert response.content == ""
    assert response.input_tokens == 236
    assert response.output_tokens == 24
    assert response.finish_reasons == ["tool_calls"]


async def test_fixture_04_parallel_calls_and_usage_trailer(flavor: Flavor) -> None:
    stream, run = await flavor.run(
        FIXTURES / "04_tool_calls_parallel.sse", tools=[get_local_time, get_weather]
    )

    # Chunk 3 is the finish chunk, chunk 4 the `choices: []` trailer: no tool again.
    assert run.events == [
        (0, None),
        (1, "get_weather"),
        (2, "get_local_time"),
        (3, None),
        (4, None),
    ]
    # The trailer neither duplicates nor resets the assembled calls.
    assert run.calls_seen == [0, 1, 2, 2, 2]
    weather, clock = run.tools
    assert weather.args == {"location": "Tokyo, Japan", "unit": "celsius"}
    assert clock.args == {"timezone": "Asia/Tokyo"}
    assert [await call_tool(t) for t in run.tools] == [
        "Tokyo, Japan: 21 degrees celsius",
        "12:00 in Asia/Tokyo",
    ]
    expected_calls = [
        call_dict("p4n8w2r6t", "get_weather", '{"location":"Tokyo, Japan"}'),
        call_dict("h7c3z5j9s", "get_local_time", '{"timezone":"Asia/Tokyo"}'),
    ]
    assert [c.to_dict() for c in stream.tool_calls] == expected_calls
    assert stream.message_param["tool_calls"] == expected_calls

    # Usage rides on the finish chunk (twice) and on the trailer: counted once.
    assert stream.input_tokens == 301
    assert stream.output_tokens == 41
    assert stream.cost == pytest.approx((301 * 0.05 + 41 * 0.08) / 1e6)
    response = stream.construct_call_response()
    assert response.tools == run.tools
    assert [c.to_dict() for c in response.tool_calls] == expected_calls
    assert response.usage is not None
    assert response.usage.total_tokens == 342
    assert response.usage.queue_time == pytest.approx(0.052907731)
    assert response.model == "llama-3.1-8b-instant"
    assert response.id == "chatcmpl-5a8e2d7b-0f14-4c6a-9d3e-b72c81f4e609"
    # The trailer chunk is yielded as it is: no choices, no tool deltas.
    trailer = run.pairs[-1][0]
    assert trailer.chunk.choices == []
    assert trailer.tool_calls is None
    assert trailer.usage is not None


# --- every shape of tool calls in a stream ---------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A stream shape and where each tool must appear."""

    deltas: tuple[dict[str, Any], ...]
    events: tuple[Event, ...]
    calls: tuple[dict[str, Any], ...]  # the raw calls, as assembled
    args: tuple[dict[str, Any], ...]  # each tool's validated arguments, in yield order
    finish: str | None = "tool_calls"
    trailer: bool = False
    content: str = ""
    finish_with_last: bool = False


def _openai_fragments() -> Shape:
    first = fragmented(0, "call_Wq8", "get_weather", W_PARIS, 7)  # header + 7 pieces
    second = fragmented(1, "call_Tk3", "get_local_time", T_TOKYO, 5)  # header + 5 pieces
    assert (len(first), len(second)) == (8, 6)
    # chunk 1: header 0; 2-8: pieces (the last completes call 0); 9: header 1;
    # 10-14: pieces (14 completes call 1); 15: finish; 16: trailer.
    events: list[Event] = [(i, None) for i in range(8)]
    events += [(8, "get_weather")]
    events += [(i, None) for i in range(9, 14)]
    events += [(14, "get_local_time"), (15, None), (16, None)]
    return Shape(
        deltas=(*first, *second),
        events=tuple(events),
        calls=(
            call_dict("call_Wq8", "get_weather", W_PARIS),
            call_dict("call_Tk3", "get_local_time", T_TOKYO),
        ),
        args=({"location": "Paris, France", "unit": "celsius"}, {"timezone": "Asia/Tokyo"}),
        trailer=True,
    )


def _name_fragments() -> Shape:
    deltas = (
        calls(frag(0, call_id="call_N1", name="get_", args="")),
        calls(frag(0, name="local")),
        calls(frag(0, name="_time", args='{"timez')),
        calls(frag(0, args='one":"Asia/')),
        calls(frag(0, args='Tokyo"}')),
    )
    return Shape(
        deltas=deltas,
        events=(*((i, None) for i in range(5)), (5, "get_local_time"), (6, None)),
        calls=(call_dict("call_N1", "get_local_time", T_TOKYO),),
        args=({"timezone": "Asia/Tokyo"},),
    )


SHAPES: dict[str, Shape] = {
    # OpenAI-compatible servers that number every call 0: a new id at the index of a
    # complete call starts a new call (it used to be dropped).
    "every_call_at_index_0_whole": Shape(
        deltas=(
            calls(whole(0, "z1", "get_weather", W_PARIS)),
            calls(whole(0, "z2", "get_local_time", T_TOKYO)),
            calls(whole(0, "z3", "utc_now", "{}")),
        ),
        events=((0, None), (1, "get_weather"), (2, "get_local_time"), (3, "utc_now"), (4, None)),
        calls=(
            call_dict("z1", "get_weather", W_PARIS),
            call_dict("z2", "get_local_time", T_TOKYO),
            call_dict("z3", "utc_now", "{}"),
        ),
        args=({"location": "Paris, France", "unit": "celsius"}, {"timezone": "Asia/Tokyo"}, {}),
    ),
    "every_call_at_index_0_fragments": Shape(
        deltas=(
            *fragmented(0, "call_A", "get_weather", W_PARIS, 16),  # header + 3 pieces
            *fragmented(0, "call_B", "get_local_time", T_TOKYO, 30),  # header + 1 piece
        ),
        events=(
            *((i, None) for i in range(4)),
            (4, "get_weather"),
            (5, None),
            (6, "get_local_time"),
            (7, None),
        ),
        calls=(
            call_dict("call_A", "get_weather", W_PARIS),
            call_dict("call_B", "get_local_time", T_TOKYO),
        ),
        args=({"location": "Paris, France", "unit": "celsius"}, {"timezone": "Asia/Tokyo"}),
    ),
    # Groq: the whole call in one delta; it is complete on that delta.
    "groq_one_whole_call": Shape(
        deltas=(calls(whole(0, "m2x7q9k4v", "get_weather", W_PARIS)),),
        events=((0, None), (1, "get_weather"), (2, None)),
        calls=(call_dict("m2x7q9k4v", "get_weather", W_PARIS),),
        args=({"location": "Paris, France", "unit": "celsius"},),
    ),
    # Groq parallel calls, one whole call per delta (Mirascope v1 dropped the arguments
    # of the second one and crashed on the trailer).
    "groq_whole_calls_in_two_deltas_with_trailer": Shape(
        deltas=(
            calls(whole(0, "p4n8w2r6t", "get_weather", '{"location":"Tokyo, Japan"}')),
            calls(whole(1, "h7c3z5j9s", "get_local_time", T_TOKYO)),
        ),
        events=((0, None), (1, "get_weather"), (2, "get_local_time"), (3, None), (4, None)),
        calls=(
            call_dict("p4n8w2r6t", "get_weather", '{"location":"Tokyo, Japan"}'),
            call_dict("h7c3z5j9s", "get_local_time", T_TOKYO),
        ),
        args=({"location": "Tokyo, Japan", "unit": "celsius"}, {"timezone": "Asia/Tokyo"}),
        trailer=True,
    ),
    # Several whole calls in ONE delta (Mirascope v1 lost all but the first): the chunk
    # is paired with each tool, in index order.
    "three_whole_calls_in_one_delta": Shape(
        deltas=(
            calls(
                whole(0, "a1", "get_weather", W_PARIS),
                whole(1, "a2", "get_local_time", T_TOKYO),
                whole(2, "a3", "utc_now", "{}"),
            ),
        ),
        # One chunk completes three calls: each further tool goes with the next chunk, and
        # when chunks run out the last (finish) chunk goes out again with the rest.
        events=((0, None), (1, "get_weather"), (2, "get_local_time"), (2, "utc_now")),
        calls=(
            call_dict("a1", "get_weather", W_PARIS),
            call_dict("a2", "get_local_time", T_TOKYO),
            call_dict("a3", "utc_now", "{}"),
        ),
        args=({"location": "Paris, France", "unit": "celsius"}, {"timezone": "Asia/Tokyo"}, {}),
    ),
    # OpenAI-style: header with empty arguments, then argument pieces; a call is complete
    # on the fragment that closes its JSON object.
    "openai_argument_fragments_with_trailer": _openai_fragments(),
    # The name itself arrives in pieces, the arguments start in a name delta.
    "openai_name_fragments": _name_fragments(),
    # Zero-argument tools: "" or null arguments never parse as JSON, so the call is
    # complete on the finish chunk.
    "zero_args_empty_string": Shape(
        deltas=(calls(whole(0, "z1", "utc_now", "")),),
        events=((0, None), (1, None), (2, "utc_now")),
        calls=(call_dict("z1", "utc_now", ""),),
        args=({},),
    ),
    "zero_args_null": Shape(
        deltas=(calls(whole(0, "z2", "utc_now", None)),),
        events=((0, None), (1, None), (2, "utc_now")),
        calls=(call_dict("z2", "utc_now", ""),),
        args=({},),
    ),
    "zero_args_empty_object": Shape(
        deltas=(calls(whole(0, "z3", "utc_now", "{}")),),
        events=((0, None), (1, "utc_now"), (2, None)),
        calls=(call_dict("z3", "utc_now", "{}"),),
        args=({},),
    ),
    # ... or when the next index starts (here: on the delta that starts index 1).
    "zero_args_then_next_index": Shape(
        deltas=(
            calls(whole(0, "z4", "utc_now", "")),
            calls(whole(1, "w4", "get_weather", W_PARIS)),
        ),
        events=((0, None), (1, None), (2, "utc_now"), (3, "get_weather")),
        calls=(call_dict("z4", "utc_now", ""), call_dict("w4", "get_weather", W_PARIS)),
        args=({}, {"location": "Paris, France", "unit": "celsius"}),
    ),
    "zero_args_null_and_whole_call_in_one_delta": Shape(
        deltas=(calls(whole(0, "z5", "utc_now", None), whole(1, "t5", "get_local_time", T_TOKYO)),),
        events=((0, None), (1, "utc_now"), (2, "get_local_time")),
        calls=(call_dict("z5", "utc_now", ""), call_dict("t5", "get_local_time", T_TOKYO)),
        args=({}, {"timezone": "Asia/Tokyo"}),
    ),
    "zero_args_fragment_header_then_next_index": Shape(
        deltas=(
            calls(frag(0, call_id="call_Z6", name="utc_now", args="")),
            calls(frag(1, call_id="call_T6", name="get_local_time", args="")),
            calls(frag(1, args=T_TOKYO)),
        ),
        events=((0, None), (1, None), (2, "utc_now"), (3, "get_local_time"), (4, None)),
        calls=(
            call_dict("call_Z6", "utc_now", ""),
            call_dict("call_T6", "get_local_time", T_TOKYO),
        ),
        args=({}, {"timezone": "Asia/Tokyo"}),
    ),
    # The finish_reason on the chunk of the last fragment: both calls complete there
    # (the zero-argument one by the finish_reason, the other by its closing brace).
    "finish_reason_on_the_last_fragment": Shape(
        deltas=(
            calls(frag(0, call_id="call_F1", name="get_local_time", args='{"timezone":')),
            calls(frag(0, args='"Asia/Tokyo"}')),
            calls(frag(1, call_id="call_F2", name="utc_now", args="")),
        ),
        events=((0, None), (1, None), (2, "get_local_time"), (3, "utc_now")),
        calls=(
            call_dict("call_F1", "get_local_time", T_TOKYO),
            call_dict("call_F2", "utc_now", ""),
        ),
        args=({"timezone": "Asia/Tokyo"}, {}),
        finish_with_last=True,
    ),
    # Content before the tool calls (kimi-k2 does this), then the usage trailer.
    "content_before_tool_calls": Shape(
        deltas=(
            {"content": "Let me"},
            {"content": " check that."},
            calls(whole(0, "functions.get_weather:0", "get_weather", W_PARIS)),
        ),
        events=((0, None), (1, None), (2, None), (3, "get_weather"), (4, None), (5, None)),
        calls=(call_dict("functions.get_weather:0", "get_weather", W_PARIS),),
        args=({"location": "Paris, France", "unit": "celsius"},),
        trailer=True,
        content="Let me check that.",
    ),
}


@pytest.mark.parametrize("name", list(SHAPES))
async def test_each_tool_once_on_the_chunk_that_completes_it(flavor: Flavor, name: str) -> None:
    shape = SHAPES[name]
    body = sse(
        *shape.deltas,
        finish=shape.finish,
        trailer=shape.trailer,
        finish_with_last=shape.finish_with_last,
    )
    n_chunks = len(payloads_of(body))
    stream, run = await flavor.run(body)

    assert run.errors == []
    assert run.events == list(shape.events)
    # Every server chunk, once, in order; a chunk repeats only paired with another tool.
    assert run.yielded_indices == list(range(n_chunks))
    assert sum(1 for _, tool in run.events if tool is None) + len(run.tools) == len(run.events)
    repeated = [i for i, (index, _) in enumerate(run.events) if i and run.events[i - 1][0] == index]
    assert all(run.events[i][1] is not None for i in repeated)

    # Each tool exactly once, validated, carrying its raw call.
    assert [t.args for t in run.tools] == list(shape.args)
    assert [t.tool_call.to_dict() for t in run.tools if t.tool_call] == list(shape.calls)
    assert len({id(t) for t in run.tools}) == len(run.tools)
    assert stream.tools == run.tools
    assert [c.to_dict() for c in stream.tool_calls] == list(shape.calls)
    assert stream.content == shape.content
    assert stream.message_param == {
        "role": "assistant",
        "content": shape.content,
        "tool_calls": list(shape.calls),
    }
    response = stream.construct_call_response()
    assert response.tools == run.tools
    assert all(a is b for a, b in zip(response.tools, run.tools, strict=True))
    assert [c.to_dict() for c in response.tool_calls] == list(shape.calls)
    assert response.message_param == stream.message_param
    assert response.content == shape.content
    if shape.finish is not None:
        assert response.finish_reasons == ["tool_calls"]
        assert response.input_tokens == USAGE["prompt_tokens"]
    outputs = [await call_tool(t) for t in run.tools]
    assert all(isinstance(o, str) and o for o in outputs)


async def test_chunk_level_tool_call_deltas(flavor: Flavor) -> None:
    body = sse(calls(whole(0, "a1", "get_weather", W_PARIS), whole(1, "a2", "utc_now", "{}")))
    _, run = await flavor.run(body)
    first, second = run.pairs[1], run.pairs[2]
    # Each chunk once: the second tool comes with the next (finish) chunk.
    assert first[0] is not second[0] and second[0].finish_reasons == ["tool_calls"]
    assert (first[1] and type(first[1])._name(), second[1] and type(second[1])._name()) == (
        "get_weather",
        "utc_now",
    )
    deltas = first[0].tool_calls
    assert deltas is not None
    assert [d.function.name for d in deltas] == ["get_weather", "utc_now"]
    assert [d.index for d in deltas] == [0, 1]
    assert first[0].content == ""
    assert run.pairs[0][0].tool_calls is None


async def test_script_builder_fragments_with_include_usage(flavor: Flavor) -> None:
    from mirastream.testing import ToolCall, script_events
    from mirastream.testing._script import Script

    spec = Script(
        text="Checking both.",
        tool_calls=[
            ToolCall("get_weather", {"location": "Lyon, France", "unit": "fahrenheit"}, "c1"),
            ToolCall("get_local_time", {"timezone": "Europe/Paris"}, "c2"),
        ],
        fragment_arguments=4,
        include_usage=True,
    )
    body = script_events(spec)
    payloads = payloads_of(body)
    stream, run = await flavor.run(body)

    assert [e for e in run.events if e[1] is not None] == [
        (_last_fragment(payloads, 0), "get_weather"),
        (_last_fragment(payloads, 1), "get_local_time"),
    ]
    assert run.yielded_indices == list(range(len(payloads)))
    assert [t.args for t in run.tools] == [
        {"location": "Lyon, France", "unit": "fahrenheit"},
        {"timezone": "Europe/Paris"},
    ]
    assert stream.content == "Checking both."
    assert len(stream.tool_calls) == 2


def _last_fragment(payloads: list[dict[str, Any]], index: int) -> int:
    last = -1
    for i, payload in enumerate(payloads):
        for choice in payload["choices"]:
            for call in choice["delta"].get("tool_calls") or ():
                if call["index"] == index:
                    last = i
    return last


async def test_no_tools_offered_tool_calls_stay_raw(flavor: Flavor) -> None:
    body = sse(calls(whole(0, "r1", "get_weather", W_PARIS)))
    stream, run = await flavor.run(body, tools=None)
    assert run.events == [(0, None), (1, None), (2, None)]
    assert run.errors == []
    assert [c.to_dict() for c in stream.tool_calls] == [call_dict("r1", "get_weather", W_PARIS)]
    response = stream.construct_call_response()
    assert response.tools == []
    assert response.tool is None
    assert flavor.server.requests[-1].body is not None
    assert "tools" not in flavor.server.requests[-1].body


# --- bad calls: ToolCallError, and the stream goes on ----------------------------------


async def test_bad_arguments_raise_and_iteration_continues(flavor: Flavor) -> None:
    bad = '{"unit":"kelvin"}'
    body = sse(
        calls(whole(0, "b1", "get_weather", bad)),
        calls(whole(1, "g1", "get_local_time", T_TOKYO)),
        trailer=True,
    )
    stream, run = await flavor.run(body)

    # Chunk 1 (which completes the bad call) is yielded, the error is raised right after
    # it, and iteration continues with chunk 2.
    assert run.events == [
        (0, None),
        (1, None),
        (-1, "!get_weather"),
        (2, "get_local_time"),
        (3, None),
        (4, None),
    ]
    (error,) = run.errors
    assert error.tool_name == "get_weather"
    assert error.tool_call_id == "b1"
    assert error.arguments == bad
    assert isinstance(error.__cause__, pydantic.ValidationError)
    failed = {(e["loc"], e["type"]) for e in error.__cause__.errors()}
    assert failed == {(("location",), "missing"), (("unit",), "literal_error")}
    assert "get_weather" in str(error)

    # The raw bad call stays, so the model can be answered with the error.
    expected_calls = [
        call_dict("b1", "get_weather", bad),
        call_dict("g1", "get_local_time", T_TOKYO),
    ]
    assert run.calls_seen == [0, 1, 1, 2, 2, 2]
    assert [c.to_dict() for c in stream.tool_calls] == expected_calls
    assert stream.message_param["tool_calls"] == expected_calls
    assert [type(t)._name() for t in stream.tools] == ["get_local_time"]
    response = stream.construct_call_response()
    assert [c.to_dict() for c in response.tool_calls] == expected_calls
    assert response.message_param["tool_calls"] == expected_calls
    assert response.tools == run.tools
    assert response.usage is not None


async def test_unknown_tool_raises_and_iteration_continues(flavor: Flavor) -> None:
    arguments = '{"origin":"CDG","destination":"HND"}'
    body = sse(
        calls(whole(0, "u1", "book_flight", arguments)),
        calls(whole(1, "u2", "get_weather", W_PARIS)),
    )
    stream, run = await flavor.run(body)

    assert run.events == [
        (0, None),
        (1, None),
        (-1, "!book_flight"),
        (2, "get_weather"),
        (3, None),
    ]
    (error,) = run.errors
    assert (error.tool_name, error.tool_call_id, error.arguments) == (
        "book_flight",
        "u1",
        arguments,
    )
    message = str(error)
    assert "book_flight" in message
    assert all(name in message for name in ("get_weather", "get_local_time", "utc_now"))
    assert [c.to_dict() for c in stream.tool_calls] == [
        call_dict("u1", "book_flight", arguments),
        call_dict("u2", "get_weather", W_PARIS),
    ]
    assert stream.message_param["tool_calls"][0] == call_dict("u1", "book_flight", arguments)


async def test_malformed_fragments_fail_on_the_finish_chunk(flavor: Flavor) -> None:
    # The JSON never closes: the call completes (badly) on the finish chunk (3); the
    # error follows that chunk and iteration goes on with the trailer (4).
    body = sse(
        calls(frag(0, call_id="m1", name="get_weather", args="")),
        calls(frag(0, args='{"location": "Par')),
        trailer=True,
    )
    stream, run = await flavor.run(body)

    assert run.events == [
        (0, None),
        (1, None),
        (2, None),
        (3, None),
        (-1, "!get_weather"),
        (4, None),
    ]
    (error,) = run.errors
    assert (error.tool_name, error.tool_call_id, error.arguments) == (
        "get_weather",
        "m1",
        '{"location": "Par',
    )
    assert isinstance(error.__cause__, ValueError)
    assert not isinstance(error.__cause__, pydantic.ValidationError)
    assert [c.to_dict() for c in stream.tool_calls] == [
        call_dict("m1", "get_weather", '{"location": "Par')
    ]
    assert stream.finish_reasons == ["tool_calls"]
    assert stream.usage is not None
    response = stream.construct_call_response()
    assert response.tools == []
    assert response.finish_reasons == ["tool_calls"]


async def test_arguments_that_are_not_an_object(flavor: Flavor) -> None:
    body = sse(calls(whole(0, "x1", "get_local_time", '["Asia/Tokyo"]')))
    stream, run = await flavor.run(body)
    # Not an object, so complete only on the finish chunk (2); the error follows it.
    assert run.events == [(0, None), (1, None), (2, None), (-1, "!get_local_time")]
    (error,) = run.errors
    assert error.arguments == '["Asia/Tokyo"]'
    assert error.tool_call_id == "x1"
    assert stream.message_param["tool_calls"] == [
        call_dict("x1", "get_local_time", '["Asia/Tokyo"]')
    ]


async def test_bad_call_completed_by_the_end_of_the_stream(flavor: Flavor) -> None:
    # No finish_reason: the end of the stream completes the call, which lacks `location`.
    # Catching the error and iterating on (the documented pattern) simply finishes.
    body = sse(calls(whole(0, "e1", "get_weather", "")), finish=None)
    stream, run = await flavor.run(body)
    assert run.events == [(0, None), (1, None), (-1, "!get_weather")]
    (error,) = run.errors
    assert (error.tool_name, error.tool_call_id, error.arguments) == ("get_weather", "e1", "")
    assert stream.message_param["tool_calls"] == [call_dict("e1", "get_weather", "")]
    response = stream.construct_call_response()
    assert response.tools == []
    assert response.finish_reasons == []


async def test_bad_call_completed_by_the_end_keeps_its_cause(flavor: Flavor) -> None:
    # "" never parses as an object, so only the end completes it; `location` is missing.
    body = sse(calls(whole(0, "e2", "get_weather", "")), finish=None)
    _, run = await flavor.run(body)
    (error,) = run.errors
    assert error.tool_call_id == "e2"
    assert isinstance(error.__cause__, pydantic.ValidationError)


async def test_good_call_completed_by_the_end_of_the_stream(flavor: Flavor) -> None:
    # No finish_reason: only the end of the stream completes the zero-argument call.
    body = sse(calls(whole(0, "z7", "utc_now", "")), finish=None)
    stream, run = await flavor.run(body)
    assert run.errors == []
    assert run.yielded_indices == [0, 1]
    (tool,) = stream.tools
    assert type(tool)._name() == "utc_now"
    assert tool.tool_call is not None
    assert tool.tool_call.id == "z7"
    assert await call_tool(tool) == "2026-02-13T12:00:00Z"
    response = stream.construct_call_response()
    assert response.tools == [tool]
    assert response.message_param["tool_calls"] == [call_dict("z7", "utc_now", "")]


async def test_call_completed_by_the_end_is_yielded_once(flavor: Flavor) -> None:
    body = sse(calls(whole(0, "z8", "utc_now", "")), finish=None)
    _, run = await flavor.run(body)
    assert [name for _, name in run.events if name] == ["utc_now"]


@pytest.mark.parametrize("bad_first", [True, False])
async def test_good_and_bad_call_in_one_delta(flavor: Flavor, bad_first: bool) -> None:
    good = whole(0, "g", "get_local_time", T_TOKYO)
    bad = whole(1, "b", "get_weather", '{"location": 42}')
    if bad_first:
        good["index"], bad["index"] = 1, 0
    body = sse(calls(*((bad, good) if bad_first else (good, bad))))
    stream, run = await flavor.run(body)

    if bad_first:
        # The chunk comes first (paired with the good tool), then the error.
        assert run.events == [(0, None), (1, "get_local_time"), (-1, "!get_weather"), (2, None)]
    else:
        assert run.events == [(0, None), (1, "get_local_time"), (-1, "!get_weather"), (2, None)]
    assert [type(t)._name() for t in run.tools] == ["get_local_time"]
    assert run.errors[0].tool_call_id == "b"
    assert len(stream.tool_calls) == 2


# --- round trip: call -> tools -> tool messages -> second request ----------------------


async def test_round_trip_with_tool_outputs_and_an_error(flavor: Flavor) -> None:
    first_body = sse(
        {"content": "Checking."},
        calls(whole(0, "w1", "get_weather", W_PARIS)),
        calls(whole(1, "t1", "get_local_time", T_TOKYO)),
        calls(whole(2, "s1", "SearchFlights", '{"origin":"CDG"}')),  # missing destination
        calls(whole(3, "c1", "convert_currency", '{"amount":10,"currency":"JPY"}')),
        trailer=True,
    )
    tools = [get_weather, get_local_time, SearchFlights, convert_currency]
    stream, run = await flavor.run(first_body, tools=tools)
    assert [e[1] for e in run.events if e[1]] == [
        "get_weather",
        "get_local_time",
        "!SearchFlights",
        "convert_currency",
    ]
    response = stream.construct_call_response()
    assert [type(t)._name() for t in response.tools] == [
        "get_weather",
        "get_local_time",
        "convert_currency",
    ]
    outputs = [(tool, await call_tool(tool)) for tool in response.tools]
    assert [o for _, o in outputs] == [
        "Paris, France: 21 degrees celsius",
        "12:00 in Asia/Tokyo",
        "20.00 JPY",
    ]
    tool_messages = response.tool_message_params(outputs)
    (error,) = run.errors
    error_message = {
        "role": "tool",
        "content": f"Error: {error}",
        "tool_call_id": error.tool_call_id,
        "name": error.tool_name,
    }
    history = [USER, response.message_param, *tool_messages, error_message]

    flavor.server.enqueue(script("Sunny, 21 degrees; it is noon in Tokyo."))
    second = await flavor.stream(history, tools=tools)
    if isinstance(second, AsyncGroqStream):
        async for _ in second:
            pass
    else:
        for _ in second:
            pass
    assert second.content == "Sunny, 21 degrees; it is noon in Tokyo."

    first_request, second_request = (r.body for r in flavor.server.requests)
    assert second_request["messages"] == [
        USER,
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                call_dict("w1", "get_weather", W_PARIS),
                call_dict("t1", "get_local_time", T_TOKYO),
                call_dict("s1", "SearchFlights", '{"origin":"CDG"}'),
                call_dict("c1", "convert_currency", '{"amount":10,"currency":"JPY"}'),
            ],
        },
        {
            "role": "tool",
            "content": "Paris, France: 21 degrees celsius",
            "tool_call_id": "w1",
            "name": "get_weather",
        },
        {
            "role": "tool",
            "content": "12:00 in Asia/Tokyo",
            "tool_call_id": "t1",
            "name": "get_local_time",
        },
        {"role": "tool", "content": "20.00 JPY", "tool_call_id": "c1", "name": "convert_currency"},
        {
            "role": "tool",
            "content": f"Error: {error}",
            "tool_call_id": "s1",
            "name": "SearchFlights",
        },
    ]
    assert second_request["tools"] == first_request["tools"]
    assert second_request["stream"] is True


async def test_tool_message_outputs_as_json(flavor: Flavor) -> None:
    body = sse(
        calls(
            whole(0, "o1", "get_weather", W_PARIS),
            whole(1, "o2", "get_local_time", T_TOKYO),
            whole(2, "o3", "utc_now", "{}"),
            whole(3, "o4", "SearchFlights", '{"origin":"CDG","destination":"HND"}'),
            whole(4, "o5", "Contact", '{"name":"Ada"}'),
        )
    )
    stream, _ = await flavor.run(body, tools=[*TOOLS, SearchFlights, Contact])
    response = stream.construct_call_response()
    weather, clock, now, flights, contact = response.tools
    assert await call_tool(flights) == ["CDG-HND direct"]
    saved = await call_tool(contact)
    assert isinstance(saved, Contact)
    assert saved == Contact(name="Ada")
    messages = response.tool_message_params(
        [
            (weather, Forecast(temperature=21, unit="celsius")),  # pydantic model: its JSON
            (clock, {"time": "12:00", "dst": False, "offset": None}),  # other values: JSON
            (now, "12:00 UTC"),  # str: as is (no quotes)
            (flights, await call_tool(flights)),
            (contact, saved),
        ]
    )
    assert messages == [
        {
            "role": "tool",
            "content": '{"temperature":21,"unit":"celsius"}',
            "tool_call_id": "o1",
            "name": "get_weather",
        },
        {
            "role": "tool",
            "content": '{"time":"12:00","dst":false,"offset":null}',
            "tool_call_id": "o2",
            "name": "get_local_time",
        },
        {"role": "tool", "content": "12:00 UTC", "tool_call_id": "o3", "name": "utc_now"},
        {
            "role": "tool",
            "content": '["CDG-HND direct"]',
            "tool_call_id": "o4",
            "name": "SearchFlights",
        },
        {
            "role": "tool",
            "content": '{"name":"Ada","email":null}',
            "tool_call_id": "o5",
            "name": "Contact",
        },
    ]
    assert [json.loads(m["content"]) for m in messages if m["name"] != "utc_now"]


# --- the request: tools JSON, tool_choice, parallel_tool_calls -------------------------


EXPECTED_TOOLS_JSON = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "description": "City and country, e.g. Paris, France.",
                        "type": "string",
                    },
                    "unit": {
                        "default": "celsius",
                        "description": "Temperature unit.",
                        "enum": ["celsius", "fahrenheit"],
                        "type": "string",
                    },
                },
                "required": ["location"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "utc_now",
            "description": "Get the current UTC time.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "convert_currency",
            "description": "Convert an amount of euros to another currency.",
            "parameters": {
                "type": "object",
                "properties": {
                    "amount": {"description": "Euros to convert.", "type": "number"},
                    "currency": {
                        "description": "ISO 4217 code of the target currency.",
                        "type": "string",
                    },
                },
                "required": ["amount", "currency"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "SearchFlights",
            "description": "Search flights between two airports.",
            "parameters": {
                "type": "object",
                "properties": {
                    "origin": {
                        "description": "IATA code of the departure airport",
                        "type": "string",
                    },
                    "destination": {
                        "description": "IATA code of the arrival airport",
                        "type": "string",
                    },
                    "max_stops": {
                        "default": 1,
                        "description": "Most stops allowed",
                        "type": "integer",
                    },
                },
                "required": ["origin", "destination"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "Contact",
            "description": "Save a contact.",
            "parameters": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "email": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                },
                "required": ["name"],
            },
        },
    },
]


async def test_exact_tools_json_for_each_way_of_defining_a_tool(flavor: Flavor) -> None:
    # A function, a zero-parameter function, an async function, a GroqTool subclass and
    # a plain BaseModel class, in that order.
    tools = [get_weather, utc_now, convert_currency, SearchFlights, Contact]
    await flavor.run(sse(calls(whole(0, "e1", "utc_now", "{}"))), tools=tools)
    (request,) = flavor.server.requests
    assert request.body["tools"] == EXPECTED_TOOLS_JSON
    assert list(request.body) == ["messages", "model", "tools", "stream"]
    assert request.body["messages"] == [USER]
    assert request.body["model"] == MODEL
    assert "tool_choice" not in request.body
    assert "parallel_tool_calls" not in request.body


@pytest.mark.parametrize(
    "call_params",
    [
        {"tool_choice": "required", "parallel_tool_calls": False},
        {"tool_choice": "none"},
        {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"tool_choice": "auto", "parallel_tool_calls": True, "temperature": 0.2},
    ],
    ids=["required-serial", "none", "named", "auto-parallel"],
)
async def test_tool_choice_and_parallel_tool_calls_pass_through(
    flavor: Flavor, call_params: dict[str, Any]
) -> None:
    sent = json.loads(json.dumps(call_params))
    stream, _ = await flavor.run(
        sse(calls(whole(0, "p1", "get_weather", W_PARIS))), call_params=call_params
    )
    (request,) = flavor.server.requests
    body = request.body
    for key, value in sent.items():
        assert body[key] == value
    assert len(body["tools"]) == 3
    assert call_params == sent  # not mutated
    assert stream.construct_call_response().call_params == {
        **sent,
        "tools": body["tools"],
    }

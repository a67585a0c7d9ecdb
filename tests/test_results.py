"""``GroqCallResponse`` / ``GroqCallResponseChunk``: fields, history messages, exact costs.

Streamed and plain calls must end in the same response; costs follow Groq's billing:
cached tokens are part of ``prompt_tokens`` and billed once, at the cached price when the
model has one; an unknown price or missing usage gives ``cost=None`` and a reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from test_call import Driver, contains_none, echo, expected_cost, get_weather

from mirastream import (
    CostMetadata,
    GroqCallResponse,
    GroqCallResponseChunk,
    ToolCallError,
)
from mirastream.groq.types import ChatCompletion, ChatCompletionChunk
from mirastream.testing import GroqServer, JSONReply, Script, ScriptReply, Usage, script


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


USAGE: dict[str, Any] = {
    "queue_time": 0.011,
    "prompt_tokens": 236,
    "prompt_time": 0.0115,
    "completion_tokens": 24,
    "completion_time": 0.052,
    "total_tokens": 260,
    "total_time": 0.0635,
}


def completion(
    message: dict[str, Any],
    *,
    finish: str = "stop",
    model: str | None = "llama-3.3-70b-versatile",
    usage: dict[str, Any] | None = None,
    x_groq: dict[str, Any] | None = None,
) -> ChatCompletion:
    data: dict[str, Any] = {
        "id": "chatcmpl-r1",
        "object": "chat.completion",
        "created": 1771004000,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "system_fingerprint": "fp_r1",
    }
    if model is not None:
        data["model"] = model
    if usage is not None:
        data["usage"] = usage
    if x_groq is not None:
        data["x_groq"] = x_groq
    return ChatCompletion(data)


TOOL_CALL = {
    "id": "m2x7q9k4v",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"location":"Paris, France"}'},
}


# ---------------------------------------------------------------------------------------
# GroqCallResponse over a ChatCompletion
# ---------------------------------------------------------------------------------------


def completion_json(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-r1",
        "object": "chat.completion",
        "created": 1771004000,
        "model": "llama-3.3-70b-versatile",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": USAGE,
        "system_fingerprint": "fp_r1",
        "x_groq": {"id": "req_r1"},
    }


@pytest.mark.anyio
async def test_a_tool_call_answer_gives_a_clean_history_message(
    drv: Driver, srv: GroqServer
) -> None:
    message = {"role": "assistant", "content": None, "reasoning": None, "tool_calls": [TOOL_CALL]}
    srv.enqueue(JSONReply(completion_json(message, "tool_calls")))
    call = drv.call(echo, "llama-3.3-70b-versatile", tools=[get_weather], client=drv.client(srv))
    response = await drv.response(call, "Weather?")
    assert response.content == ""
    assert response.reasoning == ""
    assert response.finish_reasons == ["tool_calls"]
    assert response.message_param == {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]}
    assert not contains_none(response.message_param)
    assert [call.to_dict() for call in response.tool_calls] == [TOOL_CALL]
    tool = response.tool
    assert tool is not None and tool.call() == "22 degrees celsius in Paris, France"
    assert response.tool_message_params([(tool, "sunny")]) == [
        {"role": "tool", "content": "sunny", "tool_call_id": "m2x7q9k4v", "name": "get_weather"}
    ]
    assert response.messages == [{"role": "user", "content": "Weather?"}]
    assert response.cost == pytest.approx(expected_cost("llama-3.3-70b-versatile", 236, 24))


def test_reasoning_and_channel_stay_out_of_the_history_message() -> None:
    response = GroqCallResponse(
        completion(
            {
                "role": "assistant",
                "content": "391",
                "reasoning": "17*23",
                "channel": "analysis",
                "tool_calls": None,
            }
        ),
        messages=[],
    )
    assert response.reasoning == "17*23"
    assert response.message_param == {"role": "assistant", "content": "391"}


@pytest.mark.anyio
async def test_tools_need_offered_tools_and_unknown_tools_raise(
    drv: Driver, srv: GroqServer
) -> None:
    message = {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]}
    srv.enqueue(JSONReply(completion_json(message, "tool_calls")))
    srv.enqueue(JSONReply(completion_json(message, "tool_calls")))
    client = drv.client(srv)
    without = await drv.response(drv.call(echo, "llama-3.3-70b-versatile", client=client), "q")
    assert without.tools == [] and without.tool is None
    assert len(without.tool_calls) == 1  # the raw call is still there

    def other(city: int) -> str:
        """Not the tool the model called."""
        return str(city)

    wrong_call = drv.call(echo, "llama-3.3-70b-versatile", tools=[other], client=client)
    wrong = await drv.response(wrong_call, "q")
    with pytest.raises(ToolCallError) as info:
        _ = wrong.tools
    assert (info.value.tool_name, info.value.tool_call_id) == ("get_weather", "m2x7q9k4v")


def test_usage_comes_from_x_groq_first_then_top_level() -> None:
    x_groq_usage = {**USAGE, "prompt_tokens": 100, "total_tokens": 124}
    both = GroqCallResponse(
        completion(
            {"role": "assistant", "content": "x"},
            usage=USAGE,
            x_groq={"id": "req_1", "usage": x_groq_usage},
        ),
        messages=[],
    )
    assert both.usage is not None and both.usage.to_dict() == x_groq_usage
    assert both.input_tokens == 100
    top = GroqCallResponse(
        completion({"role": "assistant", "content": "x"}, usage=USAGE, x_groq={"id": "req_1"}),
        messages=[],
    )
    assert top.usage is not None and top.usage.to_dict() == USAGE
    assert (top.input_tokens, top.output_tokens, top.cached_tokens) == (236, 24, None)
    assert top.cost == pytest.approx(expected_cost("llama-3.3-70b-versatile", 236, 24))
    assert top.usage.queue_time == 0.011 and top.usage.total_time == 0.0635


def test_the_requested_model_prices_a_response_that_names_none() -> None:
    response = GroqCallResponse(
        completion({"role": "assistant", "content": "x"}, model=None, usage=USAGE),
        messages=[],
        model="llama-3.1-8b-instant",
    )
    assert response.model == "llama-3.1-8b-instant"
    assert response.cost == pytest.approx(expected_cost("llama-3.1-8b-instant", 236, 24))


def test_str_and_repr() -> None:
    response = GroqCallResponse(
        completion({"role": "assistant", "content": "Hello"}, usage=USAGE), messages=[]
    )
    assert str(response) == "Hello"
    assert "llama-3.3-70b-versatile" in repr(response) and "'Hello'" in repr(response)


def test_a_response_chunk_reads_its_own_chunk() -> None:
    finish = ChatCompletionChunk(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "x_groq": {"id": "req", "usage": USAGE},
        }
    )
    chunk = GroqCallResponseChunk(finish)
    assert chunk.chunk is finish
    assert (chunk.content, chunk.reasoning, chunk.finish_reasons) == ("", "", ["stop"])
    assert chunk.usage is not None and chunk.usage.to_dict() == USAGE
    assert (chunk.input_tokens, chunk.output_tokens) == (236, 24)
    trailer = GroqCallResponseChunk(
        ChatCompletionChunk(
            {"id": "c", "object": "chat.completion.chunk", "choices": [], "usage": USAGE}
        )
    )
    assert (trailer.content, trailer.finish_reasons, trailer.tool_calls) == ("", [], None)
    assert trailer.usage is not None and trailer.input_tokens == 236


# ---------------------------------------------------------------------------------------
# Exact costs, streamed and not
# ---------------------------------------------------------------------------------------


async def cost_of(
    drv: Driver, srv: GroqServer, model: str, usage: Usage | None, *, stream: bool
) -> tuple[float | None, CostMetadata, int | None]:
    srv.enqueue(script("answer", model=model, usage=usage))
    call = drv.call(echo, model, stream=stream, client=drv.client(srv))
    if stream:
        streamed = await drv.stream(call, "q")
        await drv.consume(streamed)
        assert streamed.cost == streamed.construct_call_response().cost
        return streamed.cost, streamed.cost_metadata, streamed.cached_tokens
    response = await drv.response(call, "q")
    return response.cost, response.cost_metadata, response.cached_tokens


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
async def test_cached_tokens_are_billed_once_at_the_cached_price(
    drv: Driver, srv: GroqServer, stream: bool
) -> None:
    usage = Usage(1000, 200, cached_tokens=400)
    cost, metadata, cached = await cost_of(drv, srv, "openai/gpt-oss-20b", usage, stream=stream)
    # 600 uncached @ 0.075 + 400 cached @ 0.0375 + 200 out @ 0.30 = $0.00012.
    assert cost == pytest.approx((600 * 0.075 + 400 * 0.0375 + 200 * 0.30) / 1e6)
    assert cost == pytest.approx(1.2e-4)
    assert cached == 400
    assert (metadata.input_tokens, metadata.cached_tokens, metadata.output_tokens) == (
        1000,
        400,
        200,
    )
    assert (metadata.input_price, metadata.cached_input_price, metadata.output_price) == (
        0.075,
        0.0375,
        0.30,
    )
    assert metadata.cost == cost and metadata.reason is None


@pytest.mark.anyio
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "plain"])
async def test_without_a_cached_price_cached_tokens_cost_the_input_price_once(
    drv: Driver, srv: GroqServer, stream: bool
) -> None:
    usage = Usage(1000, 200, cached_tokens=400)
    cost, metadata, _ = await cost_of(drv, srv, "llama-3.3-70b-versatile", usage, stream=stream)
    assert cost == pytest.approx((1000 * 0.59 + 200 * 0.79) / 1e6)
    assert metadata.cached_input_price == 0.59


@pytest.mark.anyio
async def test_more_cached_than_prompt_tokens_has_no_cost(drv: Driver, srv: GroqServer) -> None:
    usage = Usage(100, 10, cached_tokens=101)
    cost, metadata, _ = await cost_of(drv, srv, "openai/gpt-oss-20b", usage, stream=True)
    assert cost is None
    assert metadata.reason is not None and "exceed" in metadata.reason


@pytest.mark.anyio
async def test_no_usage_means_no_cost(drv: Driver, srv: GroqServer) -> None:
    cost, metadata, cached = await cost_of(drv, srv, "llama-3.1-8b-instant", None, stream=True)
    assert cost is None and cached is None
    assert metadata.reason == "no usage reported"
    assert metadata.input_price == 0.05  # the price is known, the usage is not


# ---------------------------------------------------------------------------------------
# A stream rebuilds the completion the same request returns without streaming
# ---------------------------------------------------------------------------------------


def pinned(**fields: Any) -> Script:
    return Script(
        text="Groq is fast.",
        reasoning="Be brief.",
        model="openai/gpt-oss-20b",
        usage=Usage(40, 9, cached_tokens=8),
        include_usage=True,
        seed=424242,
        request_id="req_01kmz5pinned0000000000000",
        completion_id="chatcmpl-pinned",
        system_fingerprint="fp_pinned",
        created=1771005000,
        tick_every=2,
        **fields,
    )


async def both_ways(drv: Driver, srv: GroqServer) -> tuple[GroqCallResponse, GroqCallResponse]:
    srv.enqueue(ScriptReply(pinned(), stream=True), ScriptReply(pinned(), stream=False))
    client = drv.client(srv)
    stream = await drv.stream(drv.call(echo, "openai/gpt-oss-20b", stream=True, client=client), "q")
    await drv.consume(stream)
    plain = await drv.response(drv.call(echo, "openai/gpt-oss-20b", client=client), "q")
    return stream.construct_call_response(), plain


@pytest.mark.anyio
async def test_the_rebuilt_completion_matches_the_non_stream_one(
    drv: Driver, srv: GroqServer
) -> None:
    streamed, plain = await both_ways(drv, srv)
    rebuilt, received = streamed.response, plain.response
    assert rebuilt.created == received.created == 1771005000  # not the later ticks, not 0
    for field in ("id", "object", "model", "system_fingerprint"):
        assert getattr(rebuilt, field) == getattr(received, field), field
    assert rebuilt.x_groq is not None and received.x_groq is not None
    assert (rebuilt.x_groq.id, rebuilt.x_groq.seed) == (received.x_groq.id, received.x_groq.seed)
    assert rebuilt.usage is not None and received.usage is not None
    assert rebuilt.usage.to_dict() == received.usage.to_dict()
    assert rebuilt.choices[0].to_dict() == received.choices[0].to_dict()
    for attribute in ("content", "reasoning", "finish_reasons", "message_param", "cost"):
        assert getattr(streamed, attribute) == getattr(plain, attribute), attribute
    assert streamed.cached_tokens == plain.cached_tokens == 8


@pytest.mark.anyio
async def test_the_rebuilt_completion_keeps_service_tier(drv: Driver, srv: GroqServer) -> None:
    streamed, plain = await both_ways(drv, srv)
    assert plain.response.service_tier == "on_demand"
    assert streamed.response.service_tier == plain.response.service_tier
